"""`chatocr batch` as a library and a command, with the scripted parts (the point is the interface):
what counts as done is per job (fields and options), one answer per page of a multi-document PDF,
CSV output with --normalize, a CSV of other fields refused, failures named once."""

from __future__ import annotations

import csv
import io
import subprocess
import sys

import pytest
from api_helpers import render_text_png
from click.testing import CliRunner
from fakes import Registry, ScriptedBackend, ScriptedEngine
from PIL import Image

from chatocr.batch import BatchJob, SinkError, done_documents, read_records, run_batch
from chatocr.batch.records import failure_line
from chatocr.cli import main
from chatocr.pipeline import Pipeline
from llm_stage import FieldQuery


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    (d / "a.png").write_bytes(render_text_png(["SHOP KLM", "TOTAL 12.40"]))
    stack = [Image.open(io.BytesIO(render_text_png([f"RECEIPT {i}", "TOTAL 9.00"]))) for i in (1, 2, 3)]
    stack[0].save(d / "stack.pdf", "PDF", save_all=True, append_images=stack[1:])
    return d


def _pipe():
    return Pipeline(ScriptedEngine(), ScriptedBackend([lambda keys, _: {k: "9.00" for k in keys}]))


def test_a_rerun_with_other_fields_or_options_does_the_work_again(folder, tmp_path):
    out = tmp_path / "r.jsonl"
    s = run_batch(_pipe(), folder, FieldQuery(fields=["total"]), out, progress=False)
    assert (s["ok"], s["skipped"]) == (2, 0)
    s = run_batch(_pipe(), folder, FieldQuery(fields=["total"]), out, progress=False)
    assert (s["ok"], s["skipped"]) == (0, 2)  # the same job: done
    s = run_batch(_pipe(), folder, FieldQuery(fields=["total", "date"]), out, progress=False)
    assert (s["ok"], s["skipped"]) == (2, 0)  # other fields: not done yet
    s = run_batch(_pipe(), folder, FieldQuery(fields=["total"]), out, strict=True, progress=False)
    assert (s["ok"], s["skipped"]) == (2, 0)  # another option: not done yet
    jobs = {r["job"] for r in read_records(out)}
    assert len(jobs) == 3 and BatchJob(FieldQuery(fields=["total"])).key in jobs


def test_split_pages_gives_one_answer_per_page_and_resumes_per_page(folder, tmp_path):
    out = tmp_path / "r.jsonl"
    q = FieldQuery(fields=["total"])
    s = run_batch(_pipe(), folder, q, out, split_pages=True, progress=False)
    assert (s["ok"], s["failed"], s["unit"]) == (4, 0, "page")
    recs = [r for r in read_records(out) if r["document"] == "stack.pdf"]
    assert [(r["page"], r["page_count"]) for r in recs] == [(1, 3), (2, 3), (3, 3)]
    assert [r["extraction"]["fields"]["total"]["page"] for r in recs] == [1, 2, 3]
    job = BatchJob(q, split_pages=True).key
    assert done_documents(out, retry_failed=False, job=job) == {"a.png", "stack.pdf"}
    # a run stopped after the first page: the PDF is not done
    lines = out.read_text(encoding="utf-8").splitlines()
    partial = tmp_path / "partial.jsonl"
    partial.write_text("\n".join(x for x in lines if '"page": 2' not in x and '"page": 3' not in x) + "\n")
    assert done_documents(partial, retry_failed=False, job=job) == {"a.png"}
    s = run_batch(_pipe(), folder, q, partial, split_pages=True, progress=False)
    assert (s["ok"], s["skipped"]) == (3, 1)


