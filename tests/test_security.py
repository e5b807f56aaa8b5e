"""Security and robustness findings, each with a test that failed before its fix. The API runs under uvicorn on loopback with a fake OCR engine and a
scripted LLM backend (both count their calls, so "before any work" is checked, and each test takes
seconds).

Network rule: nothing here sends traffic to an address outside 127.0.0.0/8 and [::1]. Non-loopback
targets are judged by the classifier and by a patched resolver only, and the `loopback_only` fixture
makes any other connection attempt (or name lookup) in this process fail, as a safety net should
the URL guard regress.
"""

from __future__ import annotations

import asyncio
import base64
import http.server
import io
import ipaddress
import json
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from api_helpers import render_text_png, running_server
from PIL import Image

from chatocr.api import ApiConfig, UrlPolicy, UrlRefused, create_app
from chatocr.api.fetch import FetchTimeout, fetch_url_async, refusal_reason
from chatocr.pipeline import Pipeline
from chatocr.settings import MAX_PAGES, PageRangeError, Settings, TooManyPages, parse_pages
from llm_stage import Backend, FieldQuery, GenerationResult, QueryError
from ocr_stage import InputError, InputLimits, OcrEngine, TextLine, load_document

REPO = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------ fakes and fixtures


class CountingEngine(OcrEngine):
    name = "fake"

    def __init__(self):
        self.pages = 0

    def recognize_page(self, image):
        self.pages += 1
        return [TextLine(text="TOTAL 9.00", box=[(0, 0), (90, 0), (90, 20), (0, 20)], score=0.99)]


