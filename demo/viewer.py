"""HTML for the demo: the page viewer (image, OCR boxes, highlighted answers with labels that do not
overlap, the rows of line items outlined, zoom), the answer table and the line-items tables. Pure functions of their inputs, no Streamlit, so they are tested
without a browser; `demo/app.py` lays them out.

Geometry: boxes are in the OCR page's pixels. The viewer scales the page with its width, so every
size on it (label font, width, height, position) is given in `cqw` (1% of the page's displayed
width): a label's rectangle is exactly the one `place_labels` chose, at any zoom.
"""

from __future__ import annotations

import base64
import html
import io
import json
import unicodedata
from collections.abc import Sequence

from PIL import Image

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1

# Label font size as a share of the page width: 1/54 is 13 px on a page shown 720 px wide.
LABEL_FONT = 1 / 54
LABEL_LINE = 1.4  # label height in font sizes
LABEL_PAD = 0.35  # horizontal padding in font sizes, each side
LABEL_MAX_EM = 14.0  # longer names are cut with "…" (the full name is in the tooltip)
ZOOMS = ["fit page", "fit width", "150%", "200%", "300%"]  # the first is the default: the whole page
# "fit page" shows a tall page narrow (a receipt at 1280x800 is about 170 px wide): its labels get at
# least MIN_LABEL_PX there, on a viewer of FIT_BOX (width, height) px, the one a 1280x800 window gives.
MIN_LABEL_PX = 11
# rem of window height taken above the viewer (header, uploader row, one-line toolbar; the page tabs)
# and below it (the chat input), with the page scrolled to the top, where the viewer sits lowest
ABOVE, ABOVE_TABBED = 20, 24
FIT_BOX = (720, 480)

CSS = """<style>
.block-container {padding-top: 2.2rem; padding-left: 1.5rem; padding-right: 1.5rem; max-width: none;}
[data-testid="stColumn"]:has(.cocr-viewer) {position: sticky; top: 4.25rem; align-self: flex-start;}
[data-testid="stLayoutWrapper"]:has(> .st-key-chat-head) {position: sticky; top: 3.75rem; z-index: 5;
  background: #fff; padding: .5rem 0 .3rem;}
[data-testid="stLayoutWrapper"]:has(> .st-key-doc-info) {flex: 1 1 0; min-width: 4rem;}
.st-key-doc-info p {white-space: nowrap; overflow: hidden; text-overflow: ellipsis;}
.cocr-viewer {max-height: calc(100vh - var(--cocr-above, 20rem)); min-height: 12rem; overflow: auto; border-radius: .5rem;
  border: 1px solid rgba(49, 51, 63, .2); background: #eceef2;}
.cocr-page {position: relative; container-type: inline-size; margin: 0 auto; line-height: 0;}
.cocr-page img.cocr-img {display: block; width: 100%; height: auto;}
.cocr-page img.cocr-ocr {position: absolute; left: 0; top: 0; width: 100%; height: 100%;}
.cocr-hl {position: absolute; box-sizing: border-box; background: rgba(255, 196, 0, .33);
  border: 2.5px solid #1a7f37; border-radius: 2px;}
.cocr-hl.review {background: rgba(255, 120, 0, .25); border: 2.5px dashed #cf222e;}
.cocr-label {position: absolute; box-sizing: border-box; white-space: nowrap; overflow: hidden;
  text-overflow: clip; color: #fff; background: #1a7f37; border-radius: .25em; font-weight: 600;
  font-family: "Source Sans", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; opacity: .93;}
.cocr-label.review {background: #cf222e;}
.cocr-answer-wrap {width: 100%; overflow-x: auto;}
table.cocr-answer {width: 100%; border-collapse: collapse; font-size: .9rem; line-height: 1.35;}
table.cocr-answer th {text-align: left; font-weight: 600; color: rgba(49, 51, 63, .7);
  border-bottom: 1px solid rgba(49, 51, 63, .25); padding: .3rem .45rem; white-space: nowrap;}
table.cocr-answer td {border-bottom: 1px solid rgba(49, 51, 63, .1); padding: .3rem .45rem;
  vertical-align: top;}
table.cocr-answer td.f {white-space: nowrap; font-weight: 600;}
table.cocr-answer td.f div {max-width: 11em; overflow: hidden; text-overflow: ellipsis;}
table.cocr-answer td.v {overflow-wrap: anywhere; word-break: break-word; width: 100%;}
table.cocr-answer td.m, table.cocr-answer td.n {white-space: nowrap; text-align: center;}
table.cocr-answer tr.review td {background: rgba(255, 140, 0, .12);}
table.cocr-answer tr.review td.m {color: #cf222e; font-weight: 700;}
table.cocr-answer tr.ok td.m {color: #1a7f37; font-weight: 700;}
table.cocr-answer tr.missing td.v {color: rgba(49, 51, 63, .5); font-style: italic;}
.cocr-item {position: absolute; box-sizing: border-box; border: 1.5px solid #8250df; border-radius: 2px;}
.cocr-item.review {border: 1.5px dashed #cf222e;}
.cocr-items-title {font-size: .85rem; font-weight: 600; margin: .5rem 0 .15rem;}
table.cocr-items td.d {overflow-wrap: anywhere; word-break: break-word; width: 100%;}
table.cocr-items td.num {white-space: nowrap; text-align: right;}
</style>"""


