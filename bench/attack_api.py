"""The hostile-client probe: connection floods, giant and slow headers, slow bodies, memory-heavy
small documents, a job past its deadline, and the request shapes that once gave a 500 or echoed the
Host header, each against the real server on loopback; prints one table (answer, time, /healthz
during and after, server RSS) and writes bench/reports/attack_api.{md,json}.

    python -m bench.attack_api                  # every attack, the issue's sizes (~4 min)
    python -m bench.attack_api --quick          # small sizes (a few seconds per attack)
    python -m bench.attack_api --only idle,giant_headers

The server is `chatocr serve`'s own (chatocr.api.server: the guarded uvicorn) around the real app
(parsing, limits, decoding and PDF rendering, the worker pool) with an API key, the scripted LLM
backend and the scripted OCR engine of tests/fakes.py, in a subprocess whose RSS is read from
/proc. The attackers bind to other loopback addresses (127.0.0.2, ...) so that the per-client cap
is what they meet, while /healthz is asked from 127.0.0.1. Nothing leaves 127.0.0.0/8: the URL
fetch is allowed to 127.0.0.0/8 only, for the malformed-redirect case, and both processes refuse
non-loopback connects.
"""

from __future__ import annotations

import argparse
import http.server
import io
import json
import multiprocessing as mp
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "bench" / "reports"
sys.path.insert(0, str(REPO / "tests"))
KEY = "bench-key"
AUTH = {"Authorization": f"Bearer {KEY}"}

# ------------------------------------------------------------------ the server (a subprocess)


class SlowEngine:
    """Wraps the scripted engine: `delay` seconds per page, so a long document outlives its deadline."""

    def __new__(cls, delay: float):
        from fakes import ScriptedEngine

        class _Slow(ScriptedEngine):
            def recognize_page(self, image):
                time.sleep(delay)
                return super().recognize_page(image)

        return _Slow()


def serve(a) -> None:
    """The server process: the real app under chatocr's guarded uvicorn on 127.0.0.1:`a.port`."""
    from fakes import ScriptedBackend, ScriptedEngine

    from bench.fuzz_api import loopback_only
    from chatocr.api import ApiConfig, create_app
    from chatocr.api.server import run_server
    from chatocr.pipeline import Pipeline
    from chatocr.settings import Settings

    s = Settings()
    engine = SlowEngine(a.page_delay) if a.page_delay else ScriptedEngine()
    backend = ScriptedBackend([lambda keys, messages: {k: "9.00" for k in keys or []}])
    pipe = Pipeline(engine, backend, s.limits())
    config = ApiConfig(api_key=KEY, allow_url=True, url_allow_networks=["127.0.0.0/8"])
    if a.timeout:
        config.timeout_s = a.timeout
    if a.body_timeout:
        config.body_timeout_s = a.body_timeout
    app = create_app(settings=s, config=config, pipeline=pipe)
    with loopback_only():
        run_server(app, config, host="127.0.0.1", port=a.port, log_level="warning")


class Server:
    """A server subprocess, its base URL and its RSS."""

    def __init__(self, *args: str):
        from api_helpers import free_port, wait_http

        self.port = free_port()
        cmd = [sys.executable, "-m", "bench.attack_api", "serve", "--port", str(self.port), *args]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stderr=subprocess.PIPE)
        self.base = f"http://127.0.0.1:{self.port}"
        wait_http(self.base + "/readyz", 120, "the probe's server", self.proc)

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        from api_helpers import stop_process

        stop_process(self.proc)


def healthz(base: str) -> tuple[int | str, float]:
    """/healthz from 127.0.0.1: (status or error, seconds)."""
    import httpx

    t0 = time.perf_counter()
    try:
        r = httpx.get(base + "/healthz", timeout=5)
        return r.status_code, time.perf_counter() - t0
    except httpx.HTTPError as e:
        return type(e).__name__, time.perf_counter() - t0


