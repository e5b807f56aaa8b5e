"""The JSON schema a backend sends for schema-guided output (OpenAI response_format json_schema,
lmdeploy guided decoding). It is derived from `parsing.answer_model`, so a server is asked for
exactly what the parser accepts (line-item fields may hold a list of objects)."""

from __future__ import annotations

from typing import Any

from ..parsing import answer_model, is_list_field
from ..types import ITEM_KEYS

# Keywords every guided-decoding server we target understands; pydantic's extras (title, default…)
# are dropped, and OpenAI strict mode rejects several others.
_KEEP = {"type", "properties", "required", "additionalProperties", "items", "anyOf", "enum", "const"}


def item_schema() -> dict[str, Any]:
    """One line item: exactly the keys ITEM_KEYS, each a string or null, all required."""
    cell = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    return {
        "type": "object",
        "properties": {k: dict(cell) for k in ITEM_KEYS},
        "required": list(ITEM_KEYS),
        "additionalProperties": False,
    }


def answer_schema(keys: list[str]) -> dict[str, Any]:
    """The answer model's JSON schema for `keys`: $refs inlined, only portable keywords, every
    object with properties closed (additionalProperties false) and all of them required. A
    line-items field is asked as a list of `item_schema()` records (or null), the shape the
    transformers backend decodes; the parser stays more lenient (other cell names are mapped by
    `items.coerce_items`), so everything this schema admits parses."""
    raw = answer_model(tuple(keys)).model_json_schema(by_alias=True)
    out = _clean(raw, raw.get("$defs", {}), ())
    for k in keys:
        if is_list_field(k):
            out["properties"][k] = {"anyOf": [{"type": "array", "items": item_schema()}, {"type": "null"}]}
    return out


def is_strict(schema: dict[str, Any]) -> bool:
    """Whether OpenAI strict structured outputs accept `schema`: every object lists its properties,
    requires all of them and allows no others (a line item is such an object)."""
    if not isinstance(schema, dict):
        return True
    if schema.get("type") == "object":
        props = schema.get("properties")
        if not props or schema.get("additionalProperties") is not False:
            return False
        if list(schema.get("required", [])) != list(props):
            return False
    children: list = list((schema.get("properties") or {}).values()) + list(schema.get("anyOf") or [])
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            children.append(schema[key])
    return all(is_strict(c) for c in children)


def _clean(node: dict[str, Any], defs: dict[str, Any], seen: tuple[str, ...]) -> dict[str, Any]:
    if "$ref" in node:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        if name in seen or name not in defs:
            raise ValueError(f"cannot inline $ref {node['$ref']!r}")
        merged = {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
        return _clean(merged, defs, (*seen, name))
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k not in _KEEP:
            continue
        if k == "properties":  # field names, not keywords: keep every one
            out[k] = {name: _clean(s, defs, seen) for name, s in v.items()}
        elif k == "anyOf":
            out[k] = [_clean(s, defs, seen) for s in v]
        elif k in ("items", "additionalProperties") and isinstance(v, dict):
            out[k] = _clean(v, defs, seen)
        else:
            out[k] = v
    if out.get("type") == "object" and "properties" in out:
        out["required"] = list(out["properties"])
        out.setdefault("additionalProperties", False)
    return out


__all__ = ["answer_schema", "is_strict", "item_schema"]
