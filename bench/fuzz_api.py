"""API fuzz run: schemathesis over the server's own /openapi.json with real document bodies; counts
every request the server received and every 5xx, with the bytes to reproduce it.

    python -m bench.fuzz_api                               # >= 10,000 requests -> bench/reports/fuzz_api.{md,json}
    python -m bench.fuzz_api --requests 300 --name fuzz_api_smoke
    python -m bench.fuzz_api --ocr rapid                   # real RapidOCR instead of the scripted engine

The server is the real app (`chatocr.api.create_app`: request parsing, validation, limits, document
decoding and PDF rendering, the worker pool, the error table) under uvicorn on a free 127.0.0.1 port,
with the scripted LLM backend of tests/fakes.py and, by default, its scripted OCR engine: on the 2
shared cores here RapidOCR took 25-60 s per tiny image at nice 19 (see the report), which would make
10,000 requests a matter of days. `--ocr rapid` runs the same fuzz with the real engine.

`st run` (a subprocess, bench/fuzz_hooks.py as its hooks) runs every operation: round 1 with the
examples, coverage, fuzzing and stateful phases, then fuzzing-only rounds with the next seeds until the
server has counted `--requests` requests. The server counts on its side (an ASGI wrapper around the
app), so requests that checks send on their own are counted as well. URL fetching stays off
is on for loopback only: documents' URLs point at a loopback redirector that answers malformed,
looping and hostile redirects; both processes refuse non-loopback connects. The server has an API
key, which st sends.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "bench" / "reports"
sys.path.insert(0, str(REPO / "tests"))  # the scripted backend/engine and the loopback server helper

# Checks that judge the server by its schema and its answers. Left out, with the reason:
#  - positive_data_acceptance: "schema-valid" is not "acceptable" here; a JSON body whose `base64`
#    is any string, or whose `fields` are any strings, is valid by the schema but rightly 422.
#  - use_after_free, ensure_resource_availability, object_level_authorization: stateful checks
#    for resources the API does not have (no links in the schema).
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "ignored_auth",
)
KEY = "fuzz-key"
MAX_KEPT_5XX = 50  # reproductions written per run (all are counted)


class Recorder:
    """ASGI wrapper: counts every HTTP request by method, path and status, and keeps the request
    (headers and body) of each 5xx. An exception that escapes the app counts as a 500."""

    def __init__(self, app):
        self.app = app
        self.counts: Counter = Counter()
        self.server_errors: list[dict] = []
        self.n_5xx = 0
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.counts.clear()
            self.server_errors.clear()
            self.n_5xx = 0

    def total(self) -> int:
        with self.lock:
            return sum(self.counts.values())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        body: list[bytes] = []
        resp: dict = {"status": None, "body": b""}

        async def receive_copy():
            msg = await receive()
            if msg["type"] == "http.request":
                body.append(msg.get("body", b""))
            return msg

        async def send_copy(msg):
            if msg["type"] == "http.response.start":
                resp["status"] = msg["status"]
            elif msg["type"] == "http.response.body" and (resp["status"] or 0) >= 500:
                resp["body"] += msg.get("body", b"")[:4000]
            await send(msg)

        try:
            await self.app(scope, receive_copy, send_copy)
        except BaseException as e:
            resp["status"] = resp["status"] or 500
            resp["exception"] = repr(e)
            raise
        finally:
            self._record(scope, b"".join(body), resp)

    def _record(self, scope, body: bytes, resp: dict) -> None:
        status = resp["status"] or 0  # 0: no response started (client gone before an answer)
        with self.lock:
            self.counts[(scope["method"], scope["path"], status)] += 1
            if status < 500:
                return
            self.n_5xx += 1
            if len(self.server_errors) >= MAX_KEPT_5XX:
                return
            self.server_errors.append(
                {
                    "method": scope["method"],
                    "path": scope["path"],
                    "query": scope.get("query_string", b"").decode("latin-1"),
                    "headers": [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
                    "body_b64": base64.b64encode(body).decode(),
                    "status": status,
                    "response": resp["body"].decode("utf-8", "replace"),
                    "exception": resp.get("exception"),
                }
            )


class ErrorLog(logging.Handler):
    """Keeps the server's ERROR records (with tracebacks): a 500's cause is in its traceback."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record):
        if len(self.records) < 200:
            self.records.append(self.format(record))


def _answer(keys, messages):
    """Every other requested field answered with a value printed on the scripted page, the rest null."""
    return {k: ("9.00" if i % 2 == 0 else None) for i, k in enumerate(keys or [])}


