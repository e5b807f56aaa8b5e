"""The Streamlit chat demo: chat parsing, label placement, an upload + chat turn through Streamlit's
AppTest, and the running app in a real headless Chromium: with scripted OCR and LLM, its layout is
measured at window sizes of 1280x800 and 1920x1080 (answer table inside its column, field names on one
line, labels not overlapping and readable, highlights kept until cleared, zoom, page tabs for a PDF,
toolbar and chat heading below Streamlit's header while the chat scrolls, a tall receipt shown whole
with its receipt preset); with the real models, the sample invoice's answer and highlights show."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from api_helpers import free_port, render_text_png, squash, stop_process, wait_http

from chatocr.chat import parse_chat

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "demo" / "app.py"
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
sys.path.insert(0, str(REPO / "demo"))


@pytest.mark.parametrize(
    "message, fields",
    [
        ("提取发票号码、开票日期和价税合计", ["发票号码", "开票日期", "价税合计"]),
        ("请帮我识别一下这张发票的开票日期和发票号码。", ["开票日期", "发票号码"]),
        ("extract invoice number, date and total", ["invoice number", "date", "total"]),
        ("Extract the following fields: company; total.", ["company", "total"]),
        ("give me the date and the total from this receipt", ["date", "total"]),
        ("company, date, address, total", ["company", "date", "address", "total"]),
        ("价税合计", ["价税合计"]),
    ],
)
def test_chat_lists_become_fields(message, fields):
    q = parse_chat(message)
    assert q.fields == fields and q.question is None


@pytest.mark.parametrize(
    "message", ["what is the total?", "总金额是多少？", "Who is the seller?", "这张发票是谁开的"]
)
def test_chat_questions_stay_questions(message):
    q = parse_chat(message)
    assert q.fields == [] and q.question == message and q.keys == ["answer"]


def test_empty_chat_message_is_a_clear_error():
    from llm_stage import QueryError

    with pytest.raises(QueryError, match="empty"):
        parse_chat("  ")


def test_labels_never_overlap_and_stay_on_the_page():
    from viewer import label_size, label_text, place_labels

    rng = random.Random(7)
    for _ in range(200):
        W, H = rng.choice([(1000, 700), (600, 1800), (2480, 3508)])
        n = rng.randint(1, 14)
        boxes = []
        for _ in range(n):
            x0, y0 = rng.uniform(0, W * 0.9), rng.uniform(0, H * 0.95)
            boxes.append((x0, y0, min(W, x0 + rng.uniform(20, W / 2)), min(H, y0 + rng.uniform(10, H / 30))))
        boxes += boxes[: rng.randint(0, 2)]  # two fields with one value share a box
        sizes = [
            label_size(label_text(rng.choice(["发票号码", "total", "购买方纳税人识别号"]), "✓"), W)
            for _ in boxes
        ]
        spots = place_labels(boxes, sizes, W, H)
        got = [s for s in spots if s is not None]
        assert len(got) == len(boxes)
        for i, a in enumerate(got):
            assert 0 <= a[0] and a[2] <= W + 1e-6 and 0 <= a[1] and a[3] <= H + 1e-6
            for b in got[i + 1 :]:
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    # a label goes right above its box when nothing is in the way
    (spot,) = place_labels([(100, 100, 300, 130)], [(80, 20)], 1000, 700)
    assert spot[0] == 100 and spot[3] < 100
    # ... and below it when text is printed above it
    (spot,) = place_labels([(100, 100, 300, 130)], [(80, 20)], 1000, 700, avoid=[(90, 60, 400, 95)])
    assert spot[0] == 100 and spot[1] > 130


def test_a_document_starts_with_its_own_preset():
    from presets import PRESETS, default_preset

    assert default_preset("北京增值税普通发票\n发票号码: 31884512") == "增值税发票 VAT invoice"
    assert default_preset("KEDAI RUNCIT MAJU SDN BHD\nTOTAL RM 13.00") == "Receipt"
    assert default_preset("") in PRESETS


def test_fit_page_labels_stay_readable_on_a_tall_page():
    """A receipt at "fit page" is shown narrow: its labels are sized for that, not for the page width."""
    import re

    from viewer import FIT_BOX, MIN_LABEL_PX, ZOOMS, page_html

    W, H = 600, 1800
    hl = [{"name": "total", "value": "13.00", "box": [[60, 1600], [400, 1600], [400, 1635], [60, 1635]]}]
    assert ZOOMS[0] == "fit page"  # the default shows the whole page
    shown = min(FIT_BOX[0], FIT_BOX[1] * W / H)  # the page's width on screen at 1280x800, in px
    for zoom, readable in (("fit page", True), ("fit width", False)):
        out = page_html("data:,", W, H, [], hl, zoom=zoom)
        cqw = float(re.search(r"font-size: ([\d.]+)cqw", out).group(1))
        assert (cqw * shown / 100 >= MIN_LABEL_PX - 0.01) is readable, (zoom, cqw)


def test_answer_table_marks_and_escapes():
    from viewer import answer_table_html

    ext = {
        "fields": {
            "发票号码": {
                "value": "31884512",
                "grounded": True,
                "confidence": 0.93,
                "page": 1,
                "box": [[0, 0]] * 4,
            },
            "价税合计": {
                "value": "¥9",
                "grounded": True,
                "confidence": 0.31,
                "needs_review": True,
                "page": 1,
            },
            "备注": {"value": "<b>x</b>", "grounded": False, "needs_review": True},
            "date": {"value": None},
        }
    }
    out = answer_table_html(ext)
    assert (
        out.count('class="ok"') == 1
        and out.count('class="review"') == 2
        and out.count('class="missing"') == 1
    )
    assert "low confidence (0.31)" in out and "not found in the OCR text" in out
    assert "<b>x</b>" not in out and "&lt;b&gt;x&lt;/b&gt;" in out


def _item(desc, amount, box_y, reasons=()):
    cell = {"value": None}
    cells = {
        k: dict(cell) for k in ("description", "quantity", "unit", "unit_price", "amount", "tax_rate", "tax")
    }
    cells["description"] = {"value": desc}
    cells["amount"] = {"value": amount}
    box = [[10, box_y], [400, box_y], [400, box_y + 24], [10, box_y + 24]]
    return {
        "cells": cells,
        "page": 1,
        "box": box,
        "needs_review": bool(reasons),
        "review_reasons": list(reasons),
    }


def test_items_table_rows_escaping_and_reason_tooltip():
    from viewer import answer_table_html, items_table_html, page_html

    v = {
        "value": [],
        "grounded": True,
        "items": [
            _item("MILO 1KG", "33.00", 40),
            _item("ROTI <b>GARDENIA</b>", "3.50", 70, ["quantity_times_unit_price_is_not_amount"]),
        ],
        "review_reasons": ["item_amounts_do_not_sum_to_total"],
    }
    out = items_table_html("line items", v)
    rows = re.findall(r"<tr class=\"(\w+)\" data-row=\"(\d)\" title=\"([^\"]*)\"", out)
    assert [(c, n) for c, n, _ in rows] == [("ok", "1"), ("review", "2")]
    assert rows[1][2] == "line items · row 2, page 1"
    assert "<b>GARDENIA" not in out and "ROTI &lt;b&gt;GARDENIA&lt;/b&gt;" in out
    assert 'title="check: quantity_times_unit_price_is_not_amount">⚠</td>' in out
    assert "⚠ item_amounts_do_not_sum_to_total" in out  # the field's own reason, by its title
    # the answer table points to it instead of dumping the rows as JSON
    assert "2 rows (table below)" in answer_table_html({"fields": {"line items": v}})
    # each row is outlined on the page, named as in the table
    rows_on_page = [
        {"field": "line items", "row": i, "box": r["box"], "needs_review": r["needs_review"],
         "cells": {"description": r["cells"]["description"]["value"], "amount": r["cells"]["amount"]["value"]}}
        for i, r in enumerate(v["items"], 1)
    ]  # fmt: skip
    page = page_html("data:,", 420, 200, [], [], item_rows=rows_on_page)
    outlines = re.findall(
        r'<div class="cocr-item( review)?" data-field="line items" data-row="(\d)" title="([^"]*)"', page
    )
    assert outlines == [
        ("", "1", "line items · row 1: MILO 1KG · 33.00"),
        (" review", "2", "line items · row 2: ROTI &lt;b&gt;GARDENIA&lt;/b&gt; · 3.50"),
    ]


@pytest.mark.slow
def test_apptest_upload_and_chat_turn():
    """Upload a rendered receipt, ask in English, and see the field table and the highlighted page."""
    from streamlit.testing.v1 import AppTest

    png = render_text_png(["KEDAI MAJU", "TOTAL 45.90"], size=(420, 160))
    at = AppTest.from_file(str(APP), default_timeout=900)
    at.run()
    assert not at.exception
    assert "Upload a document" in at.info[0].value
    at.file_uploader[0].upload("receipt.png", png, "image/png").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "2 OCR lines" in at.caption[0].value or "OCR lines" in at.caption[0].value
    at.chat_input[0].set_value("extract the company and total").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = next(h.body for h in at.html if '<table class="cocr-answer"' in h.body)
    assert table.index(">company<") < table.index(">total<")
    doc = next(iter(at.session_state["docs"].values()))
    msg, ext = doc["history"][-1]
    assert msg == "extract the company and total" and set(ext["fields"]) == {"company", "total"}
    ocr_text = squash(doc["ocr"].to_plain_text())
    for k, v in ext["fields"].items():
        if v["grounded"]:
            assert squash(v["value"])[:3] in ocr_text and len(v["box"]) == 4
            assert k in doc["pins"]  # highlighted until cleared
    # a second turn keeps the history of this document
    at.chat_input[0].set_value("what is the total?").run()
    assert len(next(iter(at.session_state["docs"].values()))["history"]) == 2
    assert [b.label for b in at.get("download_button")][:2] == ["Download JSON", "Download CSV"]


def chromium_or_fail() -> None:
    if shutil.which("chromium") is None:
        pytest.fail("chromium missing: `make test` installs it (scripts/setup_chromium.sh)")


@contextmanager
def streamlit_server(script: Path, env: dict | None = None):
    """`streamlit run script` on a free loopback port; yields the base URL once it is healthy."""
    port = free_port()
    env = dict(env or os.environ)
    env.setdefault("CHATOCR_LLM_THREADS", "1")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/_stcore/health", 120, "streamlit")
        yield base
    finally:
        stop_process(proc, 15)


@pytest.fixture(scope="module")
def demo_server():
    with streamlit_server(APP) as base:
        yield base


@pytest.mark.slow
def test_headless_chromium_screenshot(demo_server, tmp_path):
    """The real models on the sample invoice: the answer table and the highlighted fields show."""
    chromium_or_fail()
    from screenshot import screenshot

    out = tmp_path / "demo.png"
    state = screenshot(demo_server + "/?sample=1", out, timeout=900)
    assert "发票号码" in state["table"] and "价税合计" in state["table"]
    assert state["img"] and state["labels"] >= 1  # at least one answer grounded and highlighted
    from PIL import Image

    img = Image.open(out).convert("RGB")
    assert img.size == (1500, 1000) and out.stat().st_size < 300 * 1024


# ----------------------------------------------------------------- the demo in a real browser, fast
# A streamlit server whose OCR and LLM are scripted (tests/fakes.py): the browser tests below measure
# the layout in Chromium at two window widths without loading a model.

# Lines of the test document's pages: (text, (x0, y0, x1, y1)) in page pixels. Page 1 is 1000x700,
# page 2 of the PDF 1000x760 (the scripted OCR tells the pages apart by their height). The invoice
# number and the date sit on adjacent rows, and buyer and seller share a value (hence a box), so
# labels drawn naively above each box would cover each other.
PAGE1 = [
    ("北京增值税普通发票", (330, 30, 670, 75)),
    ("发票号码: 31884512", (600, 100, 900, 128)),
    ("开票日期: 2025年09月05日", (600, 131, 900, 159)),
    ("购买方名称: 精石网络有限公司", (60, 220, 480, 250)),
    ("货物名称 运输服务 数量 2 单价 1725.81", (60, 330, 900, 360)),
    ("价税合计 (小写) ¥112837.07", (520, 560, 900, 590)),
    ("TOTAL 9.00", (60, 600, 260, 630)),
]
PAGE2 = [
    ("第2页 附件", (60, 40, 300, 80)),
    ("备注: 运费另计", (60, 200, 400, 232)),
    ("合计金额 ¥3286.52", (560, 600, 900, 632)),
]
# A tall receipt (600x1800): its date near the top, its total near the bottom.
RECEIPT = [
    ("KEDAI RUNCIT MAJU SDN BHD", (60, 60, 540, 95)),
    ("DATE: 05/03/2024 10:42", (60, 200, 420, 230)),
    ("NASI LEMAK 2 X 4.50", (60, 600, 540, 630)),
    ("TEH TARIK 1 X 4.00", (60, 900, 540, 930)),
    ("TOTAL RM 13.00", (60, 1600, 400, 1635)),
]
ANSWERS = {
    "发票号码": "31884512",
    "开票日期": "2025年09月05日",
    "购买方名称": "精石网络有限公司",
    "销售方名称": "精石网络有限公司",
    "价税合计": "¥112837.07",
    "total": "9.00",
    "answer": "9.00",
    "备注": "运费另计",
    "date": "05/03/2024",
    "company": "KEDAI RUNCIT MAJU SDN BHD",
    "address": None,
    "line items": [
        {"description": "NASI LEMAK", "quantity": "2", "unit_price": "4.50", "amount": "4.50"},
        {"description": "TEH TARIK", "quantity": "1", "unit_price": "4.00", "amount": "4.00"},
    ],
}
PROBS = {"价税合计": 0.3}  # below the review threshold (0.5 without a calibration): ⚠

FAKE_APP = """
import json, runpy, sys
sys.path.insert(0, {tests!r})
from fakes import ScriptedBackend
from llm_stage import register_backend
from ocr_stage import OcrEngine, TextLine
from ocr_stage.engines import register_engine

