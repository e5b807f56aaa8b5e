"""The server under attack: connection caps, header and body deadlines, header size, memory budget,
cancelled work, and the request shapes that gave a 500, echoed the Host header or were read too
loosely. Every server here is `chatocr serve`'s own (chatocr.api.server) on loopback, with small
limits so that each test takes seconds; attackers bind to 127.0.0.2+ (other loopback addresses) and
the probes come from 127.0.0.1. The issue's sizes (21,000 connections, 250 MB headers) are run by
`python -m bench.attack_api` (and its quick form by the slow test at the end).
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import re
import socket
import threading
import time

import httpx
import pytest
from api_helpers import render_text_png, running_server
from click.testing import CliRunner
from fakes import ScriptedBackend, ScriptedEngine
from PIL import Image

from bench.attack_api import MalformedRedirect
from chatocr.api import ApiConfig, UrlPolicy, create_app, fetch_url_async
from chatocr.pipeline import Pipeline
from ocr_stage import InputError, InputLimits, InputTooLarge, load_document

PNG = render_text_png(["TOTAL 9.00"])


def _pdf(pages: list[tuple[float, float]]) -> bytes:
    from bench.fuzz_hooks import _pdf as make

    return make(pages)


def _app(config: ApiConfig, engine=None, limits: InputLimits | None = None):
    backend = ScriptedBackend([lambda keys, messages: {k: "9.00" for k in keys or []}])
    return create_app(
        config=config, pipeline=Pipeline(engine or ScriptedEngine(), backend, limits or InputLimits())
    )


def _config(**kw) -> ApiConfig:
    base = {"api_key": None, "workers": 2, "max_queue": 4, "timeout_s": 30}
    return ApiConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def guarded():
    """A server with small connection limits: 12 in all, 4 per client, 1 s for headers, 1 s for a
    body, 2 KB of headers, 1 s keep-alive."""
    cfg = _config(
        max_connections=12,
        max_connections_per_client=4,
        header_timeout_s=1.0,
        body_timeout_s=1.0,
        max_header_bytes=2048,
        keep_alive_s=1.0,
    )
    app = _app(cfg)
    with running_server(app, config=cfg) as base:
        yield base, int(base.rsplit(":", 1)[1]), app


def _sock(port: int, src: str = "127.0.0.1") -> socket.socket:
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def _answer(s: socket.socket, timeout: float = 5.0) -> bytes:
    """What the server writes before it closes (b'' when it closes without a word)."""
    s.settimeout(timeout)
    data = b""
    try:
        while chunk := s.recv(65536):
            data += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return data


def _one_response(s: socket.socket) -> bytes:
    """One whole response on a kept-alive connection: its head, then its body to Content-Length
    (the two may arrive in separate reads)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length:\s*(\d+)", head)[1])
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


# ------------------------------------------------------------------ connections


def test_per_client_cap_answers_503_and_other_clients_still_get_in(guarded):
    base, port, _ = guarded
    held = [_sock(port, "127.0.0.2") for _ in range(4)]
    try:
        extra = _sock(port, "127.0.0.2")
        got = _answer(extra)
        assert got.startswith(b"HTTP/1.1 503 ") and b"retry-after: 1" in got.lower(), got
        assert json.loads(got.split(b"\r\n\r\n", 1)[1])["error"] == "too_many_connections"
        assert httpx.get(base + "/healthz", timeout=5).status_code == 200  # another address
    finally:
        for s in held:
            s.close()


def test_total_cap_answers_503(guarded):
    base, port, app = guarded
    held = [_sock(port, f"127.0.0.{10 + i // 4}") for i in range(12)]
    try:
        time.sleep(0.2)
        got = _answer(_sock(port, "127.0.0.30"))
        assert got.startswith(b"HTTP/1.1 503 "), got
        assert app.state.chatocr.connections.stats()["refused"] >= 1
    finally:
        for s in held:
            s.close()
    time.sleep(0.2)
    assert httpx.get(base + "/healthz", timeout=5).status_code == 200


def test_idle_and_trickling_heads_are_cut_at_the_header_deadline(guarded):
    _, port, _ = guarded
    idle = _sock(port, "127.0.0.3")
    trickle = _sock(port, "127.0.0.3")
    stop = time.monotonic() + 5
    got = b""
    trickle.settimeout(0.2)
    for ch in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":
        try:
            trickle.sendall(bytes([ch]))
            got = trickle.recv(4096)
        except TimeoutError:
            continue
        except OSError:
            break
        if got or time.monotonic() > stop:
            break
    assert got.startswith(b"HTTP/1.1 408 "), got  # one byte every 0.2 s never restarts the deadline
    assert _answer(idle).startswith(b"HTTP/1.1 408 ")


