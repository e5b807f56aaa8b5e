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

from ocr_stage import InputError, InputLimits, OcrEngine, OcrResult, available_engines, get_engine, run_ocr

from .quiet import quiet_loading
from .settings import Settings

# Pipeline(): the engine and backend that the settings (CHATOCR_* variables) name
DEFAULT = "default"


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
        model = getattr(model, "lock_target", model)  # a per-request wrapper shares its model's lock
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
        ocr_engine: OcrEngine | str | None = DEFAULT,
        backend=DEFAULT,
        limits: InputLimits | None = None,
        *,
        backend_factory: Callable[[], Any] | None = None,
        review_below: float | None = None,
        repairs: str | None = None,
        ocr_factory: Callable[[], OcrEngine] | None = None,
        per_field: bool | None = None,
    ):
        """`Pipeline()` is the default pipeline (CHATOCR_* settings: the shipped OCR models and the
        embedded model, loaded on first use, quietly). `ocr_engine` and `backend` take a ready
        instance, a registry name ("rapid", "paddle"; "transformers", "openai", …), DEFAULT, or None
        for no such stage."""
        settings = None
        if isinstance(ocr_engine, str) or (isinstance(backend, str) and backend_factory is None):
            settings = Settings()
        if isinstance(ocr_engine, str):
            name = settings.ocr_engine if ocr_engine == DEFAULT else ocr_engine
            with quiet_loading():
                ocr_engine = get_engine(name, **settings.engine_options())
        if isinstance(backend, str):
            if backend_factory is None:
                s = settings if backend == DEFAULT else settings.with_options(backend=backend)
                backend_factory = llm_factory(s)
                if review_below is None:
                    review_below = s.review_below
                if repairs is None:
                    repairs = s.repairs
            backend = None
        self._ocr_engine = ocr_engine
        self._ocr_factory = ocr_factory
        self._ocr_guard = threading.Lock()
        self.review_below = review_below
        self.repairs = repairs  # the repairs preset (llm_stage.repairs); None: its default
        self.per_field = per_field
        self._backend = backend
        self._backend_factory = backend_factory
        self._backend_guard = threading.Lock()
        self.limits = limits or (settings.limits() if settings is not None else InputLimits())

    @property
    def ocr_engine(self) -> OcrEngine | None:
        if self._ocr_engine is None and self._ocr_factory is not None:
            with self._ocr_guard:
                if self._ocr_engine is None:
                    self._ocr_engine = self._ocr_factory()
        return self._ocr_engine

    @ocr_engine.setter
    def ocr_engine(self, value: OcrEngine | None) -> None:
        self._ocr_engine = value

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

    def load_in_background(self) -> threading.Thread:
        """Start loading the LLM backend on a daemon thread, so that it loads while the document is
        decoded and read (the CLI's cold start); `backend` waits for it. A failure is left for
        `backend` to raise again where the caller asks for it."""

        def load():
            try:
                self.backend  # noqa: B018 (the property loads and keeps the backend)
            except Exception:
                pass

        t = threading.Thread(target=load, name="chatocr-load-llm", daemon=True)
        t.start()
        return t

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        load_llm: bool = True,
        lazy_llm: bool = False,
        load_ocr: bool = True,
        lazy_ocr: bool = False,
    ) -> Pipeline:
        """The pipeline `settings` describe. `lazy_llm`: the backend's name is checked now, the model
        loaded on first use; `lazy_ocr` the same for the OCR engine. `load_ocr=False`: no OCR engine
        (a stage that only reads OcrResults)."""
        s = settings or Settings()
        engine, ocr_factory = None, None
        if load_ocr and lazy_ocr:
            if s.ocr_engine not in available_engines():
                get_engine(s.ocr_engine)  # raises the unknown-engine error now, before any loading

            def ocr_factory():
                with quiet_loading():
                    return get_engine(s.ocr_engine, **s.engine_options())

        elif load_ocr:
            with quiet_loading():
                engine = get_engine(s.ocr_engine, **s.engine_options())
        if not load_llm:
            return cls(engine, None, s.limits(), ocr_factory=ocr_factory)
        factory = llm_factory(s)
        if lazy_llm:
            return cls(
                engine,
                None,
                s.limits(),
                backend_factory=factory,
                review_below=s.review_below,
                repairs=s.repairs,
                per_field=s.per_field,
                ocr_factory=ocr_factory,
            )
        return cls(
            engine,
            factory(),
            s.limits(),
            review_below=s.review_below,
            repairs=s.repairs,
            per_field=s.per_field,
            ocr_factory=ocr_factory,
        )

    @classmethod
    def for_stage(cls, settings: Settings, stage: str) -> Pipeline:
        """The part of the pipeline one stage of a distributed run needs (chatocr.batch.ray_runner, Ray
        Serve): `ocr` loads only the OCR engine, `llm` only the LLM backend; the per-document code
        (`ocr`, `extract_from_ocr`, `run`) is this class's, unchanged."""
        if stage == "ocr":
            return cls.from_settings(settings, load_llm=False)
        if stage == "llm":
            return cls.from_settings(settings, load_ocr=False)
        raise ValueError(f"unknown pipeline stage {stage!r}; choose ocr or llm")

    def ocr(
        self,
        source,
        *,
        name: str | None = None,
        page_range: Sequence[int] | None = None,
        on_decoded: Callable[[], Any] | None = None,
    ) -> OcrResult:
        """Decode and OCR `source`; page_range holds 0-based page indices, and each OcrPage's `page`
        is its 1-based page number in the source document. `on_decoded()` runs between decoding
        and recognition."""
        engine = self.ocr_engine
        if engine is None:
            raise RuntimeError("this pipeline was built without an OCR engine")
        try:
            with MODEL_LOCKS(engine):
                return run_ocr(
                    source,
                    engine,
                    name=name,
                    limits=self.limits,
                    page_range=page_range,
                    on_decoded=on_decoded,
                )
        except (OSError, SyntaxError, EOFError) as e:
            # Pillow raises these for some truncated files before the decoder's own checks run.
            raise InputError(f"{name or source}: the document data is corrupt or truncated ({e})") from None

    def extract_from_ocr(
        self, ocr: OcrResult, query, *, strict=None, normalize=False, copy=None, repairs=None
    ):
        """The answer to `query` (a FieldQuery, a list of field names, a comma list, or a dict like
        {"question": …}) from an OCR result. Fields and a question together: the fields are read as
        asked and the question is answered too, as the field `answer` (two calls to the model, each
        in the form it was trained on)."""
        from llm_stage import FieldQuery, QueryError

        # The submodule, not `llm_stage.extract`: importing llm_stage.extract rebinds that package
        # attribute from the wrapper function to the module after the first call.
        from llm_stage.extract import extract

        backend = self.backend
        if backend is None:
            raise RuntimeError("this pipeline was built without an LLM backend")
        query = as_query(query)
        opts: dict = {
            "strict": strict,
            "normalize": normalize,
            "review_below": self.review_below,
            "per_field": self.per_field,
        }
        if copy is not None:
            opts["copy"] = copy
        if (repairs or self.repairs) is not None:
            opts["repairs"] = repairs or self.repairs
        if query.fields and query.question:
            if "answer" in (k.casefold() for k in query.fields):
                raise QueryError(
                    "a question is answered as the field 'answer', which is also asked as a field; "
                    "rename that field or ask the question apart"
                )
            fields = extract(ocr, FieldQuery(fields=query.fields, hints=query.hints), backend, **opts)
            asked = extract(ocr, FieldQuery(question=query.question), backend, **opts)
            result = merge_answer(fields, asked)
        else:
            result = extract(ocr, query, backend, **opts)
        if not normalize:  # grounding fills a canonical form; the answer shows it only when asked
            for fv in result.fields.values():
                fv.normalized = None
        result.timings["ocr_s"] = ocr_seconds(ocr)
        return result

    def run(
        self,
        source,
        query,
        *,
        name=None,
        page_range=None,
        strict=None,
        normalize=False,
        copy=None,
        repairs=None,
    ) -> DocumentResult:
        """The per-document flow: OCR, then extraction; `extraction.timings` holds ocr_s (decode +
        OCR), llm_s and work_s (the whole document, locks waited for included)."""
        t0 = time.perf_counter()
        ocr = source if isinstance(source, OcrResult) else self.ocr(source, name=name, page_range=page_range)
        ext = self.extract_from_ocr(
            ocr, query, strict=strict, normalize=normalize, copy=copy, repairs=repairs
        )
        ext.timings["work_s"] = time.perf_counter() - t0
        return DocumentResult(ocr, ext)

    def extract(
        self,
        source,
        query,
        *,
        name=None,
        page_range=None,
        strict=None,
        normalize=False,
        copy=None,
        repairs=None,
    ):
        """`run(...)` for callers that need only the Extraction."""
        return self.run(
            source,
            query,
            name=name,
            page_range=page_range,
            strict=strict,
            normalize=normalize,
            copy=copy,
            repairs=repairs,
        ).extraction

    def run_pages(
        self,
        source,
        query,
        *,
        name=None,
        page_range=None,
        strict=None,
        normalize=False,
        copy=None,
        repairs=None,
    ) -> list[DocumentResult]:
        """`run` with one answer per page (`--split-pages`, the API's `per_page`): for a PDF that holds
        several documents. The document is read and OCRed once; each page is then asked on its own."""
        ocr = source if isinstance(source, OcrResult) else self.ocr(source, name=name, page_range=page_range)
        return [
            self.run(part, query, strict=strict, normalize=normalize, copy=copy, repairs=repairs)
            for part in split_pages(ocr)
        ]


