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
    r = _run(runner, str(sample_path), "--fields", "发票号码，开票日期", "--format", "csv", "--strict")
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(r.stdout)))
    # one row per document, one column per field
    assert rows[0] == ["document", "发票号码", "开票日期"] and len(rows) == 2
    assert rows[1][0] == sample_path.name
    r = _run(runner, str(sample_path), "-f", "开票日期", "--format", "table", "--normalize")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split() == [
        "field",
        "value",
        "grounded",
        "page",
        "score",
        "confidence",
        "review",
        "repaired",
        "normalized",
    ]
    assert lines[2].startswith("开票日期")
    conf = lines[2].split()[5] if lines[2].split()[2] == "yes" else None
    assert conf is None or 0.0 <= float(conf) <= 1.0


# The two below need no model (the mistakes are caught before one loads): no `runner` fixture.
def test_empty_field_list_is_a_clear_error(sample_path):
    r = CliRunner().invoke(main, ["extract", str(sample_path), "--fields", " , ,"])
    assert r.exit_code != 0
    assert "Error: the query is empty" in r.output and "Traceback" not in r.output


def test_unknown_backend_and_missing_file_are_one_line_errors(sample_path, tmp_path):
    runner = CliRunner()
    r = runner.invoke(main, ["extract", str(sample_path), "-f", "a", "--backend", "nope"])
    assert r.exit_code != 0 and "unknown LLM backend 'nope'" in r.output
    r = runner.invoke(main, ["extract", str(tmp_path / "missing.png"), "-f", "a"])
    assert r.exit_code != 0 and "Traceback" not in r.output and "missing.png" in r.output


@pytest.mark.slow
def test_a_real_run_is_quiet_on_stderr(sample_path):
    """Runs once printed a `Loading weights` bar, two FutureWarnings and a deprecation
    line on stderr; now only chatocr's own lines appear there unless --verbose."""
    import os
    import subprocess
    import sys

    quiet_vars = (
        "TRANSFORMERS_VERBOSITY",
        "TRANSFORMERS_NO_ADVISORY_WARNINGS",
        "HF_HUB_DISABLE_PROGRESS_BARS",
    )
    env = {k: v for k, v in os.environ.items() if k not in quiet_vars} | {"CHATOCR_LLM_THREADS": "1"}
    r = subprocess.run(
        [sys.executable, "-m", "chatocr", "extract", str(sample_path), "-f", "发票号码", "--format", "table"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[2].startswith("发票号码")
    for noise in ("Loading weights", "Warning", "deprecated"):
        assert noise not in r.stderr, r.stderr
