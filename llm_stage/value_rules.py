"""What a value may look like while it is being decoded: the document text it may be copied from
(`CopySource`) and, for date and amount fields, the shape it must have (`ValueRule`).

Both are checked on bytes/prefixes as the value grows, so the constrained decoder can refuse a
token the moment it would leave the document or the shape ("06/03/2018 10:30" for a date, an
address for a total). The shapes come from the field's name (`normalize.field_kind`), in any
language, not from any particular document.

After decoding, `apply_value_rules` checks the parsed answer against the document's layout and
arithmetic (whole organisation names and addresses, an invoice party's labelled boxes, the amount a
receipt's payment rows settle, net + tax = gross); every value it writes is still a span of the
page. `python -m bench.rule_audit` measures how often it would change a right answer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import regex

from .normalize import field_kind, name_words

__all__ = [
    "apply_value_rules",
    "CopySource",
    "ValueRule",
    "complete_addresses",
    "complete_organisations",
    "copy_forms",
    "is_address_field",
    "is_organisation_field",
    "rule_for_field",
    "rules_for_fields",
    "paid_amount",
    "party_box_value",
    "complete_party_fields",
    "settle_total",
    "trim_value",
]

_WS = re.compile(r"\s+")


def copy_forms(text: str) -> list[str]:
    """The forms of the document text a value may be copied from: as rendered, with every run of
    whitespace (newlines included) as one space, so a multi-row address is one span, and the same
    after NFKC (full-width digits/letters and ￥ written half-width)."""
    collapsed = _WS.sub(" ", str(text)).strip()
    forms = [str(text), collapsed, unicodedata.normalize("NFKC", collapsed)]
    return list(dict.fromkeys(f for f in forms if f))


class CopySource:
    """Byte-level substring check against the document text. A decoding state is the list of end
    offsets where the value decoded so far occurs (None: nothing decoded yet, so anywhere)."""

    def __init__(self, text: str):
        # NUL never occurs in a value (control characters are refused), so no value spans two forms.
        self.data = b"\x00".join(f.encode("utf-8") for f in copy_forms(text))

    def ok(self, state: list[int] | None, b: bytes) -> bool:
        if not b:
            return True
        if state is None:
            return self._first_start(b) >= 0
        d = self.data
        return any(d.startswith(b, p) for p in state)

    def advance(self, state: list[int] | None, b: bytes) -> list[int] | None:
        if not b:
            return state
        d = self.data
        if state is None:
            out, i = [], self._first_start(b)
            while i >= 0:
                out.append(i + len(b))
                i = self._first_start(b, i + 1)
            return out
        n = len(b)
        return [p + n for p in state if d.startswith(b, p)]

    def end_ok(self, state: list[int] | None) -> bool:
        """Can the value end here: some occurrence does not stop inside a number ("12" of "12.50")?"""
        if state is None:
            return True
        d = self.data
        return any(not (_digit_at(d, p - 1) and _continues_number(d, p, 1)) for p in state)

    def _first_start(self, b: bytes, start: int = 0) -> int:
        """The first occurrence of `b` at or after `start` that does not begin inside a number
        (a value never starts with the "123" of "9064123"), or -1."""
        d = self.data
        i = d.find(b, start)
        if not (0x30 <= b[0] <= 0x39):
            return i
        while i >= 0 and _continues_number(d, i - 1, -1):
            i = d.find(b, i + 1)
        return i


def _digit_at(s: str | bytes, i: int) -> bool:
    """A digit at i (ASCII in bytes, any Unicode digit in text)."""
    if not 0 <= i < len(s):
        return False
    c = s[i]
    return 0x30 <= c <= 0x39 if isinstance(c, int) else c.isdigit()


def _continues_number(s: str | bytes, i: int, step: int) -> bool:
    """Is there a digit at i, or a '.'/',' at i followed (in `step` direction) by a digit?"""
    if _digit_at(s, i):
        return True
    return 0 <= i < len(s) and s[i] in (b".," if isinstance(s, bytes) else ".,") and _digit_at(s, i + step)


_YEAR_END = re.compile(r"[-/.](?:19|20)\d{2}$")
_TIME_START = re.compile(r"\d{1,2}:\d{2}")


def _time_glued(s: str | bytes, end: int) -> bool:
    """Does a date ending in a 4-digit year run straight into a time ("30-04-201819:50:14")?"""
    head, tail = s[max(0, end - 5) : end], s[end : end + 5]
    if isinstance(s, bytes):
        head, tail = head.decode("latin-1"), tail.decode("latin-1")
    return bool(_YEAR_END.search(head) and _TIME_START.match(tail))


def cuts_number(s: str | bytes, start: int, end: int) -> bool:
    """Would s[start:end] cut a number of s ("9" out of "19.00", "2018" out of "20180306")?
    Letters and CJK text may start and end anywhere; a date may end where a time printed without a
    space after it begins."""
    if _digit_at(s, start) and _continues_number(s, start - 1, -1):
        return True
    return _digit_at(s, end - 1) and _continues_number(s, end, 1) and not _time_glued(s, end)


# ------------------------------------------------------------------------------------ shapes

_MON = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
# A date as printed, without a time (one separator throughout): 25/12/2018, 19-03-18, 2016年06月12日, 2018-03-06, 06 MAR 2018,
# 06-Mar-18, Mar 6, 2018, 20180306.
DATE = (
    rf"(?i)(?:\d{{4}}\s?年\s?\d{{1,2}}\s?月\s?\d{{1,2}}\s?[日号]?"
    rf"|\d{{4}}\s?(?P<s1>[-/.])\s?\d{{1,2}}\s?(?P=s1)\s?\d{{1,2}}"
    rf"|\d{{1,2}}\s?(?P<s2>[-/.])\s?\d{{1,2}}\s?(?P=s2)\s?(?:\d{{4}}|\d{{2}})"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?[\s\-/.]{{0,2}}{_MON}[\s\-/.,]{{0,2}}(?:\d{{4}}|\d{{2}})"
    rf"|{_MON}[\s\-/.]{{0,2}}\d{{1,2}}(?:st|nd|rd|th)?,?[\s\-/.]{{1,2}}(?:\d{{4}}|\d{{2}})"
    rf"|(?:19|20)\d{{6}})"
)
_CUR = r"(?:[¥￥$€£]|RM|MYR|SGD|USD|RMB|CNY|S\$|US\$)"
# An amount as printed: 9.00, RM 9.00, ￥3,495.00, -0.02, 12,50; currency before or after.
AMOUNT = rf"(?i)(?:{_CUR}\s?)?(?:[-+]\s?)?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:[.,]\d{{1,3}})?(?:\s?{_CUR})?"


_MONEY = regex.compile(rf"(?i){_CUR}|[.,]\d{{2}}$")


@dataclass(frozen=True)
class ValueRule:
    """A shape a value must have. In copy mode the value is one of `candidates(text)`: the spans of
    the document with that shape that do not start or end inside a number; otherwise `prefix_ok`
    while it grows and `complete_ok` when it closes."""

    kind: str
    pattern: str

    @property
    def _rx(self):
        return _compiled(self.pattern)

    def prefix_ok(self, text: str) -> bool:
        return not text or self._rx.fullmatch(text, partial=True) is not None

    def complete_ok(self, text: str) -> bool:
        return self._rx.fullmatch(text.strip()) is not None

    def candidates(self, text: str) -> list[str]:
        """Every maximal span of the document text with this shape, in order of first occurrence.
        For amounts, when the document prints money (a currency mark or cents), only those: a bare
        "1" or "2018" is a count, a code or a year far more often than a price."""
        out: dict[str, None] = {}
        for form in copy_forms(text):
            for m in self._rx.finditer(form, overlapped=True):
                v = m.group(0).strip()
                start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
                if v and not cuts_number(form, start, start + len(v)):
                    out.setdefault(v, None)
        found = list(out)
        if self.kind == "amount":
            money = [v for v in found if _MONEY.search(v)]
            return money or found
        return found


@lru_cache(maxsize=16)
def _compiled(pattern: str):
    return regex.compile(pattern)


_TIME_WORDS = re.compile(r"时间|时刻|(?i:\btime\b|datetime|timestamp)")
# A Chinese invoice's number (发票号码) is 8 digits on paper invoices and 20 on fully digital ones
# (全电发票); the invoice code (发票代码) printed beside it is 10 or 12, the taxpayer IDs 15-20
# characters. The shapes keep the number from being answered with the code next to it, and the
# code with the number.
INVOICE_NO = r"(?:\d{8}|\d{20})(?![\p{L}\p{N}])"
INVOICE_CODE = r"(?:\d{10}|\d{12})(?![\p{L}\p{N}])"


def rule_for_field(name: str) -> ValueRule | None:
    """The shape of a field's values by its name: a date (not a date-time), an amount (not an
    amount in words), a Chinese invoice number or code, or None for free text."""
    n = unicodedata.normalize("NFKC", str(name))
    if "发票号" in n:
        return ValueRule("invoice_no", INVOICE_NO)
    if "发票代码" in n:
        return ValueRule("invoice_code", INVOICE_CODE)
    kind = field_kind(name)
    if kind == "date" and not _TIME_WORDS.search(name):
        return ValueRule("date", DATE)
    if kind == "amount":
        return ValueRule("amount", AMOUNT)
    return None


def rules_for_fields(names) -> dict[str, ValueRule]:
    out = {}
    for n in names:
        r = rule_for_field(n)
        if r is not None:
            out[n] = r
    return out


# ------------------------------------------------------------------------- organisation names
# A company / store / vendor / 名称 value names an organisation. Receipts print a registration
# number right after the name ("KING'S CONFECTIONERY S/B 273500-U", "99 SPEED MART S/B (519537-X)",
# "… 有限公司 91440101664041243T") and branch or store codes before it ("A05129 WARAKUYA …"); neither
# is part of the name, and a copied span that runs on past the number has left the name for the
# next row (the address); a party label or owner phrase ("Consignee:", "Managed by") may stand
# before it. `trim_value` cuts them off; what remains is still a substring of the value, so still
# grounded.
_ORG_WORDS = {
    "company",
    "vendor",
    "store",
    "shop",
    "merchant",
    "seller",
    "buyer",
    "supplier",
    "business",
    "retailer",
    "restaurant",
    "issuer",
    "payee",
    "organisation",
    "organization",
    "firm",
    "brand",
}
_ORG_CJK = (
    "公司",
    "商户",
    "商家",
    "商店",
    "店名",
    "门店",
    "企业",
    "单位名称",
    "收款单位",
    "付款单位",
    "开票单位",
    "销售方",
    "购买方",
    "收款方",
    "付款方",
)
_NOT_ORG_CJK = ("号", "码", "地址", "电话", "账", "行", "日期", "金额", "税", "货物", "商品", "项目", "服务")
_NOT_ORG = {
    "address",
    "phone",
    "tel",
    "number",
    "no",
    "id",
    "date",
    "total",
    "amount",
    "tax",
    "gst",
    "code",
    "bank",
    "account",
    "email",
    "website",
    "url",
    "vat",
    "tin",
    "registration",
    "reg",
    "license",
    "licence",
    "iban",
    "term",
    "period",
    "scope",
    "type",
    "hours",
    "time",
    "status",
    "category",
    "capital",
}
_REG_NO = regex.compile(r"(?<![\p{L}\p{N}])[A-Z]{0,2}\d{5,}[A-Z]?(?:\s?-\s?[A-Z0-9]{1,2})?(?![\p{L}\p{N}])")
_LEADING_CODE = regex.compile(r"^#?[A-Z]{0,3}\d{4,}[A-Z]?[.:]?\s+(?=\p{L})")
# a party label or an owner phrase printed before the name ("Consignee: ", "Managed by ")
_LEADING_LABEL = regex.compile(
    r"(?i)^(?:(?:managed|owned|operated|licensed|issued|sold|supplied)\s+by|consignee|consignor|shipper|buyer"
    r"|seller|vendor|supplier|customer|bill\s+to|ship\s+to|sold\s+to)\b\s*[:：]?\s*"
)
# a registration label after the name ("(CO. REG NO: 7553-W)", "COMPANY NO(814198-X)"): the rest goes
_REG_LABEL = regex.compile(
    r"(?i)\s*[(\[]?\s*\b(?:co\.?\s*reg(?:n|istration)?\.?\s*no|company\s*(?:reg(?:istration)?\.?\s*)?no|roc\s*no)\b.*$"
)
_TRAILING_LABEL = regex.compile(
    r"(?i)(?:[\s(\[{,:;#-]|\b(?:co|company|reg|regn|registration|roc|no|gst|id)\b\.?)+$"
)


def is_organisation_field(name: str) -> bool:
    """Does the field name (any language) ask for an organisation's name?"""
    n = unicodedata.normalize("NFKC", str(name))
    words = set(name_words(n))
    if words & _ORG_WORDS and not words & _NOT_ORG:
        return True
    return any(w in n for w in _ORG_CJK) and not any(w in n for w in _NOT_ORG_CJK)


