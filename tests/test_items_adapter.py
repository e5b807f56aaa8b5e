"""A line-items adapter: line-items fields decoded field by field run on their own LoRA weights
(`<adapter>/items`, or Options.items_adapter), every other field on the model's; "none" turns it
off, a dir without an adapter or one trained on another base is a clear error."""

from __future__ import annotations

import json
import shutil

import pytest

from llm_stage import FieldQuery, build_messages
from llm_stage.backends import BackendError

DOC = "KEDAI MAJU\nMILO 1KG  2 x 16.50  33.00\nROTI  1 x 3.20  3.20\nTOTAL  36.20"


@pytest.fixture(scope="module")
def lora_dirs(tmp_path_factory):
    """(a model adapter dir holding an `items/` adapter, a lone items adapter dir): small random
    LoRAs on the embedded base, so the two sets of weights answer differently."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from llm_stage.embedded import prepare_embedded_model

    base = prepare_embedded_model(verbose=False)
    root = tmp_path_factory.mktemp("adapters")
    for name, seed in (("model", 1), ("items-alone", 2)):
        import torch

        torch.manual_seed(seed)
        m = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
        cfg = LoraConfig(r=2, lora_alpha=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
        get_peft_model(m, cfg).save_pretrained(str(root / name))
    shutil.copytree(root / "items-alone", root / "model" / "items")
    return root / "model", root / "items-alone"


@pytest.fixture(autouse=True)
def _merged_in_tmp(monkeypatch, tmp_path_factory):
    """The random adapters' merged models are cached in a temporary folder, not beside the models."""
    import llm_stage.merged_cache as mc

    folder = tmp_path_factory.getbasetemp() / "merged"
    monkeypatch.setattr(mc, "cache_dir", lambda: folder)


def _prompts(keys):
    return {k: build_messages(DOC, FieldQuery(fields=[k])) for k in keys}


def test_items_fields_run_on_the_items_adapter_and_the_others_on_the_model(lora_dirs):
    from llm_stage import get_backend

    model_dir, _ = lora_dirs
    b = get_backend("transformers", model=str(model_dir), threads=1)
    assert b.items_adapter_dir == model_dir / "items" and b.items_model is not None
    assert b._model_for(["line items"]) is b.items_model and b._model_for(["items", "明细"]) is b.items_model
    assert b._model_for(["total"]) is b.model and b._model_for(["total", "line items"]) is b.model

    calls = {"model": 0, "items": 0}
    for name, m in (("model", b.model), ("items", b.items_model)):
        m.register_forward_hook(lambda *_a, name=name: calls.__setitem__(name, calls[name] + 1))
    r = b.generate_each(_prompts(["total", "line items"]), copy_from=DOC)
    assert set(json.loads(r.text)) == {"total", "line items"}
    assert isinstance(json.loads(r.text)["line items"], list)
    assert calls["model"] > 0 and calls["items"] > 0
    # a field alone is decoded on the weights of its kind too
    calls.update(model=0, items=0)
    b.generate(_prompts(["line items"])["line items"], keys=["line items"], copy_from=DOC)
    assert calls == {"model": 0, "items": calls["items"]} and calls["items"] > 0


def test_the_items_adapter_is_chosen_or_turned_off(lora_dirs):
    from llm_stage import get_backend

    model_dir, alone = lora_dirs
    off = get_backend("transformers", model=str(model_dir), items_adapter="none", threads=1)
    assert off.items_model is None and off._model_for(["line items"]) is off.model
    chosen = get_backend("transformers", model=str(model_dir), items_adapter=str(alone), threads=1)
    assert chosen.items_adapter_dir == alone
    with pytest.raises(BackendError, match="no adapter_config.json"):
        get_backend("transformers", model=str(model_dir), items_adapter=str(model_dir.parent), threads=1)


def test_an_items_adapter_of_another_base_is_refused(lora_dirs, tmp_path):
    from llm_stage import get_backend

    model_dir, alone = lora_dirs
    other = tmp_path / "other"
    shutil.copytree(alone, other)
    cfg = json.loads((other / "adapter_config.json").read_text())
    cfg["base_model_name_or_path"] = "gemma3-270m"
    (other / "adapter_config.json").write_text(json.dumps(cfg))
    with pytest.raises(BackendError, match="trained on gemma3-270m"):
        get_backend("transformers", model=str(model_dir), items_adapter=str(other), threads=1)


def test_the_setting_reaches_the_backend(monkeypatch):
    from chatocr.pipeline import backend_options
    from chatocr.settings import Settings

    monkeypatch.setenv("CHATOCR_ITEMS_ADAPTER", "none")
    assert backend_options(Settings())["items_adapter"] == "none"
    monkeypatch.delenv("CHATOCR_ITEMS_ADAPTER")
    assert "items_adapter" not in backend_options(Settings())
