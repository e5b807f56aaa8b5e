"""What a new user meets on the command line, with the scripted parts: --version, a mistyped
subcommand, a question beside fields, one answer per page, CSV rows, `normalized` only when asked,
page separators in `ocr`, rounded boxes."""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pytest
from api_helpers import render_text_png
from click.testing import CliRunner
from fakes import Registry
from PIL import Image

import chatocr
from chatocr.cli import main
from ocr_stage import TextLine


@pytest.fixture
def fakes():
    return Registry(script=[lambda keys, _: {k: ("yes" if k == "answer" else "9.00") for k in keys}])


@pytest.fixture
def png(tmp_path):
    path = tmp_path / "doc.png"
    path.write_bytes(render_text_png(["TOTAL 9.00"]))
    return path


@pytest.fixture
def stack(tmp_path):
    path = tmp_path / "stack.pdf"
    pages = [Image.open(io.BytesIO(render_text_png([f"RECEIPT {i}", "TOTAL 9.00"]))) for i in (1, 2)]
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:])
    return path


def _extract(*args):
    return CliRunner().invoke(main, ["extract", *map(str, args), "-b", "scripted", "-e", "scripted-ocr"])


def test_version_names_the_package_and_the_shipped_adapter():
    r = CliRunner().invoke(main, ["--version"])
    assert r.exit_code == 0
    pkg, adapter = r.output.strip().splitlines()
    assert pkg == f"chatocr {chatocr.__version__}"
    assert re.fullmatch(r"adapter chatocr-smollm2-lora v\d+( \+ its line-items adapter)?", adapter), adapter


def test_a_mistyped_subcommand_gets_a_suggestion():
    r = CliRunner().invoke(main, ["extrct", "x.png"])
    assert r.exit_code == 2 and "Did you mean 'extract'?" in r.output
    r = CliRunner().invoke(main, ["zzzz"])
    assert r.exit_code == 2 and "Did you mean" not in r.output


def test_a_question_beside_fields_is_answered_too(fakes, png):
    r = _extract(png, "-f", "total", "-q", "is it paid?")
    assert r.exit_code == 0, r.output
    fields = json.loads(r.stdout)["fields"]
    assert list(fields) == ["total", "answer"] and fields["answer"]["value"] == "yes"
    assert [c["keys"] for c in fakes.backend.calls] == [["total"], ["answer"]]
    r = _extract(png, "-f", "answer", "-q", "is it paid?")
    assert r.exit_code == 1 and r.output.startswith("Error: ") and "'answer'" in r.output


def test_split_pages_answers_each_page(fakes, stack):
    r = _extract(stack, "-f", "total", "--split-pages")
    assert r.exit_code == 0, r.output
    answers = json.loads(r.stdout)
    assert [a["page"] for a in answers] == [1, 2]
    assert [a["fields"]["total"]["page"] for a in answers] == [1, 2]
    r = _extract(stack, "-f", "total", "--split-pages", "--format", "csv")
    assert list(csv.reader(io.StringIO(r.stdout))) == [
        ["document", "page", "total"],
        ["stack.pdf", "1", "9.00"],
        ["stack.pdf", "2", "9.00"],
    ]
    r = _extract(stack, "-f", "total")  # without the flag: one answer for the document
    assert isinstance(json.loads(r.stdout), dict)


def test_csv_is_one_row_per_document_with_normalized_beside(fakes, png):
    r = _extract(png, "-f", "total,date", "--format", "csv", "--normalize")
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows == [["document", "total", "total.normalized", "date", "date.normalized"],
                    ["doc.png", "9.00", "9.00", "9.00", rows[1][4]]]  # fmt: skip


def test_normalized_is_null_without_normalize(fakes, png):
    fields = json.loads(_extract(png, "-f", "total").stdout)["fields"]
    assert fields["total"]["value"] == "9.00" and fields["total"]["normalized"] is None
    fields = json.loads(_extract(png, "-f", "total", "--normalize").stdout)["fields"]
    assert fields["total"]["normalized"] == "9.00"


def test_ocr_of_several_pages_marks_each_page(fakes, stack):
    r = CliRunner().invoke(main, ["ocr", str(stack), "-e", "scripted-ocr"])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("--- page 1 ---\n") and "\n\n--- page 2 ---\n" in r.stdout
    r = CliRunner().invoke(main, ["ocr", str(stack), "-e", "scripted-ocr", "-p", "2"])
    assert "--- page" not in r.stdout  # one page: just its text


def test_boxes_are_rounded():
    line = TextLine(
        text="x", box=np.array([[1.1, 2.2], [3.3, 2.2], [3.3, 4.4], [1.1, 4.4]], np.float32), score=1
    )
    assert line.box[0] == (1.1, 2.2) and json.dumps(line.box[2]) == "[3.3, 4.4]"


def test_eval_charts_warn_about_no_font(tmp_path, caplog, monkeypatch, request):
    """Chinese field names on a machine without a CJK font: the chart is drawn, without a warning
    per missing glyph or a `findfont` log line."""
    pytest.importorskip("matplotlib")
    import warnings

    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from chatocr.evaluation.report import _charts

    latin = [f for f in font_manager.fontManager.ttflist if "DejaVu" in f.name]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", latin)
    monkeypatch.setitem(plt.rcParams, "font.sans-serif", ["DejaVu Sans"])
    font_manager.fontManager._findfont_cached.cache_clear()
    request.addfinalizer(font_manager.fontManager._findfont_cached.cache_clear)  # the real fonts again

    result = {
        "summary": {"fields": {"发票号码": {"f1": 0.5}, "total": {"f1": 0.9}}},
        "config": {"dataset": "set", "method": "regex"},
        "documents": [{"timings": {"ocr_s": 1.0, "llm_s": 2.0}}],
    }
    with warnings.catch_warnings(record=True) as caught, caplog.at_level("WARNING"):
        warnings.simplefilter("always")
        lines = _charts(result, tmp_path / "r.md")
    assert (tmp_path / "r_f1.png").exists() and lines[0].startswith("![per-field F1]")
    assert [str(w.message) for w in caught] == []
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


def test_serve_logs_when_its_models_are_loaded(tmp_path):
    """`chatocr serve` says in one log line that the models are in (OCR only here: --no-llm)."""
    import subprocess
    import sys

    from api_helpers import free_port, stop_process, wait_http

    port = free_port()
    err = (tmp_path / "stderr.txt").open("w+b")
    proc = subprocess.Popen(
        [sys.executable, "-m", "chatocr", "serve", "--no-llm", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=err,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/readyz", 120, "chatocr serve", proc)
    finally:
        stop_process(proc)
    err.seek(0)
    lines = [x for x in err.read().decode().splitlines() if "models loaded" in x]
    assert len(lines) == 1 and lines[0].startswith("INFO:") and "engines=['rapid']" in lines[0], lines
