"""LLM stage: prompt, backends, parsing and grounding. OCR text + field query -> Extraction."""

from .grounding import LineMatch, OcrIndex, best_line_match, ground_values
from .normalize import (
    chinese_amount_to_decimal,
    normalize_amount,
    normalize_date,
    normalize_text,
    normalize_value,
    values_equal,
)
from .prompt import SYSTEM_PROMPT, build_messages, format_answer, xtuner_sample
from .types import Extraction, FieldQuery, FieldValue, QueryError, split_field_list

__all__ = [
    "SYSTEM_PROMPT",
    "Extraction",
    "FieldQuery",
    "FieldValue",
    "LineMatch",
    "OcrIndex",
    "QueryError",
    "best_line_match",
    "chinese_amount_to_decimal",
    "ground_values",
    "normalize_amount",
    "normalize_date",
    "normalize_text",
    "normalize_value",
    "values_equal",
    "build_messages",
    "format_answer",
    "split_field_list",
    "xtuner_sample",
]
