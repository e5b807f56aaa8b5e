"""Reading a page upright and at full resolution: turn photos taken sideways or upside down, and on
a large page (a receipt on a scanned A4 sheet, a 50-megapixel photo) detect text on a reduced copy of
only the region that holds it while every line is cut for recognition from the full-resolution page.

Orientation uses no extra model: a page turned by 90 or 270 degrees shows its text lines as tall
boxes, and which way up a line reads is told by the recogniser itself, which is far more confident
on upright text than on text turned by 180 degrees. (The text-line classifier that rapidocr ships,
ch_ppocr_mobile_v2.0_cls, tells only 0 from 180 and is trained on Chinese lines; the recogniser's
own confidence is sharper on Latin receipts and on mixed text, and costs a few crops.)

The engine (`RapidEngine`) supplies `detect`, `crops`, `recognize` and `read_lines`; this module only
decides.
"""

from __future__ import annotations

import numpy as np

from ..types import TextLine
from .reread import reread

TURN_CODES = {90: 0, 180: 1, 270: 2}  # cv2.ROTATE_90_CLOCKWISE, ROTATE_180, ROTATE_90_COUNTERCLOCKWISE
# Large pages: the detector sees the page at most this many pixels on its longer side (rapidocr's own
# Global.max_side_len), while every text line is cut for recognition from the full-resolution page.
DET_MAX_SIDE = 2000
# Where a page is larger than DET_MAX_SIDE, text is first found on a copy this size, and only the
# region that holds it (a receipt on a scanned A4 page) is detected and read at full resolution.
GLANCE_SIDE = 800
# On a large page, the region is detected at the scale where its text lines (as the glance found
# them) are about this many pixels high: receipt text scanned at 300 dpi needs no 2000 px to be found.
LINE_PX = 40
# Orientation: the lines whose crops are read both ways up to tell an upright page from one turned
# by 180 degrees, and the margin of mean recognition confidence that turning it must win by.
ORIENT_LINES = 6
ORIENT_MARGIN = 0.08


