"""A second look at the lines the recogniser is unsure of.

The recogniser reports a confidence for every character it emits. A line whose least sure character
(spaces aside: a space is read from a gap, and is the least sure character of most lines) falls
below `RapidEngine(reread_below=...)` is cut again from the page and read once more. The second
reading replaces the first when it is more confident on average, differs in more than its spaces,
and has no fewer characters (leaving an unsure character out raises a mean confidence by itself).
The second cut differs from the first in two ways:

- the box is grown along its text direction by `PAD` line heights on each side, but never more than
  half-way to another box on the same row (so a neighbouring word is not taken in): the detector's box
  can end inside the first or last character, which is then dropped or misread;
- a cut taller than the recogniser's input height is shrunk to that height by area averaging before
  the recogniser sees it (the recogniser's own bilinear resize aliases thin strokes on large text).

Only a few lines of a page qualify, so the second look costs a fraction of the recognition time.
The engine (`RapidEngine`) supplies `crops` and `recognize`; this module only decides.
"""

from __future__ import annotations

import numpy as np

# how far a re-read box is grown along its text direction, in line heights on each side
PAD = 0.5
# another box counts as on the same row when it overlaps this share of the line's height
SAME_ROW = 0.3
# the recogniser's input height (rapidocr's Rec.rec_img_shape)
REC_HEIGHT = 48


def _frame(box: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Unit vectors along and across a box's text direction, and its height."""
    u, v = box[1] - box[0], box[3] - box[0]
    h = float(np.linalg.norm(v))
    return u / max(1e-6, float(np.linalg.norm(u))), v / max(1e-6, h), h


def grown_box(boxes: np.ndarray, i: int, pad: float = PAD) -> np.ndarray:
    """Box `i` of `boxes` (N, 4, 2) grown along its text direction by `pad` line heights on each side,
    at most half-way to the nearest other box on its row."""
    b = boxes[i].astype(np.float32)
    u, v, h = _frame(b)
    pu, pv = b @ u, b @ v
    lo, hi, vlo, vhi = pu.min(), pu.max(), pv.min(), pv.max()
    left = right = pad * h
    for j, other in enumerate(boxes):
        if j == i:
            continue
        ou, ov = other @ u, other @ v
        if min(vhi, ov.max()) - max(vlo, ov.min()) < SAME_ROW * (vhi - vlo):
            continue
        if ou.max() <= lo + 0.5 * h:
            left = min(left, max(0.0, float(lo - ou.max()) / 2))
        elif ou.min() >= hi - 0.5 * h:
            right = min(right, max(0.0, float(ou.min() - hi) / 2))
    return np.array([b[0] - u * left, b[1] + u * right, b[2] + u * right, b[3] - u * left], np.float32)


def fit_height(crop: np.ndarray, height: int = REC_HEIGHT) -> np.ndarray:
    """A cut taller than the recogniser's input shrunk to it by area averaging; others as they are."""
    import cv2

    h, w = crop.shape[:2]
    if h <= height:
        return crop
    return cv2.resize(crop, (max(1, round(w * height / h)), height), interpolation=cv2.INTER_AREA)


def least_sure(text: str, confs: list[float] | None) -> float:
    """The lowest confidence among a reading's characters other than spaces (1 for a reading of
    spaces only, 0 for an empty one)."""
    if not text or not confs:
        return 0.0
    if len(confs) != len(text):
        return float(min(confs))
    sure = [c for ch, c in zip(text, confs, strict=True) if not ch.isspace()]
    return float(min(sure)) if sure else 1.0


def reread(
    engine,
    page: np.ndarray,
    boxes: np.ndarray,
    txts: list[str],
    scores: list[float],
    chars: list[list[float] | None],
) -> tuple[list[str], list[float], list[list[float] | None]]:
    """`txts`, `scores` and per-character confidences `chars` with every line whose least sure
    character is below `engine.reread_below` read again from a wider cut, the second reading kept
    where it is more confident, differs in more than spaces and has no fewer characters."""
    low = [i for i, t in enumerate(txts) if t.strip() and least_sure(t, chars[i]) < engine.reread_below]
    if not low:
        return txts, scores, chars
    cuts = engine.crops(page, np.stack([grown_box(boxes, i) for i in low]))
    again, again_scores, again_chars = engine.recognize(
        [np.ascontiguousarray(fit_height(c)) for c in cuts], chars=True
    )
    txts, scores, chars = list(txts), list(scores), list(chars)
    for i, t, s, c in zip(low, again, again_scores, again_chars, strict=True):
        again_text, first_text = "".join(t.split()), "".join(txts[i].split())
        # a mean confidence rises when an unsure character is left out: a reading with fewer
        # characters than the first is no evidence that it is right
        if s > scores[i] and again_text != first_text and len(again_text) >= len(first_text):
            txts[i], scores[i], chars[i] = t, s, c
    return txts, scores, chars