def backend_options(s: Settings) -> dict:
    """Constructor options of `s.backend` from the settings that apply to it."""
    opts: dict = {}
    if s.model:
        opts["model"] = s.model
    if s.backend == "transformers" and s.llm_threads:
        opts["threads"] = s.llm_threads
    if s.backend == "transformers" and s.llm_dtype != "auto":
        opts["dtype"] = s.llm_dtype
    if s.backend == "transformers" and s.items_adapter:
        opts["items_adapter"] = s.items_adapter
    if s.backend == "openai":
        if s.base_url:
            opts["base_url"] = s.base_url
        if s.api_key:
            opts["api_key"] = s.api_key
    return opts


def llm_factory(s: Settings) -> Callable[[], Any]:
    """A function that loads the LLM backend `s` names (quietly); the name is checked now."""
    from llm_stage.backends import UnknownBackendError, available_backends

    if s.backend not in available_backends():
        raise UnknownBackendError(
            f"unknown LLM backend {s.backend!r}; choose one of {', '.join(available_backends())}"
        )

    def factory():
        from llm_stage import get_backend

        with quiet_loading():
            return get_backend(s.backend, **backend_options(s))

    return factory


def as_query(query):
    """`query` as a FieldQuery: a FieldQuery, a dict of its fields, a list of names or a comma list."""
    from llm_stage import FieldQuery

    if isinstance(query, FieldQuery):
        return query
    if isinstance(query, dict):
        return FieldQuery(**query)
    return FieldQuery(fields=query)


def merge_answer(fields, asked):
    """The Extraction of a field query with the question's `answer` added after the fields."""
    fields.fields["answer"] = asked.fields["answer"]
    fields.raw_output = f"{fields.raw_output}\n{asked.raw_output}"
    for k in ("llm_s", "tokens", "ground_s"):
        if k in asked.timings:
            fields.timings[k] = fields.timings.get(k, 0.0) + asked.timings[k]
    fields.flags = list(dict.fromkeys([*fields.flags, *asked.flags]))
    fields.error = fields.error or asked.error
    fields.attempts += asked.attempts
    fields.repairs = [*fields.repairs, *asked.repairs]
    if "answer" in asked.features:
        fields.features["answer"] = asked.features["answer"]
    return fields


def split_pages(ocr: OcrResult) -> list[OcrResult]:
    """One OcrResult per page (the OCR time shared out evenly), for one answer per page: a PDF that
    holds several documents (a scanned stack of receipts)."""
    n = len(ocr.pages)
    timings = {k: v / max(1, n) for k, v in ocr.timings.items()}
    return [OcrResult(pages=[p], engine=ocr.engine, timings=dict(timings)) for p in ocr.pages]