def box_sides(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each box's length along its first edge (the text direction of an upright line) and across it."""
    along = np.linalg.norm(boxes[:, 1] - boxes[:, 0], axis=1)
    across = np.linalg.norm(boxes[:, 3] - boxes[:, 0], axis=1)
    return along, across


def is_sideways(boxes: np.ndarray) -> bool:
    """Whether most clearly elongated text boxes are tall: the page is turned by 90 or 270 degrees."""
    along, across = box_sides(boxes)
    tall = int(np.sum(across >= 1.5 * along))
    wide = int(np.sum(along >= 1.5 * across))
    return tall >= 3 and tall > 2 * wide


def turn(bgr: np.ndarray, degrees: int) -> np.ndarray:
    """`bgr` turned clockwise by 0/90/180/270 degrees."""
    import cv2

    return bgr if degrees % 360 == 0 else cv2.rotate(bgr, TURN_CODES[degrees % 360])


def turn_rect(rect: tuple[int, int, int, int], w: int, h: int, degrees: int) -> tuple[int, int, int, int]:
    """A rectangle (x0, y0, x1, y1) of a w x h page, in the page turned clockwise by `degrees`."""
    x0, y0, x1, y1 = rect
    d = degrees % 360
    if d == 90:
        return h - y1, x0, h - y0, x1
    if d == 180:
        return w - x1, h - y1, w - x0, h - y0
    if d == 270:
        return y0, w - x1, y1, w - x0
    return rect


def text_region(boxes: np.ndarray, w: int, h: int) -> tuple[int, int, int, int]:
    """The rectangle holding every box, with a margin for lines the reduced copy may have missed."""
    _, across = box_sides(boxes)
    margin = max(0.02 * max(w, h), 3.0 * float(np.median(across)))
    x0, y0 = boxes[:, :, 0].min() - margin, boxes[:, :, 1].min() - margin
    x1, y1 = boxes[:, :, 0].max() + margin, boxes[:, :, 1].max() + margin
    return max(0, int(x0)), max(0, int(y0)), min(w, int(np.ceil(x1))), min(h, int(np.ceil(y1)))


def page_turn(engine, page: np.ndarray, boxes: np.ndarray, up_scores: list[float] | None = None) -> int:
    """Clockwise degrees that make `page` upright, from its detected boxes and the recogniser's
    confidence on the longest lines read as cut and turned by 180 degrees."""
    if len(boxes) == 0:
        return 0
    sideways = is_sideways(boxes)
    along, across = box_sides(boxes)
    length = np.maximum(along, across)
    keep = across >= 1.5 * along if sideways else along >= across
    idx = [i for i in np.argsort(-length) if keep[i]][:ORIENT_LINES]
    if not idx:
        return 0
    crops = engine.crops(page, boxes[idx])
    if up_scores is not None and not sideways:
        up = float(np.mean([up_scores[i] for i in idx]))
    else:
        up = float(np.mean(engine.recognize(crops)[1] or [0.0]))
    down = float(np.mean(engine.recognize([np.ascontiguousarray(c[::-1, ::-1]) for c in crops])[1] or [0.0]))
    flipped = down > up + ORIENT_MARGIN
    if sideways:
        # rapidocr cuts a tall box turned a quarter counter-clockwise: if that reads upright, the
        # page must turn the same way (270 clockwise); if it reads upside down, the other way.
        return 90 if flipped else 270
    return 180 if flipped else 0


def read_upright(engine, bgr: np.ndarray) -> tuple[list[TextLine], int]:
    """Lines of a BGR page read upright, and the clockwise turn applied (boxes in the turned page)."""
    h, w = bgr.shape[:2]
    region, det_side = (0, 0, w, h), DET_MAX_SIDE
    if engine.fit_text_region and max(h, w) > DET_MAX_SIDE:
        glance = engine.detect(bgr, GLANCE_SIDE)
        if len(glance):
            region = text_region(glance, w, h)
            line = float(np.median(box_sides(glance)[1]))
            side = max(region[2] - region[0], region[3] - region[1])
            det_side = min(DET_MAX_SIDE, max(GLANCE_SIDE, round(side * min(1.0, LINE_PX / line))))
    x0, y0, x1, y1 = region
    page = np.ascontiguousarray(bgr[y0:y1, x0:x1]) if region != (0, 0, w, h) else bgr
    boxes = engine.detect(page, det_side)
    if len(boxes) == 0:
        return [], 0
    # the first reading decides the turn; unsure lines are re-read only on the page as finally read
    txts, scores, chars = engine.recognize(engine.crops(page, boxes), chars=True)
    degrees = page_turn(engine, page, boxes, scores) if engine.auto_rotate else 0
    if degrees:
        bgr = turn(bgr, degrees)
        x0, y0, x1, y1 = turn_rect(region, w, h, degrees)
        page = np.ascontiguousarray(bgr[y0:y1, x0:x1])
        boxes = engine.detect(page, det_side)
        txts, scores, chars = engine.read_lines(page, boxes)
    elif engine.reread_below:
        txts, scores, chars = reread(engine, page, boxes, txts, scores, chars)
    boxes = boxes + np.array([x0, y0], np.float32)
    return lines_of(boxes, txts, scores, engine.text_score, chars), degrees


def lines_of(boxes, txts, scores, min_score: float, chars=None) -> list[TextLine]:
    """TextLines of the boxes read with text (blank readings and scores below `min_score` left out);
    `chars`: each reading's per-character confidences, where the recogniser gave them."""
    out = []
    chars = chars if chars is not None else [None] * len(txts)
    for box, txt, score, cs in zip(boxes, txts, scores, chars, strict=False):
        if not txt or not txt.strip() or score < min_score:
            continue
        out.append(
            TextLine(
                text=txt,
                box=[(float(x), float(y)) for x, y in box],
                score=float(min(1.0, score)),
                char_scores=cs,
            )
        )
    return out
