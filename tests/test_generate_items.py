"""Line-items labels of the synthetic documents: every family that prints item rows labels them as
objects with exactly ITEM_KEYS, each cell copied from what the page prints (multi-line descriptions
joined by one space, "2 x 3.50" split into quantity and unit price, discount rows as records of their
own, voided rows left out); a share of the samples asks for them by names a user types, [] where
the document prints no rows; an items sample fits the training budget; and the scalar values a seed
gives are those it gave before the items were labelled. No OCR: the page's text is what it drew."""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path

import pytest

from generate_data import build
from generate_data.doctypes import REGISTRY, Fakers
from generate_data.doctypes.items import wrap2
from generate_data.fields import CONCEPTS
from generate_data.queries import (
    ITEM_NAMES,
    SAMPLE_TOKEN_BUDGET,
    approx_tokens,
    fits_budget,
    make_queries,
)
from llm_stage.field_roles import field_spec
from llm_stage.types import ITEM_KEYS, FieldQuery

TYPES = sorted(REGISTRY)
ROW_TYPES = sorted(t for t in TYPES if any(CONCEPTS[f.concept].items for f in REGISTRY[t].spec.fields))
RECEIPTS = ["cn_supermarket_receipt", "my_receipt", "us_receipt"]
ROOT = Path(__file__).resolve().parents[1]


def items_key(dtype: str) -> str:
    (key,) = [f.key for f in REGISTRY[dtype].spec.fields if CONCEPTS[f.concept].items]
    return key


def generate(dtype: str, i: int):
    rng = random.Random(f"items:{dtype}:{i}")
    return REGISTRY[dtype].generate(rng, Fakers(rng)), rng


def page_text(monkeypatch, dtype: str, doc, rng) -> str:
    """The strings the layout draws, top to bottom (left to right within a row), one per line."""
    from generate_data import render

    calls: list[tuple[float, str]] = []
    orig = render.Canvas.text

    def text(self, xy, s, *a, **k):
        calls.append((xy[1], s))
        return orig(self, xy, s, *a, **k)

    monkeypatch.setattr(render.Canvas, "text", text)
    REGISTRY[dtype].render(doc, rng)
    monkeypatch.setattr(render.Canvas, "text", orig)
    return "\n".join(s for _, s in sorted(calls, key=lambda c: c[0]))


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def test_every_family_with_rows_is_covered():
    assert set(ROW_TYPES) >= {*RECEIPTS, "vat_special_invoice", "vat_normal_invoice", "commercial_invoice"}


@pytest.mark.parametrize("dtype", ROW_TYPES)
def test_item_cells_are_printed_verbatim_in_page_order(dtype, monkeypatch):
    for i in range(6):
        doc, rng = generate(dtype, i)
        rows = doc.fields[items_key(dtype)]
        assert rows, "a family with rows prints at least one"
        text = norm(page_text(monkeypatch, dtype, doc, rng))
        at = 0
        for row in rows:
            assert tuple(row) == ITEM_KEYS
            assert row["description"] and row["amount"], row
            assert all(v is None or isinstance(v, str) for v in row.values())
            at = text.find(norm(row["description"]), at)
            assert at >= 0, (dtype, i, row["description"])  # printed, in the order of the rows
            for k, v in row.items():
                if v is not None:
                    assert norm(v) in text, (dtype, i, k, v)


def _receipts(dtype: str, n: int):
    return [generate(dtype, i)[0] for i in range(n)]


@pytest.mark.parametrize("dtype", RECEIPTS)
def test_receipt_variants_are_labelled(dtype):
    multi = discount = void = 0
    for doc in _receipts(dtype, 60):
        labels, rows = doc.fields[items_key(dtype)], doc.data["rows"]
        printed = [r for r in rows if r["kind"] != "void"]
        assert len(labels) == len(printed)  # voided rows are no items
        void += len(rows) - len(printed)
        for lab, r in zip(labels, printed, strict=True):
            assert lab["description"] == " ".join(r["lines"])
            multi += len(r["lines"]) > 1
            if r["kind"] == "discount":
                discount += 1
                assert lab["amount"] == r["amount"] and lab["amount"].startswith("-")
                assert lab["quantity"] is lab["unit_price"] is None
            else:
                assert lab["amount"] == r["amount"] and not lab["amount"].startswith("-")
    assert multi and discount and void, (multi, discount, void)


