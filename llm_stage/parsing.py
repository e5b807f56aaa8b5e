"""Turn a model's reply into the answer object: find the JSON (code fences, trailing prose, single
quotes, trailing commas…), then validate it against a pydantic model built from the query.
Anything that cannot become exactly the requested keys raises `OutputInvalidError`, whose message
is written to be fed back to the model on retry."""

from __future__ import annotations

import ast
import json
import re
import unicodedata
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from .field_roles import is_items_field


class OutputInvalidError(ValueError):
    """The model's output is not a JSON object with exactly the requested keys."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)

LineItem = dict[str, str | None]


is_list_field = is_items_field  # a field asking for line items may hold a list of objects


def find_json_object(text: str) -> str:
    """The first balanced {...} in `text` (string-aware), after unwrapping code fences."""
    m = _FENCE.search(text)
    if m and "{" in m.group(1):
        text = m.group(1)
    start = text.find("{")
    if start < 0:
        raise OutputInvalidError("the reply contains no JSON object", text)
    depth, quote, esc = 0, None, False
    for i in range(start, len(text)):
        c = text[i]
        if quote:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    raise OutputInvalidError("the JSON object is not closed (missing '}')", text)


def parse_json_object(text: str) -> dict[str, Any]:
    """Parse the model's reply into a dict; numbers are kept as the text the model wrote."""
    raw = find_json_object(str(text))
    try:
        obj = json.loads(raw, parse_float=str, parse_int=str)
    except json.JSONDecodeError as first:
        fixed = re.sub(r",\s*([}\]])", r"\1", raw)  # trailing commas
        try:
            obj = json.loads(fixed, parse_float=str, parse_int=str)
        except json.JSONDecodeError:
            try:  # Python-style dict: single quotes, None/True/False
                obj = ast.literal_eval(fixed)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                raise OutputInvalidError(
                    f"the reply is not valid JSON: {first.msg} at char {first.pos}", text
                ) from None
    if not isinstance(obj, dict):
        raise OutputInvalidError("the reply is not a JSON object", text)
    return obj


def _norm_key(k: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(k))).strip().casefold()


@lru_cache(maxsize=256)
def answer_model(keys: tuple[str, ...]) -> type[BaseModel]:
    """A pydantic model with exactly `keys` (aliases; any script allowed), str|None values."""
    fields: dict[str, Any] = {}
    for i, k in enumerate(keys):
        typ = (list[LineItem] | str | None) if is_list_field(k) else (str | None)
        fields[f"f{i}"] = (typ, Field(alias=k))
    return create_model(
        "Answer",
        __config__=ConfigDict(extra="forbid", coerce_numbers_to_str=True, populate_by_name=False),
        **fields,
    )


def validate_answer(obj: dict[str, Any], keys: list[str], output: str = "") -> dict[str, Any]:
    """Exactly `keys`, in order, values str|None (a line-items key may hold a list of objects).
    Keys that differ only in case, width or spacing are mapped to the requested spelling."""
    wanted = {_norm_key(k): k for k in keys}
    mapped: dict[str, Any] = {}
    for k, v in obj.items():
        key = wanted.get(_norm_key(k), k)
        if key in mapped:
            raise OutputInvalidError(f"key {key!r} appears twice", output)
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, (int, float)):
            v = str(v)
        mapped[key] = v
    try:
        m = answer_model(tuple(keys)).model_validate(mapped)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = ".".join(str(x) for x in err["loc"])
            if err["type"] == "missing":
                problems.append(f"missing key {loc!r}")
            elif err["type"] == "extra_forbidden":
                problems.append(f"unexpected key {loc!r}")
            else:
                problems.append(f"{loc!r}: {err['msg']}")
        raise OutputInvalidError(
            "the JSON object must have exactly the keys "
            + json.dumps(keys, ensure_ascii=False)
            + " with string or null values; "
            + "; ".join(dict.fromkeys(problems)),
            output,
        ) from None
    data = m.model_dump()
    return {k: data[f"f{i}"] for i, k in enumerate(keys)}


def parse_answer(text: str, keys: list[str]) -> dict[str, Any]:
    """Reply text -> {key: value} with exactly `keys`; raises OutputInvalidError."""
    return validate_answer(parse_json_object(text), keys, text)


__all__ = [
    "OutputInvalidError",
    "find_json_object",
    "is_list_field",
    "parse_answer",
    "parse_json_object",
    "validate_answer",
]
