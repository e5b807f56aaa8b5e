"""Reading-order rendering of OCR lines.

Engines return boxes in detection order, which on receipts splits `TOTAL      9.00` into two
lines far apart. We de-skew boxes by the page's median text angle, chain boxes that sit on one
visual row, and join each row left to right. Rows of one printed block keep their print order:
boxes stacked above each other never share a row (a centred header of tightly set rows), and a
logo or big store name beside several rows is read as a row of its own before them, not inside one.
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
# A box at least this many times taller than wide, with 2-4 characters, is a vertical label: a side
# label such as 购买方/销售方/密码区 on VAT invoices, written top to bottom beside the block it names.
# It is read at the start of the first row it spans ("购买方 名称：…"), as a person reads it, instead
# of as a row of its own below that row. Longer vertical text (a margin note) keeps its own row, and
# nothing moves on a page where tall boxes are not a minority (a page photographed sideways).
VERTICAL_RATIO = 1.5
VERTICAL_LABEL_CHARS = (2, 4)
MAX_VERTICAL_SHARE = 0.25
# ... the first row whose own height it overlaps by at least this fraction
VERTICAL_ROW_OVERLAP = 0.3
# Two boxes sit above each other, never on one row, when one covers at least this share of the other's
# width and their centres are at least this many text heights apart. Without it, tightly set centred
# rows (each box overlapping the next by 40 % once the detector has grown them) chained into one
# "row" read left to right, widest first: `KLANG SELANGOR D.E, MALAYSIA BANDAR BUKIT RAJA, 41050
# No: 28, JALAN ASTANA 1C,`. Neighbouring words of one row overlap a little, at the same height.
STACKED_X_OVERLAP = 0.5
STACKED_OFFSET = 0.25
# A box at least this many times the page's median text height that covers two or more rows beside
# it is a row of its own: read just before the first row it covers when it stands left of them (a
# logo, a big store name beside the header), just after the last when right of them (a stamp).
TALL_RATIO = 1.8
TALL_ROW_COVER = 0.5


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
    vertical = {
        i
        for i, ln in enumerate(lines)
        if VERTICAL_LABEL_CHARS[0] <= len(ln.text.replace(" ", "")) <= VERTICAL_LABEL_CHARS[1]
        and ext[i][3] - ext[i][2] >= VERTICAL_RATIO * (ext[i][1] - ext[i][0])
    }
    if len(vertical) > MAX_VERTICAL_SHARE * len(lines):
        vertical = set()
    flat = [i for i in range(len(lines)) if i not in vertical]
    med_h = statistics.median(ext[i][3] - ext[i][2] for i in flat) if flat else 0.0
    tall = {i for i in flat if ext[i][3] - ext[i][2] >= TALL_RATIO * med_h}
    if len(tall) > MAX_VERTICAL_SHARE * len(flat):
        tall = set()
    order = sorted((i for i in flat if i not in tall), key=lambda i: (ext[i][0], ext[i][2]))
    rows: list[list[int]] = []

    def stacked(i: int, j: int) -> bool:
        (l1, r1, t1, b1), (l2, r2, t2, b2) = ext[i], ext[j]
        x_overlap = min(r1, r2) - max(l1, l2)
        offset = abs((t1 + b1) - (t2 + b2)) / 2
        return x_overlap > STACKED_X_OVERLAP * max(
            1.0, min(r1 - l1, r2 - l2)
        ) and offset > STACKED_OFFSET * max(1.0, min(b1 - t1, b2 - t2))

    def chain(i: int) -> None:
        left, right, top, bottom = ext[i]
        best, best_ratio = None, MIN_ROW_OVERLAP
        for row in rows:
            _, _, t, b = ext[row[-1]]
            overlap = min(bottom, b) - max(top, t)
            ratio = overlap / max(1.0, bottom - top, b - t)
            if any(stacked(i, j) for j in row):
                continue  # above or below one of that row's boxes, not beside it
            if ratio >= best_ratio and (best is None or ratio > best_ratio):
                best, best_ratio = row, ratio
        if best is None:
            rows.append([i])
        else:
            best.append(i)
            best.sort(key=lambda j: ext[j][0])

    for i in order:
        chain(i)

    def covered(i: int, row: list[int]) -> bool:
        t, b = min(ext[j][2] for j in row), max(ext[j][3] for j in row)
        return min(b, ext[i][3]) - max(t, ext[i][2]) >= TALL_ROW_COVER * max(1.0, b - t)

    anchor: dict[int, tuple[list[int], float]] = {}  # a tall box's own row -> (the row it follows, ±)

    def row_y(row: list[int]) -> float:
        if id(row) in anchor:
            base, shift = anchor[id(row)]
            return row_y(base) + shift
        own = [i for i in row if i not in vertical] or row
        return statistics.median((ext[i][2] + ext[i][3]) / 2 for i in own)

    # a tall box beside two or more rows is a row of its own, before or after them; one that sits on
    # a single row (a big TOTAL amount) joins it
    base_rows = list(rows)
    for i in sorted(tall, key=lambda i: (ext[i][2], ext[i][0])):
        beside = [r for r in base_rows if covered(i, r)]
        if len(beside) < 2:
            chain(i)
            continue
        rows.append([i])
        middle = statistics.median((ext[j][0] + ext[j][1]) / 2 for r in beside for j in r)
        if (ext[i][0] + ext[i][1]) / 2 < middle:
            anchor[id(rows[-1])] = (min(beside, key=row_y), -1e-3)
        else:
            anchor[id(rows[-1])] = (max(beside, key=row_y), 1e-3)

    def spans(i: int, row: list[int]) -> bool:
        own = [j for j in row if j not in vertical]
        if not own:
            return False
        t, b = min(ext[j][2] for j in own), max(ext[j][3] for j in own)
        return min(b, ext[i][3]) - max(t, ext[i][2]) >= VERTICAL_ROW_OVERLAP * max(1.0, b - t)

    # each vertical label joins the topmost row it spans, in x order
    for i in sorted(vertical, key=lambda i: (ext[i][2], ext[i][0])):
        spanned = [r for r in rows if spans(i, r)]
        if spanned:
            row = min(spanned, key=row_y)
            row.append(i)
            row.sort(key=lambda j: ext[j][0])
        else:
            rows.append([i])

    rows.sort(key=lambda r: (row_y(r), ext[r[0]][0]))
    return rows


def _sep(prev: TextLine, ln: TextLine) -> str:
    """Two spaces between boxes of one row that a wide gap separates (a label and its amount)."""
    return "  " if ln.x_min - prev.x_max > WIDE_GAP * min(ln.height, prev.height) else " "


def row_texts(page: OcrPage) -> list[tuple[list[int], str]]:
    """The page's rows in reading order: (line indices, the row's text as `to_text` writes it)."""
    out = []
    for row in group_rows(page.lines):
        parts: list[str] = []
        for k, i in enumerate(row):
            if k:
                parts.append(_sep(page.lines[row[k - 1]], page.lines[i]))
            parts.append(page.lines[i].text)
        out.append((row, "".join(parts)))
    return out


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
                sep = _sep(prev, ln)
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
