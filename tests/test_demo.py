"""The Streamlit chat demo: chat parsing, an upload + chat turn through Streamlit's AppTest, and the
running app in a real headless Chromium (screenshot shows the page, the highlighted boxes and the answer)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from api_helpers import free_port, render_text_png, squash, stop_process, wait_http

from chatocr.chat import parse_chat

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "demo" / "app.py"


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
    table = at.table[0].value
    assert list(table["field"]) == ["company", "total"]
    doc = next(iter(at.session_state["docs"].values()))
    msg, ext = doc["history"][-1]
    assert msg == "extract the company and total" and set(ext["fields"]) == {"company", "total"}
    ocr_text = squash(doc["ocr"].to_plain_text())
    for v in ext["fields"].values():
        if v["grounded"]:
            assert squash(v["value"])[:3] in ocr_text and len(v["box"]) == 4
    # a second turn keeps the history of this document
    at.chat_input[0].set_value("what is the total?").run()
    assert len(doc["history"]) == 2 or len(next(iter(at.session_state["docs"].values()))["history"]) == 2
    assert [b.label for b in at.get("download_button")][:2] == ["Download JSON", "Download CSV"]


@pytest.fixture(scope="module")
def demo_server():
    port = free_port()
    env = dict(os.environ, CHATOCR_LLM_THREADS=os.environ.get("CHATOCR_LLM_THREADS", "1"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(APP),
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


@pytest.mark.slow
def test_headless_chromium_screenshot(demo_server, tmp_path):
    if shutil.which("chromium") is None:
        pytest.fail("chromium missing: `make test` installs it (scripts/setup_chromium.sh)")
    sys.path.insert(0, str(REPO / "demo"))
    from screenshot import screenshot

    out = tmp_path / "demo.png"
    state = screenshot(demo_server + "/?sample=1", out, timeout=900)
    assert "发票号码" in state["table"] and "价税合计" in state["table"]
    assert state["img"]
    from PIL import Image

    img = Image.open(out).convert("RGB")
    assert img.size == (1500, 1000) and out.stat().st_size < 300 * 1024
    # the highlight fill (translucent amber over the page: about (255, 235, 165)) covers the grounded
    # value boxes; nothing else on the page has that colour
    counts = img.getcolors(maxcolors=1 << 20)
    assert sum(n for n, (r, g, b) in counts if r > 235 and 215 < g < 250 and 130 < b < 195) > 150