def test_batch_csv_has_one_row_per_document_and_normalized_columns(folder, tmp_path):
    Registry(script=[lambda keys, _: {k: "9.00" for k in keys}])
    out = tmp_path / "r.csv"
    args = ["batch", str(folder), "-f", "total,date", "-o", str(out), "-b", "scripted", "-e", "scripted-ocr"]
    r = CliRunner().invoke(main, [*args, "--no-progress", "--normalize"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [x["document"] for x in rows] == ["a.png", "stack.pdf"]
    assert rows[0]["total"] == "9.00" and rows[0]["total.normalized"] == "9.00" and rows[0]["ok"] == "true"
    r = CliRunner().invoke(main, [*args, "--no-progress", "--normalize"])
    assert "0 ok, 0 failed, 2 already done" in r.output  # resumes from the CSV
    # the same file asked for other columns: refused, in one line, before any work
    r = CliRunner().invoke(main, [*args[:3], "total", *args[4:], "--no-progress"])
    assert r.exit_code == 1 and r.output.startswith("Error: ") and "write to another file" in r.output


def test_batch_format_csv_without_normalize_and_split_pages(folder, tmp_path):
    Registry(script=[lambda keys, _: {k: "9.00" for k in keys}])
    out = tmp_path / "out.csv"
    r = CliRunner().invoke(
        main,
        ["batch", str(folder), "-f", "total", "--format", "csv", "-o", str(out), "--split-pages",
         "-b", "scripted", "-e", "scripted-ocr", "--no-progress"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "4 pages ok, 0 failed" in r.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(x["document"], x["page"]) for x in rows] == [
        ("a.png", "1"),
        ("stack.pdf", "1"),
        ("stack.pdf", "2"),
        ("stack.pdf", "3"),
    ]
    assert "total.normalized" not in rows[0]


def test_a_jsonl_record_has_normalized_only_with_normalize(folder, tmp_path):
    out = tmp_path / "r.jsonl"
    run_batch(_pipe(), folder, FieldQuery(fields=["total"]), out, limit=1, progress=False)
    run_batch(_pipe(), folder, FieldQuery(fields=["total"]), out, limit=1, normalize=True, progress=False)
    plain, normalized = read_records(out)
    assert plain["extraction"]["fields"]["total"]["normalized"] is None
    assert normalized["extraction"]["fields"]["total"]["normalized"] == "9.00"


def test_a_failure_names_the_document_once(tmp_path):
    d = tmp_path / "docs"
    (d / "sub").mkdir(parents=True)
    (d / "sub" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    Registry()
    r = CliRunner().invoke(main, ["batch", str(d), "-f", "total", "-o", str(tmp_path / "r.jsonl"), "-b",
                                  "scripted", "-e", "scripted-ocr", "--no-progress"])  # fmt: skip
    line = next(x for x in r.output.splitlines() if x.startswith("failed:"))
    assert line.startswith("failed: sub/broken.jpg: ") and line.count("broken.jpg") == 1, line
    rec = {"document": "x.pdf", "page": 2, "ok": False, "error": "BackendError: down"}
    assert failure_line(rec) == "failed: x.pdf page 2: down"


def test_sink_errors_are_the_sinks_own_and_in_the_error_table(tmp_path):
    from chatocr.batch import open_sink
    from chatocr.errors import kind_of

    (tmp_path / "x.parquet").write_text("a file, not a folder")
    with pytest.raises(SinkError) as e:
        open_sink(tmp_path / "x.parquet").done(False)
    assert kind_of(e.value).code == "bad_output"


def test_the_batch_library_imports_no_cli():
    code = (
        "import sys, chatocr.batch, chatocr.batch.ray_runner, chatocr.api.ray_serve\n"
        "print(sorted(m for m in sys.modules if m == 'click' or m.startswith('chatocr.commands')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_question_beside_fields_gets_its_csv_column(folder, tmp_path):
    out = tmp_path / "r.csv"
    q = FieldQuery(fields=["total"], question="is it paid?")
    run_batch(_pipe(), folder, q, out, limit=1, progress=False)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0]["total"] == "9.00" and rows[0]["answer"] == "9.00"
