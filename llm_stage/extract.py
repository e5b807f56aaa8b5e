"""One extraction: OCR result + field query -> Extraction, through any backend.

The reply is parsed and validated against the query; an invalid reply is retried once with the
validation error fed back to the model. When attempts run out every field is null and
`Extraction.error` says why: a bad model answer never crashes the caller.
"""

from __future__ import annotations

import time

from ocr_stage import OcrResult

from .backends import Backend
from .grounding import ground_values
from .parsing import OutputInvalidError, parse_answer
from .prompt import build_messages
from .types import Extraction, FieldQuery, FieldValue
from .value_rules import rules_for_fields

MAX_ATTEMPTS = 2


def retry_message(error: OutputInvalidError, keys: list[str]) -> dict[str, str]:
    """The follow-up user turn after an invalid reply (the validation error, not a blind re-ask)."""
    import json

    return {
        "role": "user",
        "content": (
            f"Your reply was invalid: {error}. Reply again with only one JSON object with exactly the keys "
            f"{json.dumps(keys, ensure_ascii=False)}; each value is a string copied from the document or null."
        ),
    }


def max_tokens_for(keys: list[str]) -> int:
    return min(2048, 64 + 48 * len(keys))


def extract(
    ocr: OcrResult,
    query: FieldQuery,
    backend: Backend,
    *,
    strict: bool = False,
    normalize: bool = False,
    max_attempts: int = MAX_ATTEMPTS,
    copy: bool | None = None,
) -> Extraction:
    """Ask `backend` for the query's fields in `ocr`'s text; values are grounded to OCR lines
    (`strict`: ungrounded values become null) and optionally normalised.

    `copy` (default: on for field queries, off for a question) makes a backend that can
    (`supports_copy`) decode every value as a substring of the document text, dates and amounts
    in their shape; `copy=False` lets the model write free text."""
    if not isinstance(query, FieldQuery):
        query = FieldQuery(fields=query)
    keys = query.keys
    rendered = ocr.to_text()
    messages = build_messages(ocr, query)
    if copy is None:
        copy = bool(query.fields)
    constraints = {}
    if copy and backend.supports_copy:
        constraints = {"copy_from": str(rendered), "rules": rules_for_fields(keys)}
    t0 = time.perf_counter()
    values: dict | None = None
    error: str | None = None
    raw = ""
    tokens = 0
    attempts = 0
    while attempts < max(1, max_attempts):
        attempts += 1
        result = backend.generate(messages, keys=keys, max_new_tokens=max_tokens_for(keys), **constraints)
        raw = result.text
        tokens += result.tokens
        try:
            values = parse_answer(raw, keys)
            error = None
            break
        except OutputInvalidError as e:
            error = f"attempt {attempts}: {e}"
            messages = [*messages, {"role": "assistant", "content": raw}, retry_message(e, keys)]
    llm_s = time.perf_counter() - t0
    if values is None:
        fields = {k: FieldValue() for k in keys}
    else:
        values = {k: ((v.strip() or None) if isinstance(v, str) else v) for k, v in values.items()}
        t1 = time.perf_counter()
        grounded = ground_values(ocr, rendered, values, strict=strict)
        fields = {k: grounded.get(k, FieldValue()) for k in keys}
        if normalize:
            from .normalize import normalize_value

            for k, fv in fields.items():
                if isinstance(fv.value, str):
                    fv.normalized = normalize_value(k, fv.value)
        ground_s = time.perf_counter() - t1
    timings = {"llm_s": llm_s, "tokens": float(tokens)}
    if values is not None:
        timings["ground_s"] = ground_s
    return Extraction(
        fields=fields,
        raw_output=raw,
        backend=backend.name,
        model=backend.model_name,
        error=error if values is None else None,
        attempts=attempts,
        timings=timings,
    )
