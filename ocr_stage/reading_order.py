"""Reading-order rendering of OCR lines.

Engines return boxes in detection order, which on receipts splits `TOTAL      9.00` into two
lines far apart. We de-skew boxes by the page's median text angle, chain boxes that sit on one
visual row, and join each row left to right.
"""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING

from .types import RenderedText, Span, TextLine

if TYPE_CHECKING:
    from .types import OcrPage, OcrResult

# A box joins a row when its de-skewed vertical extent overlaps that of the row's last box by at
# least this fraction of the taller of the two (so a tall box, a vertical label or a stamp, does
# not swallow the rows beside it).
MIN_ROW_OVERLAP = 0.4
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
    """Indices of `lines` grouped into visual rows, rows top to bottom, boxes left to right.

    Boxes are taken left to right and each is chained to the row whose last box it overlaps most
    vertically. Comparing with the row's last box (not a row-wide band) follows rows that drift on
    photographed or curved pages, and a stray tall box between two rows (the vertical 密码区 label
    on VAT invoices) cannot pull the row below it into the row above.
    """
    if not lines:
        return []
    skew = page_skew(lines)
    c, s = math.cos(-skew), math.sin(-skew)

    def extent(ln: TextLine) -> tuple[float, float, float, float]:
        xs = [p[0] * c - p[1] * s for p in ln.box]
        ys = [p[0] * s + p[1] * c for p in ln.box]
        return min(xs), max(xs), min(ys), max(ys)

    ext = [extent(ln) for ln in lines]
    order = sorted(range(len(lines)), key=lambda i: (ext[i][0], ext[i][2]))
    rows: list[list[int]] = []
    for i in order:
        _, _, top, bottom = ext[i]
        best, best_ratio = None, MIN_ROW_OVERLAP
        for row in rows:
            _, _, t, b = ext[row[-1]]
            overlap = min(bottom, b) - max(top, t)
            ratio = overlap / max(1.0, bottom - top, b - t)
            if ratio >= best_ratio and (best is None or ratio > best_ratio):
                best, best_ratio = row, ratio
        if best is None:
            rows.append([i])
        else:
            best.append(i)

    def row_y(row: list[int]) -> float:
        return statistics.median((ext[i][2] + ext[i][3]) / 2 for i in row)

    rows.sort(key=lambda r: (row_y(r), ext[r[0]][0]))
    return rows


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
            spans.append(Span(offset, offset + len(ln.text), page.page, i))
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
