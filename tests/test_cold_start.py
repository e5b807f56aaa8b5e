"""What a command pays before its first answer: the merged-weight cache gives the same model as
merging at load, a batch rerun with nothing to do loads no model, and the loading line shows only
on a terminal."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from api_helpers import render_text_png
from click.testing import CliRunner
from fakes import Registry

from chatocr.cli import main


def test_batch_rerun_with_nothing_to_do_loads_no_model(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a.png", "b.png"):
        (docs / name).write_bytes(render_text_png(["TOTAL 9.00"]))
    out = tmp_path / "r.jsonl"
    args = [
        "batch",
        str(docs),
        "-f",
        "total",
        "-o",
        str(out),
        "-b",
        "scripted",
        "-e",
        "scripted-ocr",
        "--no-progress",
    ]
    fakes = Registry(script=[{"total": "9.00"}])
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert fakes.backend_builds == 1 and fakes.engine_builds == 1 and len(out.read_text().splitlines()) == 2
    again = Registry(script=[{"total": "9.00"}])
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0 and "2 already done" in r.output, r.output
    assert again.backend_builds == 0 and again.engine_builds == 0


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_loading_line_only_on_a_terminal_and_erased(monkeypatch):
    from chatocr.commands.common import loading_status

    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    with loading_status("loading…"):
        assert term.getvalue() == "loading…"
    assert term.getvalue() == "loading…\r\x1b[K"
    pipe = io.StringIO()
    monkeypatch.setattr("sys.stderr", pipe)
    with loading_status("loading…"):
        pass
    assert pipe.getvalue() == ""


def test_extract_loads_the_model_once_and_prints_no_loading_line_in_a_pipe(tmp_path):
    fakes = Registry(script=[{"total": "9.00"}])
    doc = tmp_path / "doc.png"
    doc.write_bytes(render_text_png(["TOTAL 9.00"]))
    r = CliRunner().invoke(main, ["extract", str(doc), "-f", "total", "-b", "scripted", "-e", "scripted-ocr"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["fields"]["total"]["value"] == "9.00" and "loading" not in r.output
    assert fakes.backend_builds == 1 and fakes.engine_builds == 1


def test_merge_key_follows_the_adapter_bytes(tmp_path):
    from llm_stage.embedded import models_dir, shipped_adapter
    from llm_stage.merged_cache import merge_key

    base = models_dir() / "smollm2-135m-instruct"
    adapter = shipped_adapter()
    if adapter is None or not (base / "config.json").is_file():
        pytest.skip("the embedded model is not prepared")
    copy = tmp_path / adapter.name
    shutil.copytree(adapter, copy)
    assert merge_key(base, copy) == merge_key(base, adapter)
    cfg = copy / "adapter_config.json"
    cfg.write_text(cfg.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert merge_key(base, copy) != merge_key(base, adapter)


@pytest.mark.slow  # loads the base model and merges the adapter with peft (~20 s on two cores)
def test_the_cached_merge_is_the_merge(embedded_backend):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from llm_stage.embedded import default_model_path
    from llm_stage.merged_cache import cached_merge

    base, adapter = default_model_path()
    assert adapter is not None and cached_merge(base, adapter) is not None  # the backend stored it
    fresh = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    fresh = PeftModel.from_pretrained(fresh, str(adapter)).merge_and_unload().eval()
    ids = torch.tensor([embedded_backend.prompt_ids([{"role": "user", "content": "TOTAL 9.00"}])])
    with torch.inference_mode():
        a = embedded_backend.model(input_ids=ids).logits
        b = fresh(input_ids=ids).logits
    assert torch.allclose(a, b, atol=1e-4)