def trim_value(name: str, value):
    """`value` without the registration number or store code around an organisation's name (see
    above); other fields, non-strings and values that would lose their letters are unchanged."""
    if not isinstance(value, str) or not is_organisation_field(name):
        return value
    v = _LEADING_LABEL.sub("", _LEADING_CODE.sub("", value, count=1), count=1)
    v = _REG_LABEL.split(v, maxsplit=1)[0]
    m = _REG_NO.search(v)
    if m:
        v = v[: m.start()]
    v = _TRAILING_LABEL.sub("", v).strip()
    return v if len(regex.findall(r"\p{L}", v)) >= 2 else value


# ------------------------------------------------------------------------------ amounts that add up
# An invoice's gross total is its net amount plus its tax (价税合计 = 合计金额 + 合计税额; total =
# subtotal + tax). When a query asks for all three and the model's total breaks that identity by more
# than rounding, while the document prints the sum, the printed sum is the total: the model took a
# neighbouring amount (the tax, the net) for it. When instead the tax (or the net) repeats the
# gross, that one is wrong, and it becomes the printed gross less the other. One value is replaced,
# and only by a span of the document, so the answer stays grounded.
ROUNDING_SLACK = Decimal("0.10")
_NET_CJK = ("合计金额", "金额合计", "不含税金额", "小计")
_TAX_CJK = ("合计税额", "税额合计", "税额")
_GROSS_CJK = ("价税合计", "总计", "应付", "实付")


