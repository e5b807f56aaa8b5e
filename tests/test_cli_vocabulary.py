"""The CLI's interface, with a scripted backend and OCR engine (no model loads): one
vocabulary across the subcommands, checks before any model loads, 1-based source page numbers,
and quiet stderr."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import click
import pytest
from api_helpers import render_text_png
from click.testing import CliRunner
from fakes import Registry
from PIL import Image

from chatocr.cli import COMMANDS, main

# -------------------------------------------------------------------- one vocabulary


def _commands() -> dict[str, click.Command]:
    ctx = click.Context(main)
    return {name: main.get_command(ctx, name) for name in COMMANDS}


def _options(cmd: click.Command):
    return [p for p in cmd.params if isinstance(p, click.Option) and p.name != "help"]


def test_short_flags_never_collide_and_long_names_mean_one_thing():
    seen: dict[str, tuple] = {}  # long name -> (short flags, env var, flag-ness) of its first use
    for name, cmd in _commands().items():
        shorts = [o for p in _options(cmd) for o in p.opts if not o.startswith("--")]
        assert len(shorts) == len(set(shorts)), f"{name}: short flags collide: {sorted(shorts)}"
        for p in _options(cmd):
            for long in (o for o in p.opts + p.secondary_opts if o.startswith("--")):
                # The two servers (API, LLM) may run side by side: their address has a variable each.
                env = None if long in ("--host", "--port") else p.envvar
                sig = (tuple(sorted(o for o in p.opts if not o.startswith("--"))), env, p.is_flag)
                assert seen.setdefault(long, sig) == sig, f"{long} in {name}: {sig} vs {seen[long]}"


def test_every_option_has_a_chatocr_variable():
    for name, cmd in _commands().items():
        for p in _options(cmd):
            assert isinstance(p.envvar, str) and p.envvar.startswith("CHATOCR_"), f"{name} {p.opts}"
    assert next(p for p in main.params if p.name == "verbose").envvar == "CHATOCR_VERBOSE"


def test_the_shared_short_flags():
    cmds = _commands()
    for name in ("extract", "batch", "eval"):
        opts = {o: p.name for p in _options(cmds[name]) for o in p.opts}
        assert opts["-f"] == "fields" and opts["--field"] == "fields" and opts["--fields"] == "fields"
        assert opts["-o"] == "output" and opts["-m"] == "model"
    for name in ("extract", "batch"):
        opts = {o: p.name for p in _options(cmds[name]) for o in p.opts}
        assert opts["-q"] == "question" and opts["-p"] == "pages" and opts["-s"] == "strict"
    assert "-q" not in {o for p in _options(cmds["serve"]) for o in p.opts}  # was --queue


# -------------------------------------------------------------------- extract with fakes


@pytest.fixture
def fakes():
    return Registry(script=[{"a": "PAGE 2", "b": "9.00", "c": None, "total": "9.00"}])


@pytest.fixture
def png(tmp_path):
    path = tmp_path / "doc.png"
    path.write_bytes(render_text_png(["TOTAL 9.00"]))
    return path


@pytest.fixture
def two_page_pdf(tmp_path):
    path = tmp_path / "two.pdf"
    pages = [Image.open(io.BytesIO(render_text_png([t]))) for t in ("ONE", "TWO")]
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:])
    return path


def _extract(*args, env=None):
    return CliRunner().invoke(
        main, ["extract", *map(str, args), "-b", "scripted", "-e", "scripted-ocr"], env=env
    )


def test_fields_repeat_and_take_comma_lists_everywhere(fakes, png):
    r = _extract(png, "-f", "a", "--field", "b，c", "--fields", "total")
    assert r.exit_code == 0, r.output
    assert list(json.loads(r.stdout)["fields"]) == ["a", "b", "c", "total"]
    # the variable holds one comma list, not split on spaces (field names may hold spaces)
    r = _extract(png, env={"CHATOCR_FIELDS": "invoice number, total"})
    assert list(json.loads(r.stdout)["fields"]) == ["invoice number", "total"]


def test_output_file_and_format(fakes, png, tmp_path):
    out = tmp_path / "sub" / "answer.csv"
    r = _extract(png, "-f", "total", "-o", out, "--format", "csv")
    assert r.exit_code == 0, r.output
    assert r.stdout == "" and f"wrote {out}" in r.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows == [["document", "total"], ["doc.png", "9.00"]]  # one row per document


def test_page_is_the_source_page_everywhere(fakes, two_page_pdf, tmp_path):
    r = _extract(two_page_pdf, "-f", "total", "-p", "2")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["fields"]["total"]["page"] == 2  # the source page, 1-based
    r = _extract(two_page_pdf, "-f", "total", "-p", "2", "--format", "table")
    assert r.stdout.splitlines()[2].split()[:4] == ["total", "9.00", "yes", "2"]
    r = _extract(two_page_pdf, "-f", "total", "-p", "2", "--format", "csv", "--split-pages")
    assert list(csv.reader(io.StringIO(r.stdout)))[1][:3] == ["two.pdf", "2", "9.00"]
    r = CliRunner().invoke(
        main, ["ocr", str(two_page_pdf), "-p", "2", "-e", "scripted-ocr", "--format", "json"]
    )
    assert [p["page"] for p in json.loads(r.stdout)["pages"]] == [2]


def test_copy_flag_reaches_the_backend(fakes, png):
    assert _extract(png, "-f", "total").exit_code == 0
    assert fakes.backend.calls[-1]["copy_from"] is not None  # default: copy on for fields
    assert _extract(png, "-f", "total", "--no-copy").exit_code == 0
    assert fakes.backend.calls[-1]["copy_from"] is None
    assert _extract(png, "-q", "what is the total?", env={"CHATOCR_COPY": "1"}).exit_code == 0
    assert fakes.backend.calls[-1]["copy_from"] is not None


def test_review_threshold_flags_values_below_it(fakes, png):
    r = _extract(png, "-f", "total")
    fv = json.loads(r.stdout)["fields"]["total"]
    assert fv["confidence"] == pytest.approx(0.8) and not fv["needs_review"]
    r = _extract(png, "-f", "total", "--review-below", "0.9")
    assert json.loads(r.stdout)["fields"]["total"]["needs_review"]
    r = _extract(png, "-f", "total", "--format", "table", env={"CHATOCR_REVIEW_BELOW": "0.9"})
    assert r.stdout.splitlines()[2].split()[-1] == "check"


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.png", "-f", "a"], "does not exist"),
        (["DOC", "-f", " , "], "the query is empty"),
        (["DOC", "-f", "a", "-p", "0"], "pages start at 1"),
        (["DOC", "-f", "a", "-p", "2-1"], "ends before it starts"),
        (["DOC", "-f", "a", "-p", "1-500"], "over the limit of 20"),
        (["DOC", "-f", "a", "-p", "3"], "page 3 requested but the image has 1 page"),
        (["DOC", "-f", "a", "-b", "nope"], "unknown LLM backend 'nope'"),
    ],
)
def test_mistakes_are_reported_before_any_model_loads(fakes, png, tmp_path, args, message):
    args = [str(png) if a == "DOC" else str(tmp_path / a) if a == "missing.png" else a for a in args]
    r = CliRunner().invoke(
        main, ["extract", *args, "-e", "scripted-ocr"] + ([] if "-b" in args else ["-b", "scripted"])
    )
    assert r.exit_code != 0 and message in r.output and "Traceback" not in r.output, r.output
    assert fakes.backend_builds == 0 and fakes.backend.calls == []


# The whole command as a process: it answers before importing any model runtime (what made it take
# 17-38 s once); checked by what was imported, not by a clock.
MISSING_FILE_PROBE = """
import runpy, sys
sys.argv = ["chatocr", "extract", sys.argv[1], "-f", "total"]
try:
    runpy.run_module("chatocr", run_name="__main__")
