"""XTuner fine-tuning: configs load under XTuner's own pins, the CPU template renders exactly what the
serving chat template renders, and a two-step CPU run converts and merges into a model the
`transformers` backend answers with. The xtuner venv is built by chatocr/training/xtuner_tools/setup_xtuner.sh if missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
XVENV = REPO / ".venv-xtuner"
XPY = XVENV / "bin" / "python"
CONFIGS = "chatocr/training/xtuner_config"
TOOLS = "chatocr/training/xtuner_tools"
RUN = f"{TOOLS}/xtuner_run.py"
CPU_CONFIG = f"{CONFIGS}/smollm2_135m_lora_cpu.py"
GEMMA_CONFIG = f"{CONFIGS}/gemma3_270m_lora_cpu.py"
GPU_CONFIG = f"{CONFIGS}/internlm2_chat_7b_qlora_chatocr_e3.py"


def _env() -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    env["PATH"] = f"{XVENV / 'bin'}:{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)
    return env


def xrun(args: list[str], timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a command with the xtuner venv's python from the repo root; fail with its output."""
    p = subprocess.run(
        [str(XPY), *args], cwd=REPO, env=_env(), capture_output=True, text=True, timeout=timeout
    )
    assert p.returncode == 0, f"{args[:2]} failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-5000:]}"
    return p


def xpython(code: str, timeout: int = 300) -> dict:
    """Run code in the xtuner venv with the launcher's shims; it prints one JSON object last."""
    prelude = (
        f"import sys, json; sys.path.insert(0, '{TOOLS}'); import xtuner_run; "
        "xtuner_run.install_torchvision_stub(); xtuner_run.install_torch_shims()\n"
    )
    p = xrun(["-c", prelude + code], timeout=timeout)
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def xtuner_venv() -> Path:
    p = subprocess.run(
        ["bash", f"{TOOLS}/setup_xtuner.sh"], cwd=REPO, capture_output=True, text=True, timeout=1800
    )
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-4000:]
    return XVENV


@pytest.fixture(scope="session")
def xtuner_base(xtuner_venv, tmp_path_factory) -> Path:
    """The embedded model re-saved for transformers 4.48 (what the CPU config trains)."""
    from llm_stage.embedded import prepare_embedded_model

    base = prepare_embedded_model(verbose=False)
    dst = tmp_path_factory.mktemp("xbase") / "smollm2-xtuner"
    xrun([RUN, "prepare-base", str(base), str(dst)])
    return dst


def _samples(n: int) -> list[dict]:
    from llm_stage.prompt import xtuner_sample
    from llm_stage.types import FieldQuery

    rows = []
    for i in range(n):
        text = f"KEDAI RUNCIT MAJU {i}\nNO 12 JALAN {i + 3}\nDATE: {i + 10}/03/2019\nTOTAL      {i + 4}.90"
        q = FieldQuery(fields=["company", "date", "total"])
        rows.append(
            xtuner_sample(
                text,
                q,
                {"company": f"KEDAI RUNCIT MAJU {i}", "date": f"{i + 10}/03/2019", "total": f"{i + 4}.90"},
            )
        )
    return rows


