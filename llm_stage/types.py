"""Field query and extraction result types: the contract of the LLM stage."""

from __future__ import annotations

import re
import unicodedata

from pydantic import BaseModel, Field, field_validator, model_validator

Point = tuple[float, float]
MAX_FIELDS = 64
MAX_FIELD_CHARS = 200


def _clean_name(name: str) -> str:
    name = unicodedata.normalize("NFC", str(name)).strip()
    return re.sub(r"\s+", " ", name)


class QueryError(ValueError):
    """The field query is empty or malformed; the message says how."""


class FieldQuery(BaseModel):
    """The requested field names (free text, any script), or a natural-language question.

    Names are stripped, deduplicated (first occurrence wins) and kept in the user's order.
    A question without fields is answered as the single field `answer`.
    """

    fields: list[str] = Field(default_factory=list)
    question: str | None = None
    hints: dict[str, str] = Field(default_factory=dict)

    @field_validator("fields", mode="before")
    @classmethod
    def _dedupe(cls, v):
        if isinstance(v, str):
            v = split_field_list(v)
        seen: dict[str, None] = {}
        for name in v or []:
            n = _clean_name(name)
            if not n:
                continue
            if len(n) > MAX_FIELD_CHARS:
                raise QueryError(f"field name is {len(n)} characters long; the limit is {MAX_FIELD_CHARS}")
            seen.setdefault(n, None)
        return list(seen)

    @field_validator("question", mode="before")
    @classmethod
    def _strip_q(cls, v):
        if v is None:
            return None
        v = str(v).strip()
        return v or None

    @model_validator(mode="after")
    def _non_empty(self):
        if not self.fields and not self.question:
            raise QueryError("the query is empty: give at least one field name or a question")
        if len(self.fields) > MAX_FIELDS:
            raise QueryError(f"{len(self.fields)} fields requested; the limit is {MAX_FIELDS}")
        return self

    @property
    def keys(self) -> list[str]:
        """The keys of the answer object, in order."""
        return list(self.fields) if self.fields else ["answer"]


def split_field_list(text: str) -> list[str]:
    """Split "发票号码, 开票日期、价税合计" or "a;b" into names (ASCII and CJK separators)."""
    return [p for p in (s.strip() for s in re.split(r"[,，、;；\n]+", text)) if p]


# A field's value: a string as printed, null when absent, or for line-item fields a list of
# objects whose cells are strings or null.
Value = str | list[dict[str, str | None]] | dict[str, str | None] | None


class FieldValue(BaseModel):
    value: Value = None
    page: int | None = None
    box: list[Point] | None = None
    ocr_score: float | None = None
    match_score: float | None = None
    grounded: bool = False
    normalized: str | None = None


class Extraction(BaseModel):
    """The answer: exactly the requested fields, in the requested order."""

    fields: dict[str, FieldValue]
    raw_output: str = ""
    backend: str = ""
    model: str = ""
    error: str | None = None
    attempts: int = 1
    timings: dict[str, float] = Field(default_factory=dict)

    def values(self) -> dict[str, Value]:
        return {k: v.value for k, v in self.fields.items()}