def test_kept_alive_connection_is_closed_when_idle_and_cannot_trickle(guarded):
    _, port, _ = guarded
    s = _sock(port, "127.0.0.4")
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    s.settimeout(5)
    assert _one_response(s).startswith(b"HTTP/1.1 200 ")
    s.sendall(b"GE")  # the next request's first bytes, then nothing
    assert _answer(s).startswith(b"HTTP/1.1 408 ")


def test_oversized_head_is_431_and_a_large_body_is_not_a_large_head(guarded):
    base, port, _ = guarded
    s = _sock(port, "127.0.0.5")
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 10_000)
    got = _answer(s)
    assert got.startswith(b"HTTP/1.1 431 "), got
    # head and body in one chunk: only the head counts
    body = json.dumps({"document": {"base64": base64.b64encode(PNG).decode()}}).encode()
    s = _sock(port, "127.0.0.5")
    s.sendall(
        b"POST /v1/ocr HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    assert _answer(s).startswith(b"HTTP/1.1 200 ")


def test_trickled_body_is_cut_at_the_body_deadline_without_a_500(guarded):
    base, port, app = guarded
    s = _sock(port, "127.0.0.6")
    s.sendall(
        b"POST /v1/ocr HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"
    )
    s.settimeout(0.3)
    closed = False
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        try:
            s.sendall(b" ")
            if s.recv(4096) == b"":
                closed = True
                break
        except TimeoutError:
            continue
        except OSError:
            closed = True
            break
    assert closed
    assert app.state.chatocr.connections.stats()["body_timeouts"] >= 1
    assert httpx.get(base + "/healthz", timeout=5).status_code == 200


def test_serve_help_lists_every_limit_with_its_env_var():
    from chatocr.commands.serve import serve

    out = CliRunner().invoke(serve, ["--help"], terminal_width=200).output
    for opt, var in [
        ("--max-connections", "CHATOCR_API_MAX_CONNECTIONS"),
        ("--max-connections-per-client", "CHATOCR_API_MAX_CONNECTIONS_PER_CLIENT"),
        ("--max-header-kb", "CHATOCR_API_MAX_HEADER_KB"),
        ("--header-timeout", "CHATOCR_API_HEADER_TIMEOUT"),
        ("--body-timeout", "CHATOCR_API_BODY_TIMEOUT"),
        ("--keep-alive", "CHATOCR_API_KEEP_ALIVE"),
    ]:
        assert opt in out and var in out, opt


def test_env_vars_reach_the_config(monkeypatch):
    monkeypatch.setenv("CHATOCR_API_MAX_HEADER_KB", "8")
    monkeypatch.setenv("CHATOCR_API_HEADER_TIMEOUT", "3")
    monkeypatch.setenv("CHATOCR_API_TIMEOUT", "40")
    c = ApiConfig()
    assert (c.max_header_bytes, c.header_timeout_s, c.body_deadline_s) == (8192, 3.0, 40.0)


def test_ray_proxy_gets_the_keep_alive_and_a_request_timeout():
    from chatocr.api.ray_serve import proxy_options

    opts = proxy_options(_config(keep_alive_s=7, timeout_s=50, body_timeout_s=20), "127.0.0.1", 8000)
    assert opts["keep_alive_timeout_s"] == 7 and opts["request_timeout_s"] > 50 + 20


# ------------------------------------------------------------------ requests


@pytest.fixture(scope="module")
def plain():
    cfg = _config(api_key="k3y", allow_url=True, url_allow_networks=["127.0.0.0/8"])
    with running_server(_app(cfg), config=cfg) as base:
        yield base


AUTH = {"Authorization": "Bearer k3y"}


def _post(base, path, **kw):
    return httpx.post(base + path, headers=AUTH, timeout=30, **kw)


def test_host_header_is_never_reflected(plain):
    port = int(plain.rsplit(":", 1)[1])
    s = _sock(port)
    s.sendall(
        b"GET /v1/stats/ HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer k3y\r\nConnection: close\r\n\r\n"
    )
    got = _answer(s)
    assert got.startswith(b"HTTP/1.1 404 ") and b"evil.example" not in got


def test_head_on_health_routes(plain):
    for path in ("/healthz", "/readyz"):
        r = httpx.head(plain + path, timeout=5)
        assert r.status_code == 200 and r.content == b""


@pytest.mark.parametrize("field", ["fields", "hints", "options"])
def test_deeply_nested_form_json_is_a_422(plain, field):
    path = "/v1/ocr" if field == "options" else "/v1/extract"
    data = {field: "[" * 60_000}
    if field == "hints":
        data["fields"] = "total"
    r = _post(plain, path, files={"file": ("a.png", PNG)}, data=data)
    assert r.status_code == 422 and field in r.json()["message"], r.text


def test_options_form_field_is_read(plain):
    pdf = _pdf([(200, 100)] * 3)
    r = _post(plain, "/v1/ocr", files={"file": ("d.pdf", pdf)}, data={"options": '{"pages": "3"}'})
    assert r.status_code == 200, r.text
    assert [p["page"] for p in r.json()["pages"]] == [3]


@pytest.mark.parametrize(
    "data, needle",
    [
        ({"options": '{"pagez": "3"}'}, "pagez"),
        ({"options": "[1]"}, "JSON object"),
        ({"options": "{nope"}, "not valid JSON"),
        ({"options": '{"pages": "2"}', "pages": "1"}, "both"),
        ({"pagez": "3"}, "pagez"),
        ({"fields": "total"}, "fields"),  # /v1/ocr takes no fields
    ],
)
def test_unknown_or_malformed_form_fields_are_a_422_naming_them(plain, data, needle):
    r = _post(plain, "/v1/ocr", files={"file": ("a.png", PNG)}, data=data)
    assert r.status_code == 422 and needle in r.json()["message"], r.text


def test_repeated_single_form_field_is_refused(plain):
    r = _post(plain, "/v1/ocr", files={"file": ("a.png", PNG)}, data={"pages": ["1", "1"]})
    assert r.status_code == 422 and "more than once" in r.json()["message"]


@pytest.mark.parametrize("pages", [[True], True, [1.0], ["1"], "true", [0], "0-2"])
def test_pages_are_page_numbers_or_ranges_only(plain, pages):
    r = _post(
        plain,
        "/v1/ocr",
        json={"document": {"base64": base64.b64encode(PNG).decode()}, "options": {"pages": pages}},
    )
    assert r.status_code == 422 and r.json()["error"] == "bad_pages", r.text


@pytest.mark.parametrize("pages", [1, [1], "1", "1-1,"])
def test_page_number_forms_accepted(plain, pages):
    r = _post(
        plain,
        "/v1/ocr",
        json={"document": {"base64": base64.b64encode(PNG).decode()}, "options": {"pages": pages}},
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("second", ["t\u043etal", "total\ufe0f", "tot\u0430l", "\uff54otal", "total\u3164"])
def test_look_alike_and_invisible_field_names_are_refused(plain, second):
    r = _post(
        plain,
        "/v1/extract",
        json={"document": {"base64": base64.b64encode(PNG).decode()}, "fields": ["total", second]},
    )
    assert r.status_code == 422, r.text


def test_file_names_are_sanitised_before_they_are_echoed(plain):
    r = _post(plain, "/v1/ocr", files={"file": ("x\u202egpj.exe\x1b[31m\u200b", b"not an image")})
    assert r.status_code == 422
    assert not any(ch in r.text for ch in "\u202e\x1b\u200b") and "x?gpj.exe?[31m?" in r.json()["message"]


def test_malformed_redirect_is_an_input_error_not_a_500(plain):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), MalformedRedirect)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_port}/doc"
        policy = UrlPolicy(allow=[__import__("ipaddress").ip_network("127.0.0.0/8")])
        with pytest.raises(InputError, match="could not fetch"):
            import asyncio

            asyncio.run(fetch_url_async(url, policy, 1000))
        r = _post(plain, "/v1/ocr", json={"document": {"url": url}})
        assert 400 <= r.status_code < 500, r.text
    finally:
        srv.shutdown()


