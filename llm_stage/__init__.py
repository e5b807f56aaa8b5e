"""LLM stage: prompt, backends, parsing and grounding. OCR text + field query -> Extraction."""

from .backends import (  # backends load their heavy modules lazily
    Backend,
    BackendError,
    GenerationResult,
    UnknownBackendError,
    available_backends,
    get_backend,
    register_backend,
)

# Bound after the submodule import, so `llm_stage.extract` stays the function, not the module.
from .extract import extract
from .grounding import LineMatch, OcrIndex, best_line_match, ground_values
from .normalize import (
    chinese_amount_to_decimal,
    normalize_amount,
    normalize_date,
    normalize_text,
    normalize_value,
    values_equal,
)
from .parsing import OutputInvalidError, parse_answer
from .prompt import SYSTEM_PROMPT, build_messages, format_answer, xtuner_sample
from .types import Extraction, FieldQuery, FieldValue, QueryError, split_field_list

__all__ = [
    "SYSTEM_PROMPT",
    "Backend",
    "BackendError",
    "GenerationResult",
    "OutputInvalidError",
    "UnknownBackendError",
    "available_backends",
    "extract",
    "get_backend",
    "parse_answer",
    "register_backend",
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
