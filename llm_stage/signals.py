"""Signals about one answered value that hold on any document, for field confidence: whether a repair
rewrote the model's value, whether a second decoding agrees, whether the field's label is printed
beside the value, the OCR score of its source line and of the value's least sure character, and plausibility against the rest of the page
(a date years from the page's other dates, an amount above the document's total, net + tax not
making the gross).
"""

from __future__ import annotations

import datetime
import statistics
from decimal import Decimal, InvalidOperation

import regex

from .evidence import SYNONYMS, _cjk_cores, _core_words

SIGNALS = ("ocr_score", "repaired", "disagree", "label_near", "implausible", "arith", "char_score")

# labels printed beside values of the common roles (beyond the words of the field's own name)
_ROLE_LABELS = {
    "total": (
        "total",
        "jumlah",
        "summe",
        "gesamt",
        "montant",
        "importe",
        "amount",
        "合计",
        "总计",
        "金额",
        "价税",
    ),
    "date": ("date", "tarikh", "datum", "fecha", "data", "日期", "日付", "时间"),
    "tax": ("tax", "gst", "vat", "sst", "mwst", "tva", "iva", "税"),
}
_YEAR = regex.compile(r"(?<!\d)(19[5-9]\d|20[0-9]\d)(?!\d)")
_YY = regex.compile(r"^\s*\d{1,2}[/.-]\d{1,2}[/.-](\d{2})\s*$")
_MONEY = regex.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)[.,](\d{2})(?![\d%])")
_TOTAL_ROW = regex.compile(
    r"(?i)total|jumlah|summe|gesamt|zu zahlen|montant|importe|合计|总计|価税|amount due"
)


def _money(s: str) -> Decimal | None:
    m = _MONEY.search(s)
    if not m:
        return None
    try:
        return Decimal(m.group(1).replace(",", "") + "." + m.group(2))
    except InvalidOperation:
        return None


def label_words(field: str) -> list[str]:
    """Words a printed label for `field` may use: its name's words and their synonyms, its CJK core,
    and the usual labels of its role (total, date, tax)."""
    words = []
    for w in _core_words(field):
        words += list(SYNONYMS.get(w, (w,)))
    words += _cjk_cores(field)
    low = field.lower()
    for role, labels in _ROLE_LABELS.items():
        if role in low or any(lab in field for lab in labels if not lab.isascii()):
            words += list(labels)
    return [w for w in dict.fromkeys(words) if len(w) >= 2]


def label_near(field: str, fv, ocr) -> float:
    """1 when a label for `field` is printed on the value's row or the row above it, else 0 (and 1
    for a null or a value not found on the page: there is nothing to check)."""
    if fv.value is None or fv.box is None or fv.page is None or ocr is None:
        return 1.0
    words = label_words(field)
    if not words:
        return 0.0
    page = next((p for p in ocr.pages if p.page == fv.page), None)
    if page is None:
        return 1.0
    ys = [pt[1] for pt in fv.box]
    top, bottom = min(ys), max(ys)
    h = max(1.0, bottom - top)
    near = [
        ln.text.lower()
        for ln in page.lines
        if ln.y_max > top - 1.6 * h and ln.y_min < bottom - 0.3 * h  # this row, or the one above
    ]
    text = " ".join(near)
    return float(any(regex.search(rf"(?<![\p{{L}}]){regex.escape(w.lower())}", text) for w in words))


def implausible(field: str, value, page_text: str, kind: str | None) -> float:
    """1 when a date lies a decade or more from the page's other dates (or in the future), or a non-total amount
    exceeds the total the page prints; else 0."""
    if not isinstance(value, str):
        return 0.0
    if kind == "date":
        m = _YEAR.search(value)
        year = int(m.group(1)) if m else None
        if year is None and (yy := _YY.match(value)):
            year = 2000 + int(yy.group(1))
        if year is None:
            return 0.0
        if year > datetime.date.today().year + 1:
            return 1.0
        others = [int(y) for y in _YEAR.findall(page_text.replace(value, " "))]
        if len(others) >= 1:
            return float(abs(year - statistics.median(others)) >= 10)  # a decade or more
        return 0.0
    if kind == "amount" and not _TOTAL_ROW.search(field):
        v = _money(value)
        totals = [t for row in page_text.splitlines() if _TOTAL_ROW.search(row) if (t := _money(row))]
        if v is not None and totals:
            return float(v > max(totals) * Decimal("1.001"))
    return 0.0