def test_openapi_lists_each_routes_statuses_and_401_only_where_a_key_is_checked(plain):
    doc = httpx.get(plain + "/openapi.json", timeout=5).json()
    paths = doc["paths"]
    assert "security" not in doc
    for path in ("/v1/ocr", "/v1/extract"):
        op = paths[path]["post"]
        assert {"401", "413", "415", "422", "503", "504"} <= set(op["responses"]), path
        assert op["security"] == [{"bearer": []}]
        form = op["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert form["additionalProperties"] is False and "options" in form["properties"]
    assert "502" in paths["/v1/extract"]["post"]["responses"]
    assert "401" in paths["/v1/stats"]["get"]["responses"]
    assert "401" not in paths["/healthz"]["get"]["responses"] and "security" not in paths["/healthz"]["get"]
    assert "503" in paths["/readyz"]["get"]["responses"]
    assert "head" in paths["/healthz"]


# ------------------------------------------------------------------ memory and work


def test_pdf_pages_share_the_pixel_budget_before_rendering():
    limits = InputLimits(max_total_pixels=20_000_000)
    pages = load_document(_pdf([(14_400, 14_400)] * 4 + [(595, 842)]), limits=limits)
    sizes = [p.size[0] * p.size[1] for p in pages]
    assert sum(sizes) <= limits.max_total_pixels
    assert abs(pages[-1].size[0] - 595 * 200 / 72) <= 2  # the small page keeps its DPI


def test_tiff_frames_are_counted_against_the_budget_before_decoding():
    frames = [Image.new("1", (3000, 3000), 1) for _ in range(6)]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], compression="group4")
    with pytest.raises(InputTooLarge, match="pixels together"):
        load_document(buf.getvalue(), limits=InputLimits(max_total_pixels=50_000_000))
    assert len(load_document(buf.getvalue(), limits=InputLimits(max_total_pixels=60_000_000))) == 6