def test_wrap2_joins_back_with_one_space():
    assert wrap2("NESCAFE ORIGINAL 3IN1 PROMO PACK", 22) == ["NESCAFE ORIGINAL 3IN1", "PROMO PACK"]
    assert wrap2("旺旺雪饼经典原味组合装", 6) == ["旺旺雪饼经典", "原味组合装"]
    assert wrap2("BANANAS", 22) == ["BANANAS"]


def test_quantity_times_price_and_tax_letters(monkeypatch):
    """ "2 x 3.50" / "2 @ 3.50" print quantity and unit price in one string; "3.50 SR" / "3.50 T"
    an amount with a tax-class letter: the labels split them."""
    seen = set()
    for dtype in ("my_receipt", "us_receipt"):
        for i in range(40):
            doc, rng = generate(dtype, i)
            style = doc.data.get("item_style", 3)
            if style != 3:
                continue
            text = page_text(monkeypatch, dtype, doc, rng)
            for lab in doc.fields["items"]:
                if lab["quantity"] and lab["quantity"] != "1":
                    printed = f"{lab['quantity']} {doc.data['times']} {lab['unit_price']}"
                    assert printed in text, (dtype, i, printed)
                    seen.add((dtype, doc.data["times"]))
                    amount_line = re.search(re.escape(lab["amount"]) + r"(?: ([A-Z*]+))?\s*$", text, re.M)
                    assert amount_line, (dtype, i, lab)
                    if amount_line.group(1):
                        seen.add("letter")
    assert {("my_receipt", "x"), ("us_receipt", "@"), "letter"} <= seen, seen


def test_vat_goods_rows(monkeypatch):
    bare = 0
    for dtype in ("vat_special_invoice", "vat_normal_invoice"):
        for i in range(25):
            doc, _ = generate(dtype, i)
            for row in doc.fields["货物明细"]:
                assert row["description"].startswith("*") and row["tax_rate"].endswith("%")
                assert row["tax"] and row["amount"]
                if row["quantity"] is None:  # a service row printing no unit, quantity, unit price
                    assert row["unit"] is row["unit_price"] is None
                    bare += 1
                else:
                    assert row["unit"] and row["unit_price"]
    assert bare


def _pairs(dtype: str, i: int, text: str | None = None):
    doc, rng = generate(dtype, i)
    return doc, make_queries(REGISTRY[dtype], doc, rng, 4, text)


def test_a_share_of_samples_asks_items_by_names_users_type():
    asked = {True: 0, False: 0}
    docs = {True: 0, False: 0}
    names = set()
    for dtype in TYPES:
        has_rows = dtype in ROW_TYPES
        for i in range(30):
            doc, pairs = _pairs(dtype, i)
            docs[has_rows] += 1
            hit = False
            for q, answer in pairs:
                for k, v in answer.items():
                    if q.question is None and field_spec(k).role == "items":
                        hit = True
                        names.add(k)
                        assert v == (doc.fields[items_key(dtype)] if has_rows else [])
            asked[has_rows] += hit
    share = asked[True] / docs[True]
    assert 0.15 <= share <= 0.4, share
    assert 0 < asked[False] / docs[False] < 0.15
    assert {"Positionen", "articles", "artículos", "商品明细", "货物或应税劳务名称", "明细"} & names
    assert len(names) >= 8, names


def test_the_items_share_is_set_by_the_environment(monkeypatch):
    """`--items-share` (CHATOCR_ITEMS_SHARE) raises the share asked for items, and no other
    document changes its values."""
    from generate_data.queries import ITEMS_SHARE_ENV

    def asked(share: str | None) -> tuple[int, list]:
        if share is None:
            monkeypatch.delenv(ITEMS_SHARE_ENV, raising=False)
        else:
            monkeypatch.setenv(ITEMS_SHARE_ENV, share)
        hits, values = 0, []
        for i in range(20):
            doc, pairs = _pairs("my_receipt", i)
            values.append(doc.fields)
            hits += any(field_spec(k).role == "items" for q, _ in pairs for k in q.keys)
        return hits, values

    base, values = asked(None)
    high, values_high = asked("1")
    none, _ = asked("0")
    assert none == 0 and base < high and high >= 18 and values == values_high


