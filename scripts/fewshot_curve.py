"""The few-shot curve: F1 on a fixed scoring set for adapters fine-tuned on 0, 5, 10, 20 and 40
labelled documents of the same kind, and the minutes of CPU training each point took.

    .venv/bin/python -m scripts.fewshot_curve --dry-run        # the plan, nothing run
    .venv/bin/python -m scripts.fewshot_curve                  # hours on a CPU; resumable

Pool: ../shared/data/fewshot/sroie_receipts (40 real labelled receipts); scoring set:
../shared/data/dev/sroie_receipts (never trained on). The pool is shuffled once by --seed and the
subsets are nested (the 10 include the 5), so the curve measures more data, not other data. Point 0
is the starting model itself. Each point: `chatocr finetune SUBSET -o ADAPTER --holdout 0` (the
scoring set is separate, so nothing is held out), then `chatocr eval DEV --model ADAPTER`. Every
step resumes (finetune and eval do; a finished point is skipped). The table goes to
reports/fewshot/curve.md and curve.json.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
POOL = REPO.parent / "shared/data/fewshot/sroie_receipts"
DEV = REPO.parent / "shared/data/dev/sroie_receipts"
POINTS = (0, 5, 10, 20, 40)


def subset(pool: Path, lines: list[str], n: int, dst: Path) -> Path:
    """A folder of the first `n` shuffled pool documents (images hard-linked or copied)."""
    if (dst / "labels.jsonl").is_file() and len((dst / "labels.jsonl").read_text().splitlines()) == n:
        return dst
    shutil.rmtree(dst, ignore_errors=True)
    (dst / "img").mkdir(parents=True)
    for line in lines[:n]:
        src = pool / json.loads(line)["image"]
        target = dst / "img" / src.name
        try:
            target.hardlink_to(src)
        except OSError:
            shutil.copy2(src, target)
    (dst / "labels.jsonl").write_text(
        "".join(
            json.dumps({**json.loads(x), "image": f"img/{Path(json.loads(x)['image']).name}"}) + "\n"
            for x in lines[:n]
        ),
        encoding="utf-8",
    )
    return dst


def chatocr(*args: str) -> None:
    cmd = [str(REPO / ".venv/bin/chatocr"), *args]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=REPO, check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pool", type=Path, default=POOL)
    ap.add_argument("--dev", type=Path, default=DEV)
    ap.add_argument("--points", default=",".join(map(str, POINTS)), help="document counts, e.g. 0,5,10,20,40")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model", default=None, help="starting model/adapter (default: the shipped adapter)")
    ap.add_argument("--work", type=Path, default=REPO / "work_dirs/fewshot")
    ap.add_argument("--out", type=Path, default=REPO / "reports/fewshot")
    ap.add_argument(
        "--finetune-args", default="", help="extra `chatocr finetune` options, e.g. '--steps 200'"
    )
    ap.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    a = ap.parse_args(argv)

    from chatocr.training.run import DEFAULT_EPOCHS, SECONDS_PER_STEP

    lines = [x for x in (a.pool / "labels.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    random.Random(f"fewshot-{a.seed}").shuffle(lines)
    points = [int(x) for x in a.points.split(",")]
    if max(points) > len(lines):
        print(
            f"fewshot_curve: the pool has {len(lines)} documents, fewer than {max(points)}", file=sys.stderr
        )
        return 2
    n_dev = sum(1 for x in (a.dev / "labels.jsonl").read_text(encoding="utf-8").splitlines() if x.strip())

    plan = []
    for n in points:
        # 3 samples per receipt (all fields, two subsets; no absent-field sample: every receipt has
        # the same four fields) + 30% synthetic
        samples = round(3 * n / 0.7)
        steps = DEFAULT_EPOCHS * samples
        plan.append(
            {"documents": n, "steps": steps, "train_min_est": round(steps * SECONDS_PER_STEP / 60, 1)}
        )
    print(
        f"pool {a.pool} ({len(lines)} documents, shuffled by seed {a.seed}); scoring set {a.dev} ({n_dev} documents)"
    )
    for p in plan:
        n = p["documents"]
        adapter = a.work / f"adapter-{n}"
        if n == 0:
            print(f"  {n:>2} docs: no training; eval {a.dev.name} with {a.model or 'the shipped adapter'}")
        else:
            print(
                f"  {n:>2} docs: chatocr finetune {a.work / f'pool-{n}'} -o {adapter} --holdout 0 --seed {a.seed} "
                f"{a.finetune_args}".rstrip()
                + f"  (~{p['steps']} steps, ~{p['train_min_est']} min); then chatocr eval {a.dev.name} --model {adapter}"
            )
    total = sum(p["train_min_est"] for p in plan)
    print(
        f"estimated training: ~{total:.0f} min plus {len(plan)} evals of {n_dev} documents; writes {a.out}/curve.md"
    )
    if a.dry_run:
        return 0

    a.out.mkdir(parents=True, exist_ok=True)
    results = {}
    res_file = a.out / "curve.json"
    if res_file.is_file():
        results = {int(k): v for k, v in json.loads(res_file.read_text()).items()}
    for p in plan:
        n = p["documents"]
        if n in results:
            continue
        minutes = 0.0
        model = a.model
        if n > 0:
            folder = subset(a.pool, lines, n, a.work / f"pool-{n}")
            adapter = a.work / f"adapter-{n}"
            if not (adapter / "finetune.json").is_file():
                args = ["finetune", str(folder), "-o", str(adapter), "--holdout", "0", "--seed", str(a.seed)]
                chatocr(*args, *(["-m", a.model] if a.model else []), *a.finetune_args.split())
            minutes = json.loads((adapter / "finetune.json").read_text())["train_minutes"]
            model = str(adapter)
        t0 = time.time()
        ev = a.out / f"dev-{n}.json"
        chatocr("eval", str(a.dev), "-o", str(ev), *(["--model", model] if model else []))
        summary = json.loads(ev.read_text())["summary"]
        results[n] = {
            "f1": summary["overall"]["f1"],
            "fields": {k: v["f1"] for k, v in summary["fields"].items()},
            "train_minutes": minutes,
            "eval_minutes": round((time.time() - t0) / 60, 1),
        }
        res_file.write_text(json.dumps(results, indent=1) + "\n")

    names = list(next(iter(results.values()))["fields"])
    md = [
        f"# Few-shot curve: {a.dev.name} F1 by labelled training documents",
        "",
        f"Pool {a.pool.name} (nested subsets, seed {a.seed}); scoring set {a.dev.name} ({n_dev} documents).",
        "",
        "| documents | F1 | " + " | ".join(names) + " | CPU training (min) |",
        "|---" * (len(names) + 3) + "|",
    ]
    for n in sorted(results):
        r = results[n]
        md.append(
            f"| {n} | {r['f1']:.3f} | "
            + " | ".join(f"{r['fields'].get(k, 0):.3f}" for k in names)
            + f" | {r['train_minutes']} |"
        )
    (a.out / "curve.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