PAGES = json.loads({pages!r})
ANSWERS = json.loads({answers!r})


class PagesEngine(OcrEngine):
    name = "scripted-pages"

    def recognize_page(self, image):
        lines = PAGES[2] if image.height > 2 * image.width else PAGES[1] if image.height > 730 else PAGES[0]
        return [TextLine(text=t, box=[(a, b), (c, b), (c, d), (a, d)], score=0.99) for t, (a, b, c, d) in lines]


def answer(keys, messages):
    receipt = "RM 13.00" in json.dumps(messages, ensure_ascii=False)
    return {{k: ("13.00" if receipt and k == "total" else ANSWERS.get(k)) for k in keys}}


backend = ScriptedBackend(answer, probs={probs!r})
register_backend("scripted", lambda **opts: backend)
register_engine("scripted-pages", lambda **opts: PagesEngine())
runpy.run_path({app!r}, run_name="__main__")
"""


def render_page(lines, size):
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(CJK_FONT, 22)
    for text, (x0, y0, _, _) in lines:
        d.text((x0 + 4, y0 + 2), text, fill="black", font=font)
    return img


@pytest.fixture(scope="module")
def fake_demo(tmp_path_factory):
    """(base URL, PNG path, 2-page PDF path, tall receipt path) of a demo server with the scripted OCR
    and LLM."""
    tmp = tmp_path_factory.mktemp("fake-demo")
    page1, page2 = render_page(PAGE1, (1000, 700)), render_page(PAGE2, (1000, 760))
    png, pdf, receipt = tmp / "invoice.png", tmp / "two-pages.pdf", tmp / "receipt.png"
    page1.save(png)
    render_page(RECEIPT, (600, 1800)).save(receipt)
    page1.save(pdf, save_all=True, append_images=[page2], resolution=200)  # rendered back at 200 dpi
    app = tmp / "fake_app.py"
    app.write_text(
        FAKE_APP.format(
            tests=str(REPO / "tests"),
            pages=json.dumps([PAGE1, PAGE2, RECEIPT], ensure_ascii=False),
            answers=json.dumps(ANSWERS, ensure_ascii=False),
            probs=PROBS,
            app=str(APP),
        )
    )
    env = dict(os.environ, CHATOCR_BACKEND="scripted", CHATOCR_OCR_ENGINE="scripted-pages")
    with streamlit_server(app, env) as base:
        yield base, png, pdf, receipt


def test_apptest_line_items_table_and_row_outlines(tmp_path):
    """Line items in the app (scripted OCR and LLM): a table of the rows under the answer, each row
    outlined on the page where it was read, the row whose arithmetic fails marked with its reason."""
    from streamlit.testing.v1 import AppTest

    app = tmp_path / "fake_app.py"
    app.write_text(
        FAKE_APP.format(
            tests=str(REPO / "tests"),
            pages=json.dumps([PAGE1, PAGE2, RECEIPT], ensure_ascii=False),
            answers=json.dumps(ANSWERS, ensure_ascii=False),
            probs=PROBS,
            app=str(APP),
        )
    )
    receipt = tmp_path / "receipt.png"
    render_page(RECEIPT, (600, 1800)).save(receipt)
    env = {"CHATOCR_BACKEND": "scripted", "CHATOCR_OCR_ENGINE": "scripted-pages"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        at = AppTest.from_file(str(app), default_timeout=120)
        at.run()
        at.file_uploader[0].upload("receipt.png", receipt.read_bytes(), "image/png").run()
        at.chat_input[0].set_value("extract the line items and total").run()
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    assert not at.exception and not at.error, [e.value for e in at.error]
    items = next(h.body for h in at.html if "cocr-items" in h.body and "<table" in h.body)
    assert re.findall(r'data-row="(\d)"', items) == ["1", "2"] and ">NASI LEMAK<" in items
    assert 'title="check: quantity_times_unit_price_is_not_amount">⚠' in items  # 2 x 4.50 is not 4.50
    page = next(h.body for h in at.html if "cocr-viewer" in h.body)
    outlines = re.findall(r'class="cocr-item( review)?"[^>]*data-row="(\d)"[^>]*top: ([\d.]+)cqw', page)
    assert [(r, n) for r, n, _ in outlines] == [(" review", "1"), ("", "2")]
    # the outlines sit on the rows they were read from (y 600 and 900 of a 600 px wide page)
    assert [round(float(t) * 6) for _, _, t in outlines] == [600, 900]


# Everything the layout tests measure, in CSS pixels of the window.
MEASURE_JS = """(() => {
  const r = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const tables = [...document.querySelectorAll('table.cocr-answer')].map(t => {
    const wrap = t.closest('.cocr-answer-wrap');
    const col = t.closest('[data-testid="stColumn"]');
    return {rect: r(t), col: r(col), scroll_w: wrap.scrollWidth, client_w: wrap.clientWidth,
      rows: [...t.querySelectorAll('tbody tr')].map(tr => {
        const f = tr.querySelector('td.f div');
        return {field: f.innerText, mark: tr.querySelector('td.m').innerText, cls: tr.className,
                lines: f.getBoundingClientRect().height / parseFloat(getComputedStyle(f).lineHeight),
                cut: f.scrollWidth > f.clientWidth + 1};
      })};
  });
  const labels = [...document.querySelectorAll('.cocr-label')].map(l => ({
    field: l.dataset.field, text: l.innerText, rect: r(l), review: l.classList.contains('review'),
    cut: l.scrollWidth > l.clientWidth + 1}));
  const viewer = document.querySelector('.cocr-viewer');
  const img = document.querySelector('.cocr-page img.cocr-img');
  const q = s => { const e = document.querySelector(s); return e && r(e); };
  const shown = document.querySelector('[class*="st-key-preset-"] input[role="combobox"]');
  return JSON.stringify({
    header: q('[data-testid="stHeader"]'), toolbar: q('.st-key-zoom'), info: q('.st-key-doc-info'), bottom: q('[data-testid="stBottom"]'),
    chat_head: r([...document.querySelectorAll('h3')].find(h => h.innerText.trim() === 'Chat')),
    deploy: [...document.querySelectorAll('button')].some(b => /Deploy/.test(b.innerText)),
    preset: shown && {text: shown.value, cut: shown.scrollWidth > shown.clientWidth + 1},
    label_px: [...document.querySelectorAll('.cocr-label')].map(l => parseFloat(getComputedStyle(l).fontSize)),
    vw: window.innerWidth, vh: window.innerHeight, doc_w: document.documentElement.scrollWidth,
    tables, labels,
    highlights: [...document.querySelectorAll('.cocr-page .cocr-hl')].map(h => ({
      field: h.dataset.field, rect: r(h), review: h.classList.contains('review')})),
    ocr_boxes: !!document.querySelector('.cocr-page img.cocr-ocr'),
    viewer: viewer && {rect: r(viewer), client_w: viewer.clientWidth, scroll_w: viewer.scrollWidth,
                       page: viewer.dataset.page},
    img: img && {rect: r(img), loaded: img.complete && img.naturalWidth > 0},
    tabs: [...document.querySelectorAll('[role="tab"]')].map(t => [t.innerText.trim(),
                                                                  t.getAttribute('aria-selected')]),
  });
})()"""


def measure(browser) -> dict:
    return json.loads(browser.js(MEASURE_JS))


def overlaps(a, b, tol=0.5) -> bool:
    return a[0] + tol < b[2] and b[0] + tol < a[2] and a[1] + tol < b[3] and b[1] + tol < a[3]


SCROLL_TO_END_JS = """(() => { const m = document.querySelector('[data-testid="stMain"]');
  m.scrollTo(0, m.scrollHeight); return m.scrollTop; })()"""


def check_layout(m: dict) -> None:
    """What must hold at any window width: nothing wider than the window, every answer table inside
    its column with no horizontal scrolling, field names on one line, labels not overlapping and
    readable; the zoom toolbar and the chat heading below Streamlit's header, the page viewer above
    the chat input, the preset's name shown whole, no "Deploy" button."""
    assert m["doc_w"] <= m["vw"], f"the page scrolls sideways: {m['doc_w']} > {m['vw']}"
    header_bottom = m["header"][3]
    assert m["toolbar"][1] >= header_bottom - 0.5, f"zoom toolbar under the header: {m['toolbar']}"
    assert m["chat_head"][1] >= header_bottom - 0.5, f"chat heading under the header: {m['chat_head']}"
    # the document's name and counts stay on the toolbar's row (a wrapped toolbar pushed the viewer
    # into the chat input at 1280 px)
    assert m["info"][1] < m["toolbar"][3] and m["info"][3] > m["toolbar"][1], (m["info"], m["toolbar"])
    assert m["viewer"]["rect"][3] <= m["bottom"][1] + 0.5, f"viewer runs into the chat input: {m['viewer']}"
    assert not m["deploy"], "Streamlit's Deploy button shows"
    assert m["preset"] and not m["preset"]["cut"], f"preset name cut: {m['preset']}"
    assert all(px >= 10 for px in m["label_px"]), f"labels too small to read: {m['label_px']}"
    for t in m["tables"]:
        assert t["scroll_w"] <= t["client_w"], f"answer table clipped: {t['scroll_w']} > {t['client_w']}"
        assert t["rect"][0] >= t["col"][0] - 0.5 and t["rect"][2] <= t["col"][2] + 0.5 <= m["vw"] + 0.5, t
        for row in t["rows"]:
            assert row["lines"] < 1.3 and not row["cut"], f"field name wraps or is cut: {row}"
    img = m["img"]["rect"] if m["img"] else None
    for h in m["highlights"]:  # every highlight on the page image
        assert img[0] - 0.5 <= h["rect"][0] < h["rect"][2] <= img[2] + 0.5, (h, img)
        assert img[1] - 0.5 <= h["rect"][1] < h["rect"][3] <= img[3] + 0.5, (h, img)
    labels = m["labels"]
    for lab in labels:
        assert not lab["cut"], f"label text cut off: {lab}"
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            assert not overlaps(a["rect"], b["rect"]), f"labels overlap: {a} {b}"


