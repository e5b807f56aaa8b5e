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
    assert rows[0]["item.review"] == "" and rows[1]["item.review"] == "quantity_times_unit_price_is_not_amount"
    assert "line items" not in rows[0]  # the items field's value is spread over the item columns


def test_csv_item_columns_are_the_item_keys():
    from chatocr.commands.extract import ITEM_COLUMNS

    assert ITEM_COLUMNS[2:-1] == [f"item.{k}" for k in ITEM_KEYS]