def test_qlora_config_holds_the_production_recipe(xtuner_venv):
    got = xpython(
        "from mmengine.config import Config\n"
        f"c = Config.fromfile('{GPU_CONFIG}')\n"
        "q = c.model.llm.quantization_config; l = c.model.lora\n"
        "hook = [h for h in c.custom_hooks if h.type.__name__ == 'EvaluateChatHook'][0]\n"
        "print(json.dumps(dict(model=c.model.llm.pretrained_model_name_or_path, qtype=q.type.__name__,"
        " four=q.load_in_4bit, quant=q.bnb_4bit_quant_type, dq=q.bnb_4bit_use_double_quant,"
        " compute=str(q.bnb_4bit_compute_dtype), r=l.r, alpha=l.lora_alpha, targets=list(l.target_modules),"
        " template=c.prompt_template.SYSTEM, internlm=__import__('xtuner.utils', fromlist=['x']).PROMPT_TEMPLATE.internlm2_chat.SYSTEM,"
        " system=hook.system, inputs=list(hook.evaluation_inputs), max_length=c.max_length,"
        " map_num_proc=c.train_dataloader.dataset.map_num_proc, data=c.train_dataloader.dataset.dataset.data_files.train)))"
    )
    from llm_stage.prompt import SYSTEM_PROMPT

    assert got["model"] == "internlm/internlm2-chat-7b"
    assert (got["qtype"], got["four"], got["quant"], got["dq"]) == ("BitsAndBytesConfig", True, "nf4", True)
    assert got["compute"] == "torch.bfloat16"
    assert (got["r"], got["alpha"]) == (64, 16)
    assert sorted(got["targets"]) == sorted(["wqkv", "wo", "w1", "w2", "w3"])
    assert got["template"] == got["internlm"]
    assert got["system"] == SYSTEM_PROMPT
    assert got["inputs"] and all(
        i.startswith("<document>\n") and i.endswith("\nJSON:") for i in got["inputs"]
    )
    assert got["max_length"] == 2048 and got["map_num_proc"] < 32
    assert got["data"].startswith("datasets/generated/")


def _config_dict(path: str) -> dict:
    """A config after mmengine's inheritance (read_base), as JSON, each `type` by its last name."""

    def short(node):
        if isinstance(node, dict):
            return {k: v.rsplit(".", 1)[-1] if k == "type" else short(v) for k, v in node.items()}
        return [short(x) for x in node] if isinstance(node, list) else node

    return short(
        xpython(
            "from mmengine.config import Config\n"
            f"c = Config.fromfile('{path}')\n"
            "c.pretty_text  # what the runner dumps into its work dir must render\n"
            "print(json.dumps(c.to_dict(), default=lambda o: getattr(o, '__name__', str(o))))"
        )
    )


def _drop(d: dict, *paths: str) -> dict:
    for p in paths:
        *head, last = p.split(".")
        node = d
        for k in head:
            node = node[k]
        node.pop(last)
    return d


def test_cpu_recipes_share_everything_but_the_model(xtuner_venv):
    """Both CPU configs inherit _base_/cpu_lora.py: they differ only in what belongs to the model."""
    smol, gemma = _config_dict(CPU_CONFIG), _config_dict(GEMMA_CONFIG)
    for c in (smol, gemma):
        assert c["optim_wrapper"]["type"] == "OptimWrapper" and c["optim_wrapper"]["optimizer"]["lr"] == 5e-4
        assert (c["model"]["lora"]["r"], c["model"]["lora"]["lora_alpha"]) == (8, 16)
        assert c["train_dataloader"]["dataset"]["max_length"] == 1536
        assert c["env_cfg"]["dist_cfg"]["backend"] == "gloo"
        hooks = {h["type"]: h for h in c["custom_hooks"]}
        assert set(hooks) == {"DatasetInfoHook", "ValLossHook"}
        assert hooks["DatasetInfoHook"]["tokenizer"] == c["tokenizer"]
        assert c["train_dataloader"]["dataset"]["tokenizer"] == c["tokenizer"]
        assert c["train_dataloader"]["dataset"]["template_map_fn"]["template"] == c["prompt_template"]
        assert hooks["ValLossHook"]["interval"] == 100 and hooks["ValLossHook"]["patience"] == 3
    assert gemma["model"]["llm"]["attn_implementation"] == "eager"
    model_specific = (
        "pretrained_model_name_or_path",
        "prompt_template",
        "tokenizer",
        "custom_hooks",
        "model.llm.pretrained_model_name_or_path",
        "train_dataloader.dataset.tokenizer",
        "train_dataloader.dataset.template_map_fn.template",
    )
    _drop(gemma, "model.llm.attn_implementation")
    assert _drop(smol, *model_specific) == _drop(gemma, *model_specific)


