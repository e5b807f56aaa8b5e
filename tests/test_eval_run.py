"""End-to-end evaluation over three real dev receipts with the real pipeline (shipped OCR models,
embedded LLM): result JSON + Markdown + charts, OCR cache reuse, resume, and eval-compare."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatocr import Pipeline
from chatocr.cli import main as cli
from chatocr.evaluation import EvalConfig, OcrCache, load_dataset, run_eval, summarize
from chatocr.evaluation.report import differing_documents

pytestmark = pytest.mark.slow
N_DOCS = 3


@pytest.fixture(scope="module")
def small_set(tmp_path_factory, dev_dir):
    """The first three SROIE dev receipts as their own labelled set (same folder format)."""
    src = dev_dir / "sroie_receipts"
    dst = tmp_path_factory.mktemp("set") / "receipts3"
    (dst / "img").mkdir(parents=True)
    lines = (src / "labels.jsonl").read_text(encoding="utf-8").splitlines()[:N_DOCS]
    for line in lines:
        shutil.copy(src / json.loads(line)["image"], dst / json.loads(line)["image"])
    (dst / "labels.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dst


@pytest.fixture(scope="module")
def runs(small_set, rapid_engine, embedded_backend, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    pipe = Pipeline(rapid_engine, embedded_backend)
    cache = OcrCache(out / "cache")
    p = run_eval(
        EvalConfig(dataset=str(small_set), method="pipeline"),
        out=out / "p.json",
        pipeline=pipe,
        cache=cache,
        progress=False,
    )
    r = run_eval(
        EvalConfig(dataset=str(small_set), method="regex"),
        out=out / "r.json",
        pipeline=pipe,
        cache=cache,
        progress=False,
    )
    return {"dir": out, "pipeline": p, "regex": r, "pipe": pipe, "cache": cache}


def test_result_files(runs, small_set):
    out = runs["dir"]
    for stem in ("p", "r"):
        for suffix in (".json", ".md", "_f1.png", "_latency.png"):
            f = out / f"{stem}{suffix}"
            assert f.is_file() and f.stat().st_size > 0, f
        assert not (out / f"{stem}.partial.jsonl").exists()
    data = json.loads((out / "p.json").read_text(encoding="utf-8"))
    assert data["config"]["method"] == "pipeline" and data["model"]["backend"] == "transformers"
    labels = load_dataset(small_set)
    assert [d["image"] for d in data["documents"]] == [d.image for d in labels.docs]
    for doc, lab in zip(data["documents"], labels.docs, strict=True):
        assert list(doc["fields"]) == ["company", "date", "address", "total"]
        for name, f in doc["fields"].items():
            assert f["gold"] == lab.fields[name]
            assert f["tp"] + f["fn"] == 1  # every field is labelled on these receipts
            assert f["in_ocr"] in (True, False)
        assert doc["timings"]["ocr_s"] > 0 and doc["timings"]["llm_s"] > 0 and not doc["ocr_cached"]
    # the stored summary is the one its documents give
    assert data["summary"] == json.loads(json.dumps(summarize(data["documents"])))
    o = data["summary"]["overall"]
    assert o["n"] == 4 * N_DOCS and 0.0 <= o["f1"] <= 1.0
    md = (out / "p.md").read_text(encoding="utf-8")
    assert "| field |" in md and "![per-field F1](p_f1.png)" in md
    for name in ("company", "date", "address", "total", "**overall**"):
        assert f"| {name} |" in md


def test_baseline_reuses_ocr_and_reads_labels(runs):
    r = runs["regex"]
    assert all(d["ocr_cached"] for d in r["documents"])  # OCR'd once, by the pipeline run
    assert r["model"] is None and r["summary"]["fields"]["date"]["grounded_share"] is None
    # dates and totals sit beside a printed label on these receipts: the rule baseline reads them
    f = r["summary"]["fields"]
    assert f["date"]["f1"] >= 2 / 3 and f["total"]["f1"] >= 2 / 3


def test_resume_skips_scored_documents(runs, small_set):
    out = runs["dir"]
    cfg = EvalConfig(dataset=str(small_set), method="regex")
    done = json.loads((out / "r.json").read_text(encoding="utf-8"))["documents"]
    partial = out / "resume.partial.jsonl"
    marked = [{**d, "raw_output": "from-partial"} for d in done[:2]]
    head = {"config_key": cfg.key()}
    partial.write_text("\n".join(json.dumps(x) for x in [head, *marked]) + "\n", encoding="utf-8")
    res = run_eval(cfg, out=out / "resume.json", pipeline=runs["pipe"], cache=runs["cache"], progress=False)
    assert [d["raw_output"] for d in res["documents"]] == ["from-partial", "from-partial", ""]
    assert not partial.exists()
    # a partial log of another configuration is not trusted
    partial.write_text(
        "\n".join(json.dumps(x) for x in [{"config_key": "other"}, *marked]) + "\n", encoding="utf-8"
    )
    res = run_eval(cfg, out=out / "resume.json", pipeline=runs["pipe"], cache=runs["cache"], progress=False)
    assert all(d["raw_output"] == "" for d in res["documents"])


def test_naive_method_runs_free_generation(runs, small_set):
    cfg = EvalConfig(dataset=str(small_set), method="naive", limit=1, max_new_tokens=24)
    res = run_eval(
        cfg, out=runs["dir"] / "n.json", pipeline=runs["pipe"], cache=runs["cache"], progress=False
    )
    (doc,) = res["documents"]
    assert doc["raw_output"] and doc["tokens"] > 0
    assert all(f["grounded"] is None for f in doc["fields"].values())  # no grounding in the naive shape


def test_compare_cli(runs):
    a, b = runs["dir"] / "p.json", runs["dir"] / "r.json"
    res = CliRunner().invoke(cli, ["eval-compare", str(a), str(b)])
    assert res.exit_code == 0, res.output
    assert "A = receipts3/pipeline" in res.output and "B = receipts3/regex" in res.output
    for name in ("company", "date", "address", "total", "overall"):
        assert name in res.output
    diffs = differing_documents(runs["pipeline"], runs["regex"])
    assert f"{len(diffs)} document(s) where A and B differ" in res.output
    for image, _ in diffs:
        assert image in res.output


def test_cli_errors_are_one_line(tmp_path):
    r = CliRunner().invoke(cli, ["eval", str(tmp_path / "nope"), "--method", "regex"])
    assert r.exit_code == 2 and "does not exist" in r.output and "Traceback" not in r.output
    (tmp_path / "labels.jsonl").write_text('{"image": "img/missing.jpg", "fields": {}}\n', encoding="utf-8")
    r = CliRunner().invoke(cli, ["eval", str(tmp_path), "--method", "regex"])
    assert r.exit_code == 1 and "missing.jpg" in r.output
    (tmp_path / "x.json").write_text("[]", encoding="utf-8")
    r = CliRunner().invoke(cli, ["eval-compare", str(tmp_path / "x.json"), str(tmp_path / "x.json")])
    assert r.exit_code == 1 and "not a chatocr eval result" in r.output


def test_eval_browser_page(runs):
    from streamlit.testing.v1 import AppTest

    page = Path(__file__).resolve().parent.parent / "demo" / "pages" / "eval_browser.py"
    at = AppTest.from_file(str(page), default_timeout=60)
    at.query_params["result"] = str(runs["dir"] / "p.json")
    at.run()
    assert not at.exception
    assert "method **pipeline**" in at.caption[0].value
    scores = at.dataframe[0].value
    assert list(scores["field"]) == ["company", "date", "address", "total", "overall"]
    at.sidebar.checkbox[0].uncheck().run()  # all documents, not only misses
    assert at.number_input[0].max == N_DOCS
    doc = at.dataframe[1].value
    first = runs["pipeline"]["documents"][0]
    assert list(doc["gold"]) == [f["gold"] for f in first["fields"].values()]


def test_a_cached_reading_without_character_scores_is_read_again(runs, small_set):
    """OCR cached before the recogniser's per-character confidences were kept is read again once:
    the review flag's character signal would otherwise fall back to the line score for good."""
    cache, pipe = runs["cache"], runs["pipe"]
    image = small_set / load_dataset(small_set).docs[0].image
    res, cached = cache.get(image, pipe)
    assert cached and all(ln.char_scores for _, _, ln in res.iter_lines())
    path = cache.path_for(image, pipe.ocr_engine.cache_name)
    old = json.loads(path.read_text(encoding="utf-8"))
    for page in old["pages"]:
        for ln in page["lines"]:
            ln.pop("char_scores", None)
    path.write_text(json.dumps(old), encoding="utf-8")
    again, cached = cache.get(image, pipe)
    assert not cached and [ln.text for _, _, ln in again.iter_lines()] == [
        ln.text for _, _, ln in res.iter_lines()
    ]
    assert all(ln.char_scores for _, _, ln in again.iter_lines()) and cache.get(image, pipe)[1]
