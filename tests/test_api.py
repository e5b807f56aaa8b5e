"""The HTTP API against a real uvicorn server on loopback, with the shipped OCR models and the
embedded LLM: round trips, 32 concurrent clients without cross-talk, the queue bound, limits,
auth, malformed input (hypothesis) and the URL-fetch guard."""

from __future__ import annotations

import asyncio
import base64
import http.server
import io
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from api_helpers import codes, render_text_png, running_server, squash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatocr.api import ApiConfig, UrlPolicy, UrlRefused, create_app, fetch_url_async
from chatocr.pipeline import Pipeline
from ocr_stage import InputError, InputLimits

WORKERS, QUEUE = 2, 4


@pytest.fixture(scope="module")
def backend(embedded_backend):
    return embedded_backend


@pytest.fixture(scope="module")
def pipeline(rapid_engine, backend):
    return Pipeline(rapid_engine, backend, InputLimits(max_pages=4, max_pixels=12_000_000))


@pytest.fixture(scope="module")
def server(pipeline):
    config = ApiConfig(
        workers=WORKERS,
        max_queue=QUEUE,
        timeout_s=300,
        max_upload_bytes=2_000_000,
        max_fields=8,
        allow_url=True,
        api_key=None,
    )
    with running_server(create_app(config=config, pipeline=pipeline)) as base:
        yield base


def _extract(base, data: bytes, fields, **opts):
    return httpx.post(
        base + "/v1/extract",
        files={"file": ("doc.png", data, "image/png")},
        data={"fields": fields, **opts},
        timeout=300,
    )