def amount_role(name: str) -> str | None:
    """ "gross", "net" or "tax" for an amount field whose name says which (any language), else None."""
    if field_kind(name) != "amount":
        return None
    n = unicodedata.normalize("NFKC", str(name))
    words = set(name_words(n))
    if any(w in n for w in _GROSS_CJK) or (
        words & {"total", "due", "gross"}
        and not words
        & {
            "sub",
            "subtotal",
            "net",
            "tax",
            "gst",
            "vat",
            "before",
            "excl",
            "change",
            "cash",
            "paid",
            "tendered",
            "rounding",
            "discount",
        }
    ):
        return "gross"
    if any(w in n for w in _NET_CJK) or words & {"subtotal", "net"} or {"before", "tax"} <= words:
        return "net"
    if any(w in n for w in _TAX_CJK) or words & {"tax", "gst", "vat"}:
        return "tax"
    return None


def _decimal(field: str, value) -> Decimal | None:
    from .normalize import canonical_value

    c = canonical_value(field, value) if isinstance(value, str) else None
    try:
        return Decimal(c) if c is not None else None
    except InvalidOperation:
        return None


def _swapped(values: dict, a: str, b: str) -> dict:
    return {**values, a: values[b], b: values[a]}


def order_amounts(values: dict, roles: dict[str, list[str]]) -> dict:
    """`values` with two amounts the model put in each other's slots swapped back: a tax above the net
    (no VAT or GST rate reaches 100%), or, when all three are asked and do not add up, the gross and
    the net or the tax exchanged when that makes net + tax = gross. A discount can put a receipt's
    subtotal above its total, so net above gross alone proves nothing."""
    one = {r: ks[0] for r, ks in roles.items() if len(ks) == 1}
    if "net" in one and "tax" in one:
        a, t = _decimal(one["net"], values[one["net"]]), _decimal(one["tax"], values[one["tax"]])
        g = _decimal(one["gross"], values[one["gross"]]) if "gross" in one else None
        # a tax that repeats the gross is a copy, not a swap: reconcile_amounts replaces it
        if a is not None and t is not None and t > a > 0 and t != g:
            values = _swapped(values, one["net"], one["tax"])
    if all(r in one for r in ("gross", "net", "tax")):

        def adds_up(v: dict) -> bool:
            g, a, t = (_decimal(one[r], v[one[r]]) for r in ("gross", "net", "tax"))
            return None not in (g, a, t) and abs(g - (a + t)) <= ROUNDING_SLACK

        if not adds_up(values):
            for other in ("net", "tax"):
                cand = _swapped(values, one["gross"], one[other])
                if adds_up(cand):
                    return cand
    return values