def upload_and_wait(b, path, expression: str, what: str) -> None:
    """Give `path` to the uploader and wait for `expression`. Streamlit's single-file uploader
    replaces a file in two steps (remove, then upload), and a file given while a rerun is under
    way is now and then dropped: the page then says "Upload a document to start". A user gives
    the file again; so does this, once. It gives the file only when the app has settled."""
    b.wait("!!document.querySelector('input[type=file]')", 60, "the app to settle")
    b.upload(path)
    try:
        b.wait(expression, 60, what)
    except TimeoutError:
        b.wait("!!document.querySelector('input[type=file]')", 60, "the uploader")
        b.upload(path)
        b.wait(expression, 120, what)


# slow: needs chromium (installed by `make test`), ~20 s per width
@pytest.mark.slow
@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)], ids=["1280px", "1920px"])
def test_demo_layout_in_chromium(fake_demo, size, tmp_path):
    """Upload, two questions, clear, zoom and a 2-page PDF in a real browser, measured at a window
    width of 1280 and 1920 px."""
    chromium_or_fail()
    from screenshot import Browser, save_png

    base, png, pdf, receipt = fake_demo
    with Browser(size) as b:
        b.goto(base + "/")
        b.wait("!!document.querySelector('input[type=file]')", 120, "the uploader")
        b.upload(png)
        b.wait(
            "!!document.querySelector('.cocr-page img.cocr-img') && document.querySelector('.cocr-page img.cocr-img').complete",
            120,
            "the page image",
        )
        m = measure(b)
        # the page uses the space: more than half the window wide
        assert m["img"]["rect"][2] - m["img"]["rect"][0] > 0.5 * size[0], m["img"]
        assert m["tabs"] == [] and m["labels"] == []

        b.chat("提取发票号码、开票日期、购买方名称、销售方名称和价税合计")
        b.wait("document.querySelectorAll('table.cocr-answer').length === 1", 120, "the first answer")
        m = measure(b)
        check_layout(m)
        rows = {r["field"]: r for r in m["tables"][0]["rows"]}
        assert list(rows) == ["发票号码", "开票日期", "购买方名称", "销售方名称", "价税合计"]
        assert rows["发票号码"]["mark"] == "✓" and rows["开票日期"]["mark"] == "✓"
        assert rows["价税合计"]["mark"] == "⚠" and rows["价税合计"]["cls"] == "review"  # confidence 0.3
        first = {lab["field"] for lab in m["labels"]}
        assert first == set(rows), m["labels"]
        assert [lab["review"] for lab in m["labels"] if lab["field"] == "价税合计"] == [True]
        assert len(m["highlights"]) == 5 and m["ocr_boxes"]

        b.chat("extract total")
        b.wait("document.querySelectorAll('table.cocr-answer').length === 2", 120, "the second answer")
        b.js(SCROLL_TO_END_JS)  # the chat scrolls; the toolbar, the chat heading stay in view
        m = measure(b)
        check_layout(m)
        assert m["preset"]["text"] == "增值税发票 VAT invoice"  # a Chinese invoice starts with its fields
        # the first question's highlights are still drawn, the second's added
        assert {lab["field"] for lab in m["labels"]} == first | {"total"}
        assert len(m["highlights"]) == 6
        shot = b.png()
        save_png(shot, tmp_path / f"demo-{size[0]}.png")

        # zoom: the page grows past the viewer, which scrolls
        b.click(
            ".st-key-zoom button",
            "200%",
        )
        b.wait(
            "(() => { const v = document.querySelector('.cocr-viewer');"
            " return v && v.scrollWidth > 1.8 * v.clientWidth; })()",
            60,
            "the page at 200 %",
        )
        check_layout(measure(b))

        # clear: no highlight and no label left, the answers stay in the chat
        b.click("button", "Clear highlights")
        b.wait("document.querySelectorAll('.cocr-label').length === 0", 60, "the highlights to clear")
        m = measure(b)
        assert m["highlights"] == [] and len(m["tables"]) == 2

        # a 2-page PDF: page tabs, one page shown at a time, the answer's page opens
        b.click(
            ".st-key-zoom button",
            "fit page",
        )
        # upload_and_wait lets the zoom's rerun finish first: a file given mid-rerun can be dropped
        tabs = "document.querySelectorAll('[role=\"tab\"]').length === 2 && !!document.querySelector('.cocr-page img.cocr-img')"
        upload_and_wait(b, pdf, tabs, "the page tabs")
        m = measure(b)
        assert [t[0] for t in m["tabs"]] == ["Page 1", "Page 2"] and m["viewer"]["page"] == "1"
        assert len(m["tables"]) == 0
        b.chat("提取备注")
        b.wait(
            "(() => { const v = document.querySelector('.cocr-viewer');"
            " return v && v.dataset.page === '2' && document.querySelectorAll('.cocr-label').length === 1; })()",
            120,
            "page 2 with the answer",
        )
        m = measure(b)
        check_layout(m)
        assert m["labels"][0]["field"] == "备注" and m["tabs"][1][1] == "true"
        b.click('[role="tab"]', "Page 1")
        b.wait(
            "(() => { const v = document.querySelector('.cocr-viewer'); return v && v.dataset.page === '1'; })()",
            60,
            "page 1",
        )
        assert measure(b)["labels"] == []  # the 备注 highlight is on page 2

        # a tall receipt: the receipt's fields are the preset, and the default zoom shows the whole
        # page, so its date (at the top) and its total (at the bottom) are both in view
        upload_and_wait(
            b,
            receipt,
            "(() => { const i = document.querySelector('.cocr-page img.cocr-img');"
            " return i && i.complete && i.naturalHeight > 2 * i.naturalWidth; })()",
            "the receipt",
        )
        b.wait(
            "(() => { const s = document.querySelector('[class*=\"st-key-preset-\"] input');"
            " return s && s.value === 'Receipt'; })()",
            60,
            "the receipt preset",
        )
        b.click("button", "Ask")
        b.wait("document.querySelectorAll('.cocr-label').length === 3", 120, "the receipt's highlights")
        b.js(SCROLL_TO_END_JS)
        m = measure(b)
        check_layout(m)
        view = m["viewer"]["rect"]
        assert {h["field"] for h in m["highlights"]} == {"company", "date", "total"}
        for h in m["highlights"]:
            assert view[1] <= h["rect"][1] and h["rect"][3] <= view[3], ("off-screen", h, view)
        save_png(b.png(), tmp_path / f"receipt-{size[0]}.png")
