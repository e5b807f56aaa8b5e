"""The OCR engine interface and the registry of engines by name."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from PIL import Image

from ..types import OcrPage, OcrResult, TextLine

# How far a detected text region is grown before its crop is recognised, for both engines (they run
# the same PP-OCR detection models). rapidocr's default (1.6) clips the edge characters of text on
# real photos and scans; 1.8 reads more of the labelled values verbatim on real receipts and
# invoices (`python -m bench.ocr_verbatim`: SROIE dev 77 -> 79 of 84, 40 further real receipts
# 139 -> 142 of 160, VAT dev edits 36 -> 34) at the same speed, and is level on rendered synthetic
# documents (549 -> 548 of 557).
DET_UNCLIP_RATIO = 1.8


class OcrEngineError(RuntimeError):
    """An engine cannot start (missing model file or package); the message says how to fix it."""


class UnknownEngineError(ValueError):
    pass


class OcrEngine(ABC):
    """Detect and recognise text on RGB pages. Subclasses implement `recognize_page`."""

    name: str = "base"
    # what, besides the name, changes this engine's output (model settings); part of `cache_name`
    settings_tag: str = ""
    # whether its lines carry the recogniser's per-character confidences (TextLine.char_scores)
    char_scores: bool = False

    @property
    def cache_name(self) -> str:
        """The name an OCR cache files this engine's results under: a settings change is a new name."""
        return f"{self.name}-{self.settings_tag}" if self.settings_tag else self.name

    @abstractmethod
    def recognize_page(self, image: Image.Image) -> list[TextLine]:
        """Text lines of one RGB page, boxes in that page's pixels."""

    def read_page(self, image: Image.Image) -> tuple[list[TextLine], int]:
        """Text lines of one RGB page and the clockwise degrees (0/90/180/270) it was turned to read
        it upright; boxes are in the turned page's pixels. Engines that do not turn pages: 0."""
        return self.recognize_page(image), 0

    def run(self, pages: Sequence[Image.Image], page_numbers: Sequence[int] | None = None) -> OcrResult:
        """OCR every page; `page_numbers` are their 1-based numbers in the source (default 1, 2, …)."""
        t0 = time.perf_counter()
        numbers = list(page_numbers) if page_numbers is not None else list(range(1, len(pages) + 1))
        if len(numbers) != len(pages):
            raise ValueError(f"{len(pages)} pages but {len(numbers)} page numbers")
        out = []
        for n, img in zip(numbers, pages, strict=True):
            lines, rotation = self.read_page(img)
            w, h = (img.height, img.width) if rotation in (90, 270) else (img.width, img.height)
            out.append(OcrPage(page=n, width=w, height=h, lines=lines, rotation=rotation))
        return OcrResult(pages=out, engine=self.name, timings={"ocr_s": time.perf_counter() - t0})


_REGISTRY: dict[str, Callable[..., OcrEngine]] = {}


def register_engine(name: str, factory: Callable[..., OcrEngine]) -> None:
    _REGISTRY[name] = factory


def available_engines() -> list[str]:
    return sorted(_REGISTRY)


def get_engine(name_or_engine: str | OcrEngine = "rapid", **options) -> OcrEngine:
    """An engine by registry name (options go to its constructor), or a ready instance as is."""
    if isinstance(name_or_engine, OcrEngine):
        return name_or_engine
    try:
        factory = _REGISTRY[name_or_engine]
    except KeyError:
        raise UnknownEngineError(
            f"unknown OCR engine {name_or_engine!r}; choose one of {', '.join(available_engines())}"
        ) from None
    return factory(**options)
