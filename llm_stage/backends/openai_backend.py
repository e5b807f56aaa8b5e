"""Any OpenAI-compatible chat server (lmdeploy api_server, vLLM, `chatocr serve-llm`, hosted APIs).
With `keys`, asks for schema-guided output (response_format json_schema, the answer model's schema;
strict when OpenAI's strict mode can express it); a server that rejects it is asked again without
it, and plain output is remembered for the rest of the session."""

from __future__ import annotations

import time
from typing import ClassVar
from urllib.parse import urlparse

from .base import Backend, BackendError, GenerationResult
from .schema import answer_schema, is_strict


class OpenAIBackend(Backend):
    name: ClassVar[str] = "openai"

    class Options(Backend.Options):
        base_url: str = "http://127.0.0.1:8008/v1"
        api_key: str | None = None
        model: str | None = None  # None: the first model the server lists
        timeout: float = 300.0
        json_schema: bool = True  # ask for response_format json_schema when keys are given
        temperature: float = 0.0

    def __init__(self, **options):
        super().__init__(**options)
        import httpx

        url = self.options.base_url.rstrip("/")
        if urlparse(url).path in ("", "/"):
            url += "/v1"
        self.base_url = url
        headers = {"Authorization": f"Bearer {self.options.api_key}"} if self.options.api_key else {}
        self._client = httpx.Client(base_url=url, headers=headers, timeout=self.options.timeout)
        self._schema_ok = self.options.json_schema
        self._model = self.options.model

    @property
    def model_name(self) -> str:
        return self._model or "?"

    def _request(self, method: str, path: str, **kw):
        import httpx

        try:
            return self._client.request(method, path, **kw)
        except httpx.HTTPError as e:
            raise BackendError(f"cannot reach the OpenAI-compatible server at {self.base_url}: {e}") from None

    def _resolve_model(self) -> str:
        if self._model:
            return self._model
        r = self._request("GET", "/models")
        if r.status_code != 200:
            raise BackendError(
                f"{self.base_url}/models answered {r.status_code}; give the model name with --model"
            )
        data = r.json().get("data") or []
        if not data:
            raise BackendError(f"{self.base_url} lists no models; give the model name with --model")
        self._model = data[0]["id"]
        return self._model

    def generate(
        self, messages, keys=None, max_new_tokens=256, copy_from=None, rules=None
    ) -> GenerationResult:
        body = {
            "model": self._resolve_model(),
            "messages": messages,
            "max_tokens": max_new_tokens,
            "temperature": self.options.temperature,
        }
        use_schema = bool(keys) and self._schema_ok
        if use_schema:
            schema = answer_schema(list(keys))
            body["response_format"] = {
                "type": "json_schema",
                # strict mode cannot express a line item's free keys: such a schema guides unstrictly
                # (sent as strict, OpenAI would reject it and the session would lose the schema)
                "json_schema": {"name": "extraction", "schema": schema, "strict": is_strict(schema)},
            }
        t0 = time.perf_counter()
        r = self._request("POST", "/chat/completions", json=body)
        if use_schema and r.status_code in (400, 404, 415, 422, 501):
            # The server does not do guided output: plain generation from now on.
            self._schema_ok = False
            body.pop("response_format")
            r = self._request("POST", "/chat/completions", json=body)
        if r.status_code != 200:
            raise BackendError(f"{self.base_url}/chat/completions answered {r.status_code}: {r.text[:300]}")
        try:
            data = r.json()
            text = data["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError):
            raise BackendError(
                f"{self.base_url} sent a reply that is not an OpenAI chat completion"
            ) from None
        usage = data.get("usage") or {}
        return GenerationResult(
            text=text,
            tokens=int(usage.get("completion_tokens") or 0),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            generated_tokens=int(usage.get("completion_tokens") or 0),
            seconds=time.perf_counter() - t0,
            constrained=use_schema and self._schema_ok,
        )
