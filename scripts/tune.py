"""`make tune`: an Optuna search over the LoRA recipe (learning rate, rank, steps) of the embedded
model, scored on the synthetic validation split (never on the real dev documents).

    .venv/bin/python -m scripts.tune [--trials 4] [--max-steps 200] [--data datasets/generated/v3]

Each trial trains with XTuner on CPU (the project's launcher and config; rank/alpha, lr and
max_iters overridden), with the ValLossHook measuring the validation loss every `--eval-every`
steps; the trial's score is its best validation loss (lower is better), reported to Optuna at each
evaluation so unpromising trials are pruned. Trials are stored in an SQLite study, so an
interrupted search resumes. Writes reports/tune.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = "chatocr/training/xtuner_config/smollm2_135m_lora_cpu.py"
RUN = "chatocr/training/xtuner_tools/xtuner_run.py"
XBASE = "models/smollm2-135m-instruct-xtuner"


def train_trial(work: Path, data: Path, val: Path, lr: float, rank: int, steps: int, every: int,
                val_samples: int, xpy: Path) -> list[dict]:  # fmt: skip
    """Run one XTuner training; returns its learning curve (val_curve.jsonl rows)."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    env["PATH"] = f"{xpy.parent}{os.pathsep}{env.get('PATH', '')}"
    cmd = [
        str(xpy), RUN, "train", CONFIG, "--work-dir", str(work),
        "--cfg-options",
        f"train_dataloader.dataset.dataset.data_files.train={data}",
        f"tokenizer.pretrained_model_name_or_path={XBASE}",
        f"model.llm.pretrained_model_name_or_path={XBASE}",
        f"train_dataloader.dataset.tokenizer.pretrained_model_name_or_path={XBASE}",
        f"custom_hooks.DatasetInfoHook.tokenizer.pretrained_model_name_or_path={XBASE}",
        f"custom_hooks.ValLossHook.val_file={val}", f"custom_hooks.ValLossHook.interval={every}",
        f"custom_hooks.ValLossHook.max_samples={val_samples}", "custom_hooks.ValLossHook.patience=1000",
        f"default_hooks.checkpoint.interval={every}",
        f"optim_wrapper.optimizer.lr={lr}", f"model.lora.r={rank}", f"model.lora.lora_alpha={2 * rank}",
        f"train_cfg.max_iters={steps}", "train_cfg.max_epochs=None",
    ]  # fmt: skip
    log = work / "train.log"
    work.mkdir(parents=True, exist_ok=True)
    with log.open("w") as fh:
        p = subprocess.run(cmd, cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT)
    curve_file = work / "val_curve.jsonl"
    if p.returncode != 0 or not curve_file.is_file():
        raise RuntimeError(f"trial training failed (exit {p.returncode}); see {log}")
    return [json.loads(line) for line in curve_file.read_text().splitlines() if line.strip()]


def _loss(v) -> str:
    return "" if v is None else f"{v:.4f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=4)
    ap.add_argument("--max-steps", type=int, default=200, help="upper bound of the steps searched")
    ap.add_argument("--eval-every", type=int, default=50)
    ap.add_argument("--val-samples", type=int, default=24)
    ap.add_argument("--data", default="datasets/generated/v3", help="a generate_data output folder")
    ap.add_argument("--work", default="work_dirs/tune")
    ap.add_argument("--out", default="reports/tune")
    ap.add_argument("--xtuner-python", default=".venv-xtuner/bin/python")
    a = ap.parse_args(argv)

    import optuna

    data, work = REPO / a.data, REPO / a.work
    train, val = data / "train.jsonl", data / "val.jsonl"
    for f in (train, val):
        if not f.is_file():
            print(f"tune: {f} is missing; run `make data` first", file=sys.stderr)
            return 2
    xpy = REPO / a.xtuner_python
    if not xpy.is_file():
        print(f"tune: {xpy} is missing; run `make setup-xtuner` first", file=sys.stderr)
        return 2
    work.mkdir(parents=True, exist_ok=True)
    study = optuna.create_study(
        study_name="chatocr-lora",
        storage=f"sqlite:///{work / 'study.db'}",
        direction="minimize",
        load_if_exists=True,
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2),
    )

    def objective(trial: optuna.Trial) -> float:
        lr = trial.suggest_float("lr", 1e-4, 1e-3, log=True)
        rank = trial.suggest_categorical("rank", [4, 8, 16])
        steps = trial.suggest_int("steps", a.eval_every, a.max_steps, step=a.eval_every)
        curve = train_trial(work / f"trial_{trial.number}", train, val, lr, rank, steps, a.eval_every,
                            a.val_samples, xpy)  # fmt: skip
        for r in curve:
            trial.report(r["val_loss"], r["iter"])
        trial.set_user_attr("curve", curve)
        return min(r["val_loss"] for r in curve)

    remaining = max(0, a.trials - len([t for t in study.trials if t.state.is_finished()]))
    study.optimize(objective, n_trials=remaining)
    rows = [{"trial": t.number, "state": t.state.name, "value": t.value, **t.params} for t in study.trials]
    out = REPO / a.out
    out.parent.mkdir(parents=True, exist_ok=True)
    best = study.best_trial
    out.with_suffix(".json").write_text(
        json.dumps({"best": {"value": best.value, **best.params}, "trials": rows}, indent=1)
    )
    md = [
        "# LoRA recipe search (Optuna, synthetic val loss)",
        "",
        f"Data: `{a.data}` (train / val); {len(rows)} trials; best: val loss {best.value:.4f} with {best.params}.",
        "",
        "| trial | state | best val loss | lr | rank | steps |",
        "|---:|---|---:|---:|---:|---:|",
        *[
            f"| {r['trial']} | {r['state']} | {_loss(r['value'])} | {r.get('lr', 0):.2e} | {r.get('rank', '')} "
            f"| {r.get('steps', '')} |"
            for r in rows
        ],
    ]
    out.with_suffix(".md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
