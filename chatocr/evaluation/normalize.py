"""The comparison forms used for scoring, on top of `llm_stage.normalize`.

Exact match: `llm_stage.normalize.normalize_value` (width, case, punctuation, dates to ISO, amounts
to decimals without currency), then all whitespace dropped, because OCR splits and joins words
freely (`NO.53 55,57` vs `NO.5355,57`). CER works on the text form without spaces.
"""

from __future__ import annotations

import re

from llm_stage.normalize import normalize_text, normalize_value


def is_null(v) -> bool:
    return v is None or (isinstance(v, str) and (not v.strip() or v.strip().casefold() in ("null", "none")))


def match_form(field: str, value) -> str | None:
    """The form two values of `field` are compared in for exact match (None for a null value)."""
    if is_null(value):
        return None
    out = normalize_value(field, value)
    return re.sub(r"\s+", "", out) if out is not None else None


def values_equal(field: str, pred, gold) -> bool:
    """True when both are null, or both have the same comparison form."""
    return match_form(field, pred) == match_form(field, gold)


def canon(text) -> str:
    """Width/case/punctuation-folded text without whitespace (the base of CER and containment)."""
    if is_null(text):
        return ""
    return normalize_text(str(text), drop_spaces=True) or ""


def canon_value(text) -> str:
    """`canon` with a leading/trailing currency mark removed (for finding a value in OCR text)."""
    if is_null(text):
        return ""
    return normalize_text(str(text), strip_currency=True, drop_spaces=True) or ""