def build_app(ocr: str):
    """The real app with the scripted LLM backend and the scripted (or the real) OCR engine, the
    server's default limits and config (no API key, URL fetch off); wrapped in a Recorder."""
    from fakes import ScriptedBackend, ScriptedEngine

    from chatocr.api import ApiConfig, create_app
    from chatocr.pipeline import Pipeline
    from chatocr.settings import Settings
    from ocr_stage import get_engine

    s = Settings()
    engine = ScriptedEngine() if ocr == "scripted" else get_engine(ocr, **s.engine_options())
    pipeline = Pipeline(engine, ScriptedBackend([_answer]), s.limits())
    # An API key (st sends it; ignored_auth checks that a request without it is a 401), and URL fetch
    # on, but only to loopback: the documents' URLs point at the Redirector below.
    config = ApiConfig(api_key=KEY, allow_url=True, url_allow_networks=["127.0.0.0/8"])
    return Recorder(create_app(settings=s, config=config, pipeline=pipeline)), config


# What the Redirector answers, by path: malformed, looping and hostile redirects, and a document.
REDIRECTS = {
    "/colon": "http:foo/x",
    "/no-host": "http://",
    "/bracket": "http://[::1",
    "/ftp": "ftp://127.0.0.1/x",
    "/space": "http://a b/x",
    "/control": "http://127.0.0.1/\x1b[31m",
    "/loop": "/loop",
    "/port": "http://127.0.0.1:99999/x",
    "/long": "http://127.0.0.1/" + "a" * 8000,
    "/outside": "http://192.0.2.1/x",
    "/empty": "",
}


def redirector():
    """A loopback HTTP server whose paths answer the REDIRECTS above (and /doc.png a PNG); its base URL."""
    import http.server

    from bench.fuzz_hooks import corpus

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/doc.png":
                body = corpus()["ok/png-rgb-text"]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(302)
            self.send_header("Location", REDIRECTS.get(self.path, "http:foo/x"))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_port}"


@contextmanager
def loopback_only():
    """While inside, this process (the server) may connect to loopback addresses only."""
    import socket

    from bench.fuzz_hooks import only_loopback

    real = socket.socket.connect
    socket.socket.connect = only_loopback(real)
    try:
        yield
    finally:
        socket.socket.connect = real


def st_command(base: str, *, seed: int, phases: str, examples: int, workers: int, report: Path) -> list[str]:
    st = Path(sys.executable).with_name("st")
    return [
        str(st) if st.exists() else "st",
        "run",
        f"{base}/openapi.json",
        "--phases",
        phases,
        "--checks",
        ",".join(CHECKS),
        "--mode",
        "all",
        "--max-examples",
        str(examples),
        "--seed",
        str(seed),
        "--workers",
        str(workers),
        "--continue-on-failure",
        "--suppress-health-check",
        "all",
        "--generation-database",
        "none",
        "--request-timeout",
        "180",
        "--header",
        f"Authorization: Bearer {KEY}",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]


def _git(*args) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()


