"""The hand-written line-item labels of the dev receipts (bench/data/dev_receipt_items.jsonl) keep the
line-items contract, so a check of item extraction can compare against them field by field: one line
per dev receipt, every record with exactly ITEM_KEYS in order, every cell a printed string or null, and
the images those of the dev slice's labels.jsonl (that part needs the shared data beside the repo)."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from llm_stage.types import ITEM_KEYS

REPO = Path(__file__).resolve().parent.parent
ITEMS = REPO / "bench" / "data" / "dev_receipt_items.jsonl"
DEV_RECEIPTS = 21  # receipts in the dev slice shared/data/dev/sroie_receipts


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    if not ITEMS.is_file():
        pytest.skip(f"{ITEMS.relative_to(REPO)} is not in this checkout")
    lines = ITEMS.read_text(encoding="utf-8").splitlines()
    assert all(line.strip() for line in lines), "blank line in the labels file"
    return [json.loads(line) for line in lines]


def test_one_line_per_dev_receipt(rows):
    assert len(rows) == DEV_RECEIPTS
    for row in rows:
        assert list(row) == ["image", "items"], row
        assert re.fullmatch(r"img/\d{3}\.jpg", row["image"]), row["image"]
        assert isinstance(row["items"], list), row["image"]
    images = [row["image"] for row in rows]
    assert len(set(images)) == len(images), "an image is labelled twice"


def test_every_record_keeps_the_item_contract(rows):
    for row in rows:
        for n, record in enumerate(row["items"]):
            where = f"{row['image']} item {n}"
            assert isinstance(record, dict), where
            assert tuple(record) == ITEM_KEYS, where
            for key, value in record.items():
                assert value is None or isinstance(value, str), f"{where} {key}: {value!r}"
                if isinstance(value, str):
                    # copied as printed: no empty cells, and a multi-line cell joined with one space
                    assert value and value == value.strip(), f"{where} {key}: {value!r}"
                    assert "  " not in value and "\n" not in value, f"{where} {key}: {value!r}"
            assert record["description"], f"{where}: a row without a description"


def _number(text: str | None) -> Decimal | None:
    """The value of a printed amount in these receipts' format (a glued "RM" dropped), or None."""
    if text is None:
        return None
    try:
        return Decimal(text.removeprefix("RM").replace(",", ""))
    except InvalidOperation:
        return None


def test_quantity_times_unit_price_is_the_amount(rows):
    """A typo in a hand-copied number shows here: every row that prints all three agrees."""
    checked = 0
    for row in rows:
        for record in row["items"]:
            q, p, a = (_number(record[k]) for k in ("quantity", "unit_price", "amount"))
            if None not in (q, p, a):
                checked += 1
                assert q * p == a, f"{row['image']} {record['description']}: {q} x {p} != {a}"
    assert checked, "no row prints quantity, unit price and amount"


def test_images_are_those_of_the_dev_slice(rows, dev_dir):
    folder = dev_dir / "sroie_receipts"
    if not (folder / "labels.jsonl").is_file():
        pytest.skip(f"the dev receipts are not at {folder} (shared/data is not beside the repo)")
    labelled = [
        json.loads(line)["image"]
        for line in (folder / "labels.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert [row["image"] for row in rows] == labelled
    for row in rows:
        assert (folder / row["image"]).is_file(), row["image"]