class CountingBackend(Backend):
    name = "scripted"

    def __init__(self):
        super().__init__()
        self.calls = 0

    def generate(self, messages, keys=None, max_new_tokens=256, **constraints):
        self.calls += 1
        return GenerationResult(text=json.dumps({k: "9.00" for k in keys or []}), tokens=1)


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(host) -> bool:
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Any connection to a non-loopback address, or a lookup of a name other than localhost, fails."""

    def guard(addr):
        if isinstance(addr, tuple) and not _is_loopback(addr[0]):
            raise ConnectionRefusedError(f"test network rule: no traffic to {addr[0]}")

    def connect(self, addr):
        guard(addr)
        return _real_connect(self, addr)

    def connect_ex(self, addr):
        guard(addr)
        return _real_connect_ex(self, addr)

    def getaddrinfo(host, *a, **kw):
        h = host.decode() if isinstance(host, bytes) else host
        if h not in (None, "localhost"):
            try:
                ipaddress.ip_address(str(h).split("%")[0])
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, f"test network rule: no lookup of {h}") from None
        return _real_getaddrinfo(host, *a, **kw)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def fakes():
    return CountingEngine(), CountingBackend()


def _serve(fakes, **config):
    engine, backend = fakes
    cfg = {"workers": 2, "max_queue": 4, "timeout_s": 30, "max_fields": 8, "api_key": None, **config}
    pipe = Pipeline(engine, backend, InputLimits())
    return running_server(create_app(config=ApiConfig(**cfg), pipeline=pipe))


@pytest.fixture
def server(fakes):
    with _serve(fakes) as base:
        yield base


PNG = render_text_png(["TOTAL 9.00"])


def _b64_body(data: bytes = PNG, **extra) -> dict:
    return {"document": {"base64": base64.b64encode(data).decode()}, **extra}


class HealthProbe:
    """Polls /healthz in a thread while a slow request runs; `worst` is the slowest answer (s)."""

    def __init__(self, base: str):
        self.base, self.lat, self._stop = base, [], threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        with httpx.Client(timeout=60) as c:
            while not self._stop.is_set():
                t = time.perf_counter()
                c.get(self.base + "/healthz")
                self.lat.append(time.perf_counter() - t)
                time.sleep(0.02)

    def __enter__(self):
        self._t.start()
        time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join(timeout=60)

    @property
    def worst(self) -> float:
        return max(self.lat)


# ------------------------------------------------------------------ finding 1: `pages` DoS


def test_pages_counted_from_ranges_without_listing():
    t = time.perf_counter()
    with pytest.raises(PageRangeError) as e:
        parse_pages("1-1000000000000", 20)
    assert isinstance(
        e.value, TooManyPages
    ) and "1,000,000,000,000 pages requested, over the limit of 20" in str(e.value)
    with pytest.raises(PageRangeError) as e:
        parse_pages("1-200," * 1_000_000, 20)  # 6 MB: refused by length, before splitting
    assert not isinstance(e.value, TooManyPages) and "characters long" in str(e.value)
    assert time.perf_counter() - t < 0.5
    # overlapping ranges count each page once: 1-15 and 10-20 are 20 pages, within the limit
    assert parse_pages("1-15,10-20", 20) == list(range(20))
    assert parse_pages("5,1-3,2", 20) == [4, 0, 1, 2]
    assert parse_pages([3, 1, 3], 20) == [2, 0]
    for bad in ("0", "a", "3-1", "-3", "1_0", "١", ",", "1--2"):
        with pytest.raises(PageRangeError):
            parse_pages(bad, 20)


def test_huge_pages_value_is_refused_fast_and_off_the_event_loop(server, fakes):
    """Before: 7 s to a 413, +1.6 GB RSS, /healthz blocked for the whole time."""
    body = json.dumps(_b64_body(fields=["total"], options={"pages": "1-200," * 1_000_000}))
    assert len(body) > 6_000_000
    with HealthProbe(server) as probe:
        t = time.perf_counter()
        r = httpx.post(
            server + "/v1/extract", content=body, headers={"content-type": "application/json"}, timeout=60
        )
        took = time.perf_counter() - t
    assert r.status_code == 422 and r.json()["error"] == "bad_pages", r.text
    assert took < 2.0, took
    assert probe.worst < 1.0, probe.worst
    r = httpx.post(server + "/v1/ocr", json=_b64_body(options={"pages": "1-1000000000"}))
    assert r.status_code == 413 and "over the limit of 20" in r.json()["message"]
    assert fakes[0].pages == 0 and fakes[1].calls == 0


def test_repeated_pages_are_ocred_once(server, fakes):
    r = httpx.post(server + "/v1/ocr", files={"file": ("a.png", PNG, "image/png")}, data={"pages": "1,1,1"})
    assert r.status_code == 200, r.text
    assert len(r.json()["pages"]) == 1 and fakes[0].pages == 1


def test_cli_and_api_share_one_page_parser():
    import click

    from chatocr.api import routes
    from chatocr.commands import common

    assert routes.parse_pages is parse_pages  # the CLI's check_pages calls it too
    assert common.check_pages("1-3,5,1") == [0, 1, 2, 4]
    with pytest.raises(click.BadParameter, match="over the limit of 20"):
        common.check_pages(f"1-{MAX_PAGES + 1}")
    with pytest.raises(click.BadParameter, match="characters long"):
        common.check_pages("1-200," * 1000)


# ------------------------------------------------------------------ finding 2: URL guard ranges

REFUSED = {
    "100.100.100.200": "shared address space",  # Alibaba Cloud metadata
    "100.64.0.1": "shared address space",
    "100.127.255.254": "shared address space",
    "198.18.0.1": "benchmarking",
    "198.19.255.255": "benchmarking",
    "192.0.0.9": "IETF protocol",  # `is_global` in some Python versions
    "192.0.0.170": "IETF protocol",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",
    "0.1.2.3": "this network",
    "0.0.0.0": "this network",
    "224.0.0.1": "multicast",
    "233.252.0.1": "multicast",
    "127.0.0.1": "loopback",
    "10.1.2.3": "private",
    "172.16.5.4": "private",
    "192.168.0.1": "private",
    "169.254.169.254": "link-local",
    "192.0.2.1": "private",
    "64:ff9b::a9fe:a9fe": "NAT64",  # NAT64 of 169.254.169.254
    "64:ff9b::808:808": "NAT64",  # NAT64 of a public address: still refused (a translator is a hop we do not see)
    "64:ff9b:1::1": "local-use NAT64",
    "2002:a9fe:a9fe::1": "6to4",
    "2002:808:808::1": "6to4",
    "2001::1": "Teredo",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2": "Teredo",
    "::ffff:100.100.100.200": "IPv4-mapped 100.100.100.200",
    "::ffff:127.0.0.1": "IPv4-mapped 127.0.0.1",
    "::ffff:10.0.0.1": "IPv4-mapped 10.0.0.1",
    "::127.0.0.1": "IPv4-compatible",
    "::100.100.100.200": "IPv4-compatible",
    "::8.8.8.8": "IPv4-compatible",
    "::1": "loopback",
    "::": "unspecified",
    "fe80::1": "link-local",
    "fec0::1": "site-local",
    "fc00::1": "unique local",
    "fd12:3456::1": "unique local",
    "ff0e::1": "multicast",
    "2001:db8::1": "documentation",
    "3fff::1": "documentation",
    "100::1": "discard",
}


@pytest.mark.parametrize("addr", sorted(REFUSED))
def test_classifier_refuses_every_special_range(addr):
    why = refusal_reason(ipaddress.ip_address(addr))
    assert why is not None and REFUSED[addr] in why, (addr, why)


def test_embedded_v4_is_named_in_the_reason():
    assert "169.254.169.254, which is link-local" in refusal_reason(
        ipaddress.ip_address("64:ff9b::a9fe:a9fe")
    )
    assert "169.254.169.254, which is link-local" in refusal_reason(ipaddress.ip_address("2002:a9fe:a9fe::1"))
    assert "100.100.100.200" in refusal_reason(ipaddress.ip_address("::100.100.100.200"))


@pytest.mark.parametrize(
    "addr",
    ["8.8.8.8", "93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8"],
)
def test_classifier_accepts_public_unicast(addr):
    assert refusal_reason(ipaddress.ip_address(addr)) is None


def test_shared_space_refused_through_resolver_and_allow_list():
    policy = UrlPolicy(resolve=lambda host, port: ["93.184.216.34", "100.100.100.200"])
    with pytest.raises(UrlRefused, match=r"100\.100\.100\.200 \(shared address space"):
        policy.check("http://metadata.example/latest/meta-data")
    # an operator's allow-list can open a range on purpose, and covers the IPv4-mapped spelling
    open_ = UrlPolicy(
        allow=[ipaddress.ip_network("100.64.0.0/10")], resolve=lambda h, p: ["::ffff:100.100.100.200"]
    )
    assert open_.check("http://intranet.example/a.png")[3] == ["::ffff:6464:64c8"]


class _Redirect(http.server.BaseHTTPRequestHandler):
    target = ""
    hits: list[str] = []

    def do_GET(self):
        self.hits.append(self.path)
        self.send_response(302)
        self.send_header("Location", self.target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


@pytest.fixture
def redirector():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    _Redirect.hits = []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize(
    "target",
    [
        "http://100.100.100.200/latest/meta-data",
        "http://metadata.internal/latest/meta-data",
        "http://[64:ff9b::6464:64c8]/x",
        "http://[::ffff:100.100.100.200]/x",
    ],
)
def test_redirect_into_special_ranges_is_refused(redirector, target):
    _Redirect.target = target
    resolve = {"127.0.0.1": ["127.0.0.1"], "metadata.internal": ["100.100.100.200"]}
    policy = UrlPolicy(allow=[ipaddress.ip_network("127.0.0.1/32")], resolve=lambda h, p: resolve[h])
    with pytest.raises(UrlRefused, match="100.100.100.200|6464:64c8"):
        asyncio.run(fetch_url_async(f"http://127.0.0.1:{redirector.server_address[1]}/doc.png", policy))
    assert _Redirect.hits == ["/doc.png"]


def test_api_refuses_shared_space_url(fakes):
    with _serve(fakes, allow_url=True) as base:
        for url in (
            "http://100.100.100.200/latest/meta-data",
            "http://[::ffff:100.100.100.200]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:a9fe:a9fe::]/",
            "http://198.18.0.1/",
        ):
            r = httpx.post(base + "/v1/ocr", json={"document": {"url": url}})
            assert r.status_code == 400 and r.json()["error"] == "refused", (url, r.text)


def test_unresolvable_host_is_an_input_error():
    def nxdomain(host, port):
        raise InputError(f"{host}: the host name does not resolve")

    with pytest.raises(InputError, match="does not resolve"):
        asyncio.run(fetch_url_async("http://no-such-host.invalid/a.png", UrlPolicy(resolve=nxdomain)))


# ------------------------------------------------------------------ finding 3: one deadline, byte cap, cancel


class _Trickle(http.server.BaseHTTPRequestHandler):
    """Declares 1000 bytes and sends one every `interval` s (at most `max_s` s), recording when the
    client stopped listening."""

    interval = 0.25
    max_s = 8.0
    log: list[tuple[str, float]] = []

    def do_GET(self):
        t0 = time.monotonic()
        if self.path == "/big":  # chunked, no length: the cap must bite while streaming
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for _ in range(400):
                    chunk = b"x" * 16384
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
                self.log.append(("sent all", time.monotonic() - t0))
            except OSError:
                self.log.append(("closed", time.monotonic() - t0))
            return
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            while time.monotonic() - t0 < self.max_s:
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(self.interval)
            self.log.append(("gave up", time.monotonic() - t0))
        except OSError:
            self.log.append(("closed", time.monotonic() - t0))

    def log_message(self, *a):
        pass


@pytest.fixture
def trickler():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    srv.daemon_threads = True
    _Trickle.log = []
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]


def test_download_deadline_against_trickling_server(trickler):
    """Before: each read had its own 15 s timeout, so a byte every 0.25 s never tripped it."""
    t = time.perf_counter()
    with pytest.raises(FetchTimeout, match="within 1.5 s"):
        asyncio.run(fetch_url_async(trickler + "/slow.png", UrlPolicy(allow=LOOPBACK, timeout_s=1.5)))
    assert 1.4 < time.perf_counter() - t < 2.5


def test_byte_cap_bites_while_streaming(trickler):
    t = time.perf_counter()
    with pytest.raises(InputError, match="over the limit of 100,000 bytes"):
        asyncio.run(
            fetch_url_async(trickler + "/big", UrlPolicy(allow=LOOPBACK, timeout_s=10), max_bytes=100_000)
        )
    assert time.perf_counter() - t < 2.0


def test_download_task_cancellation_closes_the_connection(trickler):
    async def go():
        task = asyncio.ensure_future(
            fetch_url_async(trickler + "/slow.png", UrlPolicy(allow=LOOPBACK, timeout_s=30))
        )
        await asyncio.sleep(0.8)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    deadline = time.monotonic() + 3
    while not _Trickle.log and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _Trickle.log and _Trickle.log[0][0] == "closed" and _Trickle.log[0][1] < 2.5, _Trickle.log


def test_api_url_download_bounded_by_request_timeout(fakes, trickler):
    with _serve(fakes, allow_url=True, timeout_s=2.0, url_allow_networks=["127.0.0.0/8"]) as base:
        with HealthProbe(base) as probe:
            t = time.perf_counter()
            r = httpx.post(base + "/v1/ocr", json={"document": {"url": trickler + "/slow.png"}}, timeout=30)
            took = time.perf_counter() - t
        assert r.status_code == 504 and r.json()["error"] == "fetch_timeout", r.text
        assert 1.8 < took < 3.5, took
        assert probe.worst < 0.5
        assert fakes[0].pages == 0


def test_api_download_stops_when_the_client_leaves(fakes, trickler):
    with _serve(fakes, allow_url=True, timeout_s=60, url_allow_networks=["127.0.0.0/8"]) as base:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(base + "/v1/ocr", json={"document": {"url": trickler + "/slow.png"}}, timeout=1.0)
        left = time.monotonic()
        while not _Trickle.log and time.monotonic() < left + 4:
            time.sleep(0.05)
        assert _Trickle.log and _Trickle.log[0][0] == "closed", _Trickle.log
        assert _Trickle.log[0][1] < 3.0, _Trickle.log  # about 1 s of client patience, then the poll interval


# ------------------------------------------------------------------ findings 4 and 6: query limits before work


@pytest.mark.parametrize(
    "extra, needle",
    [
        ({"fields": ["total"], "hints": {"total": "x" * 35_000}}, "the hint for 'total' is 35,000 bytes"),
        ({"fields": ["total"], "hints": {"total": "说明" * 300}}, "1,800 bytes"),
        ({"fields": ["total"], "hints": {f"h{i}": "z" for i in range(100)}}, "100 hints"),
        ({"fields": ["total"], "hints": {"date": "z"}}, "not a requested field"),
        ({"question": "what is the total? " + "q" * 2100}, "2,119 bytes (UTF-8); the limit is 2,000"),
        ({"question": "总额是多少" * 200}, "3,000 bytes"),
    ],
)
def test_hints_and_question_are_bounded_before_any_work(server, fakes, extra, needle):
    t = time.perf_counter()
    r = httpx.post(server + "/v1/extract", json=_b64_body(**extra))
    assert r.status_code == 422, r.text
    assert needle in r.json()["message"], r.text
    assert time.perf_counter() - t < 1.0
    assert fakes[0].pages == 0 and fakes[1].calls == 0


@pytest.mark.parametrize(
    "fields, dup",
    [
        ("total,TOTAL", "'TOTAL'"),
        (["Date", "date"], "'date'"),
        (["total", "ｔｏｔａｌ"], "'ｔｏｔａｌ'"),
        (["Straße", "STRASSE"], "'STRASSE'"),
    ],
)
def test_case_variant_field_names_are_422_before_model_work(server, fakes, fields, dup):
    """Before: `total,TOTAL` ran the model for 11 s and answered every field null."""
    r = httpx.post(
        server + "/v1/extract",
        files={"file": ("a.png", PNG, "image/png")},
        data={"fields": fields if isinstance(fields, str) else json.dumps(fields)},
    )
    assert r.status_code == 422 and r.json()["error"] == "bad_query", r.text
    assert dup in r.json()["message"]
    assert fakes[0].pages == 0 and fakes[1].calls == 0


def test_hints_are_bounded_together():
    names = [f"f{i}" for i in range(9)]
    with pytest.raises(ValueError, match="over 4,000 bytes"):
        FieldQuery(fields=names, hints={n: "y" * 499 for n in names})


def test_exact_repeats_still_collapse_and_hints_follow_the_name(server, fakes):
    r = httpx.post(
        server + "/v1/extract",
        json=_b64_body(fields=["total", " total ", "total"], hints={"TOTAL": "the amount due"}),
    )
    assert r.status_code == 200, r.text
    assert list(r.json()["fields"]) == ["total"]
    assert FieldQuery(fields=["total"], hints={"TOTAL": "due"}).hints == {"total": "due"}


# ------------------------------------------------------------------ finding 8: the small ones


def _jpeg_with_pdf_marker() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(buf, format="JPEG")
    jpeg = buf.getvalue()
    comment = b"%PDF-1.7 not a pdf"
    com = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    out = jpeg[:2] + com + jpeg[2:]  # a COM segment right after SOI
    assert b"%PDF-" in out[:1024]
    return out


def test_jpeg_with_pdf_marker_is_read_as_jpeg(server):
    data = _jpeg_with_pdf_marker()
    pages = load_document(data, name="photo.jpg")
    assert len(pages) == 1 and pages[0].size == (64, 48)
    r = httpx.post(server + "/v1/ocr", files={"file": ("photo.jpg", data, "image/jpeg")})
    assert r.status_code == 200, r.text
    assert r.json()["pages"][0]["width"] == 64
    # a real PDF with a junk prefix is still a PDF (the header may sit anywhere in the first KB)
    with pytest.raises(InputError, match="PDF"):
        load_document(b"junk\n%PDF-1.4\nbroken", name="x.pdf")


def test_line_wrapped_base64_is_accepted(server):
    wrapped = base64.encodebytes(PNG).decode()  # 76 columns, like `base64` on the command line
    assert "\n" in wrapped.strip()
    for text in (wrapped, wrapped.replace("\n", "\r\n"), " \t" + wrapped.replace("\n", " \n ")):
        r = httpx.post(server + "/v1/ocr", json={"document": {"base64": text}})
        assert r.status_code == 200, r.text
    r = httpx.post(server + "/v1/ocr", json={"document": {"base64": "aGVs bG8*"}})
    assert r.status_code == 400 and r.json()["error"] == "bad_base64"


@pytest.mark.parametrize("n", [9, 40, 64, 65, 500, 5000])
def test_field_count_limit_is_one_status(server, fakes, n):
    names = [f"f{i}" for i in range(n)]
    for body in ({"fields": names}, {"fields": ",".join(names)}):
        r = httpx.post(server + "/v1/extract", json=_b64_body(**body))
        assert r.status_code == 422 and r.json()["error"] == "too_many_fields", (n, r.text)
        assert "limit is 8" in r.json()["message"] or "characters long" in r.json()["message"]
    assert fakes[1].calls == 0


@pytest.mark.parametrize(
    "name", ["tot\x00al", "total\x1b[31m", "\u202etotal", "to\u2066tal", "total\u200e", "a\u061cb", "x\ufeff"]
)
def test_control_characters_in_field_names_are_refused(server, fakes, name):
    r = httpx.post(server + "/v1/extract", json=_b64_body(fields=["date", name]))
    assert r.status_code == 422 and r.json()["error"] == "bad_query", r.text
    msg = r.json()["message"]
    assert repr(name)[1:-1] in msg and "U+" in msg  # names the field, escaped
    assert name not in msg  # the raw control character is not echoed
    assert fakes[1].calls == 0


def test_joiners_inside_words_are_still_allowed():
    assert FieldQuery(fields=["می\u200cخواهم"]).fields == ["می\u200cخواهم"]  # ZWNJ in Persian
    with pytest.raises((QueryError, ValueError)):
        FieldQuery(question="total?\x00")


def test_limits_are_reported_consistently(server):
    from ocr_stage.inputs import InputLimits as Limits

    assert MAX_PAGES == Limits().max_pages == Settings().max_pages == 20
    ready = httpx.get(server + "/readyz").json()["limits"]
    assert ready["max_pages"] == MAX_PAGES and ready["max_fields"] == 8
    assert {"max_question_bytes", "max_hint_bytes", "max_hints_bytes", "max_field_chars"} <= set(ready)
    r = httpx.post(server + "/v1/ocr", json=_b64_body(options={"pages": f"1-{MAX_PAGES + 1}"}))
    assert r.status_code == 413 and f"over the limit of {MAX_PAGES}" in r.json()["message"]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"{MAX_PAGES} pages" in readme and "50 pages" not in readme
