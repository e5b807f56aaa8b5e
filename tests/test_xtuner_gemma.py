"""XTuner for Gemma 3 270M in .venv-xtuner-gemma (XTuner 0.2.0 --no-deps beside transformers 4.56, since
4.48 has no Gemma 3): the re-saved base reads the same in 4.56 as the served model in transformers 5,
the CPU config's template renders exactly the serving chat template (system prompt folded into the
user turn), and a two-step CPU run converts into an adapter the `transformers` backend serves.
The venv is built by chatocr/training/xtuner_tools/setup_xtuner_gemma.sh if missing (about 2 minutes, 2.1 GB)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
XVENV = REPO / ".venv-xtuner-gemma"
XPY = XVENV / "bin" / "python"
TOOLS = "chatocr/training/xtuner_tools"
RUN = f"{TOOLS}/xtuner_run.py"
CONFIG = "chatocr/training/xtuner_config/gemma3_270m_lora_cpu.py"

pytestmark = [pytest.mark.slow, pytest.mark.training]  # every test here needs the converted 270M model


def _env() -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    env["PATH"] = f"{XVENV / 'bin'}:{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    return env


def xrun(args: list[str], timeout: int = 600) -> subprocess.CompletedProcess:
    p = subprocess.run(
        [str(XPY), *args], cwd=REPO, env=_env(), capture_output=True, text=True, timeout=timeout
    )
    assert p.returncode == 0, f"{args[:2]} failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-5000:]}"
    return p


def xpython(code: str, timeout: int = 300) -> dict:
    prelude = (
        f"import sys, json; sys.path.insert(0, '{TOOLS}'); import xtuner_run; "
        "xtuner_run.install_torchvision_stub(); xtuner_run.install_torch_shims()\n"
    )
    p = xrun(["-c", prelude + code], timeout=timeout)
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def gemma_xbase(tmp_path_factory) -> Path:
    p = subprocess.run(
        ["bash", f"{TOOLS}/setup_xtuner_gemma.sh"], cwd=REPO, capture_output=True, text=True, timeout=1800
    )
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-4000:]
    from llm_stage.embedded import prepare_embedded_model

    base = prepare_embedded_model(name="gemma3-270m", verbose=False)
    dst = tmp_path_factory.mktemp("xbase") / "gemma3-270m-xtuner"
    xrun([RUN, "prepare-base", str(base), str(dst)])
    return dst


def _samples(n: int) -> list[dict]:
    from llm_stage.prompt import xtuner_sample
    from llm_stage.types import FieldQuery

    rows = []
    for i in range(n):
        text = f"KEDAI RUNCIT MAJU {i}\nNO 12 JALAN {i + 3}\nDATE: {i + 10}/03/2019\nTOTAL      {i + 4}.90"
        if i % 2:
            text += f"\n发票号码：1226956{i}\n价税合计 ￥34{i}5.00"
        q = FieldQuery(fields=["company", "date", "total"])
        rows.append(
            xtuner_sample(
                text,
                q,
                {"company": f"KEDAI RUNCIT MAJU {i}", "date": f"{i + 10}/03/2019", "total": f"{i + 4}.90"},
            )
        )
    return rows


def test_gemma_cpu_template_matches_the_serving_chat_template(gemma_xbase, tmp_path):
    from transformers import AutoTokenizer

    from llm_stage.embedded import prepare_embedded_model

    samples = _samples(2)
    (tmp_path / "s.json").write_text(json.dumps(samples, ensure_ascii=False), encoding="utf-8")
    got = xpython(
        "import transformers\n"
        "from mmengine.config import Config\n"
        "from transformers import AutoConfig, AutoTokenizer\n"
        "from xtuner.dataset.map_fns import template_map_fn\n"
        "from xtuner.dataset.utils import encode_fn\n"
        f"c = Config.fromfile('{CONFIG}')\n"
        f"tok = AutoTokenizer.from_pretrained('{gemma_xbase}')\n"
        "encs = [encode_fn(template_map_fn(ex, c.prompt_template), tok, 4096)"
        f" for ex in json.load(open('{tmp_path / 's.json'}'))]\n"
        f"cfg = AutoConfig.from_pretrained('{gemma_xbase}')\n"
        "print(json.dumps(dict(encs=[dict(ids=e['input_ids'], labels=e['labels']) for e in encs],"
        " rope=cfg.rope_theta, local=cfg.rope_local_base_freq, tf=transformers.__version__,"
        " lr=c.optim_wrapper.optimizer.lr, r=c.model.lora.r, alpha=c.model.lora.lora_alpha,"
        " ml=c.train_dataloader.dataset.max_length,"
        " omp=c.train_dataloader.dataset.map_num_proc, ow=c.optim_wrapper.type.__name__)))"
    )
    assert got["tf"].startswith("4.5") and got["tf"] >= "4.50"
    tok = AutoTokenizer.from_pretrained(str(prepare_embedded_model(name="gemma3-270m", verbose=False)))
    for sample, enc in zip(samples, got["encs"], strict=True):
        turn = sample["conversation"][0]
        msgs = [{"role": "system", "content": turn["system"]}, {"role": "user", "content": turn["input"]}]
        rendered = tok.apply_chat_template(
            msgs + [{"role": "assistant", "content": turn["output"]}], tokenize=False
        )
        assert rendered.startswith("<bos><start_of_turn>user\n" + turn["system"] + "\n\n<document>")
        want = tok(rendered, add_special_tokens=False)["input_ids"]
        assert enc["ids"] == want, tok.decode(enc["ids"])[:400]
        answer = tok(turn["output"] + "<end_of_turn>", add_special_tokens=False)["input_ids"]
        assert [t for t in enc["labels"] if t != -100] == answer
        prompt = tok(
            tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True),
            add_special_tokens=False,
        )["input_ids"]
        assert enc["ids"][: len(prompt)] == prompt
    # transformers 4.56 reads both of Gemma 3's rope bases from the re-saved config
    assert (got["rope"], got["local"]) == (1000000.0, 10000.0)
    # the SmolLM2 recipe's settings
    assert (got["lr"], got["r"], got["alpha"], got["ml"]) == (5e-4, 8, 16, 1536)
    assert got["omp"] == 1 and got["ow"] == "OptimWrapper"


def test_gemma_two_step_cpu_run_converts_and_serves(gemma_xbase, tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in _samples(4)), encoding="utf-8")
    work, adapter = tmp_path / "work", tmp_path / "adapter"
    base = str(gemma_xbase)
    p = xrun(
        [
            RUN,
            "train",
            CONFIG,
            "--work-dir",
            str(work),
            "--cfg-options",
            f"train_dataloader.dataset.dataset.data_files.train={data}",
            f"tokenizer.pretrained_model_name_or_path={base}",
            f"custom_hooks.DatasetInfoHook.tokenizer.pretrained_model_name_or_path={base}",
            f"model.llm.pretrained_model_name_or_path={base}",
            f"train_dataloader.dataset.tokenizer.pretrained_model_name_or_path={base}",
            "train_cfg.max_iters=2",
            "train_cfg.max_epochs=None",
            "default_hooks.logger.interval=1",
            f"custom_hooks.ValLossHook.val_file={data}",
            "custom_hooks.ValLossHook.interval=2",
            "default_hooks.checkpoint.interval=2",
        ]  # fmt: skip
    )
    out = p.stdout + p.stderr
    assert out.count("loss:") >= 2
    losses = [float(x.split("loss:")[1].split()[0]) for x in out.splitlines() if " loss:" in x]
    assert all(0 < v < 8 for v in losses), losses  # a tied lm_head: far below ln(262144) ~ 12.5
    ckpt = (work / "last_checkpoint").read_text().strip()
    assert ckpt.endswith("iter_2.pth")
    curve = [json.loads(line) for line in (work / "val_curve.jsonl").read_text().splitlines()]
    assert [r["iter"] for r in curve] == [2] and curve[0]["val_loss"] > 0
    xrun(
        [
            RUN,
            "pth_to_hf",
            CONFIG,
            ckpt,
            str(adapter),
            "--fp32",
            "--safe-serialization",
            "--cfg-options",
            f"model.llm.pretrained_model_name_or_path={base}",
            f"tokenizer.pretrained_model_name_or_path={base}",
            f"custom_hooks.DatasetInfoHook.tokenizer.pretrained_model_name_or_path={base}",
        ]  # fmt: skip
    )
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    assert cfg["peft_type"] == "LORA" and cfg["r"] == 8
    # the portable form the serving side resolves by name (as scripts/train_cpu.sh writes for SmolLM2)
    cfg["base_model_name_or_path"] = "gemma3-270m"
    (adapter / "adapter_config.json").write_text(json.dumps(cfg))

    from llm_stage.backends import get_backend
    from llm_stage.prompt import build_messages
    from llm_stage.types import FieldQuery

    q = FieldQuery(fields=["company", "total"])
    doc = "KEDAI RUNCIT MAJU 9\nTOTAL      13.90"
    backend = get_backend("transformers", model=str(adapter), threads=1)
    assert backend.model.config.model_type == "gemma3_text"
    out = backend.generate(build_messages(doc, q), keys=q.keys, copy_from=doc)
    assert list(json.loads(out.text)) == ["company", "total"]
    assert out.generated_tokens > 0
