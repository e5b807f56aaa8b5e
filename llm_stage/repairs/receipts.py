"""Repairs for shop receipts, in any language: an organisation's name without the registration
number or store code printed around it, and the total settled by what the customer paid.

The payment vocabulary (`VOCABULARY`) covers English, Malay, German, French, Spanish/Italian,
Chinese and Japanese receipts; a language it lacks only means the total is left as the model wrote it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import regex

from ..field_roles import field_spec
from .general import decimal_of

__all__ = [
    "LEGAL_FORM",
    "VOCABULARY",
    "final_total",
    "looks_like_receipt",
    "paid_amount",
    "settle_total",
    "trim_value",
]

# a company's legal form at the end of its name, in the countries receipts come from
LEGAL_FORM = regex.compile(
    r"(?i)(?:\b(?:sdn\.?\s*bhd|bhd|berhad|ltd|limited|inc|corp|corporation|pte|llc|plc|gmbh|ag|kg|sarl|sas"
    r"|s\.?a|co|pvt|llp)\.?|s/b|有限公司|公司|株式会社|\(m\))\s*$"
)

# ------------------------------------------------------------------------- organisation names
# A company / store / vendor / 名称 value names an organisation. Receipts print a registration
# number right after the name ("KING'S CONFECTIONERY S/B 273500-U", "99 SPEED MART S/B (519537-X)",
# "… 有限公司 91440101664041243T") and branch or store codes before it ("A05129 WARAKUYA …"); neither
# is part of the name, and a copied span that runs on past the number has left the name for the
# next row (the address); a party label or owner phrase ("Consignee:", "Managed by") may stand
# before it. `trim_value` cuts them off; what remains is still a substring of the value, so still
# grounded.
_REG_NO = regex.compile(r"(?<![\p{L}\p{N}])[A-Z]{0,2}\d{5,}[A-Z]?(?:\s?-\s?[A-Z0-9]{1,2})?(?![\p{L}\p{N}])")
# a store code has letters before its digits ("A05129") or runs to five digits or more; a name may
# begin with a short number of its own ("1901 Hot Dogs")
_LEADING_CODE = regex.compile(r"^#?(?:[A-Z]{1,3}\d{4,}|\d{5,})[A-Z]?[.:]?\s+(?=\p{L})")
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


def _is_registration(v: str, m) -> bool:
    """Is the number `m` found in the name `v` a registration number, not part of the name? It is
    when nothing with letters follows it, when it carries a check letter or stands in brackets
    ("519537-X", "(273500-U)"), or when the name before it ends in a legal form ("... LTD 12345")."""
    after, before = v[m.end() :], v[: m.start()]
    if not regex.search(r"\p{L}{2,}", after):
        return True
    if regex.search(r"-\s?[A-Z0-9]{1,2}$|[A-Z]$", m.group(0)) or before.rstrip().endswith(("(", "[")):
        return True
    return bool(LEGAL_FORM.search(before.rstrip(" ,(")))


def trim_value(name: str, value):
    """`value` without the registration number or store code around an organisation's name (see
    above); other fields, non-strings and values that would lose their letters are unchanged."""
    if not isinstance(value, str) or field_spec(name).role != "organisation":
        return value
    v = _LEADING_LABEL.sub("", _LEADING_CODE.sub("", value, count=1), count=1)
    v = _REG_LABEL.split(v, maxsplit=1)[0]
    m = _REG_NO.search(v)
    if m and _is_registration(v, m):
        v = v[: m.start()]
    v = _TRAILING_LABEL.sub("", v).strip()
    return v if len(regex.findall(r"\p{L}", v)) >= 2 else value


# ------------------------------------------------------------------------ the amount actually paid
# A receipt's total is what the customer paid: the card payment, or the cash tendered less the
# change. A small model often copies a neighbouring amount instead: the total before tax ("Total
# Sales (Excluding GST) 381.50"), the GST summary's net column, the tax ("(Total Included GST @ 6% :
# 1.09)"), a line item, a tax rate, or the total before cash rounding (45.34 where "Rounding RM 45.35"
# was paid). When the payment rows settle the paid amount without ambiguity and the document prints
# that amount again on a total row (TOTAL, DUE, SUMME, TOTAL TTC, 合计, ...) that is no payment row, a
# gross-total value that differs from it takes that printed span (so it stays grounded). The paid
# amount is one card payment less any change, or the cash tendered less the change; cash with no
# change row counts only as exact payment, which the total row confirms. A null stays null.
# The words of each part of a receipt, per language: the final total's label, a card payment, a
# cash payment, the change given back, and rows that carry an amount but are no payment (tax,
# rounding, quantities). A Latin word matches as a whole word; CJK and kana words anywhere.
VOCABULARY: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "total": ("total", "grand total", "amount due", "total due", "balance due", "nett total", "net total",
                  "total amount", "total payable", "amount payable", "rounded total", "total rounded"),
        "card": ("visa", "master card", "mastercard", "amex", "credit card", "credit", "debit card", "debit",
                 "card", "cc", "paid by", "e-wallet", "ewallet", "contactless", "apple pay", "google pay"),
        "cash": ("cash", "tendered", "tender", "pay", "payment", "paid"),
        "change": ("change", "chg"),
        "not_paid": ("gst", "tax", "sst", "vat", "qty", "refund"),
    },
    "ms": {
        "total": ("jumlah", "jumlah besar"),
        "card": ("boost", "grab pay", "grabpay", "touch n go", "touch & go", "touch and go", "tng"),
        "cash": ("tunai",),
        "change": ("baki",),
        "not_paid": (),
    },
    "de": {
        "total": ("summe", "gesamt", "gesamtsumme", "gesamtbetrag", "zu zahlen", "endbetrag", "betrag"),
        "card": ("karte", "ec-karte", "ec karte", "girocard", "kartenzahlung", "kreditkarte", "maestro"),
        "cash": ("bar", "bargeld", "gegeben"),
        "change": ("rückgeld", "zurück", "wechselgeld"),
        "not_paid": ("mwst", "ust", "steuer", "netto"),
    },
    "fr": {
        "total": ("total ttc", "net à payer", "montant ttc", "à payer", "montant dû", "montant"),
        "card": ("carte", "carte bancaire", "cb", "sans contact"),
        "cash": ("espèces", "especes", "payé"),
        "change": ("rendu", "monnaie", "rendu monnaie"),
        "not_paid": ("tva", "ht"),
    },
    "es_it": {
        "total": ("importe total", "total a pagar", "totale", "importo"),
        "card": ("tarjeta", "carta", "bancomat"),
        "cash": ("efectivo", "entregado", "contanti", "contante"),
        "change": ("cambio", "vuelto", "resto"),
        "not_paid": ("iva",),
    },
    "zh": {
        "total": ("合计", "总计", "總計", "应付", "应收", "总额", "實付", "实付"),
        "card": ("刷卡", "银行卡", "信用卡", "微信", "支付宝", "云闪付"),
        "cash": ("现金", "現金", "实收", "收款"),
        "change": ("找零", "找赎", "找續"),
        "not_paid": ("税", "数量"),
    },
    "ja": {
        "total": ("合計", "お会計", "ご請求額", "お買上計"),
        "card": ("クレジット", "カード", "電子マネー", "paypay"),
        "cash": ("お預り", "お預かり", "預り"),
        "change": ("お釣り", "お釣", "おつり", "釣銭"),
        "not_paid": ("消費税", "内税", "外税", "点数"),
    },
}  # fmt: skip


def _alternation(part: str) -> str:
    """One regex alternation of the `part` words of every language."""
    out = []
    for words in VOCABULARY.values():
        for w in words[part]:
            body = r"\s*".join(regex.escape(x) for x in w.split())
            out.append(rf"\b{body}\b" if regex.match(r"[\p{Latin}\d]", w) else body)
    return "|".join(sorted(set(out), key=len, reverse=True))


_PAID_BY_CARD = regex.compile(rf"(?i){_alternation('card')}")
_PAID_CASH = regex.compile(rf"(?i){_alternation('cash')}")
_CHANGE = regex.compile(rf"(?i){_alternation('change')}")
_NOT_PAYMENT = regex.compile(rf"(?i)round|{_alternation('not_paid')}")
_TOTAL_ROW = regex.compile(
    rf"(?i)total|\bdue\b|amount|\bamt\b|\bnett?\b|payable|round|{_alternation('total')}"
)
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
_CURRENCY_WORD = r"(?:rm|myr|sgd|s\$|\$|eur|€|£|gbp|chf|rs\.?|inr|₹|¥|￥|元|円|rmb|usd)"
_FINAL_TOTAL = regex.compile(
    r"(?i)^\W*(?:grand\s*total|total\s*pay\S*(?:\s*\S{1,3})?|nett?\s*total|total\s*amount(?:\s*due)?"
    rf"|amount\s*due|total\s*due|total(?:\s*\(?{_CURRENCY_WORD}\)?)?|rounded\s*total|total\s*rounded"
    r"|jumlah(?:\s*besar)?|summe|gesamt(?:summe|betrag)?|zu\s*zahlen|endbetrag|total\s*ttc|net\s*à\s*payer"
    r"|montant\s*ttc|à\s*payer|importe\s*total|totale|合\s*计|总\s*计|應付|应付(?:金额)?|合\s*計|お会計|ご請求額)"
    rf"\W*{_CURRENCY_WORD}?\s*$"
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
    gross = [k for k, v in values.items() if isinstance(v, str) and field_spec(k).amount_role == "gross"]
    if not gross:
        return values
    out = dict(values)
    settled = paid_amount(text)
    if settled is not None:
        span, paid = settled
        for k in gross:
            if decimal_of(k, values[k]) != paid:
                out[k] = span
        return out
    final = final_total(text)
    if final is None:
        return values
    for k in gross:
        value = decimal_of(k, values[k])
        if value is not None and value != final[1] and not _on_total_row(value, text):
            out[k] = final[0]
    return out


def looks_like_receipt(text: str) -> bool:
    """Does the page show a receipt's evidence: a total or payment row with money on it?"""
    return any(
        (_TOTAL_ROW.search(r) or _PAID_CASH.search(r) or _PAID_BY_CARD.search(r)) and _row_amounts(r)
        for r in text.splitlines()
    )
