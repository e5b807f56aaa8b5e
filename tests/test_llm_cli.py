"""`chatocr extract` through CliRunner, with the real OCR and the session's embedded model."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from chatocr.cli import main
from llm_stage import register_backend


@pytest.fixture(scope="module")
def runner(embedded_backend):
    # The CLI builds its backend through the registry; this name hands it the already loaded model.
    register_backend("session-embedded", lambda **opts: embedded_backend)
    return CliRunner()


def _run(runner, *args):
    return runner.invoke(main, ["extract", *args, "--backend", "session-embedded"], catch_exceptions=False)


def test_extract_json(runner, sample_path):
    r = _run(runner, str(sample_path), "-f", "发票号码", "-f", "价税合计", "--format", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert list(out["fields"]) == ["发票号码", "价税合计"]
    assert out["timings"]["ocr_s"] > 0 and out["timings"]["llm_s"] > 0


def test_extract_csv_and_table(runner, sample_path):
    r = _run(runner, str(sample_path), "--fields", "发票号码，开票日期", "-o", "csv", "--strict")
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0][:2] == ["field", "value"] and [row[0] for row in rows[1:]] == ["发票号码", "开票日期"]
    r = _run(runner, str(sample_path), "-F", "开票日期", "-o", "table", "-n")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["field", "value", "grounded", "page", "score", "normalized"]
    assert lines[2].startswith("开票日期")


def test_empty_field_list_is_a_clear_error(runner, sample_path):
    r = runner.invoke(main, ["extract", str(sample_path), "--fields", " , ,"])
    assert r.exit_code != 0
    assert "Error: the query is empty" in r.output and "Traceback" not in r.output


def test_unknown_backend_and_missing_file_are_one_line_errors(runner, sample_path, tmp_path):
    r = runner.invoke(main, ["extract", str(sample_path), "-f", "a", "--backend", "nope"])
    assert r.exit_code != 0 and "unknown LLM backend 'nope'" in r.output
    r = runner.invoke(main, ["extract", str(tmp_path / "missing.png"), "-f", "a", "-b", "session-embedded"])
    assert r.exit_code != 0 and "Traceback" not in r.output and "missing.png" in r.output
