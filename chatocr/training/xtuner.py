"""XTuner, run in its own venv (its pins cannot live beside this package's transformers): building
the venv, the base model in the form its transformers reads, the starting adapter as a checkpoint,
training with a progress bar (resumable), and the checkpoint back into a peft adapter."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .recipes import Recipe, tool


class FinetuneError(RuntimeError):
    """Training or conversion failed; the message names the log to read."""


_ITER = re.compile(r"Iter\(train\)\s*\[\s*(\d+)\s*/\s*(\d+)\]")


def xtuner_env(recipe: Recipe) -> dict:
    """XTuner's launchers run `python` from PATH: make that the venv's; nothing of this package leaks in."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    env["PATH"] = f"{recipe.venv / 'bin'}:{env.get('PATH', '')}"
    env["XTUNER_VENV"] = str(recipe.venv)
    env.pop("PYTHONPATH", None)
    return env


def _tail(log: Path, n: int = 15) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-n:])


def _run(cmd: list[str], recipe: Recipe, cwd: Path, log: Path, what: str) -> None:
    with log.open("a", encoding="utf-8") as f:
        f.write(f"\n$ {' '.join(cmd)}\n")
        f.flush()
        p = subprocess.run(cmd, cwd=cwd, env=xtuner_env(recipe), stdout=f, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        raise FinetuneError(f"{what} exited {p.returncode}; its output is in {log}:\n{_tail(log)}")


def prepare(recipe: Recipe, work: Path) -> None:
    """The XTuner venv (idempotent; minutes the first time) and the base model in the form its
    transformers reads."""
    from llm_stage.embedded import prepare_embedded_model

    log = work / "setup.log"
    recipe.venv.parent.mkdir(parents=True, exist_ok=True)
    _run(["bash", str(recipe.setup)], recipe, work, log, f"building the XTuner venv {recipe.venv}")
    prepare_embedded_model(verbose=False, name=recipe.model_name)
    cmd = [
        str(recipe.python),
        str(tool("xtuner_run.py")),
        "prepare-base",
        str(recipe.base_dir),
        str(recipe.xbase),
    ]
    _run(cmd, recipe, work, log, "prepare-base")


def init_checkpoint(recipe: Recipe, work: Path) -> Path | None:
    """The starting adapter as an mmengine checkpoint, its keys checked against XTuner's model."""
    if recipe.adapter is None:
        return None
    pth = work / "init_from_adapter.pth"
    cmd = [
        sys.executable,
        str(tool("adapter_to_mmengine.py")),
        "--prepare",
        str(recipe.adapter),
        str(pth),
        str(recipe.python),
        str(recipe.xbase),
    ]
    _run(cmd, recipe, work, work / "setup.log", "converting and checking the starting adapter")
    return pth


def _lora_options(recipe: Recipe) -> list[str]:
    return [f"model.lora.{k}={','.join(v) if isinstance(v, list) else v}" for k, v in recipe.lora.items()]


def model_options(xbase: Path | str) -> list[str]:
    """Every place the configs name the base model (hooks addressed by type, not position)."""
    x = str(xbase)
    return [
        f"tokenizer.pretrained_model_name_or_path={x}",
        f"model.llm.pretrained_model_name_or_path={x}",
        f"train_dataloader.dataset.tokenizer.pretrained_model_name_or_path={x}",
        f"custom_hooks.DatasetInfoHook.tokenizer.pretrained_model_name_or_path={x}",
    ]


def train_options(recipe: Recipe, data: Path, steps: int, seed: int, init: Path | None) -> list[str]:
    opts = [
        f"train_dataloader.dataset.dataset.data_files.train={data}",
        *model_options(recipe.xbase),
        # no validation file: a few documents are trained for a fixed number of steps, and the
        # held-out documents are scored by F1 at the end instead of steering the run
        f"custom_hooks.ValLossHook.val_file={data.parent / 'no-validation-file'}",
        f"train_cfg.max_iters={steps}",
        "train_cfg.max_epochs=None",
        f"randomness.seed={seed}",
        "default_hooks.logger.interval=1",
        f"default_hooks.checkpoint.interval={max(1, min(50, steps // 4))}",
        "default_hooks.checkpoint.max_keep_ckpts=2",
        *_lora_options(recipe),
    ]
    if init is not None:
        opts.append(f"load_from={init}")
    return opts


def train(
    recipe: Recipe,
    work: Path,
    data: Path,
    steps: int,
    seed: int,
    init: Path | None,
    progress: bool,
    verbose: bool,
) -> Path:
    """XTuner training (resumed from its last checkpoint); returns the final checkpoint."""
    from tqdm import tqdm

    def say(msg: str) -> None:
        print(f"finetune: {msg}", file=sys.stderr, flush=True)

    xwork = work / "xtuner"
    done = xwork / "finished"
    last = xwork / "last_checkpoint"
    if done.is_file() and last.is_file():
        say(f"training already finished ({last.read_text().strip()})")
        return Path(last.read_text().strip())
    xwork.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(recipe.python),
        str(tool("xtuner_run.py")),
        "train",
        str(recipe.config),
        "--work-dir",
        str(xwork),
    ]
    start = 0
    if last.is_file() and Path(last.read_text().strip()).is_file():
        ckpt = last.read_text().strip()
        m = re.search(r"iter_(\d+)", ckpt)
        start = int(m.group(1)) if m else 0
        say(f"resuming training from {ckpt} (step {start}/{steps})")
        cmd += ["--resume", ckpt]
    cmd += ["--cfg-options", *train_options(recipe, data, steps, seed, init)]
    log = work / "train.log"
    bar = tqdm(total=steps, initial=start, desc="train", unit="step", disable=not progress, file=sys.stderr)
    with log.open("a", encoding="utf-8") as f:
        f.write(f"\n$ {' '.join(cmd)}\n")
        p = subprocess.Popen(
            cmd, cwd=work, env=xtuner_env(recipe), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace", bufsize=1,
        )  # fmt: skip
        assert p.stdout is not None
        for line in p.stdout:
            f.write(line)
            f.flush()
            if verbose:
                sys.stderr.write(line)
            m = _ITER.search(line)
            if m:
                bar.update(max(0, int(m.group(1)) - bar.n))
        rc = p.wait()
    bar.close()
    if rc != 0 or not last.is_file():
        raise FinetuneError(f"XTuner training exited {rc}; its output is in {log}:\n{_tail(log)}")
    done.write_text(last.read_text())
    return Path(last.read_text().strip())


def to_adapter(recipe: Recipe, ckpt: Path, dst: Path, work: Path) -> None:
    """pth_to_hf into `dst`, the adapter's base named like the shipped one (portable)."""
    shutil.rmtree(dst, ignore_errors=True)
    opts = [*model_options(recipe.xbase), *_lora_options(recipe)]
    cmd = [
        str(recipe.python),
        str(tool("xtuner_run.py")),
        "pth_to_hf",
        str(recipe.config),
        str(ckpt),
        str(dst),
    ]
    cmd += ["--fp32", "--safe-serialization", "--cfg-options", *opts]
    _run(cmd, recipe, work, work / "convert.log", "pth_to_hf")
    cfg_path = dst / "adapter_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["base_model_name_or_path"] = recipe.model_name
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    for extra in ("xtuner_config.py", "README.md"):
        (dst / extra).unlink(missing_ok=True)
