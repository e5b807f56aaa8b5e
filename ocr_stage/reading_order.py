"""Reading-order rendering of OCR lines.

Engines return boxes in detection order, which on receipts splits `TOTAL      9.00` into two
lines far apart. We de-skew box centres by the page's median text angle, group boxes whose
centres sit on one visual row, and join each row left to right.
"""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING

from .types import RenderedText, Span, TextLine

if TYPE_CHECKING:
    from .types import OcrPage, OcrResult

# A box joins a row when its de-skewed centre is within this fraction of the text height
# of the row's centre line.
ROW_TOLERANCE = 0.55
# Gaps wider than this many text heights are rendered with two spaces, so that a label and
# a value far to its right stay visibly separate cells.
WIDE_GAP = 1.5


def page_skew(lines: list[TextLine]) -> float:
    """Median angle of boxes that are clearly horizontal text (wider than tall)."""
    angles = [
        ln.angle for ln in lines if (ln.x_max - ln.x_min) > 2 * ln.height and abs(ln.angle) < math.radians(30)
    ]
    return statistics.median(angles) if angles else 0.0


def group_rows(lines: list[TextLine]) -> list[list[int]]:
    """Indices of `lines` grouped into visual rows, rows top to bottom, boxes left to right."""
    if not lines:
        return []
    skew = page_skew(lines)
    c, s = math.cos(-skew), math.sin(-skew)

    def rot(p):
        return (p[0] * c - p[1] * s, p[0] * s + p[1] * c)

    centres = [rot(ln.center) for ln in lines]
    lefts = [min(rot(p)[0] for p in ln.box) for ln in lines]
    heights = [ln.height for ln in lines]
    order = sorted(range(len(lines)), key=lambda i: (centres[i][1], centres[i][0]))

    rows: list[dict] = []
    for i in order:
        y, h = centres[i][1], heights[i]
        best, best_d = None, None
        # Only the last few rows can still take a box (rows are created top to bottom).
        for r in rows[-4:]:
            tol = ROW_TOLERANCE * min(h, r["h"])
            d = abs(y - r["y"])
            if d <= tol and (best_d is None or d < best_d):
                best, best_d = r, d
        if best is None:
            rows.append({"y": y, "h": h, "items": [i]})
        else:
            n = len(best["items"])
            best["items"].append(i)
            best["y"] = (best["y"] * n + y) / (n + 1)
            best["h"] = (best["h"] * n + h) / (n + 1)
    rows.sort(key=lambda r: r["y"])
    return [sorted(r["items"], key=lambda i: lefts[i]) for r in rows]


def _render_page(page: OcrPage, offset: int, out: list[str], spans: list[Span]) -> int:
    lines = page.lines
    rows = group_rows(lines)
    for r_i, row in enumerate(rows):
        if r_i:
            out.append("\n")
            offset += 1
        prev: TextLine | None = None
        for i in row:
            ln = lines[i]
            if prev is not None:
                gap = ln.x_min - prev.x_max
                sep = "  " if gap > WIDE_GAP * min(ln.height, prev.height) else " "
                out.append(sep)
                offset += len(sep)
            out.append(ln.text)
            spans.append(Span(offset, offset + len(ln.text), page.index, i))
            offset += len(ln.text)
            prev = ln
    return offset


def render_pages(result: OcrResult, page_separator: str = "\n\n") -> RenderedText:
    out: list[str] = []
    spans: list[Span] = []
    offset = 0
    for k, page in enumerate(result.pages):
        if k:
            out.append(page_separator)
            offset += len(page_separator)
        offset = _render_page(page, offset, out, spans)
    return RenderedText("".join(out), spans)