def reconcile_amounts(values: dict, text: str) -> dict:
    """`values` with swapped amounts put back (order_amounts), then the gross total replaced by the
    document's printed net + tax when the model's total does not add up (see above)."""
    roles: dict[str, list[str]] = {}
    for k in values:
        r = amount_role(k)
        if r:
            roles.setdefault(r, []).append(k)
    values = order_amounts(values, roles)
    if any(len(roles.get(r, ())) != 1 for r in ("gross", "net", "tax")):
        return values
    gross, net, tax = roles["gross"][0], roles["net"][0], roles["tax"][0]
    g, a, t = (_decimal(k, values[k]) for k in (gross, net, tax))
    if a is None or t is None or (g is not None and abs(g - (a + t)) <= ROUNDING_SLACK):
        return values
    # the one amount that copied another's value is the wrong one: a tax or a net equal to the
    # gross, tried first when printed; otherwise the gross is replaced by the printed sum
    fixes = []
    if g is not None and t == g and a < g:
        fixes.append((tax, g - a))
    if g is not None and a == g and 0 < t < g:
        fixes.append((net, g - t))
    fixes.append((gross, a + t))
    cands = ValueRule("amount", AMOUNT).candidates(text)
    for wrong, want in fixes:
        # as printed with its currency mark ("￥507.82"), not running into the next amount's mark
        found = {regex.sub(rf"\s{_CUR}$", "", c) for c in cands if _decimal(wrong, c) == want}
        if found:  # and a tax left above the net by that fix was the net: order them again
            return order_amounts({**values, wrong: max(found, key=lambda c: (len(c), c))}, roles)
    return values


# ------------------------------------------------------------------------ the amount actually paid
# A receipt's total is what the customer paid: the card payment, or the cash tendered less the
# change. A small model often copies a neighbouring amount instead: the total before tax ("Total
# Sales (Excluding GST) 381.50"), the GST summary's net column, the tax ("(Total Included GST @ 6% :
# 1.09)"), a line item, a tax rate, or the total before cash rounding (45.34 where "Rounding RM 45.35"
# was paid). When the payment rows settle the paid amount without ambiguity and the document prints
# that amount again on a total row (TOTAL, DUE, AMOUNT, NETT, ROUNDED, ...) that is no payment row, a
# gross-total value that differs from it takes that printed span (so it stays grounded). The paid
# amount is one card payment less any change, or the cash tendered less the change; cash with no
# change row counts only as exact payment, which the total row confirms. A null stays null.
_PAID_BY_CARD = regex.compile(
    r"(?i)\b(?:visa|master\s*card|mastercard|amex|credit(?:\s*card)?|debit(?:\s*card)?|card|cc|paid\s*by"
    r"|e-?wallet|boost|grab\s*pay|touch\s*(?:n|&|and)\s*go|tng)\b"
)
_PAID_CASH = regex.compile(r"(?i)\b(?:cash|tendered|tender|pay|payment|paid)\b")
_CHANGE = regex.compile(r"(?i)\b(?:change|chg|baki)\b")
_NOT_PAYMENT = regex.compile(r"(?i)round|\bgst\b|\btax\b|\bsst\b|\bqty\b|refund")
_TOTAL_ROW = regex.compile(r"(?i)total|\bdue\b|amount|\bamt\b|\bnett?\b|payable|jumlah|round")
_ROW_MONEY = regex.compile(r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|\d+)?[.,]\d{2}(?![\d%]|\s*%)")


def _row_amounts(row: str) -> list[tuple[str, Decimal]]:
    """The money amounts printed on a row (two decimals, not a percentage), as (span, value)."""
    out = []
    for m in _ROW_MONEY.finditer(row):
        span = m.group(0)
        digits = span.replace(",", "") if regex.search(r"\.\d{2}$", span) else span.replace(",", ".")
        try:
            out.append((span, Decimal(digits)))
        except InvalidOperation:
            continue
    return out


def paid_amount(text: str) -> tuple[str, Decimal] | None:
    """(printed span, value) of the amount a receipt's payment rows settle, when they settle one
    and a total row prints it too; else None. See above."""
    rows = [r for r in text.splitlines() if r.strip()]
    card: set[Decimal] = set()
    cash: set[Decimal] = set()
    change: set[Decimal] = set()
    payment_rows = set()
    for i, row in enumerate(rows):
        amounts = _row_amounts(row)
        if not amounts or _NOT_PAYMENT.search(row):
            continue
        last = amounts[-1][1]
        if _CHANGE.search(row):
            change.add(last)
            payment_rows.add(i)
        elif _PAID_BY_CARD.search(row):
            card.add(last)
            payment_rows.add(i)
        elif _PAID_CASH.search(row):
            cash.add(last)
            payment_rows.add(i)
    if len(change) > 1 or len(card) > 1 or len(cash) > 1 or bool(card) == bool(cash):
        return None  # ambiguous, split between card and cash, or no payment row
    paid = next(iter(card or cash)) - (next(iter(change)) if change else Decimal(0))
    if paid <= 0:
        return None
    for i, row in enumerate(rows):
        if i in payment_rows or not _TOTAL_ROW.search(row):
            continue
        for span, value in _row_amounts(row):
            if value == paid:
                return span, paid
    return None


# With no payment rows to settle it (an invoice on account, a wholesale bill), a total copied from
# a line item (a unit price, an item's amount) is no total either: a gross-total value that no row
# with a total-like label prints gives way to the amount on the document's last final-total row
# ("Total Payable: 73.55", "GRAND TOTAL", "Nett Total", "Amount Due", a bare "Total"); the GST
# summary rows ("Total 6% supplies (excl. GST)"), a sub-total and a quantity total are not final.
_FINAL_TOTAL = regex.compile(
    r"(?i)^\W*(?:grand\s*total|total\s*pay\S*(?:\s*\S{1,3})?|nett?\s*total|total\s*amount(?:\s*due)?"
    r"|amount\s*due|total\s*due|total(?:\s*\(?(?:rm|myr|sgd|\$)\)?)?|rounded\s*total|total\s*rounded"
    r"|jumlah(?:\s*besar)?)\W*(?:rm|myr|sgd|\$)?\s*$"
)


def final_total(text: str) -> tuple[str, Decimal] | None:
    """(printed span, value) of the amount on the last row labelled as the final total, or None."""
    found = None
    for row in text.splitlines():
        amounts = _row_amounts(row)
        if len(amounts) != 1:
            continue
        span, value = amounts[0]
        label = row[: row.rfind(span)]
        if _FINAL_TOTAL.match(label) and value > 0:
            found = (span, value)
    return found


