"""The HTTP API's interface, with a scripted backend and OCR engine (no model
loads): repeated `fields` form values, the `copy` option, 1-based source pages, typed answers in
the OpenAPI schema, offline /docs and /redoc, the error table, and the README's curl examples run
as written."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from api_helpers import render_text_png, running_server
from fakes import ScriptedBackend, ScriptedEngine
from PIL import Image

from chatocr.api import ApiConfig, create_app
from chatocr.errors import kind_of
from chatocr.pipeline import Pipeline

REPO = Path(__file__).resolve().parent.parent
PNG = render_text_png(["TOTAL 9.00"])


@pytest.fixture(scope="module")
def backend():
    return ScriptedBackend([lambda keys, messages: {k: "9.00" for k in keys}])


@pytest.fixture(scope="module")
def server(backend):
    cfg = ApiConfig(workers=2, max_queue=4, timeout_s=30, api_key=None)
    with running_server(create_app(config=cfg, pipeline=Pipeline(ScriptedEngine(), backend))) as base:
        yield base


def _fields(r: httpx.Response) -> list[str]:
    assert r.status_code == 200, r.text
    return list(r.json()["fields"])


def test_repeated_form_fields_all_count(server):
    files = {"file": ("doc.png", PNG, "image/png")}
    # `curl -F fields=company -F fields=total` once answered `total` alone
    r = httpx.post(server + "/v1/extract", files=files, data={"fields": ["company", "total"]})
    assert _fields(r) == ["company", "total"]
    r = httpx.post(server + "/v1/extract", files=files, data={"fields": ["company,date", '["total"]']})
    assert _fields(r) == ["company", "date", "total"]
    r = httpx.post(server + "/v1/extract", files=files, data={"fields": "company, total"})
    assert _fields(r) == ["company", "total"]
    r = httpx.post(server + "/v1/extract", files=files, data={"fields": ["total", "TOTAL"]})
    assert r.status_code == 422 and r.json()["error"] == "bad_query"


def test_copy_option_reaches_the_backend(server, backend):
    files = {"file": ("doc.png", PNG, "image/png")}
    assert _fields(httpx.post(server + "/v1/extract", files=files, data={"fields": "total"}))
    assert backend.calls[-1]["copy_from"] is not None  # default for fields: copy on
    assert _fields(httpx.post(server + "/v1/extract", files=files, data={"fields": "total", "copy": "false"}))
    assert backend.calls[-1]["copy_from"] is None
    body = {"document": {"base64": __import__("base64").b64encode(PNG).decode()}, "fields": ["total"]}
    r = httpx.post(server + "/v1/extract", json={**body, "options": {"copy": False}})
    assert _fields(r) == ["total"] and backend.calls[-1]["copy_from"] is None
    r = httpx.post(server + "/v1/extract", json={**body, "options": {"copy": "maybe"}})
    assert r.status_code == 422


def test_page_is_the_source_page(server):
    pdf = io.BytesIO()
    pages = [Image.open(io.BytesIO(render_text_png([t]))) for t in ("ONE", "TWO", "THREE")]
    pages[0].save(pdf, "PDF", save_all=True, append_images=pages[1:])
    files = {"file": ("three.pdf", pdf.getvalue(), "application/pdf")}
    r = httpx.post(
        server + "/v1/extract", files=files, data={"fields": "total", "pages": "3", "include_ocr": "1"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["fields"]["total"]["page"] == 3  # the source page, 1-based
    assert [p["page"] for p in r.json()["ocr"]["pages"]] == [3]
    r = httpx.post(server + "/v1/ocr", files=files, data={"pages": "2-3"})
    assert [p["page"] for p in r.json()["pages"]] == [2, 3]


def test_openapi_documents_the_answers(server):
    spec = httpx.get(server + "/openapi.json").json()
    schemas = spec["components"]["schemas"]
    ok = spec["paths"]["/v1/extract"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["anyOf"] == [  # typed; the second with options.per_page
        {"$ref": "#/components/schemas/ExtractResponse"},
        {"$ref": "#/components/schemas/PagesResponse"},
    ]
    props = schemas["ExtractResponse"]["properties"]
    assert {"fields", "raw_output", "backend", "model", "error", "timings", "ocr"} <= set(props)
    assert "page" in schemas["FieldValue"]["properties"]
    ocr_ok = spec["paths"]["/v1/ocr"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ocr_ok == {"$ref": "#/components/schemas/OcrResponse"}
    err = spec["paths"]["/v1/extract"]["post"]["responses"]["422"]["content"]["application/json"]["schema"]
    assert err == {"$ref": "#/components/schemas/ErrorResponse"} and "ErrorResponse" in schemas
    assert "copy" in schemas["Options"]["properties"]


def test_docs_and_redoc_work_offline(server):
    for page, assets in (
        ("/docs", ("swagger-ui-bundle.js", "swagger-ui.css")),
        ("/redoc", ("redoc.standalone.js",)),
    ):
        html = httpx.get(server + page).text
        assert "cdn." not in html and "fonts.googleapis" not in html, html
        for asset in assets:
            src = re.search(rf'"(/[^"]*{re.escape(asset)})"', html)
            assert src, (page, asset, html)
            r = httpx.get(server + src[1])
            assert r.status_code == 200 and len(r.content) > 10_000


def test_every_request_error_has_a_kind():
    """Each error a request can cause has a kind in `chatocr.errors` (its status and code are that
    table's, not repeated here): a client's mistake is a 4xx, a failing backend a 5xx, each with its
    own code; anything else is not a user error (a 500 with a traceback)."""
    from chatocr.api.fetch import FetchTimeout, UrlRefused
    from chatocr.settings import PageRangeError, TooManyPages
    from llm_stage import BackendError, QueryError
    from ocr_stage import InputError, InputTooLarge

    client = [InputError("x"), InputTooLarge("x"), UrlRefused("x"), PageRangeError("x"), TooManyPages("x")]
    client.append(QueryError("x"))
    kinds = {type(e): kind_of(e) for e in [*client, FetchTimeout("x"), BackendError("x")]}
    assert all(k is not None and k.code for k in kinds.values()), kinds
    assert all(400 <= kinds[type(e)].status < 500 for e in client)
    assert kinds[BackendError].status >= 500 and kinds[BackendError].scope == "service"
    assert len({k.code for k in kinds.values()}) == len(kinds)  # a client can tell them apart
    assert kind_of(KeyError("x")) is None


def test_backend_failure_is_a_502_from_the_table():
    from llm_stage import BackendError

    pipe = Pipeline(ScriptedEngine(), ScriptedBackend([BackendError("server at http://x:1 is down")]))
    with running_server(create_app(config=ApiConfig(timeout_s=30, api_key=None), pipeline=pipe)) as base:
        r = httpx.post(
            base + "/v1/extract", files={"file": ("d.png", PNG, "image/png")}, data={"fields": "a"}
        )
    assert r.status_code == 502 and r.json() == {
        "error": "llm_backend",
        "message": "the LLM backend failed: server at http://x:1 is down",
    }


def _readme_api_block() -> str:
    """The API examples of docs/api.md (the README links there), every bash block that posts."""
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return "".join(b for b in blocks if "localhost:8000/v1/extract" in b)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_api_examples_run_as_written(server, tmp_path):
    """Every line of the documented API examples, run by bash in a folder holding the repo's samples/,
    against this server (only the address is changed). The JSON example posts a file body: the
    inline `-d "$(base64 …)"` form failed with 'Argument list too long' on a normal receipt."""
    block = _readme_api_block()
    assert "$(base64" not in block and "--data-binary @" in block
    (tmp_path / "samples").symlink_to(REPO / "samples")
    script = "set -euo pipefail\n" + block.replace("localhost:8000", server.removeprefix("http://"))
    script = script.replace("curl ", "curl -sS --fail-with-body -o /dev/stdout -w '\\n' ")
    r = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr + r.stdout
    answers = [__import__("json").loads(x) for x in r.stdout.splitlines() if x.strip()]
    assert [list(a["fields"]) for a in answers] == [
        ["发票号码", "开票日期", "价税合计"],
        ["发票号码", "价税合计"],
        ["answer"],
        ["价税合计", "line items"],  # items=true adds the line-items field
    ]


def test_per_page_gives_one_answer_per_page(server):
    buf = io.BytesIO()
    pages = [Image.open(io.BytesIO(render_text_png([f"R{i}", "TOTAL 9.00"]))) for i in (1, 2)]
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:])
    files = {"file": ("stack.pdf", buf.getvalue(), "application/pdf")}
    r = httpx.post(server + "/v1/extract", files=files, data={"fields": "total", "per_page": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [p["page"] for p in body["pages"]] == [1, 2]
    assert [p["fields"]["total"]["page"] for p in body["pages"]] == [1, 2]
    assert body["timings"]["total_s"] > 0
    r = httpx.post(server + "/v1/extract", files=files, data={"fields": "total"})
    assert r.status_code == 200 and r.json()["fields"]["total"]["page"] == 1  # one answer by default
