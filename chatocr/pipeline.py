"""The composition root: one OCR engine and one LLM backend, built once, used for many documents."""

from __future__ import annotations

from collections.abc import Sequence

from ocr_stage import InputLimits, OcrEngine, OcrResult, get_engine, run_ocr

from .settings import Settings


class Pipeline:
    """OCR then extraction. Holds no per-request state, so one instance serves many callers."""

    def __init__(self, ocr_engine: OcrEngine, backend=None, limits: InputLimits | None = None):
        self.ocr_engine = ocr_engine
        self.backend = backend
        self.limits = limits or InputLimits()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, load_llm: bool = True) -> Pipeline:
        s = settings or Settings()
        engine_opts = {"threads": s.ocr_threads} if s.ocr_engine == "rapid" and s.ocr_threads else {}
        engine = get_engine(s.ocr_engine, **engine_opts)
        backend = None
        if load_llm:
            from llm_stage import get_backend

            backend = get_backend(s.backend, **_backend_options(s))
        limits = InputLimits(max_pixels=s.max_pixels, max_pages=s.max_pages, pdf_dpi=s.pdf_dpi)
        return cls(engine, backend, limits)

    def ocr(self, source, *, name: str | None = None, page_range: Sequence[int] | None = None) -> OcrResult:
        return run_ocr(source, self.ocr_engine, name=name, limits=self.limits, page_range=page_range)

    def extract_from_ocr(self, ocr: OcrResult, query, *, strict: bool = False, normalize: bool = False):
        from llm_stage import FieldQuery

        # The submodule, not `llm_stage.extract`: importing llm_stage.extract rebinds that package
        # attribute from the wrapper function to the module after the first call.
        from llm_stage.extract import extract

        if self.backend is None:
            raise RuntimeError("this pipeline was built without an LLM backend")
        if not isinstance(query, FieldQuery):
            query = FieldQuery(**query) if isinstance(query, dict) else FieldQuery(fields=query)
        return extract(ocr, query, self.backend, strict=strict, normalize=normalize)

    def extract(self, source, query, *, name=None, page_range=None, strict=False, normalize=False):
        ocr = self.ocr(source, name=name, page_range=page_range)
        result = self.extract_from_ocr(ocr, query, strict=strict, normalize=normalize)
        result.timings["ocr_s"] = ocr.timings.get("ocr_s", 0.0) + ocr.timings.get("decode_s", 0.0)
        return result


def _backend_options(s: Settings) -> dict:
    opts: dict = {}
    if s.model:
        opts["model"] = s.model
    if s.backend == "transformers" and s.llm_threads:
        opts["threads"] = s.llm_threads
    if s.backend == "openai":
        if s.base_url:
            opts["base_url"] = s.base_url
        if s.api_key:
            opts["api_key"] = s.api_key
    return opts