def _on_total_row(value: Decimal, text: str) -> bool:
    return any(
        _TOTAL_ROW.search(row) and any(v == value for _, v in _row_amounts(row)) for row in text.splitlines()
    )


def settle_total(values: dict, text: str) -> dict:
    """`values` with a gross total that is not the paid amount replaced by it, or, with no payment
    rows to settle it, a gross total printed on no total row replaced by the final total (see above)."""
    gross = [k for k, v in values.items() if isinstance(v, str) and amount_role(k) == "gross"]
    if not gross:
        return values
    out = dict(values)
    settled = paid_amount(text)
    if settled is not None:
        span, paid = settled
        for k in gross:
            if _decimal(k, values[k]) != paid:
                out[k] = span
        return out
    final = final_total(text)
    if final is None:
        return values
    for k in gross:
        value = _decimal(k, values[k])
        if value is not None and value != final[1] and not _on_total_row(value, text):
            out[k] = final[0]
    return out


# ------------------------------------------------------------------- a party's labelled boxes
# A Chinese VAT invoice prints two parties in the same four labelled boxes: 购买方 (buyer) above the
# goods table and 销售方 (seller) below it, each with 名称 / 纳税人识别号 / 地址、电话 / 开户行及账号.
# A small model asked for 购买方地址电话 copies the seller's row, or a piece of the title for
# 购买方名称. For a field that names a party and one of those boxes, the answer is what that party's
# section prints after the label (up to the next gap between boxes): a value that is not found
# there gives way to it and a null is filled from it; a value found after the label stays. A
# label with nothing after it (the next box is another label), or only the cipher block beside it
# (密码区: "<+*/" runs), settles nothing, and neither does a layout with both parties on one row.
_BUYER = regex.compile(r"购买方|购货单位|购方|买方")
_SELLER = regex.compile(r"销售方|销货单位|销方|卖方")
_PARTY_BOXES = {
    "名称": regex.compile(r"名\s*称\s*[:：]"),
    "纳税人识别号": regex.compile(r"(?:纳税人)?识\s*别\s*号\s*[:：]"),
    "地址电话": regex.compile(r"地\s*址\s*[、,，]?\s*电\s*话\s*[:：]"),
    "开户行及账号": regex.compile(r"开\s*户\s*行\s*及\s*账\s*号\s*[:：]"),
}
_BOX_NAMES = {
    "名称": "名称",
    "纳税人识别号": "纳税人识别号",
    "识别号": "纳税人识别号",
    "税号": "纳税人识别号",
    "地址电话": "地址电话",
    "地址、电话": "地址电话",
    "开户行及账号": "开户行及账号",
}
_CIPHER = regex.compile(r"[<>*]")
_CIPHER_LABEL = regex.compile(r"\s+(?:密码?区?|码|区)$")  # the 密码区 label printed beside the box
_TABLE_HEAD = regex.compile(r"货物或应税劳务|服务名称|规格型号|价税合计")


def _party_box(name: str) -> tuple[str, str] | None:
    """("buyer"|"seller", box) for a field such as 购买方地址电话 or 销售方名称, else None."""
    n = _WS.sub("", unicodedata.normalize("NFKC", str(name)))
    party = "buyer" if _BUYER.search(n) else "seller" if _SELLER.search(n) else None
    if party is None:
        return None
    rest = _BUYER.sub("", _SELLER.sub("", n))
    box = _BOX_NAMES.get(rest)
    return (party, box) if box else None


def _party_sections(rows: list[str]) -> dict[str, tuple[int, int]]:
    """Row ranges [start, end) of the buyer and seller sections of an invoice, where printed."""
    out: dict[str, tuple[int, int]] = {}
    if any(_BUYER.search(r) and _SELLER.search(r) for r in rows):
        return out  # the parties side by side (全电发票): rows mix both, no section is one party's
    buyer = next((i for i, r in enumerate(rows) if _BUYER.search(r)), None)
    if buyer is not None:
        seller = next((i for i in range(buyer + 1, len(rows)) if _SELLER.search(rows[i])), None)
        table = next((i for i in range(buyer + 1, len(rows)) if _TABLE_HEAD.search(rows[i])), None)
        ends = [e for e in (seller, table) if e is not None]
        out["buyer"] = (buyer, min(ends) if ends else len(rows))
        if seller is not None:
            out["seller"] = (seller, len(rows))
    return out


def party_box_value(rows: list[str], party: str, box: str) -> tuple[str, str] | None:
    """(the box's value, the rest of its row after the label) in that party's section, or None."""
    span = _party_sections(rows).get(party)
    if span is None:
        return None
    label = _PARTY_BOXES[box]
    for i in range(*span):
        m = label.search(rows[i])
        if not m:
            continue
        after = rows[i][m.end() :].strip()
        value = regex.split(r"\s{2,}", after, maxsplit=1)[0].strip() if after else ""
        value = _CIPHER_LABEL.sub("", value)
        if len(value) < 2 or _CIPHER.search(value) or value.startswith(("密", "码", "区")) or "：" in value:
            return None
        return value, after
    return None


def complete_party_fields(values: dict, text: str) -> dict:
    """`values` with each party-box field taken from that party's labelled box (see above)."""
    wanted = {k: _party_box(k) for k in values}
    if not any(wanted.values()):
        return values
    rows = text.split("\n")
    out = dict(values)
    for k, where in wanted.items():
        if where is None or (values[k] is not None and not isinstance(values[k], str)):
            continue
        found = party_box_value(rows, *where)
        if found is None:
            continue
        box, after = found
        v = _WS.sub("", values[k] or "")
        if not v or v not in _WS.sub("", after):
            out[k] = box
    return out


