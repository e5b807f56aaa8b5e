"""mmengine hooks for the XTuner CPU recipes (imported by ../xtuner_config/*.py inside .venv-xtuner).

`ValLossHook` measures the loss on a fixed validation file every `interval` iterations, writes the
learning curve to `<work_dir>/val_curve.jsonl`, keeps the best iteration's checkpoint as
`best.pth`, and stops training once the validation loss has not improved for `patience`
evaluations: training runs to convergence, not to a step count or a clock.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

from mmengine.hooks import Hook


class ValLossHook(Hook):
    priority = "LOWEST"  # after the CheckpointHook (VERY_LOW) of the same iteration has written its file

    def __init__(self, val_file: str, interval: int = 100, patience: int = 3, max_samples: int = 64,
                 min_delta: float = 0.002):  # fmt: skip
        self.val_file = val_file
        self.interval = interval
        self.patience = patience
        self.max_samples = max_samples
        self.min_delta = min_delta
        self._batches = None
        self.best = math.inf
        self.best_iter = -1
        self.bad = 0

    # ---------------------------------------------------------------- data
    def _build(self, runner) -> None:
        from xtuner.dataset.collate_fns import default_collate_fn
        from xtuner.registry import BUILDER

        cfg = runner.cfg.train_dataloader.dataset.copy()
        cfg["dataset"] = dict(cfg["dataset"])
        cfg["dataset"]["data_files"] = dict(train=self.val_file)
        cfg["shuffle_before_pack"] = False
        ds = BUILDER.build(cfg)
        n = min(len(ds), self.max_samples)
        self._batches = [default_collate_fn([ds[i]]) for i in range(n)]
        runner.logger.info(f"ValLossHook: {n} validation samples from {self.val_file}")

    def _restore_state(self, runner) -> None:
        curve = Path(runner.work_dir) / "val_curve.jsonl"
        if not curve.is_file():
            return
        for line in curve.read_text().splitlines():
            r = json.loads(line)
            if r["val_loss"] < self.best - self.min_delta:
                self.best, self.best_iter, self.bad = r["val_loss"], r["iter"], 0
            else:
                self.bad += 1

    def before_train(self, runner) -> None:
        if not Path(self.val_file).is_file():
            runner.logger.warning(
                f"ValLossHook: no validation file {self.val_file}; no learning curve, no early stop"
            )
            self.interval = 0
            return
        self._build(runner)
        self._restore_state(runner)  # a resumed run keeps its curve and patience count

    # ---------------------------------------------------------------- evaluation
    def val_loss(self, runner) -> float:
        import torch

        model = runner.model
        was_training = model.training
        model.eval()
        total = 0.0
        try:
            with torch.no_grad():
                for batch in self._batches:
                    data = model.data_preprocessor(batch, False)
                    total += float(model(**data, mode="loss")["loss"])
        finally:
            model.train(was_training)
        return total / max(1, len(self._batches))

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        step = runner.iter + 1
        if not self.interval or step % self.interval:
            return
        t0 = time.perf_counter()
        loss = self.val_loss(runner)
        improved = loss < self.best - self.min_delta
        if improved:
            self.best, self.best_iter, self.bad = loss, step, 0
            ckpt = Path(runner.work_dir) / f"iter_{step}.pth"
            if ckpt.is_file():
                shutil.copyfile(ckpt, Path(runner.work_dir) / "best.pth")
        else:
            self.bad += 1
        rec = {"iter": step, "val_loss": round(loss, 5), "best_iter": self.best_iter,
               "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip
        with (Path(runner.work_dir) / "val_curve.jsonl").open("a") as f:
            f.write(json.dumps(rec) + "\n")
        runner.logger.info(
            f"ValLossHook: iter {step} val_loss {loss:.4f} (best {self.best:.4f} @ {self.best_iter})"
        )
        if self.bad >= self.patience:
            runner.logger.info(f"ValLossHook: no improvement for {self.patience} evaluations; stopping")
            runner.train_loop.stop_training = True