def test_budget_is_configurable_and_reported(plain, monkeypatch):
    assert (
        httpx.get(plain + "/readyz", timeout=5).json()["limits"]["max_total_pixels"]
        == ApiConfig().max_total_pixels
    )
    monkeypatch.setenv("CHATOCR_API_MAX_TOTAL_PIXELS", "1234567")
    assert ApiConfig().max_total_pixels == 1_234_567


class SlowEngine(ScriptedEngine):
    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    def recognize_page(self, image):
        time.sleep(self.delay)
        return super().recognize_page(image)


def test_work_past_the_deadline_stops_at_the_next_page():
    engine = SlowEngine(0.25)
    cfg = _config(timeout_s=1.0)
    app = _app(cfg, engine)
    with running_server(app, config=cfg) as base:
        r = httpx.post(base + "/v1/ocr", files={"file": ("d.pdf", _pdf([(200, 100)] * 20))}, timeout=30)
        assert r.status_code == 504, r.text
        t0 = time.monotonic()
        while httpx.get(base + "/v1/stats", timeout=5).json()["running"] and time.monotonic() - t0 < 10:
            time.sleep(0.05)
        read = engine.pages
        time.sleep(0.6)
        assert engine.pages == read < 20  # stopped, and not at the end of the document
        assert httpx.get(base + "/v1/stats", timeout=5).json()["running"] == 0


def test_work_stops_when_the_client_leaves():
    engine = SlowEngine(0.25)
    cfg = _config(timeout_s=60)
    app = _app(cfg, engine)
    with running_server(app, config=cfg) as base:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(base + "/v1/ocr", files={"file": ("d.pdf", _pdf([(200, 100)] * 20))}, timeout=1.0)
        t0 = time.monotonic()
        while httpx.get(base + "/v1/stats", timeout=5).json()["running"] and time.monotonic() - t0 < 10:
            time.sleep(0.05)
        read = engine.pages
        time.sleep(0.6)
        assert engine.pages == read < 20


class SteppingBackend(ScriptedBackend):
    """Decodes like the transformers backend: every token through `_step` (here 50 ms each)."""

    def __init__(self):
        super().__init__([lambda keys, messages: {k: "9.00" for k in keys or []}])
        self.steps = 0

    def _step(self, ids, cache):
        self.steps += 1
        time.sleep(0.05)
        return None, None

    def generate(self, messages, keys=None, max_new_tokens=256, **kw):
        for _ in range(200):
            self._step([0], None)
        return super().generate(messages, keys, max_new_tokens, **kw)


def test_llm_work_past_the_deadline_stops_at_the_next_token():
    backend = SteppingBackend()
    cfg = _config(timeout_s=1.0)
    app = create_app(config=cfg, pipeline=Pipeline(ScriptedEngine(), backend, InputLimits()))
    with running_server(app, config=cfg) as base:
        r = httpx.post(
            base + "/v1/extract", files={"file": ("a.png", PNG)}, data={"fields": "total"}, timeout=30
        )
        assert r.status_code == 504, r.text
        t0 = time.monotonic()
        while httpx.get(base + "/v1/stats", timeout=5).json()["running"] and time.monotonic() - t0 < 15:
            time.sleep(0.05)
        steps = backend.steps
        time.sleep(0.5)
        assert backend.steps == steps < 200


# ------------------------------------------------------------------ the probe


@pytest.mark.slow
def test_attack_probe_quick_run(tmp_path):
    from bench.attack_api import main

    assert main(["--quick", "--body-timeout", "3", "--out-dir", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "attack_api.json").read_text())["rows"]
    for row in rows:
        h = row.get("healthz_after")
        assert h is None or h[0] == 200, row
        assert "reflected!" not in row["answer"] and "echoed!" not in row["answer"], row
        assert not re.search(r"\b500\b", row["answer"]), row
