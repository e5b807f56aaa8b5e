"""OCR result types: the contract between the OCR stage and everything after it.

Boxes are four (x, y) points in page pixels, clockwise from top-left, as PP-OCR returns them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import BaseModel, Field, field_validator, model_validator

Point = tuple[float, float]


class TextLine(BaseModel):
    """One recognised text box."""

    text: str
    box: list[Point] = Field(min_length=4, max_length=4)
    score: float = Field(ge=0.0, le=1.0)
    # the recogniser's confidence of each character of `text`, where the engine reports them (a
    # mean `score` of 0.97 can hide one character read at 0.4: the usual OCR slip); None otherwise
    char_scores: list[float] | None = None

    @field_validator("box", mode="before")
    @classmethod
    def _coerce_box(cls, v):
        # to 1/100 px: engines hand float32 coordinates, which as Python floats print 16 digits
        return [(round(float(p[0]), 2), round(float(p[1]), 2)) for p in v]

    @model_validator(mode="after")
    def _fit_char_scores(self):
        # per character of the text, to 1/1000; a list that does not line up with the text says
        # nothing about any one character and is dropped
        if self.char_scores is not None:
            if len(self.char_scores) != len(self.text):
                self.char_scores = None
            else:
                self.char_scores = [round(min(1.0, max(0.0, float(c))), 3) for c in self.char_scores]
        return self

    def least_sure(self, start: int = 0, end: int | None = None) -> float:
        """The recogniser's confidence of the least sure character of text[start:end], spaces aside
        (a space is read from a gap, and is the least sure character of most lines); the line's
        score where the engine gave no per-character scores."""
        if self.char_scores is None:
            return self.score
        part = zip(self.text[start:end], self.char_scores[start:end], strict=True)
        sure = [c for ch, c in part if not ch.isspace()]
        return min(sure) if sure else self.score

    # Geometry helpers (kept on the type so grounding and reading order agree).
    @property
    def x_min(self) -> float:
        return min(p[0] for p in self.box)

    @property
    def x_max(self) -> float:
        return max(p[0] for p in self.box)

    @property
    def y_min(self) -> float:
        return min(p[1] for p in self.box)

    @property
    def y_max(self) -> float:
        return max(p[1] for p in self.box)

    @property
    def height(self) -> float:
        # Height measured perpendicular to the text direction, so a rotated line is not "tall".
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = self.box
        left = math.hypot(x3 - x0, y3 - y0)
        right = math.hypot(x2 - x1, y2 - y1)
        return max(1.0, (left + right) / 2)

    @property
    def center(self) -> Point:
        return (sum(p[0] for p in self.box) / 4, sum(p[1] for p in self.box) / 4)

    @property
    def angle(self) -> float:
        """Slope of the top edge in radians (0 for horizontal text)."""
        (x0, y0), (x1, y1) = self.box[0], self.box[1]
        if abs(x1 - x0) < 1e-6:
            return 0.0
        return math.atan2(y1 - y0, x1 - x0)


class OcrPage(BaseModel):
    """One page. `page` is its 1-based number in the source document: page 3 of a PDF is 3 even
    when only pages 3-4 were read, so every answer names the page a reader would turn to."""

    page: int = Field(ge=1)
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    lines: list[TextLine] = Field(default_factory=list)
    # Degrees (0, 90, 180, 270) the source page was turned clockwise to read it upright: width,
    # height and boxes are those of the turned page (a photo taken sideways reads as upright).
    rotation: int = 0

    @model_validator(mode="before")
    @classmethod
    def _legacy_index(cls, v):
        # OCR JSON written before pages were numbered from 1 (eval caches, generated datasets)
        # holds a 0-based `index` instead.
        if isinstance(v, dict) and "page" not in v and "index" in v:
            v = {k: x for k, x in v.items() if k != "index"} | {"page": int(v["index"]) + 1}
        return v


@dataclass(frozen=True)
class Span:
    """A character range [start, end) of rendered text that came from one OCR line."""

    start: int
    end: int
    page: int  # OcrPage.page: 1-based, in the source document
    line: int


class RenderedText(str):
    """`OcrResult.to_text()` output: a str that also carries the span → line mapping."""

    spans: tuple[Span, ...]

    def __new__(cls, text: str, spans: list[Span]):
        obj = super().__new__(cls, text)
        obj.spans = tuple(spans)
        return obj

    def lines_at(self, start: int, end: int) -> list[tuple[int, int]]:
        """(page, line) pairs whose span overlaps the character range [start, end)."""
        return [(s.page, s.line) for s in self.spans if s.start < end and start < s.end]


class OcrResult(BaseModel):
    pages: list[OcrPage] = Field(default_factory=list)
    engine: str = ""
    timings: dict[str, float] = Field(default_factory=dict)

    def page(self, page: int) -> OcrPage:
        """The page numbered `page` (1-based, in the source document)."""
        for p in self.pages:
            if p.page == page:
                return p
        raise KeyError(f"page {page} is not in this result (pages {[p.page for p in self.pages]})")

    def line(self, page: int, line: int) -> TextLine:
        return self.page(page).lines[line]

    def iter_lines(self):
        """(page number, line index on that page, line) for every line."""
        for p in self.pages:
            for i, ln in enumerate(p.lines):
                yield p.page, i, ln

    def to_text(self, page_separator: str = "\n\n") -> RenderedText:
        """Render all pages in reading order (see `ocr_stage.reading_order`)."""
        from .reading_order import render_pages

        return render_pages(self, page_separator=page_separator)

    def to_plain_text(self) -> str:
        """Engine order, one box per line (the naive rendering, kept for baselines)."""
        return "\n".join(ln.text for _, _, ln in self.iter_lines())
