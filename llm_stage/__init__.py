"""LLM stage: prompt, backends, parsing and grounding. OCR text + field query -> Extraction."""

from .prompt import SYSTEM_PROMPT, build_messages, format_answer, xtuner_sample
from .types import Extraction, FieldQuery, FieldValue, QueryError, split_field_list

__all__ = [
    "SYSTEM_PROMPT",
    "Extraction",
    "FieldQuery",
    "FieldValue",
    "QueryError",
    "build_messages",
    "format_answer",
    "split_field_list",
    "xtuner_sample",
]
