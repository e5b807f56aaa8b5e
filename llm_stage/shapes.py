"""What a value may look like while it is being decoded: the document text it may be copied from
(`CopySource`) and, for date and amount fields, the shape it must have (`ValueRule`).

Both are checked on bytes/prefixes as the value grows, so the constrained decoder can refuse a
token the moment it would leave the document or the shape ("06/03/2018 10:30" for a date, an
address for a total). The shapes come from the field's role (`field_roles.field_spec`), in any
language, not from any particular document. What happens to a value after decoding is the
repairs' business (`llm_stage.repairs`).
"""

from __future__ import annotations

import copy
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import regex

from .field_roles import field_spec

__all__ = [
    "AMOUNT",
    "DATE",
    "CopySource",
    "ValueRule",
    "copy_forms",
    "cuts_number",
    "rule_for_field",
    "rules_for_fields",
]

_WS = re.compile(r"\s+")


def copy_forms(text: str) -> list[str]:
    """The forms of the document text a value may be copied from: as rendered, with every run of
    whitespace (newlines included) as one space, so a multi-row address is one span, and the same
    after NFKC (full-width digits/letters and ￥ written half-width)."""
    collapsed = _WS.sub(" ", str(text)).strip()
    forms = [str(text), collapsed, unicodedata.normalize("NFKC", collapsed)]
    return list(dict.fromkeys(f for f in forms if f))


def _rows_of_forms(text: str, forms: list[str]) -> list[int]:
    """The row (line of `text`) of each byte of `forms` (`copy_forms(text)`) joined by NUL; -1 for
    the NULs and for a form that cannot be traced back character by character (an NFKC that merges
    characters)."""
    raw, row = [], 0
    for c in text:
        raw.append(row)
        row += c == "\n"
    chars: list[str] = []  # the whitespace-collapsed form, each character with its row
    rows: list[int] = []
    for m in re.finditer(r"\s+|\S+", text):
        piece = m.group()
        chars.extend(" " if piece.isspace() else piece)
        rows.extend([raw[m.start()]] * (1 if piece.isspace() else len(piece)))
    while chars and chars[0] == " ":
        del chars[0], rows[0]
    while chars and chars[-1] == " ":
        chars.pop(), rows.pop()
    nfkc = [unicodedata.normalize("NFKC", c) for c in chars]  # each character normalised alone
    traced = {text: (list(text), raw), "".join(chars): (chars, rows), "".join(nfkc): (nfkc, rows)}
    out: list[int] = []
    for i, form in enumerate(forms):
        if i:
            out.append(-1)  # the NUL between forms
        cs, rs = traced.get(form, ([form], [-1]))
        for c, r in zip(cs, rs, strict=True):
            out.extend([r] * len(c.encode("utf-8")))
    return out


class CopySource:
    """Byte-level substring check against the document text. A decoding state is the list of end
    offsets where the value decoded so far occurs (None: nothing decoded yet, so anywhere).

    `between_rows(lo, hi)` is the same source where a value may only start on rows lo..hi of the
    document (line items are printed in reading order: a record's description starts below the
    one before and above the totals, its amount near its description)."""

    def __init__(self, text: str):
        self.text, self.forms = text, copy_forms(text)
        # NUL never occurs in a value (control characters are refused), so no value spans two forms.
        self.data = b"\x00".join(f.encode("utf-8") for f in self.forms)
        self.min_row = 0
        self.max_row: int | None = None  # None: no last row
        self._rows: list[int] | None = None

    @property
    def rows(self) -> list[int]:
        """The document row of each byte of `data` (-1: not known, so never restricted); found
        the first time a row is asked for."""
        if self._rows is None:
            self._rows = _rows_of_forms(self.text, self.forms)
        return self._rows

    def after_row(self, row: int) -> CopySource:
        """This source (the same text and rows) with values starting on `row` or below only."""
        return self.between_rows(row, None)

    def between_rows(self, first: int, last: int | None) -> CopySource:
        """This source (the same text and rows) with values starting on rows `first`..`last` only
        (`last` None: any row from `first` on). Bytes whose row is not known are never restricted."""
        view = copy.copy(self)
        view._rows, view.min_row, view.max_row = self.rows, max(0, first), last
        return view

    def start_row(self, state: list[int] | None, length: int) -> int | None:
        """The first row where a value of `length` bytes ending at the offsets `state` starts."""
        if not state:
            return None
        rows = self.rows
        known = [rows[p - length] for p in state if 0 <= p - length < len(rows) and rows[p - length] >= 0]
        return min(known) if known else None

    def end_row(self, state: list[int] | None) -> int | None:
        """The first row where a value ending at the offsets `state` ends (its last byte's row)."""
        if not state:
            return None
        rows = self.rows
        known = [rows[p - 1] for p in state if 0 < p <= len(rows) and rows[p - 1] >= 0]
        return min(known) if known else None

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
        digit = 0x30 <= b[0] <= 0x39
        bounded = bool(self.min_row) or self.max_row is not None
        if not digit and not bounded:
            return i
        rows = self.rows if bounded else None
        lo, hi = self.min_row, self.max_row
        while i >= 0 and (
            (digit and _continues_number(d, i - 1, -1))
            or (rows is not None and rows[i] >= 0 and (rows[i] < lo or (hi is not None and rows[i] > hi)))
        ):
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
CURRENCY = r"(?:[¥￥$€£]|RM|MYR|SGD|USD|RMB|CNY|S\$|US\$)"
# An amount as printed: 9.00, RM 9.00, ￥3,495.00, -0.02, 12,50; currency before or after.
AMOUNT = (
    rf"(?i)(?:{CURRENCY}\s?)?(?:[-+]\s?)?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:[.,]\d{{1,3}})?(?:\s?{CURRENCY})?"
)


_MONEY = regex.compile(rf"(?i){CURRENCY}|[.,]\d{{2}}$")


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
    kind = field_spec(name).kind
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