# ---------------------------------------------------------------------------- multi-row addresses
# A printed street address runs over 2-4 rows ("LOT P.T. 2811, JALAN ANGSA," / "TAMAN BERKELEY" /
# "41150 KLANG, SELANGOR"), and a small model tends to copy one of them, or stop mid-row, or take
# in the store name above. An address value is completed to the end of the row it stops in, loses
# leading rows that are no address and rows after the state that are none, and is grown into its
# neighbours while they read as address (a street word, a postcode, a state, or the row before
# ending in a comma), stopping before a row that reads as something else (a phone, a registration
# or tax number, a company line, a date). It ends at the
# row with the state, or at the postcode row when the next row is not a state. When the model's
# value does not read as an address at all (a GST number, an item line), the block around the
# document's first postcode row is taken instead. Latin-script addresses only; the result is a run
# of the document's rows joined by spaces, so it stays grounded.
MAX_ADDRESS_ROWS = 5
_ADDRESS_FIELD_WORDS = {"address", "addr", "location"}
_ADDRESS_WORDS = regex.compile(
    r"(?i)\b(?:jalan|jln|lorong|lrg|taman|tmn|lot|level|lvl|floor|flr|fl|block|blk|unit|suite|apt|apartment|bangunan"
    r"|kawasan|perindustrian|bandar|dataran|kampung|kg|persiaran|lebuh|lebuhraya|seksyen|section|batu"
    r"|street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|highway|plaza|mall|centre|center"
    r"|square|tower|building|bldg|complex|industrial|estate|park|shop)\b|\bno\s*[.:]?\s*\d{1,4}(?!\d)|^\d+[A-Z]?\s*,"
)
_STATES = regex.compile(
    r"(?i)\b(?:selangor|kuala\s+lumpur|johor|penang|pulau\s+pinang|perak|kedah|kelantan|terengganu"
    r"|pahang|melaka|malacca|negeri\s+sembilan|sabah|sarawak|perlis|putrajaya|labuan|singapore"
    r"|wilayah\s+persekutuan|malaysia)\b"
)
_POSTCODE = regex.compile(
    r"(?<![\w.,:/-])\d{5}(?![\d.:/-]|,\d|\s*\d)|(?<=[\p{L}\d/],)\d{5}(?=\s*\p{L})|(?i:singapore)\s*\d{6}\b"
)  # 47400 PETALING JAYA, also glued to the street before it ("JALAN SS21/39,47400 PETALING JAYA")
_NOT_ADDRESS = regex.compile(
    r"(?i)\b(?:tel|tele|telephone|phone|fax|h/?p|mobile|whatsapps?|gst|sst|reg|regn|roc|co\.?\s*no|email"
    r"|e-mail|www|http|invoice|receipt|cashier|date|time|sdn|bhd|berhad|s/b|enterprise|trading|total"
    r"|amount|qty|thank)\b|@|\d{6,}|\(\d{4,}|\d{1,2}[/-]\d{1,2}[/-]\d{2,4}"
)
# a house number and street name right above the postcode row ("0018 Julie Run" / "North Connor, NJ 73065")
_HOUSE_NUMBER = regex.compile(r"^\s*\d{1,5}[A-Z]?\s+\p{L}")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")
_ADDRESS_LABEL = regex.compile(r"(?i)^(?:[\p{L}.]+\s+){0,2}?(?:add|addr|address|alamat)\s*[:.]\s*")


def is_address_field(name: str) -> bool:
    """Does the field name ask for a postal address (not an e-mail, web or IP address)?"""
    words = set(name_words(unicodedata.normalize("NFKC", str(name))))
    return bool(words & _ADDRESS_FIELD_WORDS) and not words & {
        "email",
        "mail",
        "web",
        "ip",
        "url",
        "mac",
        "wallet",
    }


def _reads_as_address(row: str) -> bool:
    return bool(_ADDRESS_WORDS.search(row) or _POSTCODE.search(row) or _STATES.search(row))


def _state_across(row: str, nxt: str) -> bool:
    """Does a state's name run from the end of `row` into `nxt` ("... UTARA KUALA" / "LUMPUR")?"""
    a = row.strip()
    return any(m.start() < len(a) < m.end() for m in _STATES.finditer(f"{a} {nxt.strip()}"))


def _address_rows(rows: list[str], i: int, j: int) -> tuple[int, int]:
    """Rows i..j grown into the address block they belong to (see above)."""

    def finished(a: int, b: int) -> bool:
        return any(_STATES.search(rows[k]) for k in range(a, b + 1))

    def has_postcode(a: int, b: int) -> bool:
        return any(_POSTCODE.search(rows[k]) for k in range(a, b + 1))

    while i > 0 and j - i + 1 < MAX_ADDRESS_ROWS:
        r = rows[i - 1].strip()
        if not r or _NOT_ADDRESS.search(r) or not (_ADDRESS_WORDS.search(r) or r.endswith(",")):
            break
        i -= 1
    while j + 1 < len(rows) and j - i + 1 < MAX_ADDRESS_ROWS and not finished(i, j):
        r = rows[j + 1].strip()
        if not r or _NOT_ADDRESS.search(r):
            break
        if has_postcode(i, j):
            if not _STATES.search(r) or len(r.split()) > 4:
                break
        elif not (
            _reads_as_address(r)
            or r.endswith(",")
            or rows[j].rstrip().endswith(",")
            or _state_across(rows[j], r)
        ):
            break
        j += 1
    return i, j


def _locate_rows(rows: list[str], value: str, guard=_NOT_ADDRESS) -> tuple[int, int, bool, str] | None:
    """Where `value` sits in the rows (case and spacing aside): its first and last row, whether it
    begins inside the first one (after a label, say), and the rest of the last row after it (a copy
    cut short, "... 81100 JOHOR BAHRU, JOHO"), or None. A value ending inside a row that also holds
    a phone or a tax number (`guard`; None: no such check) is left alone."""
    flat = [_WS.sub(" ", r).strip() for r in rows]
    norm = [r.casefold() for r in flat]
    want = _WS.sub(" ", value).strip().casefold()
    starts, at = [], 0
    for r in norm:
        starts.append(at)
        at += len(r) + 1
    pos = " ".join(norm).find(want) if want else -1
    if pos < 0:
        return None
    end = pos + len(want)
    i = max(n for n, st in enumerate(starts) if st <= pos)
    j = max(n for n, st in enumerate(starts) if st < end)
    rest = flat[j][end - starts[j] :] if len(flat[j]) == len(norm[j]) else ""
    if rest and guard is not None and guard.search(rows[j]):
        return None
    return i, j, pos > starts[i], rest


