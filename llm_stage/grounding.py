"""Grounding: find the OCR line(s) each extracted value was read from.

A value is matched in tiers, the first tier that finds it wins:
  1. exact substring of one line                                      score 1.00
  2. substring after normalisation (width, case, spaces, ￥/¥)          score 0.98
  3. normalised substring of the rendered text across adjacent lines   score 0.97
     (a two-box row "BOOK TA .K" + "SDN BHD", a multi-row address)
  4. same amount / same date as one printed on a line                  score 0.95
     ("3495.00" vs "￥3,495.00" or 叁仟肆佰玖拾伍圆整; "2016-06-12" vs 2016年06月12日)
  5. fuzzy: rapidfuzz similarity on normalised text, one line or a window of the rendered text,
     with digit-heavy values penalised twice as hard (a changed digit is a different value), and
     values that are just a number or a date capped at 0.5 (tier 4 already looked for them).
A value is grounded when its match score reaches `min_score`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from pydantic import ValidationError
from rapidfuzz import fuzz

from .items import coerce_items, is_items_field
from .normalize import _norm_char, canonical_value, find_amounts, find_dates, normalize_amount, normalize_date
from .types import ITEM_KEYS, FieldValue, ItemRecord
from .value_rules import cuts_number

if TYPE_CHECKING:  # ocr_stage's package import pulls image decoding; grounding needs only its types
    from ocr_stage.types import OcrResult, RenderedText, TextLine

__all__ = ["LineMatch", "OcrIndex", "best_line_match", "ground_value", "ground_values"]

Point = tuple[float, float]

SCORE_EXACT = 1.0
SCORE_NORMALIZED = 0.98
SCORE_MULTILINE = 0.97
SCORE_SEMANTIC = 0.95
FUZZY_CAP_EXACT_KINDS = 0.5
# Fuzzy matching over the rendered text is tried when no single line scores this well.
_WINDOW_TRY_BELOW = 0.9
_MONTH_WORDS = re.compile(
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|am|pm|st|nd|rd|th"
)


@dataclass(frozen=True)
class LineMatch:
    """Where a value was found: page, the line indices used on it, and how well it matched."""

    page: int
    lines: tuple[int, ...]
    score: float
    method: str
    box: list[Point]
    ocr_score: float
    # the recogniser's confidence of the value's least sure character on those lines (the line's
    # score where the engine gave none per character)
    char_score: float | None = None


def _gnorm(s: str) -> str:
    """Grounding form: per-character NFKC/casefold/punctuation, all whitespace dropped."""
    return "".join(o for c in s if not c.isspace() for o in _norm_char(c) if not o.isspace())


def _gnorm_mapped(s: str) -> tuple[str, list[int]]:
    """`_gnorm(s)` plus, for each output character, the index of the input character it came from."""
    out: list[str] = []
    idx: list[int] = []
    for i, c in enumerate(s):
        if c.isspace():
            continue
        for o in _norm_char(c):
            if not o.isspace():
                out.append(o)
                idx.append(i)
    return "".join(out), idx


def _span_of(text: str, value: str, least: int = 2) -> tuple[int, int] | None:
    """Where on one line `value` is printed: the whole value, or for a value that runs over lines
    the longest head of it that ends the line or tail of it that starts the line (at least `least`
    characters); None when neither."""
    pos = text.find(value)
    if pos >= 0:
        return pos, pos + len(value)
    head = next((k for k in range(min(len(text), len(value)), least - 1, -1) if text.endswith(value[:k])), 0)
    tail = next(
        (k for k in range(min(len(text), len(value)), least - 1, -1) if text.startswith(value[-k:])), 0
    )
    if max(head, tail) < least:
        return None
    return (len(text) - head, len(text)) if head >= tail else (0, tail)


def _find_bounded(hay: str, needle: str, start: int = 0) -> int:
    """Index of `needle` in `hay` that does not cut a number ("9" is not in "9.00", "50" not in
    "1.50" or "150"), or -1. Letters and CJK text may match anywhere."""
    pos = hay.find(needle, start)
    while pos >= 0 and cuts_number(hay, pos, pos + len(needle)):
        pos = hay.find(needle, pos + 1)
    return pos


def _union_box(lines: list[TextLine]) -> list[Point]:
    if len(lines) == 1:
        return list(lines[0].box)
    x0 = min(ln.x_min for ln in lines)
    y0 = min(ln.y_min for ln in lines)
    x1 = max(ln.x_max for ln in lines)
    y1 = max(ln.y_max for ln in lines)
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _digit_heavy(nv: str) -> bool:
    alnum = [c for c in nv if c.isalnum()]
    return bool(alnum) and sum(c.isdigit() for c in alnum) * 2 >= len(alnum)


def _value_date(value: str, nv: str) -> str | None:
    """The ISO date a value denotes, only when the value is nothing but a date (and time)."""
    iso = normalize_date(value)
    if iso is None:
        return None
    residue = re.sub(r"[\d\-./:,年月日号]", "", _MONTH_WORDS.sub("", nv))
    return iso if not residue else None


@dataclass
class _Line:
    page: int
    index: int
    line: TextLine
    norm: str
    _amounts: dict[bool, list[str]] = field(default_factory=dict, repr=False)
    _dates: list[str] | None = field(default=None, repr=False)

    def amounts(self, money_only: bool) -> list[str]:
        if money_only not in self._amounts:
            self._amounts[money_only] = find_amounts(self.line.text, money_only=money_only)
        return self._amounts[money_only]

    @property
    def dates(self) -> list[str]:
        if self._dates is None:
            self._dates = find_dates(self.line.text)
        return self._dates


class OcrIndex:
    """Per-document lookup structures, built once and reused for every value of a document."""

    def __init__(self, ocr: OcrResult, rendered: RenderedText | None = None):
        self.ocr = ocr
        self._rendered = rendered
        self.lines = [_Line(p, i, ln, _gnorm(ln.text)) for p, i, ln in ocr.iter_lines()]
        self._page_pos = {p.page: k for k, p in enumerate(ocr.pages)}

    @cached_property
    def rendered(self) -> RenderedText:
        return self._rendered if self._rendered is not None else self.ocr.to_text()

    @cached_property
    def rendered_norm(self) -> tuple[str, list[int]]:
        return _gnorm_mapped(str(self.rendered))

    def text_line(self, page: int, line: int) -> TextLine:
        return self.ocr.pages[self._page_pos[page]].lines[line]

    def make_match(self, page: int, idxs: list[int], score: float, method: str) -> LineMatch:
        lines = [self.text_line(page, i) for i in idxs]
        return LineMatch(
            page=page,
            lines=tuple(idxs),
            score=round(min(1.0, max(0.0, score)), 4),
            method=method,
            box=_union_box(lines),
            ocr_score=min(ln.score for ln in lines),
        )

    # -- tiers ------------------------------------------------------------------------------
    def _best_line(self, cands: list[_Line], needle_len: int) -> _Line:
        # The tightest line (the value is most of it), then the most confident.
        return max(cands, key=lambda c: (needle_len / max(1, len(c.norm)), c.line.score))

    def _substring(self, value: str, nv: str) -> LineMatch | None:
        cands = [c for c in self.lines if _find_bounded(c.line.text, value) >= 0]
        if cands:
            c = self._best_line(cands, len(nv))
            return self.make_match(c.page, [c.index], SCORE_EXACT, "exact")
        cands = [c for c in self.lines if _find_bounded(c.norm, nv) >= 0]
        if cands:
            c = self._best_line(cands, len(nv))
            return self.make_match(c.page, [c.index], SCORE_NORMALIZED, "normalized")
        return None

    def _span_lines(self, start: int, end: int, min_overlap: bool) -> tuple[int, list[int]] | None:
        """Lines of one page under rendered-text characters [start, end)."""
        hits = []
        for s in self.rendered.spans:
            lo, hi = max(s.start, start), min(s.end, end)
            if lo >= hi:
                continue
            if min_overlap:
                # A fuzzy window may graze a neighbouring line by a character or two: skip those.
                n = len(self.rendered[lo:hi].strip())
                if n < min(3, s.end - s.start) and n * 2 < (s.end - s.start):
                    continue
            hits.append(s)
        if not hits or len({s.page for s in hits}) != 1:
            return None
        return hits[0].page, [s.line for s in sorted(hits, key=lambda s: s.start)]

    def _trim(self, page: int, idxs: list[int], nv: str) -> list[int]:
        """The run of consecutive lines (in reading order) whose joined text best matches `nv`:
        drops neighbours a fuzzy window grazed."""
        if len(idxs) <= 2 or len(idxs) > 12:
            return idxs
        norms = [_gnorm(self.text_line(page, i).text) for i in idxs]
        best, best_s = idxs, -1.0
        for a in range(len(idxs)):
            for b in range(a + 1, len(idxs) + 1):
                sc = fuzz.ratio(nv, "".join(norms[a:b]))
                if sc > best_s:
                    best, best_s = idxs[a:b], sc
        return best

    def _multiline(self, nv: str) -> LineMatch | None:
        text, idx = self.rendered_norm
        pos = _find_bounded(text, nv)
        tries = 0
        while pos >= 0 and tries < 8:
            got = self._span_lines(idx[pos], idx[pos + len(nv) - 1] + 1, min_overlap=False)
            if got:
                return self.make_match(got[0], sorted(got[1]), SCORE_MULTILINE, "multiline")
            pos = _find_bounded(text, nv, pos + 1)
            tries += 1
        return None

    def _semantic(self, value: str, nv: str) -> LineMatch | None:
        amount = normalize_amount(value)
        if amount is not None:
            # "9.00" must meet a money-looking number; a bare "9" may meet any number.
            money_only = bool(re.search(r"[.,]\d", value))
            cands = [c for c in self.lines if amount in c.amounts(money_only)]
            if cands:
                c = self._best_line(cands, len(nv))
                return self.make_match(c.page, [c.index], SCORE_SEMANTIC, "amount")
        iso = _value_date(value, nv)
        if iso is not None:
            cands = [c for c in self.lines if iso in c.dates]
            if cands:
                c = self._best_line(cands, len(nv))
                return self.make_match(c.page, [c.index], SCORE_SEMANTIC, "date")
        return None

    def _fuzzy(self, value: str, nv: str) -> LineMatch | None:
        penal = _digit_heavy(nv)
        # A number or a date that the amount/date tier did not find is a different number or
        # date, however alike it looks: resemblance alone cannot ground it.
        cap = FUZZY_CAP_EXACT_KINDS if (normalize_amount(value) or _value_date(value, nv)) else 1.0

        def adjust(s: float) -> float:
            s /= 100.0
            s = max(0.0, 1 - 2 * (1 - s)) if penal else s
            return min(s, cap)

        best: tuple[float, _Line] | None = None
        for c in self.lines:
            if not c.norm:
                continue
            # partial_ratio only when the line can hold the whole value; a short line inside a
            # long value would otherwise score 100.
            s = fuzz.partial_ratio(nv, c.norm) if len(c.norm) >= len(nv) else fuzz.ratio(nv, c.norm)
            if best is None or s > best[0]:
                best = (s, c)
        result = None
        if best is not None:
            result = self.make_match(best[1].page, [best[1].index], adjust(best[0]), "fuzzy")
        if (result is None or result.score < _WINDOW_TRY_BELOW) and len(nv) >= 4:
            text, idx = self.rendered_norm
            if len(text) > len(nv):
                al = fuzz.partial_ratio_alignment(nv, text)
                if al is not None and al.dest_end > al.dest_start:
                    score = adjust(al.score)
                    if result is None or score > result.score:
                        got = self._span_lines(idx[al.dest_start], idx[al.dest_end - 1] + 1, min_overlap=True)
                        if got:
                            lines = self._trim(got[0], got[1], nv)
                            result = self.make_match(got[0], lines, score, "fuzzy-multiline")
        return result

    def match(self, value: object) -> LineMatch | None:
        """The best OCR evidence for one scalar value, or None when the document has no text."""
        if value is None or isinstance(value, (list, dict)):
            return None
        v = str(value).strip()
        nv = _gnorm(v)
        if not nv or not self.lines:
            return None
        m = self._substring(v, nv) or self._multiline(nv) or self._semantic(v, nv) or self._fuzzy(v, nv)
        return None if m is None else replace(m, char_score=self.least_sure(m, v))

    def least_sure(self, m: LineMatch, value: str) -> float:
        """The recogniser's confidence of the least sure character of `value` on the match's lines:
        of the value's own characters where a line prints them as they are (all of it, or the head
        or tail of a value over several lines), else of the whole line."""
        out = []
        for i in m.lines:
            ln = self.text_line(m.page, i)
            text = ln.text if len(ln.text.casefold()) != len(ln.text) else ln.text.casefold()
            span = _span_of(text, value if text is ln.text else value.casefold())
            out.append(ln.least_sure(*span) if span else ln.least_sure())
        return min(out)


def best_line_match(
    ocr: OcrResult | OcrIndex, value: object, rendered: RenderedText | None = None
) -> LineMatch | None:
    """Where `value` occurs in the OCR result (see the module docstring for the tiers).

    Pass an `OcrIndex` instead of the OcrResult to reuse it across many values of one document.
    """
    index = ocr if isinstance(ocr, OcrIndex) else OcrIndex(ocr, rendered)
    return index.match(value)


def _field_value(**kw) -> FieldValue:
    try:
        return FieldValue(**kw)
    except ValidationError:
        # A structured value (line items) that FieldValue.value's type does not admit: keep it as is.
        return FieldValue.model_construct(**kw)


def _leaves(value: object, path: tuple = ()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))
    else:
        yield path, value


def _nullify(value: object, bad: set[tuple]) -> object:
    def walk(v, path):
        if path in bad:
            return None
        if isinstance(v, dict):
            return {k: walk(x, (*path, k)) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [walk(x, (*path, i)) for i, x in enumerate(v)]
        return v

    return walk(value, ())


def ground_value(
    index: OcrIndex, name: str, value: object, *, strict: bool = False, min_score: float = 0.8
) -> FieldValue:
    """Ground one field's value (a scalar, or a list/dict of scalars such as line items). A
    line-items field (`items.is_items_field`) gets its records grounded cell by cell."""
    if value is None:
        return FieldValue(value=None, grounded=False)
    if is_items_field(name) and isinstance(value, (list, tuple, dict)):
        return ground_items(index, coerce_items(value) or [], strict=strict, min_score=min_score)
    if isinstance(value, (list, tuple, dict)):
        leaves = [(p, v) for p, v in _leaves(value) if v is not None and str(v).strip()]
        matches = {p: index.match(v) for p, v in leaves}
        bad = {p for p, m in matches.items() if m is None or m.score < min_score}
        used = [m for m in matches.values() if m is not None]
        grounded = bool(leaves) and not bad
        kept = _nullify(value, bad) if strict else value
        if isinstance(kept, tuple):
            kept = list(kept)
        on_page = [m for m in used if m.page == used[0].page] if used else []
        boxes = [pt for m in on_page for pt in m.box]
        return _field_value(
            value=kept,
            page=used[0].page if used else None,
            box=_union_pts(boxes) if boxes else None,
            ocr_score=min((m.ocr_score for m in used), default=None),
            char_score=min((m.char_score for m in used if m.char_score is not None), default=None),
            match_score=min((m.score if m else 0.0 for m in matches.values()), default=None),
            grounded=grounded,
        )
    text = value if isinstance(value, str) else _scalar_text(value)
    m = index.match(text)
    grounded = m is not None and m.score >= min_score
    if strict and not grounded:
        return FieldValue(value=None, grounded=False, match_score=m.score if m else None)
    return FieldValue(
        value=text,
        page=m.page if m else None,
        box=m.box if m else None,
        ocr_score=m.ocr_score if m else None,
        char_score=m.char_score if m else None,
        match_score=m.score if m else 0.0,
        grounded=grounded,
        normalized=canonical_value(name, text),
    )


def _scalar_text(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _union_pts(pts: list[Point]) -> list[Point]:
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return [(min(xs), min(ys)), (max(xs), min(ys)), (max(xs), max(ys)), (min(xs), max(ys))]


def ground_values(
    ocr: OcrResult,
    rendered: RenderedText | None,
    values: dict[str, object],
    *,
    strict: bool = False,
    min_score: float = 0.8,
) -> dict[str, FieldValue]:
    """Ground every value of an answer in the OCR result, keeping the keys and their order.

    `rendered` is `ocr.to_text()` when the caller already has it (it is computed otherwise).
    In `strict` mode a value that is not grounded becomes null; structured values keep their shape
    with the ungrounded cells nulled.
    """
    index = OcrIndex(ocr, rendered)
    return {
        name: ground_value(index, name, v, strict=strict, min_score=min_score) for name, v in values.items()
    }


# ------------------------------------------------------------------------------ line items
def _union_boxes(boxes: list[list[Point]]) -> list[Point] | None:
    pts = [p for b in boxes for p in b]
    return _union_pts(pts) if pts else None


def _near_row(index, value: str | None, anchor) -> object | None:
    """The match of a cell's text on its row: the line of the row's description or one of the two
    lines on either side of it (quantities, prices and amounts are short and occur all over a page;
    the one on the row is the right one). None when the text is not there."""
    if value is None or anchor is None:
        return None
    nv = _gnorm(value)
    if not nv:
        return None
    lo, hi = min(anchor.lines), max(anchor.lines)
    near = [
        ln for ln in index.lines if ln.page == anchor.page and lo - 2 <= ln.index <= hi + 2 and nv in ln.norm
    ]
    if not near:
        return None
    best = min(
        near, key=lambda ln: (0 if lo <= ln.index <= hi else 1 if ln.index > hi else 2, abs(ln.index - lo))
    )
    m = index.make_match(best.page, [best.index], 1.0, "row")
    return replace(m, char_score=index.least_sure(m, value))


def ground_items(
    index, rows: list[dict[str, str | None]], *, strict: bool = False, min_score: float = 0.8
) -> FieldValue:
    """A line-items value grounded cell by cell (`index`: grounding.OcrIndex). The description is
    found like a field; the other cells on its row first (see `_near_row`), anywhere otherwise. A
    record's page is where most of its cells are and its box the union of those cells' boxes. In
    `strict` mode a cell not found in the document is null. The field is grounded when every cell is
    (an empty list has nothing that could be ungrounded)."""
    records: list[ItemRecord] = []
    for row in rows:
        desc = row.get("description")
        anchor = index.match(desc) if desc else None
        if anchor is not None and anchor.score < min_score:
            anchor = None
        cells: dict[str, FieldValue] = {}
        for k in ITEM_KEYS:
            m = None if k == "description" else _near_row(index, row.get(k), anchor)
            if m is None:
                cells[k] = ground_value(index, k, row.get(k), strict=strict, min_score=min_score)
            else:
                cells[k] = FieldValue(
                    value=row[k], page=m.page, box=m.box, ocr_score=m.ocr_score, char_score=m.char_score,
                    match_score=m.score, grounded=True,
                )  # fmt: skip
        placed = [c for c in cells.values() if c.value is not None and c.box and c.page is not None]
        page = Counter(c.page for c in placed).most_common(1)[0][0] if placed else None
        box = _union_boxes([c.box for c in placed if c.page == page]) if placed else None
        records.append(ItemRecord(cells=cells, page=page, box=box))
    if strict:
        records = [r for r in records if any(c.value is not None for c in r.cells.values())]
    filled = [c for r in records for c in r.cells.values() if c.value is not None]
    pages = [r.page for r in records if r.page is not None]
    page = pages[0] if pages else None
    return FieldValue(
        value=[r.values() for r in records],
        page=page,
        box=_union_boxes([r.box for r in records if r.box and r.page == page]) if page is not None else None,
        ocr_score=min((c.ocr_score for c in filled if c.ocr_score is not None), default=None),
        match_score=min((c.match_score for c in filled if c.match_score is not None), default=None),
        grounded=all(c.grounded for c in filled),
        items=records,
    )
