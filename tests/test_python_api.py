"""The Python API as docs/python.md shows it: `Pipeline()` with defaults, the first example run as
written (real models), quiet; one answer per page; the error table complete at import."""

from __future__ import annotations

import importlib
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from api_helpers import render_text_png
from fakes import ScriptedBackend, ScriptedEngine
from PIL import Image

from chatocr import Pipeline
from chatocr.errors import FRONT_END_ERRORS, kind_of

REPO = Path(__file__).resolve().parents[1]


def _first_example() -> str:
    text = (REPO / "docs" / "python.md").read_text(encoding="utf-8")
    return re.search(r"```python\n(.*?)```", text, re.S)[1]


def test_pipeline_with_defaults_loads_the_llm_on_first_use():
    p = Pipeline()
    assert p.ocr_engine is not None and p.has_llm and p._backend is None  # nothing loaded yet
    assert p.limits.max_pages >= 1
    assert Pipeline(backend=None).has_llm is False


def test_run_pages_answers_each_page():
    buf = io.BytesIO()
    pages = [Image.open(io.BytesIO(render_text_png([f"R{i}", "TOTAL 9.00"]))) for i in (1, 2)]
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:])
    p = Pipeline(ScriptedEngine(), ScriptedBackend([{"total": "9.00"}]))
    results = p.run_pages(buf.getvalue(), "total", name="stack.pdf")
    assert [r.ocr.pages[0].page for r in results] == [1, 2]
    assert [r.extraction.fields["total"].page for r in results] == [1, 2]


@pytest.mark.slow
def test_the_documented_example_runs_and_is_quiet():
    """docs/python.md's first example, as written, with the shipped models: it prints the two
    values and nothing else (no weight-loading bars, no FutureWarning)."""
    env = {**os.environ, "CHATOCR_VERBOSE": ""}
    out = subprocess.run(
        [sys.executable, "-c", _first_example()],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    number, total = out.stdout.split()
    assert re.fullmatch(r"\d{8}", number) and "112837.07" in total, out.stdout
    assert out.stderr.strip() == "", out.stderr[-2000:]


def test_every_front_end_error_in_the_table_is_an_exception_class():
    for dotted in FRONT_END_ERRORS:
        module, _, name = dotted.rpartition(".")
        cls = getattr(importlib.import_module(module), name)
        assert isinstance(cls, type) and issubclass(cls, Exception), dotted
        assert kind_of(cls("x")) is FRONT_END_ERRORS[dotted]


def test_error_kinds_do_not_depend_on_what_was_imported():
    """In a fresh process, eval's and fine-tuning's errors are answered by their own entries before
    anything imported their front ends' modules beyond the exception's own."""
    code = (
        "from chatocr.errors import kind_of\n"
        "from chatocr.evaluation.report import ResultFileError\n"
        "print(kind_of(ResultFileError('x')).code)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "bad_result_file"
