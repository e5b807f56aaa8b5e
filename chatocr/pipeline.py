"""The composition root: one OCR engine and one LLM backend, built once, used for many documents.

`Pipeline.run` is the per-document flow that the CLI, the API, batch, eval and the demo share:
decode + OCR, then extraction, timings folded once, pages numbered as in the source document.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ocr_stage import InputError, InputLimits, OcrEngine, OcrResult, get_engine, run_ocr

from .settings import Settings


class ModelLocks:
    """One lock per OCR engine object: OCR never runs twice at once on the same engine (RapidOCR's
    wrapper is not documented thread-safe), while OCR of one document may overlap with LLM
    inference on another. Process-wide, so pipelines that share an engine share its lock. LLM
    backends guard their own model (`Backend.generate` is thread-safe), so a remote backend's
    requests are not serialised here."""

    def __init__(self):
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()

    def __call__(self, model: Any) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(id(model), threading.Lock())


MODEL_LOCKS = ModelLocks()


def ocr_seconds(ocr: OcrResult) -> float:
    """Decoding plus recognition: what every report calls the OCR time of a document."""
    return float(ocr.timings.get("ocr_s", 0.0)) + float(ocr.timings.get("decode_s", 0.0))


@dataclass
class DocumentResult:
    """One document through the pipeline: its OCR and the answer (timings: ocr_s, llm_s, work_s)."""

    ocr: OcrResult
    extraction: Any  # llm_stage.Extraction


class Pipeline:
    """OCR then extraction. Holds no per-request state, so one instance serves many callers.

    The backend may be given, or built on first use from `backend_factory`, so that a command
    can check the document (decode, page range) before it pays for loading a model."""

    def __init__(
        self,
        ocr_engine: OcrEngine | None,
        backend=None,
        limits: InputLimits | None = None,
        *,
        backend_factory: Callable[[], Any] | None = None,
        review_below: float | None = None,
        per_field: bool | None = None,
    ):
        self.ocr_engine = ocr_engine
        self.review_below = review_below
        self.per_field = per_field
        self._backend = backend
        self._backend_factory = backend_factory
        self._backend_guard = threading.Lock()
        self.limits = limits or InputLimits()

    @property
    def backend(self):
        if self._backend is None and self._backend_factory is not None:
            with self._backend_guard:
                if self._backend is None:
                    self._backend = self._backend_factory()
        return self._backend

    @backend.setter
    def backend(self, value) -> None:
        self._backend = value

    @property
    def has_llm(self) -> bool:
        return self._backend is not None or self._backend_factory is not None

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        load_llm: bool = True,
        lazy_llm: bool = False,
        load_ocr: bool = True,
    ) -> Pipeline:
        """The pipeline `settings` describe. `lazy_llm`: the backend's name is checked now, the model
        loaded on first use. `load_ocr=False`: no OCR engine (a stage that only reads OcrResults)."""
        s = settings or Settings()
        engine = get_engine(s.ocr_engine, **s.engine_options()) if load_ocr else None
        limits = InputLimits(max_pixels=s.max_pixels, max_pages=s.max_pages, pdf_dpi=s.pdf_dpi)
        if not load_llm:
            return cls(engine, None, limits)
        from llm_stage import get_backend
        from llm_stage.backends import UnknownBackendError, available_backends

        if s.backend not in available_backends():
            raise UnknownBackendError(
                f"unknown LLM backend {s.backend!r}; choose one of {', '.join(available_backends())}"
            )

        def factory():
            return get_backend(s.backend, **backend_options(s))

        if lazy_llm:
            return cls(
                engine,
                None,
                limits,
                backend_factory=factory,
                review_below=s.review_below,
                per_field=s.per_field,
            )
        return cls(engine, factory(), limits, review_below=s.review_below, per_field=s.per_field)

    @classmethod
    def for_stage(cls, settings: Settings, stage: str) -> Pipeline:
        """The part of the pipeline one stage of a distributed run needs (chatocr.ray_batch, Ray
        Serve): `ocr` loads only the OCR engine, `llm` only the LLM backend; the per-document code
        (`ocr`, `extract_from_ocr`, `run`) is this class's, unchanged."""
        if stage == "ocr":
            return cls.from_settings(settings, load_llm=False)
        if stage == "llm":
            return cls.from_settings(settings, load_ocr=False)
        raise ValueError(f"unknown pipeline stage {stage!r}; choose ocr or llm")

    def ocr(self, source, *, name: str | None = None, page_range: Sequence[int] | None = None) -> OcrResult:
        """Decode and OCR `source`; page_range holds 0-based page indices, and each OcrPage's `page`
        is its 1-based page number in the source document."""
        if self.ocr_engine is None:
            raise RuntimeError("this pipeline was built without an OCR engine")
        try:
            with MODEL_LOCKS(self.ocr_engine):
                return run_ocr(source, self.ocr_engine, name=name, limits=self.limits, page_range=page_range)
        except (OSError, SyntaxError, EOFError) as e:
            # Pillow raises these for some truncated files before the decoder's own checks run.
            raise InputError(f"{name or source}: the document data is corrupt or truncated ({e})") from None

    def extract_from_ocr(self, ocr: OcrResult, query, *, strict=None, normalize=False, copy=None):
        from llm_stage import FieldQuery

        # The submodule, not `llm_stage.extract`: importing llm_stage.extract rebinds that package
        # attribute from the wrapper function to the module after the first call.
        from llm_stage.extract import extract

        backend = self.backend
        if backend is None:
            raise RuntimeError("this pipeline was built without an LLM backend")
        if not isinstance(query, FieldQuery):
            query = FieldQuery(**query) if isinstance(query, dict) else FieldQuery(fields=query)
        opts: dict = {
            "strict": strict,
            "normalize": normalize,
            "review_below": self.review_below,
            "per_field": self.per_field,
        }
        if copy is not None:
            opts["copy"] = copy
        result = extract(ocr, query, backend, **opts)
        result.timings["ocr_s"] = ocr_seconds(ocr)
        return result

    def run(
        self, source, query, *, name=None, page_range=None, strict=None, normalize=False, copy=None
    ) -> DocumentResult:
        """The per-document flow: OCR, then extraction; `extraction.timings` holds ocr_s (decode +
        OCR), llm_s and work_s (the whole document, locks waited for included)."""
        t0 = time.perf_counter()
        ocr = source if isinstance(source, OcrResult) else self.ocr(source, name=name, page_range=page_range)
        ext = self.extract_from_ocr(ocr, query, strict=strict, normalize=normalize, copy=copy)
        ext.timings["work_s"] = time.perf_counter() - t0
        return DocumentResult(ocr, ext)

    def extract(self, source, query, *, name=None, page_range=None, strict=None, normalize=False, copy=None):
        """`run(...)` for callers that need only the Extraction."""
        return self.run(
            source, query, name=name, page_range=page_range, strict=strict, normalize=normalize, copy=copy
        ).extraction


def backend_options(s: Settings) -> dict:
    """Constructor options of `s.backend` from the settings that apply to it."""
    opts: dict = {}
    if s.model:
        opts["model"] = s.model
    if s.backend == "transformers" and s.llm_threads:
        opts["threads"] = s.llm_threads
    if s.backend == "transformers" and s.llm_dtype != "auto":
        opts["dtype"] = s.llm_dtype
    if s.backend == "openai":
        if s.base_url:
            opts["base_url"] = s.base_url
        if s.api_key:
            opts["api_key"] = s.api_key
    return opts
