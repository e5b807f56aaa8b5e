"""Line items where users meet answers: the CLI's table, CSV and JSON and its --items flag, the batch
outputs (JSON lines, Parquet's list-of-struct column, CSV rows per item), the API (options.items,
item records with boxes through a real server, the OpenAPI schema) and the demo's items table."""

from __future__ import annotations

import csv
import io
import json

import pytest
from api_helpers import render_text_png
from click.testing import CliRunner
from fakes import ScriptedBackend, ScriptedEngine

from llm_stage import register_backend
from llm_stage.types import ITEM_KEYS
from ocr_stage.engines import register_engine

RECEIPT = [
    "KEDAI RUNCIT MAJU",
    "MILO 1KG  2 x 16.50  33.00",
    "ROTI <b>GARDENIA</b>  1 x 3.20  3.50",
    "TOTAL  36.50",
]
ROWS = [
    {"description": "MILO 1KG", "quantity": "2", "unit_price": "16.50", "amount": "33.00"},
    {"description": "ROTI <b>GARDENIA</b>", "quantity": "1", "unit_price": "3.20", "amount": "3.50"},
]


def _answer(keys, _messages):
    """Answers every line-items key with ROWS, `total` with the printed total."""
    from llm_stage.items import is_items_field

    return {k: (ROWS if is_items_field(k) else "36.50" if k == "total" else None) for k in keys}


@pytest.fixture
def fakes():
    backend = ScriptedBackend([_answer])
    register_backend("items-scripted", lambda **_: backend)
    register_engine("items-ocr", lambda **_: ScriptedEngine(lambda i: RECEIPT))
    return backend


@pytest.fixture
def png(tmp_path):
    path = tmp_path / "receipt.png"
    path.write_bytes(render_text_png(["RECEIPT"]))
    return path


def _extract(*args):
    from chatocr.cli import main

    r = CliRunner().invoke(main, ["extract", *map(str, args), "-b", "items-scripted", "-e", "items-ocr"])
    assert r.exit_code == 0, r.output
    return r.stdout


# ---------------------------------------------------------------------------------------- CLI


def test_items_flag_adds_the_line_items_field_once(fakes, png):
    fields = json.loads(_extract(png, "-f", "total", "--items"))["fields"]
    assert list(fields) == ["total", "line items"]
    items = fields["line items"]["items"]
    assert [r["cells"]["description"]["value"] for r in items] == [r["description"] for r in ROWS]
    assert all(len(r["box"]) == 4 and r["page"] == 1 for r in items)
    # a field that already asks for line items is not asked twice
    assert list(json.loads(_extract(png, "-f", "商品明细", "--items"))["fields"]) == ["商品明细"]


def test_table_shows_an_items_table_without_empty_columns(fakes, png):
    out = _extract(png, "-f", "total,line items", "--format", "table")
    assert "2 rows (below)" in out
    table = out[out.index("line items: 2 rows") :].splitlines()
    header = table[1].split()
    assert header == ["#", "description", "quantity", "unit_price", "amount", "check"]  # unit, tax: null
    assert table[3].split()[0] == "1" and table[3].rstrip().endswith("✓")
    # 1 x 3.20 is not 3.50: the row is marked and says why
    assert "⚠ quantity_times_unit_price_is_not_amount" in table[4]


def test_csv_is_one_row_per_item_with_the_other_fields_repeated(fakes, png):
    rows = list(csv.DictReader(io.StringIO(_extract(png, "-f", "total", "--items", "--format", "csv"))))
    assert [r["item.row"] for r in rows] == ["1", "2"]
    assert {r["total"] for r in rows} == {"36.50"} and {r["item.field"] for r in rows} == {"line items"}
    assert [r["item.amount"] for r in rows] == ["33.00", "3.50"] and rows[0]["item.unit"] == ""
    assert (
        rows[0]["item.review"] == "" and rows[1]["item.review"] == "quantity_times_unit_price_is_not_amount"
    )
    assert "line items" not in rows[0]  # the items field's value is spread over the item columns


# -------------------------------------------------------------------------------------- batch


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    for name in ("a.png", "b.png"):
        (d / name).write_bytes(render_text_png(["RECEIPT"]))
    (d / "c_broken.png").write_bytes(b"not an image")
    return d


def _batch(folder, out):
    from chatocr.batch import BatchJob, run_batch
    from chatocr.pipeline import Pipeline
    from llm_stage import FieldQuery

    pipe = Pipeline(ScriptedEngine(lambda i: RECEIPT), ScriptedBackend([_answer]))
    job = BatchJob(FieldQuery(fields=["total", "line items"]))
    return run_batch(pipe, folder, job, out, progress=False)


def test_batch_jsonl_nests_the_item_records(folder, tmp_path):
    from chatocr.batch import read_records

    out = tmp_path / "r.jsonl"
    _batch(folder, out)
    recs = {r["document"]: r for r in read_records(out)}
    items = recs["a.png"]["extraction"]["fields"]["line items"]["items"]
    assert [r["cells"]["amount"]["value"] for r in items] == ["33.00", "3.50"]
    assert recs["a.png"]["values"]["line items"][0] == {**dict.fromkeys(ITEM_KEYS), **ROWS[0]}
    assert not recs["c_broken.png"]["ok"]