def test_health_ready_and_docs(server):
    assert httpx.get(server + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(server + "/readyz").json()
    assert ready["ready"] is True and ready["engines"] == ["rapid"]
    assert ready["limits"]["max_queue"] == QUEUE
    assert "swagger" in httpx.get(server + "/docs").text.lower()
    spec = httpx.get(server + "/openapi.json").json()
    body = spec["paths"]["/v1/extract"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    assert "ExtractRequest" in spec["components"]["schemas"]


def test_ocr_round_trip_multipart_and_base64(server):
    data = render_text_png(["HELLO", "WK4793"])
    r1 = httpx.post(server + "/v1/ocr", files={"file": ("a.png", data, "image/png")}, timeout=120)
    r2 = httpx.post(
        server + "/v1/ocr", json={"document": {"base64": base64.b64encode(data).decode()}}, timeout=120
    )
    for r in (r1, r2):
        assert r.status_code == 200, r.text
        res = r.json()
        assert res["engine"] == "rapid" and res["pages"][0]["width"] == 400
        text = squash(" ".join(ln["text"] for ln in res["pages"][0]["lines"]))
        assert "HELLO" in text and "WK4793" in text
        assert all(len(ln["box"]) == 4 and 0 <= ln["score"] <= 1 for ln in res["pages"][0]["lines"])
        assert res["timings"]["ocr_s"] > 0


@pytest.mark.slow
def test_extract_round_trip(server, sample_path):
    data = sample_path.read_bytes()
    r = httpx.post(
        server + "/v1/extract",
        json={
            "document": {"base64": base64.b64encode(data).decode(), "name": sample_path.name},
            "fields": ["发票号码", "开票日期", "价税合计"],
            "options": {"include_ocr": True},
        },
        timeout=300,
    )
    assert r.status_code == 200, r.text
    ext = r.json()
    assert list(ext["fields"]) == ["发票号码", "开票日期", "价税合计"]
    ocr_text = "".join(ln["text"] for p in ext["ocr"]["pages"] for ln in p["lines"])
    grounded = [v for v in ext["fields"].values() if v["grounded"]]
    assert grounded, ext  # the fine-tuned embedded model finds at least one of these on the sample
    for v in grounded:
        assert len(v["box"]) == 4 and v["page"] == 1  # pages count from 1
        assert v["value"].replace(" ", "")[:4] in ocr_text.replace(" ", "")
    assert ext["timings"]["ocr_s"] > 0 and "total_s" in ext["timings"]


@pytest.mark.slow
def test_32_concurrent_clients_get_their_own_answers(server):
    """Each client sends a different document; every answer carries its own code and no other,
    the pool never admits more than workers + queue, and a 503 always comes with Retry-After."""
    cs = codes(32)
    docs = {c: render_text_png(["CODE", c]) for c in cs}
    before = httpx.get(server + "/v1/stats").json()
    busy_seen = []

    def client(code: str):
        deadline = time.time() + 600
        while time.time() < deadline:
            r = httpx.post(
                server + "/v1/ocr", files={"file": (f"{code}.png", docs[code], "image/png")}, timeout=600
            )
            if r.status_code != 503:
                return code, r
            assert r.json()["error"] == "busy"
            retry = int(r.headers["Retry-After"])
            assert retry >= 1
            busy_seen.append(retry)
            time.sleep(min(retry, 3))
        raise AssertionError(f"{code}: never admitted")

    with ThreadPoolExecutor(32) as ex:
        results = list(ex.map(client, cs))
    for code, r in results:
        assert r.status_code == 200, r.text
        text = squash(" ".join(ln["text"] for ln in r.json()["pages"][0]["lines"]))
        assert code in text
        assert not [other for other in cs if other != code and other in text]
    stats = httpx.get(server + "/v1/stats").json()
    assert stats["peak"] <= WORKERS + QUEUE
    assert stats["rejected"] - before["rejected"] == len(busy_seen)
    assert busy_seen, "32 clients against a queue of 4 should have seen some 503s"
    assert stats["admitted"] == 0

    # a few extractions at once: every answer comes from its own document only
    ex_codes = cs[:3]
    with ThreadPoolExecutor(3) as ex:
        rs = list(
            ex.map(
                lambda c: _extract(server, render_text_png(["CODE", c]), "code", include_ocr="true"), ex_codes
            )
        )
    for c, r in zip(ex_codes, rs, strict=True):
        assert r.status_code == 200, r.text
        body = r.json()
        assert c in squash(" ".join(ln["text"] for ln in body["ocr"]["pages"][0]["lines"]))
        val = squash(body["fields"]["code"]["value"] or "")
        assert not [o for o in ex_codes if o != c and o in val]


def test_limits_and_errors_are_json(server):
    png = render_text_png(["LIMIT"])
    r = httpx.post(server + "/v1/ocr", content=b"x" * 3_000_000, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "over the limit" in r.json()["message"]
    many = ",".join(f"f{i}" for i in range(9))
    r = _extract(server, png, many)
    assert r.status_code == 422 and "limit is 8" in r.json()["message"]
    r = httpx.post(server + "/v1/ocr", files={"file": ("a.png", png, "image/png")}, data={"pages": "2"})
    assert r.status_code == 422 and "page 2" in r.json()["message"]
    r = httpx.post(server + "/v1/ocr", files={"file": ("a.png", png, "image/png")}, data={"engine": "nope"})
    assert r.status_code == 422 and "not loaded" in r.json()["message"]
    r = httpx.post(server + "/v1/ocr", files={"file": ("x.png", b"not an image", "image/png")})
    assert r.status_code == 422 and r.json()["message"].startswith("x.png:")
    # a JPEG whose first segment claims more bytes than the file has (Pillow raises OSError)
    r = httpx.post(
        server + "/v1/ocr", files={"file": ("t.jpg", b"\xff\xd8\xff\xe0\x00\x10abc", "image/jpeg")}
    )
    assert r.status_code == 422 and "t.jpg" in r.json()["message"]
    r = httpx.post(server + "/v1/ocr", content=b"hello", headers={"content-type": "text/plain"})
    assert r.status_code == 415
    # a photo over the pixel limit is downscaled; one over the decode cap (120 Mpx) is refused from its
    # header, before any decoding
    from bench.fuzz_hooks import _png_header_only

    buf = io.BytesIO(_png_header_only(13_000, 10_000))
    r = httpx.post(server + "/v1/ocr", files={"file": ("big.png", buf.getvalue(), "image/png")})
    assert r.status_code == 413 and "pixels" in r.json()["message"]
    assert (
        httpx.post(server + "/v1/extract", json={"document": {"base64": "!!"}, "fields": ["a"]}).status_code
        == 400
    )


def test_bearer_token(pipeline):
    with running_server(create_app(config=ApiConfig(api_key="s3cret"), pipeline=pipeline)) as base:
        png = render_text_png(["AUTH"])
        assert httpx.get(base + "/healthz").status_code == 200
        r = httpx.post(base + "/v1/ocr", files={"file": ("a.png", png, "image/png")})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        r = httpx.post(
            base + "/v1/ocr",
            files={"file": ("a.png", png, "image/png")},
            headers={"Authorization": "Bearer wrong"},
        )
        assert r.status_code == 401
        r = httpx.post(
            base + "/v1/ocr",
            files={"file": ("a.png", png, "image/png")},
            headers={"Authorization": "Bearer s3cret"},
            timeout=120,
        )
        assert r.status_code == 200


# ------------------------------------------------------------------ malformed input never gives 5xx

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4),
    max_leaves=12,
)
_doc_bytes = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=200).map(lambda b: b"%PDF-1.4\n" + b),
    st.binary(max_size=200).map(lambda b: b"\x89PNG\r\n\x1a\n" + b),
    st.binary(max_size=200).map(lambda b: b"\xff\xd8\xff\xe0" + b),
)
_text = st.text(max_size=30)
_json_body = st.fixed_dictionaries(
    {},
    optional={
        "document": st.one_of(
            _json,
            st.fixed_dictionaries(
                {"base64": st.one_of(_text, _doc_bytes.map(lambda b: base64.b64encode(b).decode()))},
                optional={"name": _text, "url": _text},
            ),
        ),
        "fields": st.one_of(_json, st.lists(_text, max_size=12), _text),
        "question": st.one_of(_json, _text),
        "hints": _json,
        "options": st.one_of(
            _json,
            st.fixed_dictionaries(
                {},
                optional={
                    "strict": _json,
                    "engine": _text,
                    "pages": st.one_of(_text, st.lists(st.integers(), max_size=4)),
                },
            ),
        ),
    },
)


