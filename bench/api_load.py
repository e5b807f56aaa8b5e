"""API load benchmark: sustained documents per minute and p50/p95 latency at 1, 4 and 16 concurrent clients.

    python -m bench.api_load                          # starts `chatocr serve` on a free port
    python -m bench.api_load --url http://host:8000   # against a running server
    python -m bench.api_load --endpoint ocr --levels 1,4,16 --requests 2

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


def start_server(workers: int, queue: int) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    log = open(Path(tempfile.gettempdir()) / "chatocr_api_load_server.log", "w")  # noqa: SIM115 (lives as long as the server)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chatocr",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--queue",
            str(queue),
            "--log-level",
            "warning",
            "--timeout",
            "900",
        ],
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
    a = ap.parse_args(argv)

    docs = sorted((DEV / "sroie_receipts" / "img").glob("*.jpg"))[: a.docs]
    if not docs:
        raise SystemExit(f"no dev receipts under {DEV}")
    REPORTS.mkdir(parents=True, exist_ok=True)
    proc = None
    base = a.url
    if not base:
        t0 = time.perf_counter()
        proc, base = start_server(a.workers, a.queue)
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
            proc.terminate()
            proc.wait(timeout=30)
    load = os.getloadavg()
    report = {
        "endpoint": a.endpoint,
        "fields": a.fields if a.endpoint == "extract" else None,
        "server": ready,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "loadavg_after": load},
        "note": "measured while other processes shared the CPU; see loadavg_after",
        "levels": rows,
    }
    (REPORTS / f"api_load_{a.endpoint}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    md = [
        f"# API load ({a.endpoint}, {len(docs)} dev receipts, workers={a.workers}, queue={a.queue})",
        "",
        f"{os.cpu_count()} CPUs; load average after the run {load[0]:.1f} (other work was sharing the CPU).",
        "",
        "| clients | docs | docs/min | p50 s | p95 s | 503s retried | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    md += [
        f"| {r['clients']} | {r['ok']} | {r['docs_per_min']} | {r['p50_s']} | {r['p95_s']} | {r['busy_503']} | "
        f"{len(r['errors'])} |"
        for r in rows
    ]
    (REPORTS / f"api_load_{a.endpoint}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
