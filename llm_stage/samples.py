"""Training samples: the prompt builder's messages with a target snapped to what the OCR read.

Serving copies values out of the OCR text, so a label is taught as the span the OCR printed (an
`0` for `O`, a dropped space), not as the corrected value. Synthetic data (generate_data) and a
user's labelled documents (chatocr.training) both write their samples here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .prompt import xtuner_sample
from .types import FieldQuery

if TYPE_CHECKING:
    from ocr_stage import OcrResult

SNAP_MIN_SCORE = 85.0


def snap_to_text(value, text: str):
    """The training target for `value` given the document's OCR text: the value itself when the
    text holds it, else the span of the text it best aligns with (an OCR slip such as 0/O or a
    dropped space, similarity >= SNAP_MIN_SCORE), else the value unchanged."""
    if not isinstance(value, str) or not value.strip():
        return value
    from rapidfuzz import fuzz

    from .value_rules import copy_forms

    forms = copy_forms(text)
    if any(value in f for f in forms):
        return value
    flat = forms[1] if len(forms) > 1 else forms[0]
    r = fuzz.partial_ratio_alignment(value, flat)
    if r is None or r.score < SNAP_MIN_SCORE:
        return value
    span = flat[r.dest_start : r.dest_end].strip()
    return span if span and abs(len(span) - len(value)) <= max(2, len(value) // 5) else value


def snap_answer(answer: dict, text: str) -> dict:
    """`snap_to_text` on every value, and on every cell of line-item lists."""
    out = {}
    for k, v in answer.items():
        if isinstance(v, list):
            out[k] = [
                {c: snap_to_text(x, text) for c, x in row.items()} if isinstance(row, dict) else row
                for row in v
            ]
        else:
            out[k] = snap_to_text(v, text)
    return out


def labelled_sample(ocr: OcrResult, query: FieldQuery, answer: dict) -> dict:
    """One XTuner sample asking `query` of a labelled document, its answer snapped to the OCR text."""
    return xtuner_sample(ocr, query, snap_answer(answer, str(ocr.to_text())))
