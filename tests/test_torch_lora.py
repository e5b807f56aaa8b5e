"""chatocr.training.torch_lora: the prompt tokens are the served ones, only the answer is learned,
the data order is XTuner's, a few iterations learn the samples, a stopped run resumes where it
stopped (to the same weights as an uninterrupted one), and the adapter serves through llm_stage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatocr.training import torch_lora as tl

IGNORE = tl.IGNORE


def _samples(n: int) -> list[dict]:
    from llm_stage.prompt import xtuner_sample
    from llm_stage.types import FieldQuery

    rows = []
    for i in range(n):
        text = f"KEDAI RUNCIT MAJU {i}\nNO 12 JALAN {i + 3}\nDATE: {i + 10}/03/2019\nTOTAL      {i + 4}.90"
        q = FieldQuery(fields=["company", "date", "total"])
        answer = {"company": f"KEDAI RUNCIT MAJU {i}", "date": f"{i + 10}/03/2019", "total": f"{i + 4}.90"}
        rows.append(xtuner_sample(text, q, answer))
    return rows


@pytest.fixture(scope="module")
def base() -> Path:
    from llm_stage.embedded import prepare_embedded_model

    return prepare_embedded_model(verbose=False)


@pytest.fixture(scope="module")
def tokenizer(base):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(base))


@pytest.fixture
def data(tmp_path) -> Path:
    p = tmp_path / "train.jsonl"
    p.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in _samples(6)), encoding="utf-8")
    return p


def _args(base: Path, data: Path, out: Path, **kw) -> tl.TrainArgs:
    # small and fast: every sample fits 256 tokens; val = the training samples themselves
    opts = dict(
        data=str(data), out=str(out), val=str(data), steps="4", base=str(base), max_length=256,
        val_every=4, val_samples=6, warmup=0, lr=2e-3, device="cpu",
    )  # fmt: skip
    opts.update(kw)
    return tl.TrainArgs(**opts)


# ---------------------------------------------------------------------------- tokens
def test_prompt_tokens_are_the_served_ones(tokenizer):
    from llm_stage.backends.transformers_backend import TransformersBackend

    sample = _samples(1)[0]
    msgs, output = tl.sample_messages(sample)
    ids, labels, truncated = tl.encode_sample(tokenizer, sample, 4096)
    n_prompt = labels.index(next(x for x in labels if x != IGNORE))
    # the backend's own method on the served tokenizer (no model needed to build a prompt)
    backend = TransformersBackend.__new__(TransformersBackend)
    backend.tokenizer = tokenizer
    assert ids[:n_prompt] == backend.prompt_ids(msgs)
    # and SmolLM2's ChatML written out by hand, then the answer and the turn's end
    turn = sample["conversation"][0]
    chatml = (
        f"<|im_start|>system\n{turn['system']}<|im_end|>\n<|im_start|>user\n{turn['input']}<|im_end|>\n"
        f"<|im_start|>assistant\n"
    )
    assert ids[:n_prompt] == tokenizer.encode(chatml, add_special_tokens=False)
    assert tokenizer.decode(ids[n_prompt:]) == output + "<|im_end|>\n"
    assert not truncated


def test_labels_cover_only_the_answer_and_its_end(tokenizer):
    sample = _samples(1)[0]
    ids, labels, _ = tl.encode_sample(tokenizer, sample, 4096)
    learned = [i for i, x in enumerate(labels) if x != IGNORE]
    # one contiguous span: the answer + <|im_end|>; the prompt and the trailing newline are masked
    assert learned == list(range(learned[0], learned[-1] + 1))
    assert tokenizer.decode([ids[i] for i in learned]) == sample["conversation"][0]["output"] + "<|im_end|>"
    assert labels[-1] == IGNORE and tokenizer.decode(ids[-1:]) == "\n"
    assert [labels[i] for i in learned] == [ids[i] for i in learned]


def test_long_samples_are_cut_like_xtuner_or_dropped(tokenizer):
    sample = _samples(1)[0]
    ids, labels, _ = tl.encode_sample(tokenizer, sample, 4096)
    n_prompt = labels.index(next(x for x in labels if x != IGNORE))
    cut = tl.encode_sample(tokenizer, sample, n_prompt + 3)
    assert cut is not None and cut[2] is True
    assert cut[0] == ids[: n_prompt + 3] and cut[1] == labels[: n_prompt + 3]
    assert tl.encode_sample(tokenizer, sample, n_prompt) is None  # no answer token left


def test_data_order_is_the_sampler_s_and_batches_cover_each_sample_once():
    import torch

    lengths = [10 + (i * 37) % 101 for i in range(50)]
    g = torch.Generator()
    g.manual_seed(1234 + 2)
    assert tl.epoch_batches(lengths, 2, 1234, 1) == [[i] for i in torch.randperm(50, generator=g).tolist()]
    batches = tl.epoch_batches(lengths, 0, 1234, 4)
    assert sorted(i for b in batches for i in b) == list(range(50))
    assert all(len(b) <= 4 for b in batches)
    assert all([lengths[i] for i in b] == sorted((lengths[i] for i in b), reverse=True) for b in batches)
    assert batches != tl.epoch_batches(lengths, 1, 1234, 4)


def test_warmup_is_mmengine_linear_lr():
    # XTuner's log of the CPU recipe: iteration 5 (step 4) at lr 2.3611e-04 of 5e-4
    assert tl.lr_factor(0, 10) == pytest.approx(0.05)
    assert 5e-4 * tl.lr_factor(4, 10) == pytest.approx(2.3611e-4, rel=1e-4)
    assert tl.lr_factor(8, 10) < 1.0 and tl.lr_factor(9, 10) == 1.0 and tl.lr_factor(500, 10) == 1.0


def test_the_validation_loss_stops_no_run_before_its_minimum_epochs():
    assert not tl.may_stop_early(850, 4252, 1.0)  # the v7 run: 850 iterations were a fifth of an epoch
    assert tl.may_stop_early(4252, 4252, 1.0) and tl.may_stop_early(3, 4252, 0.0)
    a = tl.parse_args(["--data", "d.jsonl", "--out", "o", "--min-epochs", "1"])
    assert a.min_epochs == 1.0 and tl.TrainArgs(data="d", out="o").min_epochs == 0.0


def test_cli_rejects_a_bad_step_count():
    with pytest.raises(SystemExit):
        tl.parse_args(["--data", "d.jsonl", "--out", "o", "--steps", "many"])
    a = tl.parse_args(["--data", "d.jsonl", "--out", "o", "--steps", "7", "--batch-size", "4"])
    assert (a.steps, a.batch_size, a.rank, a.alpha, a.lr, a.max_length) == ("7", 4, 8, 16, 5e-4, 1536)


# ---------------------------------------------------------------------------- training
@pytest.mark.slow
@pytest.mark.training
def test_a_few_iterations_lower_the_loss_and_the_adapter_serves(base, tokenizer, data, tmp_path, monkeypatch):
    import llm_stage.merged_cache as mc
    from llm_stage.backends.transformers_backend import TransformersBackend

    monkeypatch.setattr(mc, "cache_dir", lambda: tmp_path / "cache")  # no merged copy in models/
    args = _args(base, data, tmp_path / "ad", layout="xy", steps="6")
    enc = tl.encode_file(tokenizer, data, 256)
    fresh = tl.build_model(args, base, "cpu")  # LoRA B = 0: the base model's loss
    before = tl.val_loss(fresh, enc, 1, tokenizer.pad_token_id, "cpu")
    del fresh
    info = tl.train(args, progress=False)
    assert info["iterations"] == 6 and info["samples"] == 6 and info["stopped_by"] == "steps"
    assert info["best_val_loss"] < before * 0.9, (before, info)
    curve = [json.loads(x) for x in (tmp_path / "ad.work" / "val_curve.jsonl").read_text().splitlines()]
    assert [r["iter"] for r in curve] == [4, 6]  # every val_every iterations, and after the last

    out = tmp_path / "ad"
    cfg = json.loads((out / "adapter_config.json").read_text())
    assert cfg["base_model_name_or_path"] == "smollm2-135m-instruct" and cfg["r"] == 8
    assert json.loads((out / "prompt.json").read_text()) == {"layout": "xy"}
    assert json.loads((out / "train_info.json").read_text())["best_val_loss"] == info["best_val_loss"]

    backend = TransformersBackend(model=str(out))
    msgs, _ = tl.sample_messages(_samples(1)[0])
    ids, labels, _ = tl.encode_sample(backend.tokenizer, _samples(1)[0], 4096)
    assert ids[: len(backend.prompt_ids(msgs))] == backend.prompt_ids(msgs)
    r = backend.generate(msgs, keys=["company", "date", "total"])
    assert set(json.loads(r.text)) == {"company", "date", "total"}


@pytest.mark.slow
@pytest.mark.training
def test_a_stopped_run_resumes_to_the_uninterrupted_weights(base, data, tmp_path):
    from safetensors.torch import load_file

    whole = tl.train(_args(base, data, tmp_path / "whole", val=None, steps="4"), progress=False)
    assert whole["iterations_this_run"] == 4
    # the same run stopped after 2 iterations (as a kill after its checkpoint would), then rerun
    cut = _args(base, data, tmp_path / "cut", val=None, steps="4", work=str(tmp_path / "cut.work"))
    first = tl.train(tl.TrainArgs(**{**cut.__dict__, "steps": "2"}), progress=False)
    assert first["iterations"] == 2
    again = tl.train(cut, progress=False)
    assert again["iterations"] == 4 and again["iterations_this_run"] == 2
    log = [
        json.loads(x)["iter"] for x in (tmp_path / "cut.work" / "train_log.jsonl").read_text().splitlines()
    ]
    assert log == [1, 2, 3, 4]
    a = load_file(str(tmp_path / "whole" / "adapter_model.safetensors"))
    b = load_file(str(tmp_path / "cut" / "adapter_model.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        assert (a[k] - b[k]).abs().max() < 1e-5, k
    # a checkpoint of other settings is refused, not silently continued
    with pytest.raises(tl.TrainError, match="another run"):
        tl.train(tl.TrainArgs(**{**cut.__dict__, "seed": 7}), progress=False)


# ---------------------------------------------------------------------------- the base, packed to travel
def test_base_pack_rebuilds_the_weights_bit_for_bit(tmp_path):
    import numpy as np
    from safetensors.numpy import load_file, save_file

    from chatocr.training import base_pack

    rng = np.random.default_rng(0)
    blocks = 64 * 24

    def f16(x):
        return x.astype(np.float16).astype(np.float32)

    # gguf-py's dequantisation: Q4_1 d*q + m, Q8_0 q*d (float16 d and m), as the converted model
    # holds; llama.cpp's quantiser maps a block's min to q=0 and its max to 15 (Q8_0: |max| to 127)
    q = rng.integers(0, 16, (blocks, 32))
    q[:, 0], q[:, 1] = 0, 15
    q4 = (f16(rng.uniform(1e-3, 1e-2, (blocks, 1))) * q.astype(np.float32)) + f16(
        rng.uniform(-0.1, 0, (blocks, 1))
    )
    q4[5] = rng.normal(size=32).astype(np.float32)  # one block of neither form: kept as fp32
    q = rng.integers(-127, 128, (blocks, 32))
    q[:, 3] = 127 * rng.choice([-1, 1], blocks)
    q8 = q.astype(np.float32) * f16(rng.uniform(1e-3, 1e-2, (blocks, 1)))
    weights = {
        "layer.weight": q4.reshape(64 * 4, 192),
        "embed.weight": q8.reshape(96, 512),
        "norm.weight": rng.normal(size=100).astype(np.float32),
    }
    src = tmp_path / "model"
    src.mkdir()
    save_file(weights, str(src / "model.safetensors"))
    (src / "config.json").write_text('{"model_type": "llama"}')
    info = base_pack.pack(src, tmp_path / "pack", part_mib=0.02)
    assert info["tensors"] == {"q4_1": 1, "q8_0": 1, "raw": 1} and info["fp32_blocks"] == 1
    assert info["parts"] >= 3 and info["bytes"] < 0.7 * (src / "model.safetensors").stat().st_size

    partial = tmp_path / "stash"
    partial.mkdir()
    import shutil

    shutil.copytree(tmp_path / "pack" / "1", partial / "1")
    man, missing = base_pack.missing_parts(partial)
    assert missing == [str(i) for i in range(2, info["parts"] + 1)]
    with pytest.raises(SystemExit, match="lacks part"):
        base_pack.unpack(partial, tmp_path / "out")
    out = base_pack.unpack(tmp_path / "pack", tmp_path / "out")
    back = load_file(str(out / "model.safetensors"))
    assert all(back[k].tobytes() == weights[k].tobytes() for k in weights)
    assert (out / "config.json").read_text() == '{"model_type": "llama"}'