def complete_addresses(values: dict, text: str) -> dict:
    """`values` with each address field's value grown to its whole printed address (see above)."""
    out = dict(values)
    rows = text.split("\n")
    for k, v in values.items():
        if not is_address_field(k) or not isinstance(v, str) or _CJK.search(v):
            continue
        if _reads_as_address(v) and _HAS_WORD.search(v):
            found = _locate_rows(rows, v)
        else:
            first = next(
                (
                    n
                    for n, r in enumerate(rows)
                    if _POSTCODE.search(r)
                    and not _NOT_ADDRESS.search(r)
                    and len(regex.findall(r"\p{L}", r)) >= 3
                ),
                None,
            )
            found = (first, first, False, "") if first is not None else None
            v = rows[first] if first is not None else v
            if found is None and not _HAS_WORD.search(v):
                out[k] = None  # a number ("NO: 22497", a barcode) and no address block to give way to
        if found is None:
            continue
        i, j, mid_start, rest = found
        # rows the model took in that are not address: a store name above it (a legal name even when
        # a comma ends its row), a branch code below
        while (
            i < j
            and not mid_start
            and (
                _legal_row(rows[i].strip().rstrip(","), "company") is not None
                or (
                    not _reads_as_address(rows[i])
                    and not rows[i].rstrip().endswith(",")
                    and not (_HOUSE_NUMBER.match(rows[i]) and _POSTCODE.search(rows[i + 1]))
                )
            )
        ):
            i += 1
        state = next((n for n in range(i, j + 1) if _STATES.search(rows[n])), j)
        while j > state and not _reads_as_address(rows[j]):
            j, rest = j - 1, ""
        gi, gj = _address_rows(rows, i, j)
        if mid_start:  # after a label on its row: keep the model's start, grow forwards only
            head = _WS.sub(" ", v).strip() + rest if j == found[1] else None
            if head is None:
                continue
            grown = " ".join([head, *(r.strip() for r in rows[j + 1 : gj + 1])])
        else:
            grown = " ".join(r.strip() for r in rows[gi : gj + 1])
        grown = _ADDRESS_LABEL.sub("", grown, count=1)  # "HQ ADD: LOT 11995, ..." printed on the row
        if not _CJK.search(grown) and grown:
            out[k] = grown
    return out


# ----------------------------------------------------------------------- whole organisation names
# A company prints its legal name on one row or two ("LIAN CHI PU TIAN VEGETARIAN" / "RESTAURANT SDN
# BHD"), ending in its legal form. A small model copies part of it ("CO. (M) SDN BHD" of "POPULAR
# BOOK CO. (M) SDN BHD"), stops a row early, copies the brand or branch line above the legal name,
# or copies a code printed near it ("A03115"). A value that is part of a row ending in a legal form
# becomes that row; a value ending a row, followed by a short row ending in a legal form, takes in
# that row when it is a bare legal form and gives way to it when it is a name of its own; a value
# with no word in it (a code), a greeting or web address, or that reads as a street address gives
# way to the first row near the top that ends in a legal form, and a code or a greeting, failing
# that, to the first row near the top that reads as a name (not a greeting, a web address, a street
# address or a tax line); a bare legal form ("CO. (M) SDN BHD") takes in the name on the row above
# it; a former name ("formerly known as", FKA) gives way to the current one (_current_name). Latin
# script (Chinese names: see _is_title_piece); the registration number rules above still apply,
# and the result is the document's own rows.
_LEGAL_WORDS = r"sdn\.?\s*bhd|s/b|sb|bhd|berhad|ltd|limited|inc|corp|corporation|pte|llc|plc|gmbh|enterprises?|trading|restaurant"
# "S/B" needs no word boundary: the OCR often glues it to the word before ("FRESH MARKETS/B.")
_LEGAL_FORM = regex.compile(rf"(?i)(?:\b(?:{_LEGAL_WORDS})|s/b)\.?\s*$")
# a row that names another party (the owner, a licensor, a former name) or is a tax line
_NOT_NAME_ROW = regex.compile(
    r"(?i)\b(?:tel|fax|gst|sst|reg|regn|invoice|receipt|owned|operated|managed|licensee|licensed|formerly"
    r"|known|member|by)\b"
)
_HAS_WORD = regex.compile(r"\p{L}{3,}")
# A former name is printed after its marker, under or beside the current one ("perbang Alaf
# Restaurants Sdn Bhd / formerly known as / Golden Arches Restaurants Sdn Bhd", "MYNEWS RETAIL
# SB(306295-X) FKA BISON STORES SB"); a value read from it gives way to the current legal name.
_FORMER = regex.compile(r"(?i)(?:\b(?:formerly|previously)(?:\s+known\s+as)?|\bf\.?k\.?a\b\.?)[\s:.]*")
# the legal form and the words that go with it ("CO. (M) SDN BHD") at the end of a name
_LEGAL_TAIL = regex.compile(rf"(?i)(?:\s*(?:\b(?:{_LEGAL_WORDS}|co)\b|\(m\))\.?)+\s*$")
ORG_SEARCH_ROWS = 8


_NOT_NAME_TEXT = regex.compile(
    r"(?i)\b(?:welcome|thank|thanks|tq|terima|kasih|selamat|www|http|com|my|net|shopping|careline)\b|@|\d{4,}"
)


# a greeting or a web address printed at the top of a receipt ("TQ FOR SHOPPING WITH myNEWS.com")
_GREETING_OR_WEB = regex.compile(
    r"(?i)\b(?:welcome|thank|thanks|tq|terima\s+kasih|selamat|www|https?)\b|\.com\b|@|shopping\s+with"
)


