"""Batch throughput: the local `chatocr batch` against `chatocr batch --ray` with 1 and 2 OCR actors,
measured in the same run, on the same dev receipts, as ratios against the local batch.

Each configuration is the real command in its own process (`python -m chatocr batch …`), timed from
start to exit: model loading and, for Ray, starting a local Ray instance are included, as a user
pays them; the batch's own docs/min (after the models are loaded locally; after Ray is up, with the
actors' model loading, for Ray) is reported beside it. A Ray run asking for more actors than this
machine has cores gets them anyway (oversubscribed), which is the point of the measurement on a
small machine: does splitting OCR from the LLM help when they share the same cores?

    python -m bench.ray_batch                        # 12 receipts: local, Ray 1 OCR actor, Ray 2 OCR actors
    python -m bench.ray_batch --docs 2 --ocr-actors 1   # a smoke run
    python -m bench.ray_batch --docs 40 --ocr-actors 1,2,4 --llm-actors 1

Writes reports/bench_ray_batch.{json,md}. Every run's values are compared with the local run's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEV = Path(os.environ.get("CHATOCR_DEV_DATA", REPO.parent / "shared" / "data" / "dev"))
SUMMARY = re.compile(r"(\d+) ok, (\d+) failed, (\d+) already done.*?\(([\d.]+) docs/min")


def run_config(label: str, folder: Path, out: Path, n: int, fields: str, extra: list[str]) -> dict:
    cmd = [sys.executable, "-m", "chatocr", "batch", str(folder), "-f", fields, "-n", str(n)]
    cmd += ["-o", str(out), "--no-progress", *extra]
    print(f"[{label}] {' '.join(cmd[1:])}", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"[{label}] failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    m = None
    for line in proc.stderr.splitlines()[::-1]:
        if m := SUMMARY.search(line):
            break
    if m is None:
        raise SystemExit(f"[{label}] no summary line in:\n{proc.stderr[-2000:]}")
    ok, failed = int(m[1]), int(m[2])
    row = {
        "run": label,
        "command": " ".join(cmd[3:]),
        "ok": ok,
        "failed": failed,
        "wall_s": round(wall, 1),
        "docs_per_min_wall": round(60 * (ok + failed) / wall, 2),
        "docs_per_min_batch": float(m[4]),
    }
    print(f"[{label}] {json.dumps(row)}", flush=True)
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, default=DEV / "sroie_receipts", help="folder of documents")
    ap.add_argument("--docs", type=int, default=12, help="documents per run (the first N of the folder)")
    ap.add_argument("--fields", default="company,date,address,total")
    ap.add_argument("--ocr-actors", default="1,2", help="Ray runs: OCR actors, comma-separated")
    ap.add_argument("--llm-actors", type=int, default=1)
    ap.add_argument("--out", type=Path, default=REPO / "reports" / "bench_ray_batch")
    a = ap.parse_args(argv)
    if not a.dataset.is_dir():
        raise SystemExit(f"bench: no documents at {a.dataset} (set CHATOCR_DEV_DATA or --dataset)")
    try:
        import ray  # noqa: F401
    except ImportError:
        raise SystemExit("bench: Ray is not installed; run `make setup-ray`") from None

    rows = []
    with tempfile.TemporaryDirectory(prefix="chatocr-bench-ray-") as tmp:
        outs = {}
        outs["local"] = Path(tmp) / "local.jsonl"
        rows.append(run_config("local", a.dataset, outs["local"], a.docs, a.fields, []))
        for k in (int(x) for x in a.ocr_actors.split(",") if x.strip()):
            label = f"ray-{k}ocr-{a.llm_actors}llm"
            outs[label] = Path(tmp) / f"{label}.jsonl"
            extra = ["--ray", "--ocr-actors", str(k), "--llm-actors", str(a.llm_actors)]
            rows.append(run_config(label, a.dataset, outs[label], a.docs, a.fields, extra))
        local_values = {
            r["document"]: r.get("values")
            for r in map(json.loads, outs["local"].read_text(encoding="utf-8").splitlines())
        }
        for row in rows:
            recs = [json.loads(x) for x in outs[row["run"]].read_text(encoding="utf-8").splitlines()]
            row["same_values_as_local"] = sum(
                local_values.get(r["document"]) == r.get("values") for r in recs
            )
    base = rows[0]
    for row in rows:
        row["x_local_wall"] = round(row["docs_per_min_wall"] / base["docs_per_min_wall"], 2)
        row["x_local_batch"] = round(row["docs_per_min_batch"] / base["docs_per_min_batch"], 2)
    load = os.getloadavg()
    report = {
        "dataset": str(a.dataset),
        "docs": a.docs,
        "fields": a.fields,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "loadavg_after": load},
        "runs": rows,
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".json").write_text(json.dumps(report, indent=1))
    md = [
        f"# Batch: local vs Ray ({a.docs} documents of {a.dataset.name}, fields {a.fields})",
        "",
        f"{os.cpu_count()} CPUs; load average after the run {load[0]:.1f}. Wall = process start to exit "
        "(model loading, and Ray start-up for Ray runs, included); batch = the command's own docs/min.",
        "",
        "| run | ok | failed | wall s | docs/min (wall) | × local | docs/min (batch) | × local | same values |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    md += [
        f"| {r['run']} | {r['ok']} | {r['failed']} | {r['wall_s']} | {r['docs_per_min_wall']} | "
        f"{r['x_local_wall']} | {r['docs_per_min_batch']} | {r['x_local_batch']} | "
        f"{r['same_values_as_local']}/{r['ok'] + r['failed']} |"
        for r in rows
    ]
    a.out.with_suffix(".md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
