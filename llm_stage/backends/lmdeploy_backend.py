"""InternLM2-chat-7B (base, merged fine-tune, or 4-bit AWQ) in-process with lmdeploy's TurboMind
engine on a CUDA GPU. lmdeploy is CUDA-only and pins its own torch, so it is imported lazily and
lives in the `gpu` extra; on machines without it, talk to `lmdeploy serve api_server` through the
`openai` backend instead."""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import ClassVar, Literal

from .base import Backend, BackendError, GenerationResult
from .schema import answer_schema

INSTALL_HINT = (
    "the lmdeploy backend needs the lmdeploy package, which runs only on CUDA GPUs: "
    "`pip install lmdeploy` (or `pip install -e '.[gpu]'`) in a CUDA environment, or serve the model with "
    "`lmdeploy serve api_server MODEL` and use --backend openai --base-url http://HOST:23333/v1"
)


class LmdeployBackend(Backend):
    name: ClassVar[str] = "lmdeploy"

    class Options(Backend.Options):
        model: str = "internlm/internlm2-chat-7b"  # local dir of the HF / merged / AWQ model
        model_format: Literal["hf", "awq", "gptq"] | None = None  # None: 'awq' if the dir says so
        tp: int = 1
        session_len: int = 8192
        cache_max_entry_count: float = 0.5  # share of free GPU memory for the KV cache
        quant_policy: Literal[0, 4, 8] = 0  # KV-cache int4/int8
        json_schema: bool = True  # guided decoding (TurboMind supports it in recent lmdeploy)

    def __init__(self, **options):
        super().__init__(**options)
        try:
            import lmdeploy  # noqa: F401
        except ImportError:
            raise BackendError(INSTALL_HINT) from None
        from lmdeploy import TurbomindEngineConfig, pipeline

        fmt = self.options.model_format or _guess_format(self.options.model)
        engine = TurbomindEngineConfig(
            model_format=fmt,
            tp=self.options.tp,
            session_len=self.options.session_len,
            cache_max_entry_count=self.options.cache_max_entry_count,
            quant_policy=self.options.quant_policy,
        )
        self._pipe = pipeline(self.options.model, backend_config=engine)
        self._lock = threading.Lock()
        self._schema_ok = self.options.json_schema

    def generate(
        self, messages, keys=None, max_new_tokens=256, copy_from=None, rules=None
    ) -> GenerationResult:
        from lmdeploy import GenerationConfig

        # Greedy. Older lmdeploy releases lack some fields (do_sample): keep only those it has.
        known = {f.name for f in dataclasses.fields(GenerationConfig)}
        kw = {
            k: v
            for k, v in dict(max_new_tokens=max_new_tokens, do_sample=False, top_k=1).items()
            if k in known
        }
        use_schema = bool(keys) and self._schema_ok
        if use_schema and "response_format" not in known:
            self._schema_ok = use_schema = False
        if use_schema:
            kw["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "extraction", "schema": answer_schema(list(keys))},
            }
        t0 = time.perf_counter()
        with self._lock:
            try:
                resp = self._pipe(messages, gen_config=GenerationConfig(**kw))
            except (TypeError, ValueError, NotImplementedError):
                if not use_schema:
                    raise
                self._schema_ok = use_schema = False  # this lmdeploy/engine has no guided decoding
                kw.pop("response_format")
                resp = self._pipe(messages, gen_config=GenerationConfig(**kw))
        if isinstance(resp, list):
            resp = resp[0]
        return GenerationResult(
            text=resp.text,
            tokens=int(getattr(resp, "generate_token_len", 0) or 0),
            prompt_tokens=int(getattr(resp, "input_token_len", 0) or 0),
            generated_tokens=int(getattr(resp, "generate_token_len", 0) or 0),
            seconds=time.perf_counter() - t0,
            constrained=use_schema,
        )


def _guess_format(model: str) -> str:
    """AWQ checkpoints (lmdeploy lite auto_awq output) carry a quantization_config saying so."""
    import json
    from pathlib import Path

    cfg = Path(model) / "config.json"
    try:
        q = json.loads(cfg.read_text(encoding="utf-8")).get("quantization_config") or {}
    except (OSError, ValueError):
        return "hf"
    method = str(q.get("quant_method", "")).lower()
    return method if method in ("awq", "gptq") else "hf"