def arithmetic(values: dict, roles: dict[str, str]) -> dict[str, float]:
    """Per amount field with a role: +1 when net + tax = gross among the answer's values, -1 when they
    are all there and do not add up, 0 when it cannot be checked."""
    by_role = {}
    for k, r in roles.items():
        if r and r not in by_role:
            by_role[r] = k
    out = {k: 0.0 for k in roles}
    if not all(r in by_role for r in ("gross", "net", "tax")):
        return out
    g, n, t = (_money(str(values.get(by_role[r]) or "")) for r in ("gross", "net", "tax"))
    if None in (g, n, t):
        return out
    ok = abs(g - (n + t)) <= Decimal("0.10")
    for r in ("gross", "net", "tax"):
        out[by_role[r]] = 1.0 if ok else -1.0
    return out


def field_roles(keys: list[str]) -> tuple[dict[str, str], dict[str, str | None]]:
    """Each field's value kind (date, amount, text...) and amount role (gross, net, tax or None)."""
    try:  # the one field-role function, where the package has it
        from .field_roles import field_spec

        specs = {k: field_spec(k) for k in keys}
        return {k: s.kind for k, s in specs.items()}, {k: s.amount_role for k, s in specs.items()}
    except ImportError:
        from .normalize import field_kind
        from .value_rules import amount_role

        return {k: field_kind(k) for k in keys}, {k: amount_role(k) for k in keys}


def value_signals(
    fields: dict,
    model_values: dict,
    other_values: dict | None,
    ocr,
    page_text: str,
    kinds: dict[str, str | None],
    roles: dict[str, str | None],
) -> dict[str, list[float]]:
    """SIGNALS for every field of an answer. `model_values` are the model's own values (before any
    repair), `other_values` those of a second decoding (None when there was none)."""
    plain = {k: fv.value for k, fv in fields.items()}
    arith = arithmetic(plain, {k: r for k, r in roles.items() if r})
    out = {}
    for k, fv in fields.items():
        v = fv.value
        mv = model_values.get(k)
        repaired = float(
            isinstance(mv, str) and mv.strip() != "" and (v is None or str(v).strip() != mv.strip())
        )
        disagree = 0.0
        if other_values is not None and k in other_values:
            ov = other_values.get(k)
            disagree = float((ov or None) != (mv or None) and str(ov).strip() != str(mv).strip())
        out[k] = [
            1.0 if v is None or fv.ocr_score is None else float(fv.ocr_score),
            repaired,
            disagree,
            label_near(k, fv, ocr),
            implausible(k, v, page_text, kinds.get(k)),
            arith.get(k, 0.0),
            char_score(fv),
        ]
    return out


# A value holding a character the recogniser read at below this is flagged for review
# (`ocr_unsure_character`): below one half, the character read is less likely than the others
# together, so the value is more likely misread than not. A rule, not a calibration feature: the
# synthetic pages the calibration is fitted on are clean renders with almost no such slips to learn
# from, while on real pages most wrong values are them.
UNSURE_CHARACTER = 0.5
OCR_UNSURE = "ocr_unsure_character"


def is_unsure(char_score: float | None) -> bool:
    """Whether a value's least sure character is below UNSURE_CHARACTER (None: not known)."""
    return char_score is not None and char_score < UNSURE_CHARACTER


def _unsure(fv) -> bool:
    return isinstance(fv.value, str) and is_unsure(fv.char_score)


def unsure_characters(fields: dict) -> list[str]:
    """The fields whose value holds a character the recogniser read at below UNSURE_CHARACTER. The
    cells of line items are flagged in place: the cell needs review, and its record too, with the
    reason."""
    for fv in fields.values():
        for rec in fv.items or []:
            for cell in rec.cells.values():
                if _unsure(cell):
                    cell.needs_review = rec.needs_review = True
                    if OCR_UNSURE not in rec.review_reasons:
                        rec.review_reasons.append(OCR_UNSURE)
    return [k for k, fv in fields.items() if _unsure(fv)]


def char_score(fv) -> float:
    """The recogniser's confidence of the value's least sure character: 1 for null, the line's
    score where the engine gave none per character, 0 for a value found on no line."""
    if fv.value is None:
        return 1.0
    if fv.char_score is not None:
        return float(fv.char_score)
    return float(fv.ocr_score) if fv.ocr_score is not None else 0.0
