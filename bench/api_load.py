"""API load benchmark: sustained documents per minute and p50/p95 latency at 1, 4 and 16 concurrent clients.

    python -m bench.api_load                          # starts `chatocr serve` on a free port
    python -m bench.api_load --url http://host:8000   # against a running server
    python -m bench.api_load --endpoint ocr --levels 1,4,16 --requests 2
    python -m bench.api_load --ray --ocr-replicas 2   # starts `chatocr serve --ray` (Ray Serve) instead
    python -m bench.api_load --compare --ocr-replicas 2   # plain serve, then Ray Serve, one report

Documents are the real dev receipts (shared/data/dev/sroie_receipts), each client sends them in turn
with the receipt fields. A 503 (queue full) is retried after its Retry-After and counted. Latency is
per document, from the first attempt to the answer (queueing and retries included). Writes
bench/reports/api_load.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
DEV = Path(os.environ.get("CHATOCR_DEV_DATA", REPO.parent / "shared" / "data" / "dev"))
REPORTS = REPO / "bench" / "reports"
FIELDS = "company, date, address, total"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    workers: int | None, queue: int, extra: list[str] | None = None
) -> tuple[subprocess.Popen, str]:
    """`chatocr serve` (with `extra` flags, e.g. --ray) on a free port; `workers` None: its default."""
    port = _free_port()
    log = open(Path(tempfile.gettempdir()) / "chatocr_api_load_server.log", "w")  # noqa: SIM115 (lives as long as the server)
    cmd = [sys.executable, "-m", "chatocr", "serve", "--port", str(port), "--queue", str(queue)]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    cmd += ["--log-level", "warning", "--timeout", "900", *(extra or [])]
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 600
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited; see {log.name}")
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("server did not become ready in 600 s")


def percentile(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def run_level(
    base: str, docs: list[Path], clients: int, per_client: int, endpoint: str, fields: str = FIELDS
) -> dict:
    latencies: list[float] = []
    busy = 0
    errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(10**9))

    def client(_):
        nonlocal busy
        with httpx.Client(timeout=1200) as c:
            for _ in range(per_client):
                with lock:
                    doc = docs[next(counter) % len(docs)]
                t0 = time.perf_counter()
                while True:
                    data = {"fields": fields} if endpoint == "extract" else {}
                    r = c.post(
                        f"{base}/v1/{endpoint}", files={"file": (doc.name, doc.read_bytes())}, data=data
                    )
                    if r.status_code == 503 and r.json().get("error") == "busy":
                        with lock:
                            busy += 1
                        time.sleep(float(r.headers.get("Retry-After", "1")))
                        continue
                    break
                dt = time.perf_counter() - t0
                with lock:
                    if r.status_code == 200:
                        latencies.append(dt)
                    else:
                        errors.append(f"{doc.name}: {r.status_code} {r.text[:200]}")

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as ex:
        list(ex.map(client, range(clients)))
    wall = time.perf_counter() - t0
    return {
        "clients": clients,
        "requests": clients * per_client,
        "ok": len(latencies),
        "errors": errors,
        "busy_503": busy,
        "wall_s": round(wall, 1),
        "docs_per_min": round(60 * len(latencies) / wall, 2),
        "p50_s": round(percentile(latencies, 0.5), 2),
        "p95_s": round(percentile(latencies, 0.95), 2),
    }


def measure(a, docs: list[Path], base: str | None, server_args: list[str] | None) -> tuple[dict, list[dict]]:
    """Start a server (unless `base` is given), warm it up, run every level; (readyz, rows)."""
    proc = None
    if not base:
        t0 = time.perf_counter()
        workers = None if server_args and "--ray" in server_args and a.ray_workers is None else a.workers
        proc, base = start_server(workers, a.queue, server_args)
        print(f"server ready in {time.perf_counter() - t0:.1f} s at {base}", flush=True)
    try:
        ready = httpx.get(base + "/readyz").json()
        # warm-up: the first call of each model pays one-off costs (allocations, caches)
        warm = {"fields": a.fields} if a.endpoint == "extract" else {}
        httpx.post(
            f"{base}/v1/{a.endpoint}",
            files={"file": (docs[-1].name, docs[-1].read_bytes())},
            data=warm,
            timeout=1200,
        )
        rows = []
        for clients in (int(x) for x in a.levels.split(",")):
            per = max(a.requests, -(-2 // clients))
            row = run_level(base, docs, clients, per, a.endpoint, a.fields)
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "errors"}), flush=True)
            for e in row["errors"][:3]:
                print("  error:", e, flush=True)
    finally:
        if proc:
            proc.terminate()  # `serve --ray` removes its app and stops its Ray instance on SIGTERM
            proc.wait(timeout=120)
    return ready, rows


def _table(rows: list[dict], label: str | None = None) -> list[str]:
    head = "| server " if label is not None else ""
    md = [
        f"{head}| clients | docs | docs/min | p50 s | p95 s | 503s retried | errors |",
        "|---" * (7 + (label is not None)) + "|",
    ]
    return md + [
        (f"| {label} " if label is not None else "")
        + f"| {r['clients']} | {r['ok']} | {r['docs_per_min']} | {r['p50_s']} | {r['p95_s']} | {r['busy_503']} | "
        f"{len(r['errors'])} |"
        for r in rows
    ]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="base URL of a running server (default: start one)")
    ap.add_argument("--endpoint", choices=["extract", "ocr"], default="extract")
    ap.add_argument("--levels", default="1,4,16", help="concurrent clients per run, comma-separated")
    ap.add_argument(
        "--requests", type=int, default=1, help="documents per client per level (at least 2 in total)"
    )
    ap.add_argument("--docs", type=int, default=8, help="how many dev receipts to cycle through")
    ap.add_argument("--fields", default=FIELDS, help="fields asked of /v1/extract")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--queue", type=int, default=8)
    ap.add_argument("--ray", action="store_true", help="start `chatocr serve --ray` (Ray Serve) instead")
    ap.add_argument("--compare", action="store_true", help="plain serve, then serve --ray, in one report")
    ap.add_argument("--ocr-replicas", type=int, default=2, help="with --ray/--compare: OCR replicas")
    ap.add_argument("--llm-replicas", type=int, default=1, help="with --ray/--compare: LLM replicas")
    ap.add_argument(
        "--ray-workers",
        type=int,
        default=None,
        help="with --ray/--compare: the app's worker pool (default: serve --ray's, the replicas' sum)",
    )
    ap.add_argument("--out-dir", type=Path, default=REPORTS, help="where the report goes")
    a = ap.parse_args(argv)
    if a.compare and a.url:
        raise SystemExit("--compare starts both servers itself; drop --url")

    docs = sorted((DEV / "sroie_receipts" / "img").glob("*.jpg"))[: a.docs]
    if not docs:
        raise SystemExit(f"no dev receipts under {DEV}")
    a.out_dir.mkdir(parents=True, exist_ok=True)
    ray_args = ["--ray", "--ocr-replicas", str(a.ocr_replicas), "--llm-replicas", str(a.llm_replicas)]
    if a.ray_workers is not None:
        ray_args += ["--workers", str(a.ray_workers)]
    ray_label = f"ray serve ({a.ocr_replicas} OCR + {a.llm_replicas} LLM replicas)"
    runs: list[tuple[str, list[str] | None]]
    if a.compare:
        runs = [("plain serve", None), (ray_label, ray_args)]
    elif a.ray:
        runs = [(ray_label, ray_args)]
    else:
        runs = [("plain serve" if not a.url else a.url, None)]
    results = []
    for label, server_args in runs:
        print(f"== {label}", flush=True)
        ready, rows = measure(a, docs, a.url, server_args)
        results.append({"server": label, "readyz": ready, "levels": rows})
    load = os.getloadavg()
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "loadavg_after": load}
    note = (
        f"{os.cpu_count()} CPUs; load average after the run {load[0]:.1f} (other work was sharing the CPU)."
    )
    if len(results) == 1:
        ready, rows = results[0]["readyz"], results[0]["levels"]
        report = {
            "endpoint": a.endpoint,
            "fields": a.fields if a.endpoint == "extract" else None,
            "server": ready,
            "server_kind": results[0]["server"],
            "machine": machine,
            "note": "measured while other processes shared the CPU; see loadavg_after",
            "levels": rows,
        }
        stem = f"api_load_{a.endpoint}" + ("_ray" if a.ray else "")
        workers = ready.get("limits", {}).get("workers", a.workers)
        md = [
            f"# API load ({a.endpoint}, {len(docs)} dev receipts, {results[0]['server']}, workers={workers}, "
            f"queue={a.queue})",
            "",
            note,
            "",
            *_table(rows),
        ]
    else:
        report = {
            "endpoint": a.endpoint,
            "fields": a.fields if a.endpoint == "extract" else None,
            "machine": machine,
            "runs": results,
        }
        stem = f"api_load_{a.endpoint}_compare"
        md = [f"# API load ({a.endpoint}, {len(docs)} dev receipts): plain serve vs Ray Serve", "", note, ""]
        md += _table([], "")[:2]
        for res in results:
            md += _table(res["levels"], res["server"])[2:]
        plain = {r["clients"]: r for r in results[0]["levels"]}
        md += ["", "| clients | docs/min × plain | p95 × plain |", "|---|---|---|"]
        for r in results[1]["levels"]:
            p = plain.get(r["clients"])
            if p and p["docs_per_min"] and p["p95_s"]:
                md.append(
                    f"| {r['clients']} | {r['docs_per_min'] / p['docs_per_min']:.2f} | {r['p95_s'] / p['p95_s']:.2f} |"
                )
    (a.out_dir / f"{stem}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    (a.out_dir / f"{stem}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