@st.composite
def malformed_request(draw):
    path = draw(st.sampled_from(["/v1/ocr", "/v1/extract"]))
    kind = draw(st.sampled_from(["json", "raw", "multipart"]))
    if kind == "json":
        return path, {"json": draw(st.one_of(_json_body, _json))}
    if kind == "raw":
        ctype = draw(
            st.sampled_from(
                [
                    "application/json",
                    "multipart/form-data",
                    "multipart/form-data; boundary=x",
                    "text/plain",
                    "",
                    "application/octet-stream",
                ]
            )
        )
        return path, {"content": draw(st.binary(max_size=300)), "headers": {"content-type": ctype}}
    data = {
        k: draw(_text)
        for k in draw(
            st.lists(
                st.sampled_from(
                    ["fields", "question", "pages", "strict", "engine", "hints", "url", "include_ocr"]
                ),
                max_size=5,
                unique=True,
            )
        )
    }
    files = {"file": ("f", draw(_doc_bytes), "application/octet-stream")} if draw(st.booleans()) else None
    return path, {"data": data, "files": files}


@pytest.mark.slow
def test_malformed_requests_never_5xx(server):
    seen: dict[int, int] = {}

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(malformed_request())
    def run(req):
        path, kw = req
        r = httpx.post(server + path, timeout=120, **kw)
        seen[r.status_code] = seen.get(r.status_code, 0) + 1
        assert r.status_code < 500 or (r.status_code == 503 and r.json()["error"] == "busy"), (
            r.status_code,
            r.text,
        )
        body = r.json()
        if r.status_code >= 400:
            assert body["message"] and isinstance(body["message"], str)

    run()
    assert seen.get(200, 0) + sum(v for k, v in seen.items() if 400 <= k < 500) == sum(seen.values())
    png = render_text_png(["ALIVE"])
    r = httpx.post(server + "/v1/ocr", files={"file": ("a.png", png, "image/png")}, timeout=120)
    assert r.status_code == 200 and "ALIVE" in squash(r.text)


# ------------------------------------------------------------------ URL fetch guard


def test_url_fetch_off_by_default(pipeline):
    with running_server(create_app(config=ApiConfig(allow_url=False), pipeline=pipeline)) as base:
        r = httpx.post(base + "/v1/ocr", json={"document": {"url": "https://example.com/a.png"}})
        assert r.status_code == 400 and "disabled" in r.json()["message"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/a.png",
        "http://localhost/a.png",
        "http://10.1.2.3/x",
        "http://192.168.0.1/x",
        "http://172.16.5.4/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[fe80::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://0.0.0.0/x",
        "file:///etc/passwd",
        "ftp://example.com/a.png",
        "gopher://example.com/",
        "http://user:pw@example.com/a.png",
    ],
)
def test_url_fetch_refuses_private_addresses(server, url):
    r = httpx.post(server + "/v1/ocr", json={"document": {"url": url}})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "refused"


def test_every_resolved_address_is_checked():
    policy = UrlPolicy(resolve=lambda host, port: ["93.184.216.34", "10.0.0.7"])
    with pytest.raises(UrlRefused, match="10.0.0.7"):
        policy.check("http://mixed.example/a.png")
    ok = UrlPolicy(resolve=lambda host, port: ["93.184.216.34"])
    assert ok.check("https://public.example/a.png")[3] == ["93.184.216.34"]


def test_redirects_are_checked_hop_by_hop():
    """A permitted host that redirects to a loopback address is refused at the second hop."""
    import socketserver

    hits = []

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.2:{self.server.server_address[1]}/secret")
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = socketserver.TCPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        import ipaddress

        policy = UrlPolicy(allow=[ipaddress.ip_network("127.0.0.1/32")])
        with pytest.raises(UrlRefused, match="127.0.0.2"):
            asyncio.run(fetch_url_async(f"http://127.0.0.1:{srv.server_address[1]}/doc.png", policy))
        assert hits == ["/doc.png"]  # the redirect target was never requested

        def nxdomain(host, port):  # a patched resolver: tests send no DNS query off this machine
            raise InputError(f"{host}: the host name does not resolve")

        with pytest.raises(InputError):
            asyncio.run(fetch_url_async("http://no-such-host.invalid/a.png", UrlPolicy(resolve=nxdomain)))
    finally:
        srv.shutdown()
        srv.server_close()


def test_stats_json_round_trip(server):
    s = httpx.get(server + "/v1/stats").json()
    assert json.loads(json.dumps(s)) == s and s["capacity"] == WORKERS + QUEUE
