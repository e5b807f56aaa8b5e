"""An OpenAI-compatible chat server over one in-process backend (`chatocr serve-llm`).

POST /v1/chat/completions and GET /v1/models. A response_format json_schema that is an object whose
every property may be a string (or null) is answered with constrained decoding (always-valid JSON
with exactly those keys, string or null values, which such a schema accepts even where it also
allows line-item lists); other schemas get free generation. One model per process; requests are
serialised.
"""

from __future__ import annotations

import time
import uuid

from ..field_roles import field_spec
from .base import Backend


def schema_keys(response_format: dict | None) -> list[str] | None:
    """The keys of an object schema whose every property allows a string (or, for a line-items
    field, a list), in order; None for anything else."""
    if not isinstance(response_format, dict) or response_format.get("type") != "json_schema":
        return None
    js = response_format.get("json_schema") or {}
    schema = js.get("schema", js) if isinstance(js, dict) else None
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return None
    props = schema.get("properties")
    if not isinstance(props, dict) or not props:
        return None
    for name, p in props.items():
        if not isinstance(p, dict):
            return None
        types = p.get("type")
        if types is None and "anyOf" in p:
            types = [x.get("type") for x in p["anyOf"] if isinstance(x, dict)]
        types = types if isinstance(types, list) else [types]
        # a value, or for a line-items field a list (decoded as records)
        if "string" not in types and not ("array" in types and field_spec(name).role == "items"):
            return None
    return list(props)


def create_app(backend: Backend):
    from fastapi import Body, FastAPI
    from fastapi.responses import JSONResponse

    app = FastAPI(title="chatocr LLM server", version="1")
    model_id = backend.model_name

    def error(status: int, message: str, kind: str = "invalid_request_error"):
        return JSONResponse(status_code=status, content={"error": {"message": message, "type": kind}})

    @app.get("/v1/models")
    def models():
        return {"object": "list", "data": [{"id": model_id, "object": "model", "owned_by": "chatocr"}]}

    @app.post("/v1/chat/completions")
    def chat(body: dict = Body(...)):
        messages = body.get("messages")
        if (
            not isinstance(messages, list)
            or not messages
            or not all(
                isinstance(m, dict) and isinstance(m.get("content"), str) and m.get("role") for m in messages
            )
        ):
            return error(
                400, "messages must be a non-empty list of {role, content} objects with string content"
            )
        if body.get("stream"):
            return error(400, "stream is not supported by this server")
        try:
            max_tokens = int(body.get("max_tokens") or body.get("max_completion_tokens") or 256)
        except (TypeError, ValueError):
            return error(400, "max_tokens must be an integer")
        max_tokens = max(1, min(max_tokens, 4096))
        keys = schema_keys(body.get("response_format"))
        msgs = [{"role": str(m["role"]), "content": m["content"]} for m in messages]
        r = backend.generate(msgs, keys=keys, max_new_tokens=max_tokens)  # the backend serialises its model
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model_id,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": r.text}, "finish_reason": "stop"}
            ],
            "usage": {
                "prompt_tokens": r.prompt_tokens,
                "completion_tokens": r.tokens,
                "total_tokens": r.prompt_tokens + r.tokens,
            },
        }

    return app
