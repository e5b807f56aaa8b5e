"""The schema sent for guided output is derived from `answer_model`: it accepts what the parser
accepts (line-item lists included), has exactly the requested keys, and travels in the request an
OpenAI-compatible server on loopback receives (a scripted fake, so these run in well under a second)."""

from __future__ import annotations

import http.server
import json
import threading
from contextlib import contextmanager

import pytest
from pydantic import ValidationError

from llm_stage import FieldQuery, extract, get_backend
from llm_stage.backends.openai_server import schema_keys
from llm_stage.backends.schema import answer_schema, is_strict
from llm_stage.parsing import answer_model
from llm_stage.types import ITEM_KEYS
from ocr_stage.types import OcrPage, OcrResult, TextLine

KEYS = ["发票号码", "line_items", "total"]

CANDIDATES = [
    {"发票号码": "No. 1", "line_items": [{"name": "pen", "qty": "2"}], "total": None},
    {"发票号码": None, "line_items": [], "total": "9.00"},
    {"发票号码": None, "line_items": [{"name": None}], "total": "9.00"},
    {"发票号码": "x", "line_items": "pen x2", "total": "9.00"},
    {"发票号码": "x", "line_items": None, "total": None},
    {"发票号码": "x", "line_items": ["pen"], "total": None},  # items must be objects
    {"发票号码": "x", "line_items": [{"name": ["pen"]}], "total": None},  # cells are scalars
    {"发票号码": ["x"], "line_items": None, "total": None},  # only line items may be lists
    {"发票号码": "x", "line_items": None},  # missing key
    {"发票号码": "x", "line_items": None, "total": None, "extra": "y"},  # unexpected key
]


def _model_accepts(obj) -> bool:
    try:
        answer_model(tuple(KEYS)).model_validate(obj)
    except ValidationError:
        return False
    return True


def test_schema_has_exactly_the_requested_keys_all_required():
    schema = answer_schema(KEYS)
    assert list(schema["properties"]) == KEYS
    assert schema["required"] == KEYS
    assert schema["additionalProperties"] is False
    # a field named like a schema keyword is a field, not a keyword
    odd = ["title", "type", "$ref"]
    assert list(answer_schema(odd)["properties"]) == odd
    assert "$defs" not in json.dumps(schema) and "title" not in schema


ITEM = dict.fromkeys(ITEM_KEYS) | {"description": "pen", "quantity": "2"}


@pytest.mark.parametrize(
    "obj",
    [
        *CANDIDATES,
        {"发票号码": "x", "line_items": [ITEM, ITEM], "total": None},
        {"发票号码": "x", "line_items": [{**ITEM, "colour": "red"}], "total": None},  # a key too many
        {"发票号码": "x", "line_items": [{"description": "pen"}], "total": None},  # keys missing
    ],
)
def test_schema_asks_for_item_records_the_parser_accepts(obj):
    """The schema sent to a server admits a subset of what the parser reads: every answer it
    admits parses; a line item there has exactly the keys ITEM_KEYS (the parser also reads other
    cell names, which `items.coerce_items` maps)."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = answer_schema(KEYS)
    jsonschema.Draft202012Validator.check_schema(schema)
    valid = jsonschema.Draft202012Validator(schema).is_valid(obj)
    if valid:
        assert _model_accepts(obj)
    items = obj.get("line_items") if isinstance(obj, dict) else None
    well_formed = isinstance(items, list) and all(
        isinstance(r, dict) and list(r) == list(ITEM_KEYS) for r in items
    )
    if _model_accepts(obj) and (items is None or well_formed):
        assert valid, obj


def test_strict_mode_can_express_every_answer_line_items_included():
    assert is_strict(answer_schema(["发票号码", "total"]))
    assert is_strict(answer_schema(KEYS))  # a record has fixed keys, all required, no others


def test_served_model_constrains_line_item_queries_too():
    rf = {"type": "json_schema", "json_schema": {"name": "x", "schema": answer_schema(KEYS)}}
    assert schema_keys(rf) == KEYS


class _FakeOpenAI(http.server.BaseHTTPRequestHandler):
    """Records every chat request; answers with `reply`, or 400 to json_schema when `reject_schema`."""

    requests: list[dict] = []
    reply = "{}"
    reject_schema = False

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        if type(self).reject_schema and "response_format" in body:
            return self._send(400, {"error": {"message": "response_format is not supported"}})
        content = {"role": "assistant", "content": type(self).reply}
        self._send(200, {"choices": [{"index": 0, "message": content}], "usage": {"completion_tokens": 3}})

    def _send(self, status: int, obj: dict):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@contextmanager
def fake_openai(reply: str, reject_schema: bool = False):
    handler = type(
        "Handler", (_FakeOpenAI,), {"requests": [], "reply": reply, "reject_schema": reject_schema}
    )
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/v1", handler.requests
    finally:
        srv.shutdown()
        srv.server_close()


def _ocr(*texts: str) -> OcrResult:
    lines = [
        TextLine(
            text=t,
            box=[(10, 10 + 40 * i), (300, 10 + 40 * i), (300, 40 + 40 * i), (10, 40 + 40 * i)],
            score=0.99,
        )
        for i, t in enumerate(texts)
    ]
    return OcrResult(pages=[OcrPage(page=1, width=400, height=400, lines=lines)], engine="test")


def test_request_carries_the_derived_schema_and_line_items_come_back():
    query = FieldQuery(fields=KEYS)
    ocr = _ocr("发票号码 04451234", "Ballpoint pen", "2")
    reply = json.dumps(
        {"发票号码": "04451234", "line_items": [{"name": "Ballpoint pen", "qty": "2"}], "total": None}
    )
    with fake_openai(reply) as (url, requests):
        ext = extract(ocr, query, get_backend("openai", base_url=url, model="m", timeout=10))
    (body,) = requests
    rf = body["response_format"]
    assert rf["type"] == "json_schema"
    assert rf["json_schema"]["schema"] == answer_schema(query.keys)
    assert rf["json_schema"]["strict"] is True  # a line item has fixed keys: strict mode holds it
    assert ext.error is None
    # a server that names the cells its own way (name, qty) still gives records with the item keys
    item = dict.fromkeys(ITEM_KEYS) | {"description": "Ballpoint pen", "quantity": "2"}
    assert ext.values() == {"发票号码": "04451234", "line_items": [item], "total": None}
    assert ext.fields["发票号码"].grounded and ext.fields["line_items"].grounded
    assert ext.fields["line_items"].items[0].cells["quantity"].grounded


def test_flat_query_is_sent_strict():
    with fake_openai('{"total": "9.00"}') as (url, requests):
        get_backend("openai", base_url=url, model="m").generate(
            [{"role": "user", "content": "hi"}], ["total"]
        )
    assert requests[0]["response_format"]["json_schema"]["strict"] is True


def test_server_that_rejects_json_schema_gets_plain_requests():
    with fake_openai('{"total": "9.00"}', reject_schema=True) as (url, requests):
        b = get_backend("openai", base_url=url, model="m")
        first = b.generate([{"role": "user", "content": "hi"}], keys=["total"])
        second = b.generate([{"role": "user", "content": "hi"}], keys=["total"])
    assert first.text == second.text == '{"total": "9.00"}'
    assert not first.constrained
    # asked once with the schema, again without it, and never with it after that
    assert ["response_format" in r for r in requests] == [True, False, False]