def run(a) -> dict:
    import uvicorn  # noqa: F401 (fail early when the [api] extra is missing)
    from api_helpers import running_server

    errlog = ErrorLog()
    errlog.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logging.getLogger().addHandler(errlog)
    app, config = build_app(a.ocr)
    commit = _git("rev-parse", "HEAD")  # the code this process imported, not the HEAD at report time
    work = Path(tempfile.mkdtemp(prefix="chatocr_fuzz_"))
    rounds = []
    t_start = time.perf_counter()
    red, red_base = redirector()
    # chatocr serve's own server (connection caps, header and body deadlines) around the app
    with loopback_only(), running_server(app, ready_timeout=600, config=config) as base:
        app.reset()  # readiness probes do not count
        seed = a.seed
        while app.total() < a.requests:
            elapsed = time.perf_counter() - t_start
            if a.max_minutes and elapsed > a.max_minutes * 60:
                print(f"stopping: {a.max_minutes} min spent", flush=True)
                break
            first = not rounds
            phases = a.phases if first else "fuzzing"
            report = work / f"round{len(rounds) + 1}.json"
            counts = work / f"round{len(rounds) + 1}.client.json"
            cmd = st_command(
                base, seed=seed, phases=phases, examples=a.examples, workers=a.workers, report=report
            )
            env = {
                **os.environ,
                "SCHEMATHESIS_HOOKS": "bench.fuzz_hooks",
                "CHATOCR_FUZZ_CLIENT_COUNTS": str(counts),
                "CHATOCR_FUZZ_REDIRECTOR": red_base,
                "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
            }
            before = app.total()
            t0 = time.perf_counter()
            # cwd: st keeps its crash files (a reproduction of each failed check) under ./.schemathesis
            proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
            dt = time.perf_counter() - t0
            doc = json.loads(report.read_text()) if report.exists() else {}
            client = json.loads(counts.read_text()) if counts.exists() else {}
            row = {
                "seed": seed,
                "phases": phases,
                "server_requests": app.total() - before,
                "client_calls": sum(client.values()),
                "seconds": round(dt, 1),
                "exit_code": proc.returncode,
                "test_cases": doc.get("test_cases"),
                "failures": doc.get("failures"),
                "errors": doc.get("errors"),
                "stdout_tail": proc.stdout[-6000:],
                "stderr_tail": proc.stderr[-3000:],
                "client_counts": client,
            }
            rounds.append(row)
            print(
                f"round {len(rounds)} (seed {seed}, {phases}): {row['server_requests']} requests in {dt:.0f} s, "
                f"st exit {proc.returncode}; total {app.total():,}",
                flush=True,
            )
            if not report.exists():
                print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n", flush=True)
                raise SystemExit("st run wrote no report; see the output above")
            seed += 1
        wall = time.perf_counter() - t_start
    red.shutdown()
    logging.getLogger().removeHandler(errlog)
    crashes = []
    for f in sorted((work / ".schemathesis").rglob("crashes/*.json")):
        if f.name != "manifest.json":
            crashes.append(json.loads(f.read_text()))
    return {
        "rounds": rounds,
        "wall_s": round(wall, 1),
        "counts": app.counts,
        "n_5xx": app.n_5xx,
        "server_errors": app.server_errors,
        "error_log": errlog.records,
        "crashes": crashes,
        "config": config,
        "base": base,
        "commit": commit,
    }


def _repro(e: dict) -> str:
    """A self-contained Python reproduction of one 5xx request (to a server on 127.0.0.1:8000)."""
    skip = {"host", "content-length", "connection", "accept-encoding"}
    headers = {k: v for k, v in e["headers"] if k.lower() not in skip}
    return (
        "import base64, httpx\n"
        f"body = base64.b64decode({e['body_b64']!r})\n"
        f"r = httpx.request({e['method']!r}, 'http://127.0.0.1:8000{e['path']}"
        f"{'?' + e['query'] if e['query'] else ''}', headers={headers!r}, content=body)\n"
        "print(r.status_code, r.text)\n"
    )