def _reads_as_name(row: str) -> bool:
    """Could the row be a business name: words, and no greeting, web address, street or tax line?"""
    r = row.strip()
    return bool(
        _HAS_WORD.search(r)
        and not _NOT_NAME_ROW.search(r)
        and not _NOT_NAME_TEXT.search(r)
        and not _reads_as_address(r)
        and not _NOT_ADDRESS.search(_LEGAL_TAIL.sub("", r))
    )


def _legal_row(row: str, name: str) -> str | None:
    """The row as an organisation name (registration number and a former name after its marker
    cut) when it ends in a legal form."""
    row = _WS.sub(" ", row).strip()
    if (m := _FORMER.search(row)) and m.start() > 0:
        row = row[: m.start()].strip(" (,")
    r = trim_value(name, row)
    return r if isinstance(r, str) and _LEGAL_FORM.search(r) and _HAS_WORD.search(r) else None


# A Chinese organisation name ends in its kind (…公司, …厂, …银行); a value copied from the row that
# carries the document's title (北京增值税普通发票) without such an ending is a piece of the title, not
# a name: no answer is better than that one.
_CJK_ORG_END = regex.compile(
    r"(?:公司|厂|店|行|部|中心|院|局|所|社|会|馆|处|站|队|集团|室|场|园|校|庄|坊|城|楼)\s*$"
)


def _is_title_piece(rows: list[str], value: str) -> bool:
    v = _WS.sub("", value)
    if _CJK_ORG_END.search(v):
        return False
    return any(v in _WS.sub("", r) and "发票" in r for r in rows) or "发票" in v


def _current_name(rows: list[str], value: str, name: str) -> str | None:
    """The current legal name when `value` is printed as a former name, else None."""
    flat = [_WS.sub(" ", r).strip() for r in rows]
    want = _WS.sub(" ", value).strip().casefold()
    for i, row in enumerate(flat):
        at = row.casefold().find(want)
        if at < 0:
            continue
        marks = [m for m in _FORMER.finditer(row[:at]) if not row[m.end() : at].strip(" (")]
        if marks:  # "CURRENT SB FKA FORMER SB"
            before = row[: marks[-1].start()].strip(" (,")
        elif (
            i > 0
            and not row[:at].strip(" (")
            and (m := _FORMER.search(flat[i - 1]))
            and not flat[i - 1][m.end() :].strip(" ():")
        ):
            before = flat[i - 1][: m.start()].strip(" (,")  # the marker ends the row above
            i -= 1
        else:
            continue
        for cand in [before, *reversed(flat[max(0, i - 3) : i])]:
            n = _legal_row(cand, name) if cand and not _FORMER.search(cand) else None
            if n and _HAS_WORD.search(_LEGAL_TAIL.sub("", n)):
                return n
        return None
    return None


def complete_organisations(values: dict, text: str) -> dict:
    """`values` with each organisation field's value grown to its whole printed name (see above)."""
    out = dict(values)
    rows = text.split("\n")
    for k, v in values.items():
        if not is_organisation_field(k) or not isinstance(v, str):
            continue
        if _CJK.search(v):
            if _is_title_piece(rows, v):
                out[k] = None
            continue
        current = _current_name(rows, v, k)
        if current is not None:
            out[k] = current
            continue
        is_code = not _HAS_WORD.search(v) or bool(_GREETING_OR_WEB.search(v))
        street = _reads_as_address(v) and ("," in v or _POSTCODE.search(v)) and not _LEGAL_FORM.search(v)
        if is_code or street:  # a code, a greeting, a web address or a street address, not a name
            top = [r for r in rows[:ORG_SEARCH_ROWS] if not _NOT_NAME_ROW.search(r)]
            legal = next(
                (
                    n
                    for n in (_legal_row(r, k) for r in top)
                    if n and _HAS_WORD.search(_LEGAL_TAIL.sub("", n))
                ),
                None,
            )
            named = next((r.strip() for r in top if _reads_as_name(r)), None) if is_code else None
            out[k] = legal or named or v
            continue
        found = _locate_rows(rows, v, guard=None)
        if found is None:
            continue
        i, j, mid_start, rest = found
        if (
            not _HAS_WORD.search(_LEGAL_TAIL.sub("", v))
            and i > 0
            and not mid_start
            and _reads_as_name(rows[i - 1])
        ):
            out[k] = _legal_row(" ".join(rows[i - 1 : j + 1]), k) or out[k]  # a bare legal form
            continue
        whole = _legal_row(" ".join(rows[i : j + 1]), k)
        vn = _WS.sub(" ", v).strip()
        head = whole[: max(0, whole.casefold().find(vn.casefold()))] if whole is not None else ""
        if whole is not None and (rest or (mid_start and _HAS_WORD.search(head))):
            out[k] = whole
        elif not rest and not _LEGAL_FORM.search(v) and j + 1 < len(rows) and len(rows[j + 1].split()) <= 6:
            nxt = _legal_row(rows[j + 1], k)
            if nxt is not None and not _NOT_NAME_ROW.search(rows[j + 1]):
                # a name of its own below a brand or branch line is the company; a bare legal form
                # ("RESTAURANT SDN BHD") finishes the row above
                out[k] = (
                    nxt if _HAS_WORD.search(_LEGAL_TAIL.sub("", nxt)) else f"{_WS.sub(' ', v).strip()} {nxt}"
                )
    return out


def apply_value_rules(values: dict, text: str) -> dict:
    """Every rule above on a parsed answer, in order: values stripped (blank is null) and
    organisation names trimmed, then grown to the whole legal name, an invoice party's fields read
    from its labelled boxes, a receipt's total settled by
    its payment rows, totals reconciled, addresses grown. `text` is the evidence the values were copied from."""
    values = {k: trim_value(k, (v.strip() or None) if isinstance(v, str) else v) for k, v in values.items()}
    values = complete_organisations(values, text)
    values = complete_party_fields(values, text)
    return complete_addresses(reconcile_amounts(settle_total(values, text), text), text)