except SystemExit as e:
    heavy = sorted(m for m in ("torch", "transformers", "onnxruntime", "rapidocr", "paddle") if m in sys.modules)
    print("imported:", ",".join(heavy), file=sys.stderr)
    raise
"""


def test_missing_file_reported_as_a_process_before_any_model_loads(tmp_path):
    r = subprocess.run(
        [sys.executable, "-c", MISSING_FILE_PROBE, str(tmp_path / "missing.png")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and "does not exist" in r.stderr, r.stderr
    assert r.stderr.strip().splitlines()[-1] == "imported:", r.stderr


def test_backend_errors_are_one_line(png):
    from llm_stage import BackendError

    Registry(script=[BackendError("server at http://x:1 is not answering")])
    r = _extract(png, "-f", "total")
    assert r.exit_code == 1 and r.output.strip().splitlines()[-1].startswith("Error: the LLM backend failed")


# -------------------------------------------------------------------- batch and eval speak it too


def test_batch_takes_repeated_fields_limit_and_output(fakes, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        (docs / name).write_bytes(render_text_png(["TOTAL 9.00"]))
    out = tmp_path / "r.jsonl"
    r = CliRunner().invoke(
        main,
        ["batch", str(docs), "-f", "total", "-f", "b,c", "-n", "2", "-o", str(out), "-b", "scripted",
         "-e", "scripted-ocr", "--no-progress"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["document"] for x in recs] == ["a.png", "b.png"]
    assert list(recs[0]["extraction"]["fields"]) == ["total", "b", "c"]
    assert recs[0]["extraction"]["fields"]["total"]["page"] == 1
    assert recs[0]["extraction"]["timings"]["ocr_s"] > 0


def test_batch_checks_the_query_and_pages_before_loading(fakes, tmp_path):
    (tmp_path / "a.png").write_bytes(render_text_png(["X"]))
    r = CliRunner().invoke(main, ["batch", str(tmp_path), "-f", "a", "-p", "x", "-b", "scripted"])
    assert r.exit_code == 2 and "'1-3,5'" in r.output and fakes.backend_builds == 0


# -------------------------------------------------------------------- quiet by default


QUIET_PROBE = """
import warnings, sys
from chatocr.commands.common import quiet_third_party
quiet_third_party()
warnings.warn_explicit("old api", FutureWarning, "transformers/modeling_utils.py", 1, module="transformers.x")
warnings.warn_explicit("deprecated", DeprecationWarning, "torch/nn/module.py", 1, module="torch.nn")
warnings.warn_explicit("a user warning", UserWarning, "peft/x.py", 1, module="peft.x")
import transformers.utils.logging as hl
hl.get_logger("transformers.modeling_utils").warning("past_key_values is deprecated")
from transformers.utils.logging import tqdm
for _ in tqdm(range(3), desc="Loading weights"):
    pass
from tqdm import tqdm as own
for _ in own(range(3), desc="chatocr-bar"):
    pass
"""


def _clean_env() -> dict:
    # CLI tests in this process may have run quiet_third_party(), which sets these.
    quiet_vars = (
        "TRANSFORMERS_VERBOSITY",
        "TRANSFORMERS_NO_ADVISORY_WARNINGS",
        "HF_HUB_DISABLE_PROGRESS_BARS",
    )
    return {k: v for k, v in os.environ.items() if k not in quiet_vars}


def test_quiet_by_default_keeps_own_progress_bars():
    r = subprocess.run(
        [sys.executable, "-c", QUIET_PROBE], capture_output=True, text=True, timeout=120, env=_clean_env()
    )
    assert r.returncode == 0, r.stderr
    for noise in ("old api", "deprecated", "a user warning", "past_key_values", "Loading weights"):
        assert noise not in r.stderr, r.stderr
    assert "chatocr-bar" in r.stderr


def test_verbose_shows_them():
    probe = QUIET_PROBE.replace("quiet_third_party()\n", "")
    r = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, env=_clean_env()
    )
    assert "old api" in r.stderr and "Loading weights" in r.stderr