def write_report(a, res: dict, argv: list[str]) -> dict:
    counts: Counter = res["counts"]
    total = sum(counts.values())
    by_status = Counter()
    by_op: dict[str, Counter] = {}
    for (method, path, status), n in counts.items():
        by_status[status] += n
        by_op.setdefault(f"{method} {path}", Counter())[status] += n
    n5 = sum(n for s, n in by_status.items() if s >= 500)
    failures = [
        {"round": i + 1, "seed": r["seed"], **f}
        for i, r in enumerate(res["rounds"])
        for f in (r["failures"] or [])
    ]
    versions = {
        p: version(p)
        for p in (
            "schemathesis",
            "hypothesis",
            "fastapi",
            "starlette",
            "uvicorn",
            "pydantic",
            "pillow",
            "pypdfium2",
        )
    }
    load = os.getloadavg()
    import chatocr

    code = {
        "commit": res["commit"],
        "uncommitted": _git("status", "--porcelain", "--", "chatocr", "ocr_stage", "llm_stage").splitlines(),
        "chatocr_module": chatocr.__file__,
    }
    command = "python -m bench.fuzz_api " + " ".join(shlex.quote(x) for x in argv)
    st_cmds = [
        " ".join(
            shlex.quote(x)
            for x in st_command(
                "http://127.0.0.1:PORT",
                seed=r["seed"],
                phases=r["phases"],
                examples=a.examples,
                workers=a.workers,
                report=Path("round.json"),
            )
        )
        for r in res["rounds"][:2]
    ]
    report = {
        "command": command,
        "st_run_commands": st_cmds,
        "hooks_env": "SCHEMATHESIS_HOOKS=bench.fuzz_hooks",
        "requests": total,
        "requests_5xx": n5,
        "status_histogram": {str(k): v for k, v in sorted(by_status.items())},
        "by_operation": {op: {str(k): v for k, v in sorted(c.items())} for op, c in sorted(by_op.items())},
        "wall_s": res["wall_s"],
        "requests_per_s": round(total / res["wall_s"], 2) if res["wall_s"] else None,
        "ocr": a.ocr,
        "llm": "scripted (tests/fakes.py ScriptedBackend)",
        "checks": list(CHECKS),
        "rounds": [{k: v for k, v in r.items() if k != "failures"} for r in res["rounds"]],
        "check_failures": failures,
        "check_failure_cases": res["crashes"],
        "server_errors": res["server_errors"],
        "server_error_log": res["error_log"][:50],
        "server_limits": {
            "max_upload_bytes": res["config"].max_upload_bytes,
            "max_body_bytes": res["config"].max_body_bytes,
            "workers": res["config"].workers,
            "max_queue": res["config"].max_queue,
            "timeout_s": res["config"].timeout_s,
            "allow_url": res["config"].allow_url,
        },
        "code_under_test": code,
        "versions": versions,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "nice": os.nice(0),
            "loadavg_after": [round(x, 2) for x in load],
        },
    }
    a.out_dir.mkdir(parents=True, exist_ok=True)
    (a.out_dir / f"{a.name}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))

    md = [
        f"# API fuzz: schemathesis with real document bodies ({total:,} requests, {n5} 5xx)",
        "",
        f"`{command}` — {res['wall_s'] / 60:.1f} min wall, {report['requests_per_s']} requests/s; "
        f"{os.cpu_count()} CPUs at nice {os.nice(0)}, load average after the run {load[0]:.1f} "
        "(the machine was shared with other jobs).",
        "",
        "| requests (counted by the server) | 5xx | rounds of `st run` | OCR engine | LLM backend |",
        "|---|---|---|---|---|",
        f"| {total:,} | {n5} | {len(res['rounds'])} | {a.ocr} | scripted |",
        "",
        "## Status histogram",
        "",
        "| status | requests |",
        "|---|---|",
        *[f"| {s} | {n:,} |" for s, n in sorted(by_status.items())],
        "",
        "| operation | " + " | ".join(str(s) for s in sorted(by_status)) + " |",
        "|---" * (len(by_status) + 1) + "|",
        *[
            f"| `{op}` | " + " | ".join(f"{c.get(s, 0):,}" for s in sorted(by_status)) + " |"
            for op, c in sorted(by_op.items())
        ],
        "",
        "## Rounds",
        "",
        "| round | seed | phases | requests | client calls | s | st exit | failed checks |",
        "|---|---|---|---|---|---|---|---|",
        *[
            f"| {i + 1} | {r['seed']} | {r['phases']} | {r['server_requests']:,} | {r['client_calls']:,} | "
            f"{r['seconds']} | {r['exit_code']} | {len(r['failures'] or [])} |"
            for i, r in enumerate(res["rounds"])
        ],
        "",
        "`client calls` are the cases schemathesis sent and checked (its `after_call` hook); the server also "
        "counts the requests that checks send on their own (`unsupported_method`, `missing_required_header`, "
        "...) and the schema download of each round.",
        "",
        "## 5xx",
        "",
    ]
    if not res["server_errors"]:
        md.append("None.")
    for i, e in enumerate(res["server_errors"], 1):
        md += [
            f"### {i}. {e['status']} on {e['method']} {e['path']}",
            "",
            f"Response: `{e['response'][:300]}`"
            + (f"; exception `{e['exception']}`" if e["exception"] else ""),
            "",
            "```python",
            _repro(e).rstrip(),
            "```",
            "",
        ]
    if res["error_log"]:
        md += ["Server error log (first records):", "", "```", *res["error_log"][:5], "```", ""]
    md += ["## Failed checks", ""]
    if not failures:
        md.append("None.")
    else:
        md += ["| round | seed | check | title | operations | cases |", "|---|---|---|---|---|---|"]
        md += [
            f"| {f['round']} | {f['seed']} | {f.get('type')} | {f.get('title')} | "
            f"{', '.join(f.get('operations') or [])} | {f.get('count')} |"
            for f in failures
        ]
        if any(f.get("type") == "AcceptedNegativeData" for f in failures):
            md += [
                "",
                "`Schema-violating request accepted` (negative_data_rejection): in the cases seen while building "
                "this run, schemathesis itself names the invalid component `positive test case`, and the request "
                "(a multipart upload of a valid image, every part text on the wire) is valid, so the 200 is "
                "right, and a 413 (a document over a limit) is a rejection the check does not count as one; "
                "read each reproduction below before calling one a finding.",
            ]
        md += [
            "",
            "One reproduction per failure (from st's crash files; all of them in the JSON report):",
            "",
        ]
        for c in res["crashes"][:10]:
            md += [
                f"- `{c.get('operation')}` ({c.get('fingerprint')}):",
                "",
                "```",
                c.get("code_sample", "")[:1500],
                "```",
            ]
    md += [
        "",
        "## Setup",
        "",
        "- Server: `chatocr.api.create_app` with its default `ApiConfig` (no API key, URL fetch off) and "
        "`Settings` limits, under uvicorn on a free 127.0.0.1 port in this process; an ASGI wrapper counts "
        "every request and keeps the bytes of each 5xx.",
        f"- OCR: `{a.ocr}`. "
        + (
            "The scripted engine of tests/fakes.py reads every page as two lines; decoding (Pillow), PDF "
            "rendering (PDFium), page selection and the size limits are the real code. Real RapidOCR was "
            "measured at 25-60 s per tiny image (8x8 to 160x80 px) at nice 19 with a training job on both "
            "cores, so 10,000 requests with it would take days here; `--ocr rapid` runs it where cores are free."
            if a.ocr == "scripted"
            else "Real OCR engine."
        ),
        "- LLM: the scripted backend of tests/fakes.py (every other field `9.00`, the rest null).",
        "- Client: `st run` over `/openapi.json` with bench/fuzz_hooks.py: the schema's `file` "
        "(format: binary) draws from a corpus of valid, over-limit and unreadable PNG/JPEG/PDF/TIFF/WebP/"
        "BMP/GIF files (multi-page PDFs and TIFFs, 16-bit and float images, EXIF rotation, a JPEG with "
        "`%PDF-` in a comment, decompression bombs, a PDF whose page count lies, a 200 in square page), "
        "truncated, byte-flipped and spliced copies, schemathesis' own samples and random bytes; JSON bodies "
        "get the same files as base64 (plain, wrapped, spaced, url-safe, unpadded, data URI, one bad char) "
        "besides schemathesis' strings; valid and edge page specs and field lists are mixed in.",
        f"- Checks: {', '.join(CHECKS)}. Left out: positive_data_acceptance (schema-valid bodies with a "
        "random `base64` string are rightly 422), ignored_auth (no API key), and the stateful resource "
        "checks (no links).",
        "- Network: the server never connects anywhere (URL fetch off); both processes refuse non-loopback "
        "connects.",
        "",
        "Versions: "
        + ", ".join(f"{k} {v}" for k, v in versions.items())
        + f", Python {platform.python_version()}.",
        "",
        "First two `st run` commands (PORT: the free port of the run; env "
        "`SCHEMATHESIS_HOOKS=bench.fuzz_hooks PYTHONPATH=.`):",
        "",
        "```",
        *st_cmds,
        "```",
    ]
    (a.out_dir / f"{a.name}.md").write_text("\n".join(md) + "\n")
    return report


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=10_000, help="stop once the server has counted this many")
    ap.add_argument("--examples", type=int, default=1000, help="st run --max-examples per round")
    ap.add_argument("--seed", type=int, default=1, help="seed of the first round (the next rounds count up)")
    ap.add_argument(
        "--phases", default="examples,coverage,fuzzing,stateful", help="st run --phases of the first round"
    )
    ap.add_argument("--workers", type=int, default=2, help="st run --workers")
    ap.add_argument("--ocr", default="scripted", help="OCR engine: scripted (default) or a real one (rapid)")
    ap.add_argument(
        "--max-minutes", type=float, default=0, help="stop starting rounds after this long (0: no limit)"
    )
    ap.add_argument("--name", default="fuzz_api", help="report file stem")
    ap.add_argument("--out-dir", type=Path, default=REPORTS)
    a = ap.parse_args(argv)
    res = run(a)
    report = write_report(a, res, argv)
    print(
        f"{report['requests']:,} requests, {report['requests_5xx']} 5xx, {res['wall_s'] / 60:.1f} min; "
        f"statuses {report['status_histogram']}; report {a.out_dir / (a.name + '.md')}",
        flush=True,
    )
    return 1 if report["requests_5xx"] else 0


if __name__ == "__main__":
    sys.exit(main())