# ------------------------------------------------------------------------------ answer table


def mark(v: dict) -> str:
    """✓ for a confident grounded value, ⚠ for one to check on the page, "" for a missing one."""
    if v.get("needs_review"):
        return "⚠"
    return "✓" if v.get("grounded") and v.get("value") is not None else ""


def value_text(val) -> str:
    if val is None:
        return ""
    return val if isinstance(val, str) else json.dumps(val, ensure_ascii=False)


def answer_table_html(ext: dict) -> str:
    """The answer as a compact table that fits a narrow column: field names on one line, values
    wrap, ✓/⚠ per row, confidence and page; the OCR score is in each row's tooltip."""
    e = html.escape
    rows = []
    for name, v in ext["fields"].items():
        val, m = v.get("value"), mark(v)
        conf = v.get("confidence")
        if m == "⚠":
            why = "not found in the OCR text" if not v.get("grounded") else f"low confidence ({conf:.2f})"
            cls, tip = "review", f"check this value on the page: {why}"
        elif m == "✓":
            cls, tip = "ok", "grounded in the OCR text, confident"
        else:
            cls, tip = "missing", "not found in the document"
        if v.get("ocr_score") is not None:
            tip += f" · OCR score {v['ocr_score']:.3f}"
        if v.get("items") is not None:  # a line-items field: its rows are in a table of their own
            n = len(v["items"])
            shown = f"{n} row{'' if n == 1 else 's'} (table below)"
        else:
            shown = e(value_text(val)) if val is not None else "not found"
        rows.append(
            f'<tr class="{cls}" title="{e(tip)}">'
            f'<td class="f"><div title="{e(name)}">{e(name)}</div></td>'
            f'<td class="v">{shown}</td>'
            f'<td class="m">{m}</td>'
            f'<td class="n">{"" if conf is None else f"{conf:.2f}"}</td>'
            f'<td class="n">{"" if v.get("page") is None else v["page"]}</td></tr>'
        )
    return (
        '<div class="cocr-answer-wrap"><table class="cocr-answer"><thead><tr>'
        '<th>field</th><th>value</th><th title="✓ confident and grounded · ⚠ check it">check</th>'
        '<th title="confidence">conf.</th><th title="page">page</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


# The columns of a line-items table: (cell key, heading); the other cells are in each row's tooltip.
ITEM_COLUMNS = (("description", "description"), ("quantity", "qty"), ("unit_price", "unit price"),
                ("amount", "amount"))  # fmt: skip


def item_label(field: str, row: int) -> str:
    """How a line item is named on the page and in its table: "line items · row 2"."""
    return f"{field} · row {row}"


def item_cells(record: dict) -> dict[str, str | None]:
    """A record's cell values (ItemRecord in JSON form): key -> text as printed, or None."""
    cells = record.get("cells") or {}
    return {
        k: (c or {}).get("value") if isinstance((c or {}).get("value"), str) else None
        for k, c in cells.items()
    }


def items_table_html(name: str, v: dict) -> str:
    """The rows of line-items field `name` (FieldValue in JSON form) as a table: #, description,
    quantity, unit price, amount, and ✓, or ⚠ with the reasons the row needs review in its tooltip.
    Each row's tooltip names it as its outline on the page does ("line items · row 2, page 1")."""
    e = html.escape
    records = v.get("items") or []
    title = f"{name}: {len(records)} row{'' if len(records) == 1 else 's'}"
    field_reasons = v.get("review_reasons") or []
    head = f'<div class="cocr-items-title" title="{e(", ".join(field_reasons))}">{e(title)}'
    head += f" ⚠ {e(', '.join(field_reasons))}</div>" if field_reasons else "</div>"
    if not records:
        return head
    rows = []
    for i, rec in enumerate(records, 1):
        cells = item_cells(rec)
        reasons = rec.get("review_reasons") or []
        review = bool(rec.get("needs_review") or reasons)
        where = "" if rec.get("page") is None else f", page {rec['page']}"
        if not rec.get("box"):
            where += " (not found on the page)"
        extra = [f"{k}: {cells[k]}" for k in ("unit", "tax_rate", "tax") if cells.get(k)]
        tip = item_label(name, i) + where + ("; " + ", ".join(extra) if extra else "")
        check_tip = (
            ("check: " + ", ".join(reasons or ["low confidence"])) if review else "arithmetic checks out"
        )
        tds = "".join(
            f'<td class="{"d" if k == "description" else "num"}">{e(cells.get(k) or "")}</td>'
            for k, _ in ITEM_COLUMNS
        )
        rows.append(
            f'<tr class="{"review" if review else "ok"}" data-row="{i}" title="{e(tip)}">'
            f'<td class="n">{i}</td>{tds}<td class="m" title="{e(check_tip)}">{"⚠" if review else "✓"}</td></tr>'
        )
    ths = "".join(f"<th>{e(h)}</th>" for _, h in ITEM_COLUMNS)
    return (
        f'{head}<div class="cocr-answer-wrap"><table class="cocr-answer cocr-items" data-field="{e(name)}">'
        f'<thead><tr><th>#</th>{ths}<th title="✓ the row\'s arithmetic checks out · ⚠ check it">check</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


# ------------------------------------------------------------------------------ page viewer


def encode_page(img: Image.Image, max_side: int = 2200) -> str:
    """The page as a JPEG data URI, at most `max_side` pixels on its longer side (enough for 300%)."""
    img = img.convert("RGB")
    if max(img.size) > max_side:
        s = max_side / max(img.size)
        img = img.resize((round(img.width * s), round(img.height * s)), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def text_em(text: str) -> float:
    """Width of `text` in font sizes, a little on the generous side: CJK and other wide characters
    1 em, symbols such as ✓/⚠ 1.3 em, other characters 0.62 em."""
    w = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in "WF":
            w += 1.0
        elif ord(ch) >= 0x2000:
            w += 1.3
        else:
            w += 0.62
    return w


def label_text(name: str, m: str) -> str:
    text = name
    if text_em(text) > LABEL_MAX_EM:
        while text and text_em(text + "…") > LABEL_MAX_EM:
            text = text[:-1]
        text += "…"
    return f"{text} {m}".strip()


def label_size(text: str, page_width: float, font: float = LABEL_FONT) -> tuple[float, float]:
    """(width, height) of a label in page pixels; `font` is its size as a share of the page width."""
    f = page_width * font
    return ((text_em(text) * 1.06 + 2 * LABEL_PAD) * f, LABEL_LINE * f)


def _hits(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def bounds(box: Sequence[Sequence[float]]) -> Rect:
    xs, ys = [p[0] for p in box], [p[1] for p in box]
    return min(xs), min(ys), max(xs), max(ys)


def place_labels(
    boxes: Sequence[Rect],
    sizes: Sequence[tuple[float, float]],
    width: float,
    height: float,
    avoid: Sequence[Rect] = (),
) -> list[Rect | None]:
    """A rectangle for each box's label, inside the page, overlapping no other label: above the box
    if that is free, else below, beside, or further up/down; preferring a spot next to the box that
    covers neither a highlighted box nor other text (`avoid`: the OCR boxes), then any spot that
    covers no highlighted box. None where the page has no room left (the box keeps its tooltip)."""
    placed: list[Rect] = []
    out: list[Rect | None] = []
    for (x0, y0, x1, y1), (w, h) in zip(boxes, sizes, strict=True):
        w, h = min(w, width), min(h, height)
        gap = 0.12 * h
        cands = [
            (x0, y0 - h - gap),
            (x0, y1 + gap),
            (x1 - w, y0 - h - gap),
            (x1 - w, y1 + gap),
            (x1 + gap, y0),
            (x0 - w - gap, y0),
        ]
        step = h + gap
        for k in range(1, int(height / step) + 2):
            cands += [(x0, y0 - h - gap - k * step), (x0, y1 + gap + k * step)]

        rects = []
        for cx, cy in cands:  # kept inside the page
            x, y = min(max(cx, 0.0), max(width - w, 0.0)), min(max(cy, 0.0), max(height - h, 0.0))
            rects.append((x, y, x + w, y + h))
        free = [r for r in rects if not any(_hits(r, p) for p in placed)]
        clear = [r for r in free if not any(_hits(r, b) for b in boxes)]
        near = [r for r in clear[:10] if not any(_hits(r, a) for a in avoid)]
        choice = (near or clear or free or [None])[0]
        if choice is None:  # crowded near the box: the first free spot on the page, row by row
            choice = next(
                (
                    r
                    for yy in _steps(height - h, step)
                    for xx in _steps(width - w, w / 2)
                    if not any(_hits(r := (xx, yy, xx + w, yy + h), p) for p in placed)
                ),
                None,
            )
        if choice is not None:
            placed.append(choice)
        out.append(choice)
    return out


def _steps(limit: float, step: float) -> list[float]:
    n = max(int(limit / max(step, 1e-6)), 0)
    return [min(i * step, max(limit, 0.0)) for i in range(n + 2)]


def page_html(
    image_uri: str,
    width: int,
    height: int,
    ocr_boxes: Sequence[Sequence[Sequence[float]]],
    highlights: Sequence[dict],
    zoom: str = "fit page",
    page: int = 1,
    tabbed: bool = False,
    show_ocr: bool = True,
    item_rows: Sequence[dict] = (),
) -> str:
    """One page in a scrollable, zoomable viewer. `highlights`: dicts with name, value, box,
    needs_review (and confidence); each gets a filled box and a label (✓ or ⚠) placed so that
    no two labels overlap and, where there is room, no text is covered (the OCR boxes, drawn in
    thin blue when `show_ocr`). `item_rows`: the rows of line items on this page, dicts with field,
    row (1-based), box, needs_review and cells; each gets a thin outline (no fill, no label) whose
    tooltip names the row as its table does. The viewer is as tall as the window allows below the toolbar (and the
    page tabs when `tabbed`) and above the chat input, so nothing else has to scroll."""
    e = html.escape
    W, H = max(width, 1), max(height, 1)

    def pct(v: float) -> str:
        return f"{100 * v / W:.4f}cqw"

    font = LABEL_FONT
    if zoom == "fit page":
        size = f"width: min(100%, calc((100vh - var(--cocr-above, 20rem) - 2px) * {W / H:.5f}));"
        font = max(LABEL_FONT, MIN_LABEL_PX / min(FIT_BOX[0], FIT_BOX[1] * W / H))
    elif zoom.endswith("%"):
        size = f"width: {int(zoom[:-1])}%;"
    else:
        size = "width: 100%;"
    overlay = ""
    if show_ocr and ocr_boxes:  # every OCR box, as an SVG image over the page (no inline SVG in st.html)
        polys = "".join(
            f'<polygon points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in box)}"/>' for box in ocr_boxes
        )
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" preserveAspectRatio="none">'
            '<g fill="none" stroke="rgb(30,110,255)" stroke-opacity="0.7" stroke-width="1" '
            f'vector-effect="non-scaling-stroke">{polys}</g></svg>'
        )
        uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
        overlay = f'<img class="cocr-ocr" src="{uri}" alt=""/>'
    shapes = []
    marks = [("⚠" if h.get("needs_review") else "✓") for h in highlights]
    texts = [label_text(h["name"], m) for h, m in zip(highlights, marks, strict=True)]
    rects = [bounds(h["box"]) for h in highlights]
    spots = place_labels(rects, [label_size(t, W, font) for t in texts], W, H, [bounds(b) for b in ocr_boxes])
    labels = []
    for h, m, text, spot in zip(highlights, marks, texts, spots, strict=True):
        review = " review" if m == "⚠" else ""
        conf = h.get("confidence")
        tip = f"{h['name']}: {value_text(h.get('value'))}" + ("" if conf is None else f" ({conf:.2f})")
        bx0, by0, bx1, by1 = bounds(h["box"])
        shapes.append(
            f'<div class="cocr-hl{review}" data-field="{e(h["name"])}" title="{e(tip)}" style="left: '
            f'{pct(bx0)}; top: {pct(by0)}; width: {pct(bx1 - bx0)}; height: {pct(by1 - by0)};"></div>'
        )
        if spot is None:
            continue
        x0, y0, x1, y1 = spot
        f = W * font
        labels.append(
            f'<div class="cocr-label{review}" data-field="{e(h["name"])}" '
            f'title="{e(tip)}" style="left: {pct(x0)}; top: {pct(y0)}; width: {pct(x1 - x0)}; '
            f"height: {pct(y1 - y0)}; font-size: {pct(f)}; line-height: {pct(y1 - y0)}; "
            f'padding: 0 {pct(LABEL_PAD * f)};">{e(text)}</div>'
        )
    outlines = []
    for r in item_rows:
        bx0, by0, bx1, by1 = bounds(r["box"])
        cells = r.get("cells") or {}
        said = " · ".join(cells[k] for k in ("description", "amount") if cells.get(k))
        tip = item_label(r["field"], r["row"]) + (f": {said}" if said else "")
        outlines.append(
            f'<div class="cocr-item{" review" if r.get("needs_review") else ""}" data-field="{e(r["field"])}" '
            f'data-row="{r["row"]}" title="{e(tip)}" style="left: {pct(bx0)}; top: {pct(by0)}; '
            f'width: {pct(bx1 - bx0)}; height: {pct(by1 - by0)};"></div>'
        )
    return (
        f'<div class="cocr-viewer" data-page="{page}" style="--cocr-above: {ABOVE_TABBED if tabbed else ABOVE}rem;">'
        f'<div class="cocr-page" style="{size}">'
        f'<img class="cocr-img" src="{image_uri}" alt="page {page}"/>{overlay}'
        f"{''.join(outlines)}{''.join(shapes)}{''.join(labels)}</div></div>"
    )