def test_hooks_are_addressed_by_type_not_position(xtuner_venv):
    got = xpython(
        "from xtuner_run import hooks_by_index\n"
        f"args = ['train', '{CPU_CONFIG}', '--work-dir', 'w', '--cfg-options', 'custom_hooks.ValLossHook.val_file=v',"
        " 'custom_hooks.DatasetInfoHook.tokenizer.pretrained_model_name_or_path=t', 'custom_hooks.1.interval=5',"
        " '--resume', 'custom_hooks.ValLossHook.x']\n"
        "print(json.dumps(hooks_by_index(args)))"
    )
    assert got[5:8] == [
        "custom_hooks.1.val_file=v",
        "custom_hooks.0.tokenizer.pretrained_model_name_or_path=t",
        "custom_hooks.1.interval=5",
    ]
    assert got[8:] == ["--resume", "custom_hooks.ValLossHook.x"]  # not a cfg option: left alone
    # a hook the config does not hold is an error, not a silently added key
    p = subprocess.run(
        [str(XPY), RUN, "train", GPU_CONFIG, "--cfg-options", "custom_hooks.ValLossHook.val_file=v"],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (
        p.returncode != 0
        and "has no custom hook ValLossHook (it has DatasetInfoHook, EvaluateChatHook)"
        in (p.stdout + p.stderr)
    )


def test_eval_inputs_are_what_the_prompt_builder_writes():
    sys.path.insert(0, str(REPO))
    from scripts.make_eval_inputs import prompt_from_sample

    ns: dict = {}
    exec((REPO / CONFIGS / "chatocr_eval_inputs.py").read_text(encoding="utf-8"), ns)
    assert ns["evaluation_inputs"]
    for text in ns["evaluation_inputs"]:
        rebuilt = prompt_from_sample({"conversation": [{"input": text}]})
        assert rebuilt == text


def test_cpu_template_matches_the_serving_chat_template(xtuner_base, tmp_path):
    """XTuner's tokenised training sample == the serving tokenizer's chat template + answer."""
    from transformers import AutoTokenizer

    from llm_stage.embedded import prepare_embedded_model

    sample = _samples(1)[0]
    (tmp_path / "s.json").write_text(json.dumps(sample, ensure_ascii=False), encoding="utf-8")
    got = xpython(
        "from mmengine.config import Config\n"
        "from transformers import AutoConfig, AutoTokenizer\n"
        "from xtuner.dataset.map_fns import template_map_fn\n"
        "from xtuner.dataset.utils import encode_fn\n"
        f"c = Config.fromfile('{CPU_CONFIG}')\n"
        f"tok = AutoTokenizer.from_pretrained('{xtuner_base}')\n"
        f"ex = json.load(open('{tmp_path / 's.json'}'))\n"
        "ex = template_map_fn(ex, c.prompt_template)\n"
        "enc = encode_fn(ex, tok, 4096)\n"
        f"cfg = AutoConfig.from_pretrained('{xtuner_base}')\n"
        "print(json.dumps(dict(ids=enc['input_ids'], labels=enc['labels'], rope=cfg.rope_theta,"
        " omp=c.train_dataloader.dataset.map_num_proc, ow=c.optim_wrapper.type.__name__)))"
    )
    turn = sample["conversation"][0]
    tok = AutoTokenizer.from_pretrained(str(prepare_embedded_model(verbose=False)))
    msgs = [{"role": "system", "content": turn["system"]}, {"role": "user", "content": turn["input"]}]
    rendered = tok.apply_chat_template(
        msgs + [{"role": "assistant", "content": turn["output"]}], tokenize=False
    )
    want = tok(rendered, add_special_tokens=False)["input_ids"]
    assert got["ids"] == want, tok.decode(got["ids"])[:400]
    # the loss covers exactly the answer and its <|im_end|>, never the prompt
    answer = tok(turn["output"] + "<|im_end|>", add_special_tokens=False)["input_ids"]
    trained = [t for t in got["labels"] if t != -100]
    assert trained == answer
    # the prompt part equals what the backend feeds at inference (generation prompt included)
    prompt = tok(
        tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True), add_special_tokens=False
    )["input_ids"]
    assert got["ids"][: len(prompt)] == prompt
    # transformers 4.48 reads the re-saved base with SmolLM2's rope_theta, not its 10000 default
    assert got["rope"] == 100000.0
    assert got["omp"] == 1 and got["ow"] == "OptimWrapper"