def test_item_names_are_items_and_counts_are_not():
    for name in [n for ns in ITEM_NAMES.values() for n in ns] + list(
        CONCEPTS["items"].zh + CONCEPTS["items"].en
    ):
        assert field_spec(name).role == "items", name
    for name in ["item count", "number of items", "no. of items", "items total", "total items", "tax",
                 "商品件数", "件数", "Anzahl Artikel", "Artikelnummer", "total", "quantity"]:  # fmt: skip
        assert field_spec(name).role != "items", name


def _max_length() -> int:
    """The smallest max_length of the training recipes."""
    found = [
        int(m.group(1))
        for p in (ROOT / "chatocr/training/xtuner_config").rglob("*.py")
        for m in re.finditer(r"^max_length = (\d+)", p.read_text(encoding="utf-8"), re.M)
    ]
    assert found
    return min(found)


def test_items_samples_fit_the_training_budget(monkeypatch):
    assert SAMPLE_TOKEN_BUDGET <= _max_length()
    query = FieldQuery(fields=["line items", "total"])
    big = {"line items": [dict.fromkeys(ITEM_KEYS, "1.00")] * 5, "total": "5.00"}
    assert fits_budget("TOTAL 5.00", query, big)
    assert not fits_budget("TOTAL 5.00\n" * 900, query, big)
    tok_dir = ROOT / "models/smollm2-135m-instruct"
    tok = None
    if (tok_dir / "tokenizer.json").is_file():
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(tok_dir))
    from llm_stage.prompt import xtuner_sample

    checked = 0
    for dtype in ("vat_special_invoice", "cn_supermarket_receipt", "my_receipt"):
        for i in range(8):
            doc, rng = generate(dtype, i)
            text = page_text(monkeypatch, dtype, doc, rng)
            for q, answer in make_queries(REGISTRY[dtype], doc, rng, 4, text):
                if not any(field_spec(k).role == "items" for k in q.keys):
                    continue
                (conv,) = xtuner_sample(text, q, answer)["conversation"]
                s = conv["system"] + conv["input"] + conv["output"]
                assert approx_tokens(s) <= SAMPLE_TOKEN_BUDGET
                if tok is not None:
                    assert len(tok(s)["input_ids"]) <= SAMPLE_TOKEN_BUDGET
                checked += 1
            # a document too long for the budget is not asked its items
            long_text = text + "\n" + "\n".join(["0123456789 ABCDEFGHIJ"] * 400)
            for q, _ in make_queries(REGISTRY[dtype], *generate(dtype, i), 4, long_text):
                assert not any(field_spec(k).role == "items" for k in q.keys)
    assert checked


# sha256 of the scalar values (line items left out) of documents 0..55 of seed 3 over all types, as
# the generator gave them before it labelled line items: labelling rows must not move any value.
SCALARS_BEFORE_ITEMS = "ee2ae84b062f37bbb91ab875ffc31be4a31fb6ebf12041210fb2af220d3b4f8d"
# the types the digest was taken over (a type added later would move documents between types)
TYPES_BEFORE_ITEMS = [
    "award_certificate",
    "bank_receipt",
    "business_license",
    "cn_supermarket_receipt",
    "commercial_invoice",
    "express_waybill",
    "id_card",
    "medical_receipt",
    "my_receipt",
    "taxi_invoice",
    "train_ticket",
    "us_receipt",
    "vat_normal_invoice",
    "vat_special_invoice",
]


def test_scalar_values_unchanged_by_the_items_labels():
    out = []
    for i in range(len(TYPES_BEFORE_ITEMS) * 4):
        dt = REGISTRY[build.doc_type_for(i, 3, TYPES_BEFORE_ITEMS)]
        rng = random.Random(f"doc:3:{i}")
        doc = dt.generate(rng, Fakers(rng))
        out.append({k: v for k, v in doc.fields.items() if not isinstance(v, list)})
    digest = hashlib.sha256(json.dumps(out, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    assert digest == SCALARS_BEFORE_ITEMS