def test_batch_parquet_has_a_list_of_struct_items_column(folder, tmp_path):
    pd = pytest.importorskip("pandas")
    import pyarrow.parquet as pq

    from chatocr.batch import read_records

    out = tmp_path / "r.parquet"
    _batch(folder, out)
    table = pq.read_table(out)
    item_type = table.schema.field("items").type.value_type
    assert [item_type.field(i).name for i in range(item_type.num_fields)] == [
        "field", "row", *ITEM_KEYS, "page", "box", "needs_review", "review_reasons"
    ]  # fmt: skip
    df = table.to_pandas()
    flat = df[["document", "items"]].explode("items").dropna(subset=["items"])
    rows = pd.json_normalize(flat["items"].tolist()).assign(document=flat["document"].tolist())
    a = rows[rows.document == "a.png"]
    assert a["row"].tolist() == [1, 2] and a["description"].tolist() == [r["description"] for r in ROWS]
    assert a["unit"].isna().all() and a["needs_review"].tolist() == [False, True]
    assert len(a["box"].iloc[0]) == 4 and list(a["review_reasons"].iloc[1]) == [
        "quantity_times_unit_price_is_not_amount"
    ]
    broken = df[df.document == "c_broken.png"]["items"].iloc[0]
    assert broken is None
    # the record schema reads back as before (the items column is derived from `extraction`)
    assert {r["document"] for r in read_records(out)} == {"a.png", "b.png", "c_broken.png"}


def test_batch_csv_is_one_row_per_item_and_resumes(folder, tmp_path):
    out = tmp_path / "r.csv"
    _batch(folder, out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["document"], r["item.row"]) for r in rows] == [
        ("a.png", "1"), ("a.png", "2"), ("b.png", "1"), ("b.png", "2"), ("c_broken.png", "")
    ]  # fmt: skip
    assert rows[0]["total"] == "36.50" and rows[1]["item.unit_price"] == "3.20"
    assert "line items" not in rows[0] and rows[4]["ok"] == "false"
    summary = _batch(folder, out)  # every document is done: nothing is written twice
    assert len(list(csv.DictReader(out.open(encoding="utf-8")))) == 5, summary


# ---------------------------------------------------------------------------------------- API


@pytest.fixture(scope="module")
def api():
    from api_helpers import running_server

    from chatocr.api import ApiConfig, create_app
    from chatocr.pipeline import Pipeline

    backend = ScriptedBackend([_answer])
    pipe = Pipeline(ScriptedEngine(lambda i: RECEIPT), backend)
    with running_server(create_app(config=ApiConfig(timeout_s=30, api_key=None), pipeline=pipe)) as base:
        yield base, backend


def test_api_returns_item_records_with_boxes(api):
    import base64

    import httpx

    base, backend = api
    body = {
        "document": {"base64": base64.b64encode(render_text_png(["RECEIPT"])).decode()},
        "fields": ["total"],
        "options": {"items": True},
    }
    r = httpx.post(base + "/v1/extract", json=body, timeout=30)
    assert r.status_code == 200, r.text
    fields = r.json()["fields"]
    assert list(fields) == ["total", "line items"] and "line items" in backend.calls[-1]["keys"]
    records = fields["line items"]["items"]
    assert [rec["cells"]["unit_price"]["value"] for rec in records] == ["16.50", "3.20"]
    for i, rec in enumerate(records):
        # the row's box is the receipt line the row was read from (ScriptedEngine: 30 px a line)
        assert rec["page"] == 1 and rec["box"][0][1] == 10 + 30 * (i + 1), rec["box"]
        assert rec["cells"]["amount"]["box"] == rec["box"]
    assert records[1]["needs_review"] and records[1]["review_reasons"] == [
        "quantity_times_unit_price_is_not_amount"
    ]
    # the form field does the same; a field that asks for line items already is not doubled
    files = {"file": ("r.png", render_text_png(["RECEIPT"]), "image/png")}
    r = httpx.post(
        base + "/v1/extract", files=files, data={"fields": "商品明细", "items": "true"}, timeout=30
    )
    assert r.status_code == 200, r.text
    assert list(r.json()["fields"]) == ["商品明细"] and len(r.json()["fields"]["商品明细"]["items"]) == 2


def test_openapi_shows_the_item_records(api):
    import httpx

    base, _ = api
    spec = httpx.get(base + "/openapi.json", timeout=30).json()
    schemas = spec["components"]["schemas"]
    assert "items" in schemas["ExtractOptions"]["properties"]
    items = schemas["FieldValue"]["properties"]["items"]
    assert {"$ref": "#/components/schemas/ItemRecord"} in [b.get("items") for b in items["anyOf"]]
    record = schemas["ItemRecord"]["properties"]
    assert {"cells", "page", "box", "needs_review", "review_reasons"} <= set(record)
