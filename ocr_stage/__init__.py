"""OCR stage: document decoding, PP-OCR engines, and the OcrResult types."""

from __future__ import annotations

from .engines import OcrEngine, OcrEngineError, UnknownEngineError, available_engines, get_engine
from .inputs import DOCUMENT_SUFFIXES, InputError, InputLimits, InputTooLarge, load_document
from .types import OcrPage, OcrResult, RenderedText, Span, TextLine


def run_ocr(
    source, engine: str | OcrEngine = "rapid", *, name=None, limits=None, page_range=None, on_decoded=None
) -> OcrResult:
    """Decode `source` and run OCR on every page (`page_range`: 0-based indices). Each OcrPage's
    `page` is its 1-based number in the source document. `on_decoded()` is called once the document
    has decoded without error, before recognition (the CLI starts loading its LLM there)."""
    import time

    t0 = time.perf_counter()
    pages = load_document(source, name=name, limits=limits, page_range=page_range)
    t1 = time.perf_counter()
    if on_decoded is not None:
        on_decoded()
    numbers = [i + 1 for i in page_range] if page_range is not None else None
    result = get_engine(engine).run(pages, numbers)
    result.timings["decode_s"] = t1 - t0
    return result


__all__ = [
    "DOCUMENT_SUFFIXES",
    "InputError",
    "InputLimits",
    "InputTooLarge",
    "OcrEngine",
    "OcrEngineError",
    "OcrPage",
    "OcrResult",
    "RenderedText",
    "Span",
    "TextLine",
    "UnknownEngineError",
    "available_engines",
    "get_engine",
    "load_document",
    "run_ocr",
]
