"""scripts.soup_adapters: a weighted average of LoRA adapters, exact, as one peft adapter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from scripts import soup_adapters as sa

MODULES = ["base_model.model.model.layers.0.self_attn.q_proj", "base_model.model.model.layers.0.mlp.up_proj"]


def _adapter(d: Path, r: int, alpha: float, seed: int, rslora=False, modules=MODULES, base="tiny", **extra):
    g = torch.Generator().manual_seed(seed)
    tensors = {}
    for m in modules:
        tensors[f"{m}.lora_A.weight"] = torch.randn(r, 6, generator=g)
        tensors[f"{m}.lora_B.weight"] = torch.randn(5, r, generator=g)
    d.mkdir(parents=True)
    save_file(tensors, str(d / "adapter_model.safetensors"))
    cfg = {
        "peft_type": "LORA",
        "r": r,
        "lora_alpha": alpha,
        "use_rslora": rslora,
        "base_model_name_or_path": base,
        "target_modules": ["q_proj", "up_proj"],
        **extra,
    }
    (d / "adapter_config.json").write_text(json.dumps(cfg), encoding="utf-8")
    return d


def test_soup_is_the_weighted_sum_of_the_weight_changes(tmp_path):
    a = _adapter(tmp_path / "a", r=2, alpha=16, seed=1)
    b = _adapter(tmp_path / "b", r=4, alpha=8, seed=2, rslora=True)
    info = sa.write([a, b], tmp_path / "s", weights=[0.3, 0.7])
    assert info["r"] == 6 and info["modules"] == 2
    cfg = json.loads((tmp_path / "s" / "adapter_config.json").read_text())
    assert cfg["r"] == cfg["lora_alpha"] == 6 and cfg["use_rslora"] is False
    soup = sa._load(tmp_path / "s")[1]
    ta, tb = sa._load(a)[1], sa._load(b)[1]
    for m in MODULES:
        want = (
            0.3 * (16 / 2) * ta[f"{m}.lora_B.weight"] @ ta[f"{m}.lora_A.weight"]
            + 0.7 * (8 / 2) * tb[f"{m}.lora_B.weight"] @ tb[f"{m}.lora_A.weight"]
        )
        assert torch.allclose(sa.delta(cfg, soup, m), want, atol=1e-5)


def test_weights_one_and_zero_give_back_the_first_adapter(tmp_path):
    a = _adapter(tmp_path / "a", r=2, alpha=4, seed=3)
    b = _adapter(tmp_path / "b", r=2, alpha=4, seed=4)
    cfg, t = sa.soup([a, b], [1.0, 0.0])
    ca, ta = sa._load(a)
    for m in MODULES:
        assert torch.allclose(sa.delta(cfg, t, m), sa.delta(ca, ta, m), atol=1e-6)


@pytest.mark.parametrize(
    "second, message",
    [
        (dict(modules=MODULES[:1]), "adapts other modules"),
        (dict(base="other"), "different base models"),
        (dict(use_dora=True), "only plain LoRA"),
        (dict(rank_pattern={"q_proj": 4}), "per-module ranks"),
    ],
)
def test_adapters_that_cannot_be_averaged_are_refused(tmp_path, second, message):
    a = _adapter(tmp_path / "a", r=2, alpha=4, seed=5)
    b = _adapter(tmp_path / "b", r=2, alpha=4, seed=6, **second)
    with pytest.raises(sa.SoupError, match=message):
        sa.soup([a, b])


def test_cli_errors_are_one_line(tmp_path, capsys):
    a = _adapter(tmp_path / "a", r=2, alpha=4, seed=7)
    assert sa.main([str(a), str(tmp_path / "missing"), "--out", str(tmp_path / "s")]) == 2
    assert "not a peft LoRA adapter" in capsys.readouterr().err
    assert sa.main([str(a), str(a), "--out", str(tmp_path / "s"), "--weights", "1"]) == 2
    assert "1 weights for 2 adapters" in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


@pytest.mark.slow
def test_soup_of_the_shipped_adapter_with_itself_merges_to_the_same_model(tmp_path):
    """Real parts: the embedded base, the shipped adapter, peft's own loading and merging."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from llm_stage.embedded import default_model_path

    base, adapter = default_model_path()
    if adapter is None:
        pytest.skip("no shipped adapter")
    sa.write([adapter, adapter], tmp_path / "s", weights=[0.25, 0.75])

    def merged(a):
        m = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
        return PeftModel.from_pretrained(m, str(a)).merge_and_unload().state_dict()

    want, got = merged(adapter), merged(tmp_path / "s")
    base_sd = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32).state_dict()
    changed = [k for k in want if not torch.equal(want[k], base_sd[k])]
    assert len(changed) >= 200  # the adapter changes every adapted projection of every layer
    for k in changed:
        assert torch.allclose(got[k], want[k], atol=1e-5), k


def test_soup_keeps_the_prompt_layout_its_sources_were_trained_on(tmp_path, monkeypatch):
    monkeypatch.delenv("CHATOCR_PROMPT_LAYOUT", raising=False)
    a = _adapter(tmp_path / "a", r=4, alpha=8, seed=1)
    b = _adapter(tmp_path / "b", r=4, alpha=8, seed=2)
    sa.write([a, b], tmp_path / "rows")
    assert not (tmp_path / "rows" / "prompt.json").exists()
    for d in (a, b):
        (d / "prompt.json").write_text('{"layout": "xy"}')
    sa.write([a, b], tmp_path / "xy")
    assert json.loads((tmp_path / "xy" / "prompt.json").read_text()) == {"layout": "xy"}
    (b / "prompt.json").unlink()
    with pytest.raises(sa.SoupError, match="different prompt layouts"):
        sa.write([a, b], tmp_path / "mixed")