def test_launcher_fails_loudly_on_a_broken_run(xtuner_venv, tmp_path):
    """`xtuner train` exits 0 on failure; the project's launcher must not."""
    p = subprocess.run(
        [
            str(XPY),
            RUN,
            "train",
            CPU_CONFIG,
            "--work-dir",
            str(tmp_path),
            "--cfg-options",
            f"train_dataloader.dataset.dataset.data_files.train={tmp_path / 'missing.jsonl'}",
        ],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode != 0


@pytest.mark.slow
@pytest.mark.training
def test_two_step_cpu_run_converts_merges_and_serves(xtuner_base, tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in _samples(4)), encoding="utf-8")
    work, adapter, merged = tmp_path / "work", tmp_path / "adapter", tmp_path / "merged"

    def train(iters: int, *resume: str) -> str:
        p = xrun(
            [
                RUN,
                "train",
                CPU_CONFIG,
                "--work-dir",
                str(work),
                *resume,
                "--cfg-options",
                f"train_dataloader.dataset.dataset.data_files.train={data}",
                f"tokenizer.pretrained_model_name_or_path={xtuner_base}",
                f"custom_hooks.DatasetInfoHook.tokenizer.pretrained_model_name_or_path={xtuner_base}",
                f"model.llm.pretrained_model_name_or_path={xtuner_base}",
                f"train_dataloader.dataset.tokenizer.pretrained_model_name_or_path={xtuner_base}",
                f"train_cfg.max_iters={iters}",
                "train_cfg.max_epochs=None",
                "default_hooks.logger.interval=1",
                # the learning curve on a validation file, measured every step here
                f"custom_hooks.ValLossHook.val_file={data}",
                "custom_hooks.ValLossHook.interval=1",
                "default_hooks.checkpoint.interval=1",
            ]
        )
        return p.stdout + p.stderr

    # one step, then resume from its checkpoint for the second (torch 2.13's weights_only default
    # broke mmengine's resume until the launcher's shim)
    assert "loss:" in train(1)
    out = train(2, "--resume", (work / "last_checkpoint").read_text().strip())
    assert "resumed epoch: 0, iter: 1" in out and "loss:" in out
    ckpt = (work / "last_checkpoint").read_text().strip()
    assert ckpt.endswith("iter_2.pth")
    curve = [json.loads(line) for line in (work / "val_curve.jsonl").read_text().splitlines()]
    assert [r["iter"] for r in curve] == [1, 2] and all(r["val_loss"] > 0 for r in curve)
    assert (work / "best.pth").is_file()
    xrun(
        [
            RUN,
            "pth_to_hf",
            CPU_CONFIG,
            ckpt,
            str(adapter),
            "--fp32",
            "--safe-serialization",
            "--cfg-options",
            f"model.llm.pretrained_model_name_or_path={xtuner_base}",
            f"tokenizer.pretrained_model_name_or_path={xtuner_base}",
            f"custom_hooks.DatasetInfoHook.tokenizer.pretrained_model_name_or_path={xtuner_base}",
        ]
    )
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    assert cfg["peft_type"] == "LORA" and cfg["r"] == 8
    xrun(
        [
            RUN,
            "merge",
            str(xtuner_base),
            str(adapter),
            str(merged),
            "--safe-serialization",
            "--device",
            "cpu",
        ]
    )
    assert (merged / "config.json").is_file()

    from llm_stage.backends import get_backend
    from llm_stage.prompt import build_messages
    from llm_stage.types import FieldQuery

    q = FieldQuery(fields=["company", "total"])
    msgs = build_messages("KEDAI RUNCIT MAJU 9\nTOTAL      13.90", q)
    for backend in (
        get_backend("transformers", model=str(merged)),
        get_backend("transformers", model="embedded", adapter=str(adapter)),
    ):
        out = backend.generate(msgs, keys=q.keys)
        assert list(json.loads(out.text)) == ["company", "total"]
        assert out.generated_tokens > 0
