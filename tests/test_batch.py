"""`chatocr batch`: every document in a folder, resumable, a broken document recorded and skipped."""

from __future__ import annotations

import json

import pytest
from api_helpers import make_batch_folder, squash
from click.testing import CliRunner

from chatocr.batch import done_documents, list_documents, ocr_stream, read_records, run_batch
from chatocr.commands.batch import batch
from chatocr.pipeline import Pipeline
from llm_stage import FieldQuery


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_batch_folder(tmp_path_factory.mktemp("docs"))


def _records(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_lists_images_and_pdfs_recursively(folder):
    assert [p.name for p in list_documents(folder)] == ["a_receipt.png", "c_broken.jpg", "b_receipt.pdf"]


@pytest.mark.parametrize("overlap", [True, False])
def test_ocr_stream_keeps_order_and_turns_failures_into_values(folder, rapid_engine, overlap):
    pipe = Pipeline(rapid_engine)
    docs = [(p.name, p) for p in list_documents(folder)]
    out = list(ocr_stream(pipe, docs, None, overlap))
    assert [n for n, _ in out] == [n for n, _ in docs]
    assert isinstance(out[1][1], ValueError) and "c_broken.jpg" in str(out[1][1])
    assert "KLM" in squash(out[0][1].to_plain_text()) and "XYZ" in squash(out[2][1].to_plain_text())


def test_done_documents_ignores_a_torn_last_line(tmp_path):
    out = tmp_path / "r.jsonl"
    out.write_text('{"document": "a.png", "ok": true}\n{"document": "b.png", "ok": false}\n{"document": "c.p')
    assert done_documents(out, retry_failed=False) == {"a.png", "b.png"}
    assert done_documents(out, retry_failed=True) == {"a.png"}


@pytest.mark.slow
def test_batch_resumes_and_records_failures(folder, rapid_engine, embedded_backend, tmp_path):
    pipe = Pipeline(rapid_engine, embedded_backend)
    out = tmp_path / "results.jsonl"
    query = FieldQuery(fields=["total"])
    s1 = run_batch(pipe, folder, query, out, limit=2, progress=False)
    assert (s1["ok"], s1["failed"], s1["skipped"]) == (1, 1, 0)
    s2 = run_batch(pipe, folder, query, out, progress=False)  # resumes: only the PDF is left
    assert (s2["ok"], s2["failed"], s2["skipped"]) == (1, 0, 2)
    recs = {r["document"]: r for r in _records(out)}
    assert set(recs) == {"a_receipt.png", "c_broken.jpg", "sub/b_receipt.pdf"} and len(_records(out)) == 3
    assert recs["c_broken.jpg"]["ok"] is False and "c_broken.jpg" in recs["c_broken.jpg"]["error"]
    for name, shop_total in (("a_receipt.png", "12.40"), ("sub/b_receipt.pdf", "73.90")):
        ext = recs[name]["extraction"]
        assert list(ext["fields"]) == ["total"] and ext["timings"]["ocr_s"] > 0
        v = ext["fields"]["total"]
        if v["grounded"]:  # grounded values come from this document's own text
            assert squash(v["value"]) in squash(f"{shop_total} TOTAL {shop_total}") or v["match_score"] < 1
    s3 = run_batch(pipe, folder, query, out, progress=False)
    assert (s3["ok"], s3["failed"], s3["skipped"]) == (0, 0, 3)
    s4 = run_batch(pipe, folder, query, out, retry_failed=True, overlap=False, progress=False)
    assert (s4["ok"], s4["failed"], s4["skipped"]) == (0, 1, 2)


def test_cli_needs_fields_and_documents(tmp_path):
    r = CliRunner().invoke(batch, [str(tmp_path), "--fields", "total"])
    assert r.exit_code == 1 and "no images or PDFs" in r.output
    r = CliRunner().invoke(batch, [str(tmp_path)])
    assert r.exit_code == 2 and "-f/--field" in r.output


def test_parquet_output_holds_the_same_records_and_resumes(folder, tmp_path):
    """`-o x.parquet`: a folder of Parquet parts with the JSON-lines records, resumed the same way."""
    from fakes import ScriptedBackend, ScriptedEngine

    pipe = Pipeline(ScriptedEngine(), ScriptedBackend([{"total": "9.00"}]))
    jsonl, parquet = tmp_path / "r.jsonl", tmp_path / "r.parquet"
    query = FieldQuery(fields=["total"])
    run_batch(pipe, folder, query, jsonl, progress=False)
    s1 = run_batch(pipe, folder, query, parquet, limit=2, progress=False)
    assert (s1["ok"], s1["failed"]) == (1, 1) and parquet.is_dir()
    s2 = run_batch(pipe, folder, query, parquet, progress=False)
    assert (s2["ok"], s2["failed"], s2["skipped"]) == (1, 0, 2)
    a = {r["document"]: r for r in read_records(jsonl)}
    b = {r["document"]: r for r in read_records(parquet)}
    assert set(a) == set(b) == {"a_receipt.png", "c_broken.jpg", "sub/b_receipt.pdf"}
    for name, rec in a.items():
        assert set(b[name]) == set(rec) and b[name].get("values") == rec.get("values")
        assert b[name].get("error") == rec.get("error")
    assert done_documents(parquet, retry_failed=True) == {"a_receipt.png", "sub/b_receipt.pdf"}