class RssPeak:
    """Samples the server's RSS every 50 ms while inside."""

    def __init__(self, server: Server):
        self.server, self.peak, self._stop = server, server.rss_mb(), threading.Event()

    def __enter__(self):
        def loop():
            while not self._stop.wait(0.05):
                self.peak = max(self.peak, self.server.rss_mb())

        self._t = threading.Thread(target=loop, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


# ------------------------------------------------------------------ raw sockets


def _connect(src: str, port: int) -> socket.socket:
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def _read_status(s: socket.socket, timeout: float) -> tuple[str, float]:
    """The status code the server wrote on `s` (or 'closed' / 'open'), and when."""
    s.settimeout(timeout)
    t0 = time.perf_counter()
    try:
        data = s.recv(64)
    except TimeoutError:
        return "open", time.perf_counter() - t0
    except OSError:
        return "reset", time.perf_counter() - t0
    if not data:
        return "closed", time.perf_counter() - t0
    return data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else "?", time.perf_counter() - t0


def _idle_worker(port: int, src: str, n: int, hold: float, q) -> None:
    """A child process: open `n` idle connections from `src`, hold them `hold` s, report what the server did."""
    socks, failed = [], 0
    for _ in range(n):
        try:
            socks.append(_connect(src, port))
        except OSError:
            failed += 1
    q.put(("opened", len(socks)))
    time.sleep(hold)
    seen: dict[str, int] = {}
    for s in socks:
        s.setblocking(False)
        try:
            data = s.recv(64)
            key = (
                data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else ("closed" if not data else "?")
            )
        except BlockingIOError:
            key = "open"
        except OSError:
            key = "reset"
        seen[key] = seen.get(key, 0) + 1
        s.close()
    if failed:
        seen["connect failed"] = failed
    q.put(("seen", seen))


# ------------------------------------------------------------------ the attacks


def attack_idle(srv: Server, a) -> dict:
    n = 2_000 if a.quick else 21_000
    # Each attacking process holds its sockets open: at most 7,000 each, fewer under a low `ulimit -n`.
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    per = max(100, min(7000, soft - 200))
    procs = max(1, -(-n // per))
    hold = a.header_timeout + 3
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    with RssPeak(srv) as peak:
        t0 = time.perf_counter()
        ps = [
            ctx.Process(target=_idle_worker, args=(srv.port, f"127.0.0.{2 + i}", n // procs, hold, q))
            for i in range(procs)
        ]
        for p in ps:
            p.start()
        opened = sum(q.get()[1] for _ in ps)
        during = healthz(srv.base)
        seen: dict[str, int] = {}
        for _ in ps:
            for k, v in q.get()[1].items():
                seen[k] = seen.get(k, 0) + v
        for p in ps:
            p.join()
        dt = time.perf_counter() - t0
    return {
        "attack": f"{n:,} idle connections ({procs} clients, held {hold:g} s; ulimit -n {soft})",
        "answer": _counts(seen) + f" ({opened:,} opened)",
        "time_s": dt,
        "healthz_during": during,
        "rss_peak": peak.peak,
    }


def _trickler(port: int, src: str, payload: bytes, every: float, t_end: float, out: list, i: int) -> None:
    s = _connect(src, port)
    t0 = time.perf_counter()
    try:
        for b in payload:
            s.sendall(bytes([b]))
            s.settimeout(every)
            try:
                data = s.recv(64)
                key = data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else "closed"
                out[i] = (key, time.perf_counter() - t0)
                return
            except TimeoutError:
                pass
            if time.perf_counter() > t_end:
                out[i] = ("open", time.perf_counter() - t0)
                return
    except OSError:
        out[i] = ("reset", time.perf_counter() - t0)
    finally:
        s.close()


def _trickle(srv: Server, n: int, payload: bytes, every: float, limit: float) -> tuple[dict, list]:
    out: list = [None] * n
    with RssPeak(srv) as peak:
        t_end = time.perf_counter() + limit
        ts = [
            threading.Thread(
                target=_trickler, args=(srv.port, f"127.0.1.{1 + i % 50}", payload, every, t_end, out, i)
            )
            for i in range(n)
        ]
        for t in ts:
            t.start()
        time.sleep(min(2.0, limit / 2))
        during = healthz(srv.base)
        for t in ts:
            t.join()
    return {"healthz_during": during, "rss_peak": peak.peak}, out


def attack_header_trickle(srv: Server, a) -> dict:
    n = 20 if a.quick else 100
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10_000
    res, out = _trickle(srv, n, head, 1.0, a.header_timeout + 10)
    times = [t for k, t in out if k != "open"]
    return {
        "attack": f"{n} header trickles (1 byte/s; header deadline {a.header_timeout:g} s)",
        "answer": _counts(_tally(k for k, _ in out)) + f", cut after {min(times):.1f}-{max(times):.1f} s",
        "time_s": max(times),
        **res,
    }


def attack_body_trickle(srv: Server, a) -> dict:
    n = 10 if a.quick else 50
    head = (
        f"POST /v1/ocr HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    ).encode()
    out: list = [None] * n

    def one(i):
        s = _connect(f"127.0.2.{1 + i % 50}", srv.port)
        s.sendall(head)
        t0 = time.perf_counter()
        try:
            while time.perf_counter() - t0 < a.body_timeout + 10:
                s.sendall(b"{")
                s.settimeout(1.0)
                try:
                    data = s.recv(64)
                    out[i] = ("closed" if not data else data[9:12].decode(), time.perf_counter() - t0)
                    return
                except TimeoutError:
                    pass
            out[i] = ("open", time.perf_counter() - t0)
        except OSError:
            out[i] = ("reset", time.perf_counter() - t0)
        finally:
            s.close()

    with RssPeak(srv) as peak:
        ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in ts:
            t.start()
        time.sleep(2)
        during = healthz(srv.base)
        for t in ts:
            t.join()
    times = [t for k, t in out if k != "open"]
    return {
        "attack": f"{n} body trickles (1 byte/s; body deadline {a.body_timeout:g} s)",
        "answer": _counts(_tally(k for k, _ in out)) + f", cut after {min(times):.1f}-{max(times):.1f} s",
        "time_s": max(times),
        "healthz_during": during,
        "rss_peak": peak.peak,
    }


def attack_giant_headers(srv: Server, a) -> dict:
    n, size = (2, 5_000_000) if a.quick else (4, 250_000_000)
    out: list = [None] * n

    def one(i):
        s = _connect(f"127.0.3.{1 + i}", srv.port)
        sent = 0
        chunk = b"a" * 65536
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: ")
            while sent < size:
                s.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        status, _ = _read_status(s, 5)
        out[i] = (status, sent)
        s.close()

    with RssPeak(srv) as peak:
        t0 = time.perf_counter()
        ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in ts:
            t.start()
        during = healthz(srv.base)
        for t in ts:
            t.join()
        dt = time.perf_counter() - t0
    return {
        "attack": f"{n} unfinished headers of {size / 1e6:,.0f} MB",
        "answer": _counts(_tally(k for k, _ in out))
        + f"; the client got at most {max(b for _, b in out):,} B sent before the close",
        "time_s": dt,
        "healthz_during": during,
        "rss_peak": peak.peak,
    }


def _post_doc(srv: Server, name: str, data: bytes, **form) -> tuple[int, float, str]:
    import httpx

    t0 = time.perf_counter()
    r = httpx.post(srv.base + "/v1/ocr", headers=AUTH, files={"file": (name, data)}, data=form, timeout=300)
    msg = r.json().get("message", "")[:90] if r.status_code != 200 else f"{len(r.json()['pages'])} pages"
    return r.status_code, time.perf_counter() - t0, msg


def documents(quick: bool) -> dict[str, bytes]:
    """The small documents that decode large: their bytes."""
    from PIL import Image

    from bench.fuzz_hooks import _pdf

    side = 2000 if quick else 6324  # 40 Mpx per frame
    frames = [Image.new("1", (side, side), 1) for _ in range(20)]
    tiff = io.BytesIO()
    frames[0].save(tiff, "TIFF", save_all=True, append_images=frames[1:], compression="group4")
    png = io.BytesIO()
    Image.new("1", (6300, 6300), 1).save(png, "PNG", optimize=True)
    return {
        "pdf_20x14400pt.pdf": _pdf([(14400, 14400)] * 20),
        "tiff_20x40mpx.tif": tiff.getvalue(),
        "png_6300sq.png": png.getvalue(),
    }


def attack_documents(srv: Server, a) -> list[dict]:
    rows = []
    for name, data in documents(a.quick).items():
        before = srv.rss_mb()
        with RssPeak(srv) as peak:
            status, dt, msg = _post_doc(srv, name, data)
        time.sleep(0.5)
        rows.append(
            {
                "attack": f"{name} ({len(data) / 1024:,.1f} KB)",
                "answer": f"{status}: {msg}",
                "time_s": dt,
                "rss_before": before,
                "rss_peak": peak.peak,
            }
        )
    return rows


def attack_deadline(a) -> dict:
    """A 20-page document on a server with a 3 s deadline and 1 s per page: 504, then is the worker free?"""
    import httpx

    from bench.fuzz_hooks import _pdf

    srv = Server("--timeout", "3", "--page-delay", "1")
    try:
        status, dt, msg = _post_doc(srv, "slow.pdf", _pdf([(200, 100)] * 20))
        t_free = None
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 10:
            st = httpx.get(srv.base + "/v1/stats", headers=AUTH, timeout=5).json()
            if st["running"] == 0 and st["admitted"] == 0:
                t_free = time.perf_counter() - t0
                break
            time.sleep(0.1)
        return {
            "attack": "20 pages at 1 s/page, request deadline 3 s",
            "answer": f"{status}: {msg[:60]}; worker free {t_free:.1f} s after the answer"
            if t_free is not None
            else f"{status}; worker still busy 10 s after the answer",
            "time_s": dt,
            "healthz_after": healthz(srv.base),
            "rss_after": srv.rss_mb(),
        }
    finally:
        srv.close()


class MalformedRedirect(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a redirect to the malformed URL `http:foo/x` (once a 500)."""

    def do_GET(self):
        self.send_response(302)
        self.send_header("Location", "http:foo/x")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def attack_requests(srv: Server, a) -> list[dict]:
    """Single requests that once gave a 500, reflected the Host header, or were read too loosely."""
    import httpx

    red = http.server.ThreadingHTTPServer(("127.0.0.1", 0), MalformedRedirect)
    threading.Thread(target=red.serve_forever, daemon=True).start()
    png = documents(True)["png_6300sq.png"]
    from api_helpers import render_text_png

    small = render_text_png(["TOTAL 9.00"])
    cases = [
        (
            "fields = '[' * 60000",
            "/v1/extract",
            {"files": {"file": ("a.png", small)}, "data": {"fields": "[" * 60000}},
        ),
        (
            "hints = '[' * 60000",
            "/v1/extract",
            {"files": {"file": ("a.png", small)}, "data": {"fields": "total", "hints": "[" * 60000}},
        ),
        (
            "options = '{' * 60000",
            "/v1/ocr",
            {"files": {"file": ("a.png", small)}, "data": {"options": "{" * 60000}},
        ),
        (
            "redirect to 'http:foo/x'",
            "/v1/ocr",
            {"json": {"document": {"url": f"http://127.0.0.1:{red.server_port}/d"}}},
        ),
        (
            "look-alike fields total, tоtal",
            "/v1/extract",
            {"files": {"file": ("a.png", small)}, "data": {"fields": "total, t\u043etal"}},
        ),
        (
            "field total + U+FE0F",
            "/v1/extract",
            {"files": {"file": ("a.png", small)}, "data": {"fields": "total, total\ufe0f"}},
        ),
        (
            "pages: [true]",
            "/v1/ocr",
            {"json": {"document": {"base64": "aGVsbG8="}, "options": {"pages": [True]}}},
        ),
        ("unknown form field", "/v1/ocr", {"files": {"file": ("a.png", small)}, "data": {"pagez": "3"}}),
        (
            'options={"pages":"3"} on a 1-page PNG',
            "/v1/ocr",
            {"files": {"file": ("a.png", small)}, "data": {"options": '{"pages":"3"}'}},
        ),
        (
            "file name with bidi/control chars",
            "/v1/ocr",
            {"files": {"file": ("x\u202egpj.exe\x1b[31m", b"not an image")}},
        ),
    ]
    rows = []
    for label, path, kw in cases:
        t0 = time.perf_counter()
        r = httpx.post(srv.base + path, headers=AUTH, timeout=60, **kw)
        body = r.text
        shown = body if r.status_code >= 400 else "ok"
        bad = any(ch in body for ch in "\u202e\x1b")
        rows.append(
            {
                "attack": label,
                "answer": f"{r.status_code}: {json.loads(body).get('message', shown)[:80] if r.status_code >= 400 else 'ok'}"
                + (" (control characters echoed!)" if bad else ""),
                "time_s": time.perf_counter() - t0,
                "rss_before": None,
            }
        )
    t0 = time.perf_counter()
    raw = _raw(
        srv.port,
        b"GET /v1/stats/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\nAuthorization: Bearer %s\r\n\r\n"
        % KEY.encode(),
    )
    rows.append(
        {
            "attack": "GET /v1/stats/ with Host: evil.example",
            "answer": raw.split(b"\r\n")[0].decode()[9:]
            + ("; evil.example reflected!" if b"evil.example" in raw else "; Host not reflected"),
            "time_s": time.perf_counter() - t0,
            "rss_before": None,
        }
    )
    t0 = time.perf_counter()
    r = httpx.head(srv.base + "/healthz", timeout=5)
    rows.append(
        {
            "attack": "HEAD /healthz",
            "answer": str(r.status_code),
            "time_s": time.perf_counter() - t0,
            "rss_before": None,
        }
    )
    red.shutdown()
    del png
    return rows


def _raw(port: int, request: bytes) -> bytes:
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(request)
    s.settimeout(5)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        data += s.recv(4096)
    except TimeoutError:
        pass
    s.close()
    return data


def _tally(keys) -> dict[str, int]:
    out: dict[str, int] = {}
    for k in keys:
        out[k] = out.get(k, 0) + 1
    return out


def _counts(seen: dict[str, int]) -> str:
    return ", ".join(f"{k} × {v:,}" for k, v in sorted(seen.items(), key=lambda kv: -kv[1]))


# ------------------------------------------------------------------ the run and the table

ATTACKS = ("idle", "header_trickle", "body_trickle", "giant_headers", "documents", "deadline", "requests")


def run(a) -> list[dict]:
    only = set(a.only.split(",")) if a.only else set(ATTACKS)
    srv = Server(*(["--body-timeout", str(a.body_timeout)] if a.body_timeout else []))
    rows: list[dict] = []
    try:
        idle = srv.rss_mb()
        for name in ATTACKS:
            if name not in only or name == "deadline":
                continue
            t_start = time.perf_counter()
            got = globals()[f"attack_{name}"](srv, a)
            for row in got if isinstance(got, list) else [got]:
                row.setdefault("rss_before", idle)
                row["healthz_after"] = healthz(srv.base)
                row["rss_after"] = srv.rss_mb()
                rows.append(row)
                print(_line(row), flush=True)
            if time.perf_counter() - t_start > 0:
                time.sleep(0.5)
        if "deadline" in only:
            row = attack_deadline(a)
            rows.append(row)
            print(_line(row), flush=True)
    finally:
        srv.close()
    return rows


def _fmt_health(h) -> str:
    if not h:
        return ""
    status, s = h
    return f"{status} in {s * 1000:.0f} ms"


def _mb(v) -> str:
    return "" if v is None else f"{v:,.0f}"


def _line(r: dict) -> str:
    return (
        f"| {r['attack']} | {r['answer']} | {r['time_s']:.2f} | {_fmt_health(r.get('healthz_during'))} | "
        f"{_fmt_health(r.get('healthz_after'))} | {_mb(r.get('rss_before'))} | {_mb(r.get('rss_peak'))} | "
        f"{_mb(r.get('rss_after'))} |"
    )


HEADER = (
    "| attack | answer | s | /healthz during | /healthz after | RSS before MB | RSS peak MB | RSS after MB |\n"
    "|---|---|---|---|---|---|---|---|"
)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        ap = argparse.ArgumentParser()
        ap.add_argument("--port", type=int, required=True)
        ap.add_argument("--timeout", type=float, default=0)
        ap.add_argument("--body-timeout", type=float, default=0)
        ap.add_argument("--page-delay", type=float, default=0)
        serve(ap.parse_args(argv[1:]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (the fast test uses these)")
    ap.add_argument("--only", default="", help=f"comma-separated subset of {','.join(ATTACKS)}")
    ap.add_argument(
        "--body-timeout",
        type=float,
        default=20.0,
        help="the server's --body-timeout for the run (its default is the request timeout, 120 s)",
    )
    ap.add_argument("--name", default="attack_api", help="report file stem")
    ap.add_argument("--out-dir", type=Path, default=REPORTS)
    a = ap.parse_args(argv)
    from chatocr.api import ApiConfig

    a.header_timeout = ApiConfig().header_timeout_s
    print(HEADER, flush=True)
    rows = run(a)
    command = "python -m bench.attack_api " + " ".join(argv)
    cfg = ApiConfig()
    setup = (
        f"Server: chatocr's guarded uvicorn, defaults (max_connections {cfg.max_connections:,}, per client "
        f"{cfg.max_connections_per_client}, headers {cfg.max_header_bytes // 1024} KB within "
        f"{cfg.header_timeout_s:g} s, keep-alive {cfg.keep_alive_s:g} s, max_total_pixels "
        f"{cfg.max_total_pixels:,}) but --body-timeout {a.body_timeout:g}; API key set; scripted OCR "
        f"and LLM; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end."
    )
    a.out_dir.mkdir(parents=True, exist_ok=True)
    (a.out_dir / f"{a.name}.json").write_text(
        json.dumps({"command": command, "setup": setup, "rows": rows}, indent=1)
    )
    md = (
        f"# API under attack\n\n`{command}`\n\n{setup}\n\n{HEADER}\n"
        + "\n".join(_line(r) for r in rows)
        + "\n"
    )
    (a.out_dir / f"{a.name}.md").write_text(md)
    print(f"\n{setup}\nreport: {a.out_dir / (a.name + '.md')}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
