"""The comparison forms used for scoring, on top of `llm_stage.normalize`.

Exact match: `llm_stage.normalize.normalize_value` (width, case, punctuation, dates to ISO, amounts
to decimals without currency), then all whitespace dropped, because OCR splits and joins words
freely (`NO.53 55,57` vs `NO.5355,57`). CER works on the text form without spaces.
"""

from __future__ import annotations

from llm_stage.normalize import is_null, match_form, normalize_text, values_equal

__all__ = ["canon", "canon_value", "is_null", "match_form", "values_equal"]


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
