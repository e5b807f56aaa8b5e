"""What the API builds once per process and shares between requests: the pipelines (one per OCR
engine, sharing one LLM backend), the bounded worker pool, and the URL-download slots. Requests
share nothing else: each one's document, OCR result and answer live in its own objects."""

from __future__ import annotations

import copy
import dataclasses
import logging
import threading
import time
from typing import Any

from llm_stage.types import MAX_FIELDS
from ocr_stage import OcrEngine

from ..settings import Settings
from .config import ApiConfig
from .errors import ApiError
from .fetch import UrlPolicy
from .work import Busy, JobCancelled, JobTimeout, WorkPool

log = logging.getLogger("chatocr.api")


class CancellableEngine(OcrEngine):
    """One request's view of a shared OCR engine: once the request is cancelled (deadline passed,
    client gone), the next page raises JobCancelled instead of being read. Shares the engine's lock."""

    def __init__(self, engine: OcrEngine, cancel: threading.Event):
        self.engine = self.lock_target = engine
        self.name, self.settings_tag, self.cancel = engine.name, engine.settings_tag, cancel

    def recognize_page(self, image):
        if self.cancel.is_set():
            raise JobCancelled("the request was cancelled")
        return self.engine.recognize_page(image)

    def read_page(self, image):
        # the engine's own reading (pages turned upright, big pages in their text region)
        if self.cancel.is_set():
            raise JobCancelled("the request was cancelled")
        return self.engine.read_page(image)


# The cancel flag of the job running on this worker thread (set by ServerState.run_job).
_job = threading.local()


def _cancelled() -> bool:
    cancel = getattr(_job, "cancel", None)
    return cancel is not None and cancel.is_set()


def stop_at_next_token(backend) -> None:
    """Make an in-process LLM backend check the running job's cancel flag before each decoding step,
    so a cancelled job stops at its next token. The transformers backend sends every token through
    `_step` (and `_step_many` when it drafts); a backend without them (HTTP) is left as it is."""
    for attr in ("_step", "_step_many"):
        step = getattr(backend, attr, None)
        if step is None or getattr(step, "chatocr_checked", False):
            continue

        def checked(*args, _step=step, **kw):
            if _cancelled():
                raise JobCancelled("the request was cancelled")
            return _step(*args, **kw)

        checked.chatocr_checked = True
        setattr(backend, attr, checked)


def job_view(pipe, cancel: threading.Event):
    """`pipe` for one request: stops at the next OCR page, and before the LLM stage, once `cancel` is
    set (and at the next token, see stop_at_next_token). A remote pipeline, under Ray Serve, stops
    between its stages only."""
    from ..pipeline import Pipeline

    view = copy.copy(pipe)
    if type(pipe).ocr is Pipeline.ocr and isinstance(pipe.ocr_engine, OcrEngine):
        view.ocr_engine = CancellableEngine(pipe.ocr_engine, cancel)
    inner = view.extract_from_ocr

    def extract_from_ocr(ocr, query, **kw):
        if cancel.is_set():
            raise JobCancelled("the request was cancelled")
        return inner(ocr, query, **kw)

    view.extract_from_ocr = extract_from_ocr
    return view


class ServerState:
    """Pipelines per OCR engine (sharing one LLM backend), the pool, and the limits derived from the config."""

    def __init__(self, settings: Settings, config: ApiConfig, load_llm: bool, pipeline=None):
        self.settings, self.config, self.load_llm = settings, config, load_llm
        self.pool = WorkPool(config.workers, config.max_queue)
        self.pipelines: dict[str, Any] = {}
        self.ready = threading.Event()
        self.load_error: str | None = None
        self.load_s: float | None = None
        self.backend_name: str | None = None
        self.max_fields = min(config.max_fields, MAX_FIELDS)
        self.url_policy = UrlPolicy(allow=config.allowed_networks(), timeout_s=config.timeout_s)
        # URL downloads run on the event loop, outside the pool; at most as many as it admits.
        self.fetch_capacity = config.workers + config.max_queue
        self.fetching = 0
        # the server's ConnectionGuard (chatocr.api.server), when it runs under chatocr's own server
        self.connections = None
        self._given = pipeline

    def load(self) -> None:
        from ocr_stage import get_engine

        from ..pipeline import Pipeline

        t0 = time.perf_counter()
        try:
            main = self._given or Pipeline.from_settings(self.settings, load_llm=self.load_llm)
            limits = dataclasses.replace(
                main.limits,
                max_bytes=self.config.max_upload_bytes,
                max_total_pixels=self.config.max_total_pixels,
            )
            main.limits = limits
            pipes = {main.ocr_engine.name: main}
            for name in self.config.extra_engines:
                if name not in pipes:
                    eng = get_engine(name)
                    pipes[eng.name] = Pipeline(eng, main.backend, limits)
            self.pipelines = pipes
            self.default_engine = main.ocr_engine.name
            # named once here, off the event loop (under Ray Serve the name comes from a deployment)
            backend = main.backend
            if backend is not None:
                stop_at_next_token(backend)
            self.backend_name = (
                getattr(backend, "name", type(backend).__name__) if backend is not None else None
            )
            self.load_s = time.perf_counter() - t0
            self.ready.set()
            log.info("chatocr models loaded in %.1f s: engines=%s", self.load_s, list(pipes))
        except Exception as e:  # surfaced by /readyz; the process keeps answering /healthz
            self.load_error = f"{type(e).__name__}: {e}"
            log.exception("chatocr: loading models failed")

    def pipeline(self, engine: str | None):
        if not self.ready.is_set():
            if self.load_error:
                raise ApiError(503, "not_ready", f"models failed to load: {self.load_error}")
            raise ApiError(503, "not_ready", "models are still loading; retry shortly", {"Retry-After": "5"})
        name = engine or self.default_engine
        p = self.pipelines.get(name)
        if p is None:
            raise ApiError(
                422,
                "unknown_engine",
                f"OCR engine {name!r} is not loaded on this server; available: {', '.join(self.pipelines)}",
            )
        return p

    async def run_job(self, fn, deadline: float, cancel: threading.Event | None = None):
        """`fn` on a worker; its own errors reach the error table through the app's handler. `cancel`
        is set when this stops waiting (deadline, or the caller cancelled), see job_view."""

        def job():
            _job.cancel = cancel
            try:
                return fn()
            finally:
                _job.cancel = None

        try:
            return await self.pool.run(job, timeout=max(0.001, deadline - time.monotonic()), cancel=cancel)
        except Busy as e:
            raise ApiError(503, "busy", str(e), {"Retry-After": str(e.retry_after)}) from None
        except JobTimeout as e:
            raise ApiError(504, "timeout", f"{e}; try a smaller document or fewer pages") from None
