"""Normalisers for extracted values: text, dates, money amounts, Chinese uppercase amounts.

Used by grounding (is this value printed in the document?), by evaluation (do two values mean the
same thing?) and by the data generator (canonical label forms). Pure Python, no heavy imports.

Canonical forms:
- date: ISO 8601 `YYYY-MM-DD`; two-digit years are 20xx; numeric dates are day-first by default
  (Malaysian receipts print 25/12/2018), unless the day-first reading is impossible.
- amount: a plain decimal string with `.` as the separator, no currency, no thousands separators,
  and two decimals for money ("9" -> "9.00", "9.000" -> "9.00"); more decimals are kept only when
  they carry digits ("0.125" stays "0.125"), so normalising never changes the value.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from .field_roles import field_spec

__all__ = [
    "canonical_value",
    "chinese_amount_to_decimal",
    "field_kind",
    "find_amounts",
    "find_dates",
    "is_null",
    "match_form",
    "normalize_amount",
    "normalize_date",
    "normalize_text",
    "normalize_value",
    "values_equal",
]

# --------------------------------------------------------------------------------------- text

# Punctuation variants NFKC leaves alone (NFKC already maps full-width ：（），to ASCII).
_PUNCT = str.maketrans(
    {
        "。": ".",
        "、": ",",
        "【": "[",
        "】": "]",
        "《": "<",
        "》": ">",
        "「": '"',
        "」": '"',
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "—": "-",
        "–": "-",
        "−": "-",
        "‐": "-",
        "‑": "-",
        "〜": "~",
        "·": ".",
        "・": ".",
        "•": ".",
    }
)
_CJK = r"\u2e80-\u9fff\uf900-\ufaff"
# Spaces OCR inserts between CJK characters, before punctuation and brackets, after opening ones.
_SPACE_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_SPACE_PUNCT = re.compile(r"\s+(?=[,.:;!?()\[\]%])|(?<=[(\[])\s+")
# Currency marks and codes, stripped by `strip_currency` and by amount parsing.
# (Applied to casefolded text; letter codes only as whole words, so "rm9.00" strips but "rmx" stays.)
_CURRENCY = r"(?:(?<![a-z])(?:rmb|cny|myr|usd|rm)(?![a-z])|us\$|s\$|[¥$€£円元])"
_CURRENCY_EDGE = re.compile(rf"^\s*(?:{_CURRENCY}\s*)+|(?:\s*{_CURRENCY})+\s*$")


@lru_cache(maxsize=4096)
def _norm_char(c: str) -> str:
    """Width, case and punctuation normalisation of one character (may return "" or several)."""
    return unicodedata.normalize("NFKC", c).translate(_PUNCT).casefold()


def normalize_text(s: str | None, *, strip_currency: bool = False, drop_spaces: bool = False) -> str | None:
    """Comparable form of free text: NFKC (full width -> half width), unified punctuation
    (：: （( ，, 。.), casefolded, whitespace collapsed and removed around CJK characters.

    `strip_currency` removes a leading/trailing currency mark or code (￥ ¥ RMB RM $ 元);
    `drop_spaces` removes all whitespace (for matching OCR text that splits or joins words).
    """
    if s is None:
        return None
    t = "".join(_norm_char(c) for c in str(s))
    t = re.sub(r"\s+", " ", t).strip()
    t = _SPACE_CJK.sub("", t)
    t = _SPACE_PUNCT.sub("", t)
    if strip_currency:
        t = _CURRENCY_EDGE.sub("", t).strip()
    if drop_spaces:
        t = re.sub(r"\s+", "", t)
    return t


# --------------------------------------------------------------------------------------- dates

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MON = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_ND = r"(?<![\d])"  # no digit before
_NA = r"(?![\d])"  # no digit after
_DATE_PATTERNS = [
    # 2016年06月12日 / 2016 年 6 月 12 日
    ("ymd", re.compile(rf"{_ND}(?P<y>\d{{4}})\s*年\s*(?P<m>\d{{1,2}})\s*月\s*(?P<d>\d{{1,2}})\s*[日号]?")),
    # 2016-06-12, 2016.06.12, 2016/6/12
    (
        "ymd",
        re.compile(
            rf"{_ND}(?P<y>\d{{4}})\s*(?P<s>[-./])\s*(?P<m>\d{{1,2}})\s*(?P=s)\s*(?P<d>\d{{1,2}}){_NA}"
        ),
    ),
    # 12-Jun-2016, 12 Jun 2016, 12 June, 2016, 12JUN16
    (
        "dmy",
        re.compile(
            rf"(?i){_ND}(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s\-./]*{_MON}\.?[\s\-./,]*(?P<y>\d{{4}}|\d{{2}}){_NA}"
        ),
    ),
    # Jun 12, 2016 / June 12 2016
    (
        "mdy",
        re.compile(
            rf"(?i)(?<![a-z]){_MON}\.?[\s\-./]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s,\-./]+(?P<y>\d{{4}}|\d{{2}}){_NA}"
        ),
    ),
    # 12/06/2016, 19-03-18 (order decided by dayfirst)
    (
        "num",
        re.compile(
            rf"{_ND}(?P<a>\d{{1,2}})\s*(?P<s>[-./])\s*(?P<b>\d{{1,2}})\s*(?P=s)\s*(?P<y>\d{{4}}|\d{{2}}){_NA}"
        ),
    ),
    # 20160612
    ("ymd", re.compile(rf"{_ND}(?P<y>(?:19|20)\d{{2}})(?P<m>\d{{2}})(?P<d>\d{{2}}){_NA}")),
]


def _mkdate(y: str | int, m: int, d: int) -> str | None:
    y = int(y)
    if y < 100:
        y += 2000
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def _dates_in(text: str, dayfirst: bool):
    """(start, iso) for every date found in `text`, in order of pattern priority."""
    for kind, pat in _DATE_PATTERNS:
        for m in pat.finditer(text):
            g = m.groupdict()
            if kind == "ymd":
                iso = _mkdate(g["y"], int(g["m"]), int(g["d"]))
            elif kind in ("dmy", "mdy"):
                iso = _mkdate(g["y"], _MONTHS[g["mon"].lower()[:3]], int(g["d"]))
            else:
                a, b = int(g["a"]), int(g["b"])
                first, second = (_mkdate(g["y"], b, a), _mkdate(g["y"], a, b))
                if not dayfirst:
                    first, second = second, first
                iso = first or second
            if iso:
                yield m.start(), iso


def normalize_date(s: str | None, *, dayfirst: bool = True) -> str | None:
    """The first date in `s` as ISO `YYYY-MM-DD`, or None. Times and labels around it are ignored.

    Numeric dates are read day-first unless `dayfirst=False`; a reading that is impossible
    (month 13) falls back to the other order.
    """
    if s is None:
        return None
    text = normalize_text(s) or ""
    found = sorted(_dates_in(text, dayfirst), key=lambda t: t[0])
    return found[0][1] if found else None


def find_dates(s: str, *, dayfirst: bool = True) -> list[str]:
    """Every distinct ISO date found in `s`, in order of appearance."""
    text = normalize_text(s) or ""
    seen: dict[str, None] = {}
    for _, iso in sorted(_dates_in(text, dayfirst), key=lambda t: t[0]):
        seen.setdefault(iso, None)
    return list(seen)


# --------------------------------------------------------------------------------------- amounts

_CN_DIGITS = {
    "零": 0, "〇": 0, "○": 0,
    "壹": 1, "一": 1, "弌": 1,
    "贰": 2, "貳": 2, "二": 2, "两": 2, "兩": 2, "弍": 2,
    "叁": 3, "參": 3, "叄": 3, "三": 3, "弎": 3,
    "肆": 4, "四": 4,
    "伍": 5, "五": 5,
    "陆": 6, "陸": 6, "六": 6,
    "柒": 7, "七": 7,
    "捌": 8, "八": 8,
    "玖": 9, "九": 9,
}  # fmt: skip
_CN_SMALL = {"拾": 10, "十": 10, "佰": 100, "百": 100, "仟": 1000, "千": 1000}
_CN_BIG = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_CN_YUAN = set("圆元圓")
_CN_FRAC = {"角": Decimal("0.1"), "毛": Decimal("0.1"), "分": Decimal("0.01"), "厘": Decimal("0.001")}
_CN_END = set("整正")
_CN_UPPER = set("壹贰貳叁參叄肆伍陆陸柒捌玖拾佰仟")  # characters that only uppercase amounts use
_CN_ALL = "".join(
    sorted(set(_CN_DIGITS) | set(_CN_SMALL) | set(_CN_BIG) | _CN_YUAN | set(_CN_FRAC) | _CN_END)
)
_CN_RUN = re.compile(rf"[{_CN_ALL}]+")
# Markers printed before an uppercase amount on Chinese invoices, and its usual labels.
_CN_PREFIX = re.compile(r"^(?:[⊗ⓧⓍ⊕⊙⨂Xx×※*]|人民币|\(?大写\)?|[:：\s])+")


def _cn_integer(s: str) -> int | None:
    total = section = num = 0
    seen_digit = False
    last_unit, after_zero = 0, False
    for ch in s:
        if ch in _CN_DIGITS:
            num = _CN_DIGITS[ch]
            after_zero = after_zero or num == 0
            seen_digit = True
        elif ch in _CN_SMALL:
            if num == 0 and _CN_SMALL[ch] == 10 and not seen_digit:
                num = 1  # 拾伍 = 15
            section += num * _CN_SMALL[ch]
            last_unit, num, after_zero = _CN_SMALL[ch], 0, False
            seen_digit = True
        elif ch in _CN_BIG:
            if ch in "亿億":
                total = (total + section + num) * _CN_BIG[ch]
            else:
                total += (section + num) * _CN_BIG[ch]
            last_unit, section, num, after_zero = _CN_BIG[ch], 0, 0, False
        else:
            return None
    if num and last_unit > 10 and not after_zero:
        num *= last_unit // 10  # 壹仟伍 = 1500 (an elided unit), but 壹仟零伍 = 1005
    return total + section + num if seen_digit or total else None


def chinese_amount_to_decimal(s: str | None) -> str | None:
    """A Chinese uppercase money amount as a canonical decimal string, or None.

    叁仟肆佰玖拾伍圆整 -> "3495.00"; 壹万零伍拾元伍角陆分 -> "10050.56". Invoice prefix markers
    (⊗ ⓧ), 人民币 and (大写) are ignored.
    """
    if s is None:
        return None
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(s)))
    t = _CN_PREFIX.sub("", t)
    t = t.rstrip("".join(_CN_END))
    if not t or not any(c in _CN_DIGITS or c in _CN_SMALL for c in t):
        return None
    integer_part, frac_part = t, ""
    for i, ch in enumerate(t):
        if ch in _CN_YUAN:
            integer_part, frac_part = t[:i], t[i + 1 :]
            break
    else:
        # No 圆: either a pure fraction (伍角) or a bare integer (叁佰).
        if any(c in _CN_FRAC for c in t):
            integer_part, frac_part = "", t
    value = Decimal(0)
    if integer_part:
        n = _cn_integer(integer_part)
        if n is None:
            return None
        value += n
    pending: int | None = None
    for ch in frac_part:
        if ch in _CN_DIGITS:
            pending = _CN_DIGITS[ch]
        elif ch in _CN_FRAC:
            if pending is None:
                return None
            value += pending * _CN_FRAC[ch]
            pending = None
        elif ch in _CN_END:
            continue
        else:
            return None
    if pending:  # a digit with no unit after it (伍角陆): not a well-formed amount
        return None
    return _canonical(value)


def _canonical(d: Decimal) -> str:
    try:
        q2 = d.quantize(Decimal("0.01"))
    except InvalidOperation:  # beyond Decimal precision: keep as is
        q2 = None
    q = q2 if q2 is not None and q2 == d else d.normalize()
    s = format(q, "f")
    return "0.00" if s in ("-0.00", "0") else s


# A number as printed: digits with optional , . ' or thin-space grouping.
_NUM = re.compile(r"^[+-]?(?:\d+(?:[.,'\u202f]\d+)*|[.,]\d+)$")
# A sign counts only at a word start, so the dashes of 19-03-18 are not minus signs.
_NUM_IN = re.compile(r"(?<![\d.,])(?:(?<!\w)[+-])?\d+(?:[.,]\d+)*(?!\d)")


def _parse_number(t: str) -> Decimal | None:
    sign = ""
    if t[:1] in "+-":
        sign, t = ("-" if t[0] == "-" else ""), t[1:]
    t = t.replace("'", "").replace("\u202f", "")
    if "," in t and "." in t:
        dec = "," if t.rfind(",") > t.rfind(".") else "."
        grp = "." if dec == "," else ","
        t = t.replace(grp, "").replace(dec, ".")
    elif "," in t:
        parts = t.split(",")
        # One comma followed by 1-2 digits is a decimal comma (12,50); otherwise grouping.
        if len(parts) == 2 and 1 <= len(parts[1]) <= 2:
            t = t.replace(",", ".")
        elif all(len(p) == 3 for p in parts[1:]):
            t = t.replace(",", "")
        else:
            return None
    elif t.count(".") > 1:
        parts = t.split(".")
        if not all(len(p) == 3 for p in parts[1:]):
            return None
        t = t.replace(".", "")  # 1.234.567 (European grouping)
    try:
        return Decimal(sign + t)
    except InvalidOperation:
        return None


def normalize_amount(s: str | None) -> str | None:
    """A money amount as a canonical decimal string, or None when `s` is not just an amount.

    "￥3,495.00" -> "3495.00"; "RM 9.00" -> "9.00"; "1.234,56" -> "1234.56"; "-12.5" -> "-12.50";
    "(12.50)" -> "-12.50"; "9.000" -> "9.00"; Chinese uppercase amounts are read too.
    """
    if s is None:
        return None
    raw = str(s).strip()
    if not raw:
        return None
    if any(c in _CN_UPPER for c in raw):
        return chinese_amount_to_decimal(raw)
    t = normalize_text(raw) or ""
    neg = False
    if t.startswith("(") and t.endswith(")"):
        neg, t = True, t[1:-1].strip()
    if t.startswith("-"):  # "-RM 9.00"
        neg, t = not neg, t[1:].strip()
    t = _CURRENCY_EDGE.sub("", t).strip()
    t = re.sub(r"(?<=[\d.,])\s+(?=[\d.,])", "", t)  # "9 .00", "3 495.00"
    if t.endswith("-"):  # trailing minus on some receipts: "12.50-"
        neg, t = not neg, t[:-1].strip()
    if not _NUM.match(t):
        return None
    d = _parse_number(t)
    if d is None:
        return None
    return _canonical(-d if neg else d)


def find_amounts(s: str, *, money_only: bool = False) -> list[str]:
    """Every distinct amount printed in `s` (numbers and Chinese uppercase runs), canonical form.

    `money_only` keeps only numbers that look like money: with a decimal part (9.00, 12,50) or a
    currency mark beside them (RM 9, ￥3495), so a bare "09" in a code line is not "9.00".
    """
    out: dict[str, None] = {}
    text = normalize_text(s) or ""
    for m in _NUM_IN.finditer(text):
        a = normalize_amount(m.group(0))
        if a is None:
            continue
        if money_only and not _DECIMAL_TAIL.search(m.group(0)):
            before, after = text[max(0, m.start() - 4) : m.start()], text[m.end() : m.end() + 4]
            if not (_CURRENCY_BEFORE.search(before) or _CURRENCY_AFTER.match(after)):
                continue
        out.setdefault(a, None)
    for m in _CN_RUN.finditer(str(s)):
        if any(c in _CN_UPPER for c in m.group(0)):
            a = chinese_amount_to_decimal(m.group(0))
            if a is not None:
                out.setdefault(a, None)
    return list(out)


_DECIMAL_TAIL = re.compile(r"[.,]\d{1,2}$")
_CURRENCY_BEFORE = re.compile(rf"{_CURRENCY}\s*$")
_CURRENCY_AFTER = re.compile(rf"\s*{_CURRENCY}")


# --------------------------------------------------------------------------------------- by field


def field_kind(field_name: str) -> str:
    """Which normaliser a field's values get: "date", "cn_amount", "amount" or "text" (see
    `field_roles.field_spec`)."""
    return field_spec(field_name).kind


def normalize_value(field_name: str, value: object) -> str | None:
    """Canonical form of `value` for the field `field_name` (any language): dates to ISO, amounts
    to decimals, everything else (and any value the specific normaliser rejects) to normalize_text.
    None and blank values give None.
    """
    if value is None:
        return None
    v = str(value)
    if not v.strip():
        return None
    out = canonical_value(field_name, v)
    return out if out is not None else normalize_text(v)


def canonical_value(field_name: str, value: object) -> str | None:
    """The date/amount canonical form of `value` when its field is a date or amount field and the
    value parses as one; None otherwise (text fields have no separate canonical form)."""
    if value is None:
        return None
    v = str(value)
    kind = field_kind(field_name)
    if kind == "date":
        return normalize_date(v)
    if kind == "cn_amount":
        return chinese_amount_to_decimal(v) or normalize_amount(v)
    if kind == "amount":
        return normalize_amount(v)
    return None


def is_null(value: object) -> bool:
    """None, a blank string, or the words "null" / "none" a model writes for no value."""
    return value is None or (
        isinstance(value, str) and (not value.strip() or value.strip().casefold() in ("null", "none"))
    )


def match_form(field_name: str, value: object) -> str | None:
    """The form two values of a field are compared in: `normalize_value` with every space dropped,
    because OCR splits and joins words freely (`NO.53 55,57` vs `NO.5355,57`); None for no value."""
    if is_null(value):
        return None
    out = normalize_value(field_name, value)
    return re.sub(r"\s+", "", out) if out is not None else None


def values_equal(field_name: str, a: object, b: object) -> bool:
    """Whether two values of one field mean the same (both missing counts as equal); the one
    comparison of the project, used by scoring, calibration and the repairs audit."""
    return match_form(field_name, a) == match_form(field_name, b)
