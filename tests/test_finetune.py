"""`chatocr finetune`: bad folders are refused with every problem named (fast, no model), and a
two-document fine-tune on real receipts runs end to end and its adapter answers through
`chatocr extract --model` (slow: XTuner on the CPU)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatocr.cli import main
from chatocr.evaluation.dataset import LabelledDoc
from chatocr.training import FolderError, check_folder, split_holdout
from chatocr.training.samples import build_samples, document_queries, mix_synthetic

REPO = Path(__file__).resolve().parent.parent
FEWSHOT = Path(os.environ.get("CHATOCR_FEWSHOT_DATA", REPO.parent / "shared/data/fewshot/sroie_receipts"))
SHIPPED = REPO / "llm_stage/adapters/chatocr-smollm2-lora"


def _folder(root: Path, lines: list, images=("a.png", "b.png")) -> Path:
    (root / "img").mkdir(parents=True)
    for name in images:
        (root / "img" / name).write_bytes(b"\x89PNG\r\n\x1a\n")  # never decoded by these tests
    (root / "labels.jsonl").write_text(
        "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8"
    )
    return root


def _finetune(*args):
    return CliRunner().invoke(main, ["finetune", *map(str, args), "--no-progress"])


# -------------------------------------------------------------------- bad folders (fast)


@pytest.mark.parametrize("check", [True, False], ids=["--check", "run"])
def test_every_problem_of_a_folder_is_named_at_once(tmp_path, check):
    d = _folder(
        tmp_path / "set",
        [
            {"image": "img/a.png", "fields": {}},
            {"image": "img/missing.png", "fields": {"total": "9.00"}},
            "not json",
            {"fields": {"total": "1.00"}},
            {"image": "img/a.png", "fields": {"total": None}},
            {"image": "img/notes.txt", "fields": {"total": "2.00"}},
        ],
        images=("a.png", "b.png", "c.jpg", "d.gif"),
    )
    r = _finetune(d, "-o", tmp_path / "out", *(["--check"] if check else []))
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    for needle in (
        "labels.jsonl:1: no labelled field value",
        "labels.jsonl:2: image 'img/missing.png' not found",
        "labels.jsonl:3: not JSON",
        'labels.jsonl:4: no "image"',
        "labels.jsonl:5: no labelled field value",
        "img/b.png: image without a label line",
        "img/c.jpg: image without a label line",
        "img/d.gif: image without a label line",  # the OCR stage reads GIFs: so does the check
        "labels.jsonl:6: 'img/notes.txt' is not an image or PDF",
    ):
        assert needle in r.output, (needle, r.output)
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.work").exists()


def test_a_folder_without_labels_or_the_same_image_twice(tmp_path):
    d = tmp_path / "empty"
    (d / "img").mkdir(parents=True)
    r = _finetune(d)
    assert r.exit_code == 1 and "has no labels.jsonl" in r.output, r.output
    twice = _folder(
        tmp_path / "twice", [{"image": "img/a.png", "fields": {"total": "1"}}] * 2, images=("a.png",)
    )
    with pytest.raises(FolderError, match="already labelled on line 1"):
        check_folder(twice)


def test_check_accepts_a_good_folder_and_writes_nothing(tmp_path):
    d = _folder(
        tmp_path / "set",
        [{"image": f"img/{n}", "fields": {"company": "KEDAI", "total": "1.00"}} for n in ("a.png", "b.png")],
    )
    out = tmp_path / "adapters" / "mine"
    r = _finetune(d, "-o", out, "--check")
    assert r.exit_code == 0, r.output
    assert "ok, 2 labelled documents; fields: company, total" in r.output
    assert "only 2 labelled documents" in r.output  # a warning, not a refusal
    assert f"into {out}" in r.output
    assert not (tmp_path / "adapters").exists()
    report = check_folder(d)
    assert [x.image for x in report.dataset.docs] == ["img/a.png", "img/b.png"]


def test_check_refuses_too_few_documents_and_an_existing_output(tmp_path):
    one = _folder(tmp_path / "one", [{"image": "img/a.png", "fields": {"total": "1.00"}}], images=("a.png",))
    r = _finetune(one, "--check")
    assert r.exit_code == 1 and "too few documents: 1 labelled, at least 2 needed" in r.output, r.output
    two = _folder(
        tmp_path / "two", [{"image": f"img/{n}", "fields": {"total": "1"}} for n in ("a.png", "b.png")]
    )
    out = tmp_path / "out"
    out.mkdir()
    (out / "adapter_config.json").write_text("{}")
    r = _finetune(two, "-o", out, "--check")
    assert r.exit_code == 1 and "already exists; pass --force" in r.output, r.output
    assert _finetune(two, "-o", out, "--check", "--force").exit_code == 0


def test_an_existing_output_is_kept_without_force(tmp_path):
    d = _folder(
        tmp_path / "set", [{"image": f"img/{n}", "fields": {"total": "1.00"}} for n in ("a.png", "b.png")]
    )
    out = tmp_path / "adapter"
    out.mkdir()
    (out / "adapter_config.json").write_text("{}")
    r = _finetune(d, "-o", out)
    assert r.exit_code == 1 and "already exists; pass --force" in r.output, r.output
    assert (out / "adapter_config.json").read_text() == "{}"
    other = tmp_path / "notes"
    other.mkdir()
    (other / "thesis.tex").write_text("x")
    r = _finetune(d, "-o", other, "--force")
    assert r.exit_code == 1 and "not an adapter dir" in r.output and (other / "thesis.tex").is_file()


def test_a_model_that_cannot_be_fine_tuned_is_refused(tmp_path):
    d = _folder(
        tmp_path / "set", [{"image": f"img/{n}", "fields": {"total": "1.00"}} for n in ("a.png", "b.png")]
    )
    r = _finetune(d, "-o", tmp_path / "out", "-m", tmp_path)
    assert r.exit_code == 1 and "LoRA adapter dir" in r.output, r.output


# -------------------------------------------------------------------- samples and splits (fast)


def _doc(name: str, fields: dict) -> LabelledDoc:
    return LabelledDoc(image=f"img/{name}", path=Path(name), doc_type="receipt", fields=fields)


def test_holdout_is_deterministic_by_seed_and_keeps_a_training_document():
    docs = [_doc(f"{i}.png", {"total": str(i)}) for i in range(10)]
    a = split_holdout(docs, 0.2, seed=3)
    assert [d.image for d in a[1]] == [d.image for d in split_holdout(docs, 0.2, seed=3)[1]]
    assert len(a[1]) == 2 and len(a[0]) == 8 and not {d.image for d in a[0]} & {d.image for d in a[1]}
    assert split_holdout(docs, 0.2, seed=4)[1] != a[1]
    assert len(split_holdout(docs[:2], 0.9, seed=0)[0]) == 1
    assert split_holdout(docs[:2], 0.2, seed=0)[1] == []


def test_each_document_is_asked_several_subsets_and_an_absent_field():
    doc = _doc("a.png", {"company": "KEDAI MAJU", "date": "01/02/2019", "total": "9.00"})
    qs = document_queries(doc, ["company", "date", "total", "invoice no"], random.Random(0))
    assert qs[0] == (["company", "date", "total"], doc.fields)  # every labelled field, in order
    assert len(qs) == 4
    names, answer = qs[-1]
    assert "invoice no" in names and answer["invoice no"] is None
    assert all(answer[k] == doc.fields[k] for k in names if k != "invoice no")


def test_samples_come_from_the_one_prompt_builder_with_snapped_targets():
    from llm_stage.prompt import SYSTEM_PROMPT, xtuner_sample
    from llm_stage.types import FieldQuery
    from ocr_stage.types import OcrPage, OcrResult, TextLine

    def line(text, y):
        return TextLine(text=text, box=[[0, y], [200, y], [200, y + 10], [0, y + 10]], score=1.0)

    ocr = OcrResult(
        pages=[OcrPage(page=1, width=300, height=100, lines=[line("KEDAI MAJU", 0), line("TOTAL 9.00", 20)])]
    )
    doc = _doc("a.png", {"company": "KEDAI  MAJU", "total": "9.00"})  # a doubled space the OCR did not read
    samples, kinds = build_samples([doc], [ocr], seed=0)
    assert samples[0] == xtuner_sample(
        ocr, FieldQuery(fields=["company", "total"]), {"company": "KEDAI MAJU", "total": "9.00"}
    )
    assert all(s["conversation"][0]["system"] == SYSTEM_PROMPT for s in samples)
    assert sum(kinds.values()) == len(samples) >= 2


def test_synthetic_share_of_the_mix():
    user, synth = [{"u": i} for i in range(7)], [{"s": i} for i in range(100)]
    assert len(mix_synthetic(user, synth, 0.3, 0)) == 3  # 3 of 10
    assert mix_synthetic(user, synth, 0.3, 0) == mix_synthetic(user, synth, 0.3, 0)
    assert mix_synthetic(user, synth, 0.0, 0) == [] and mix_synthetic(user, [], 0.3, 0) == []


def test_adapter_keys_map_to_xtuner_model_keys():
    from chatocr.training.xtuner_tools.adapter_to_mmengine import mmengine_key

    k = "base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight"
    assert mmengine_key(k) == "llm.base_model.model.model.layers.3.self_attn.q_proj.lora_A.default.weight"
    with pytest.raises(ValueError):
        mmengine_key("base_model.model.model.embed_tokens.weight")


# -------------------------------------------------------------------- end to end (slow)


def _cli(*args, timeout=1500) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    p = subprocess.run(
        [sys.executable, "-m", "chatocr", *map(str, args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return p


@pytest.mark.slow
@pytest.mark.training
def test_two_document_finetune_answers_through_extract(tmp_path):
    if not (FEWSHOT / "labels.jsonl").is_file():
        pytest.skip(f"few-shot receipts not found at {FEWSHOT}")
    if not (SHIPPED / "adapter_config.json").is_file():
        pytest.skip("no shipped adapter to start from")
    data = tmp_path / "receipts"
    (data / "img").mkdir(parents=True)
    lines = (FEWSHOT / "labels.jsonl").read_text(encoding="utf-8").splitlines()[:2]
    for line in lines:
        shutil.copy(FEWSHOT / json.loads(line)["image"], data / "img")
    (data / "labels.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "adapters" / "mine"

    p = _cli("finetune", data, "-o", out, "--steps", "2", "--holdout", "0.5", "--no-progress")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-5000:]
    assert "only 2 labelled documents" in p.stderr
    assert "before ->" in p.stdout and f"--model {out}" in p.stdout

    cfg = json.loads((out / "adapter_config.json").read_text())
    shipped_cfg = json.loads((SHIPPED / "adapter_config.json").read_text())
    assert cfg["base_model_name_or_path"] == "smollm2-135m-instruct"
    assert (cfg["r"], cfg["lora_alpha"]) == (shipped_cfg["r"], shipped_cfg["lora_alpha"])
    prov = (out / "PROVENANCE.md").read_text()
    assert str(data.resolve()) in prov and "| **all** |" in prov and "2 steps" in prov
    info = json.loads((out / "finetune.json").read_text())
    assert len(info["train_documents"]) == 1 and len(info["holdout_documents"]) == 1
    assert info["before"]["documents"] == info["after"]["documents"] == 1

    # the LoRA continued from the shipped adapter's weights (a fresh LoRA has lora_B = 0)
    from safetensors.torch import load_file

    a = load_file(str(SHIPPED / "adapter_model.safetensors"))
    b = load_file(str(out / "adapter_model.safetensors"))
    assert set(a) == set(b)
    diff = sum(float(((a[k] - b[k]) ** 2).sum()) for k in a) ** 0.5
    norm = sum(float((a[k] ** 2).sum()) for k in a) ** 0.5
    assert 0 < diff / norm < 0.05, diff / norm

    # a second run does not overwrite it
    p = _cli("finetune", data, "-o", out, "--steps", "2", "--no-progress")
    assert p.returncode == 1 and "--force" in p.stderr

    img = data / "img" / Path(json.loads(lines[0])["image"]).name
    p = _cli("extract", img, "-f", "date,total", "--model", out)
    assert p.returncode == 0, p.stderr[-3000:]
    res = json.loads(p.stdout)
    assert list(res["fields"]) == ["date", "total"] and res["model"] == "mine"


def test_two_runs_cannot_write_one_output(tmp_path):
    from chatocr.training.run import _lock

    held = _lock(tmp_path)
    try:
        with pytest.raises(FolderError, match="another `chatocr finetune`"):
            _lock(tmp_path)
    finally:
        held.close()
    _lock(tmp_path).close()  # free again once the first run ends
