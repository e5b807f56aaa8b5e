"""Shop receipts from Germany, France, the Netherlands, Spain, Italy, the UK and Japan: every labelled
value is printed verbatim (read from the rows the page records, no OCR), the total is neither the
cash given nor the change and adds up with the items and the tax summary, amounts and dates take the
locale's form, a name printed only as a logo leaves the company null or the footer's legal name,
item rows are labelled per `doctypes.items`, a seed gives the same document, and queries ask fields
by the names a user of that language types. One slow test reads a page of each type with the OCR."""

from __future__ import annotations

import random
import re
from decimal import Decimal

import pytest

from generate_data import build
from generate_data.doctypes import REGISTRY, Fakers
from generate_data.doctypes.data.world_receipt_words import LOCALES
from generate_data.doctypes.world_receipts import TYPES
from generate_data.fields import CONCEPTS, LOCAL_NAMES, local_names
from generate_data.queries import make_queries
from llm_stage.field_roles import field_spec
from llm_stage.types import ITEM_KEYS, name_identity

WORLD = sorted(TYPES)
SEEDS = range(12)


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def rendered(dtype: str, i: int, tag: str = "w"):
    """A document without a printed injection, its page, and the rows the page printed."""
    rng = random.Random(f"{tag}:{dtype}:{i}")
    dt = REGISTRY[dtype]
    doc = build.generate_doc(dt, rng, Fakers(rng), injection_share=0)
    img = build.render_page(dt, doc, rng)
    return doc, img, doc.data["printed"]


@pytest.fixture(scope="module")
def docs() -> dict[str, list]:
    """12 documents of each type rendered once: (doc, printed rows)."""
    return {t: [rendered(t, i)[::2] for i in SEEDS] for t in WORLD}


def number(s: str, loc: str) -> Decimal:
    """An amount as the locale prints it, as a number (yen stay whole)."""
    W = LOCALES[loc]
    if W["minor"] == 1:
        return Decimal(s.replace(",", ""))
    body = s.replace(W["thousands"], "").replace(W["decimal"], ".") if W["thousands"] else s
    return Decimal(body)


def test_seven_types_registered_with_thermal_fade():
    assert WORLD == sorted(f"{c}_receipt" for c in ("de", "fr", "nl", "es", "it", "uk", "jp"))
    for t in WORLD:
        dt = REGISTRY[t]
        assert dt.thermal and dt.spec.locale == TYPES[t]
        keys = {f.key for f in dt.spec.fields}
        assert keys >= {"company", "address", "date", "total", "time", "receipt_no", "net", "tax"}
        assert keys >= {"tax_rate", "cash", "change", "vat_id", "phone", "payment_method", "items"}


@pytest.mark.parametrize("dtype", WORLD)
def test_every_labelled_value_is_printed(dtype, docs):
    for doc, printed in docs[dtype]:
        text = norm(" ".join(printed))
        f = doc.fields
        for k, v in f.items():
            if isinstance(v, str):
                assert norm(v) in text, (dtype, k, v)
        # the address: its 2-4 rows, each printed, joined by one space
        lines = doc.data["addr_lines"]
        assert 2 <= len(lines) <= 4 and f["address"] == " ".join(lines)
        assert all(line in printed for line in lines)
        assert not re.search(r"\d{1,2}[:時]\d{2}", f["date"])  # the date carries no time


@pytest.mark.parametrize("dtype", WORLD)
def test_total_is_not_the_payment_and_adds_up(dtype, docs):
    loc = TYPES[dtype]
    cash_seen = 0
    for doc, printed in docs[dtype]:
        f = doc.fields
        total = number(f["total"], loc)
        items = sum(number(it["amount"], loc) for it in f["items"])
        assert items == total, (dtype, f["items"], f["total"])  # discounts in, voided rows out
        if "cash" in f:
            cash_seen += 1
            assert f["cash"] != f["total"] != f["change"]
            assert number(f["cash"], loc) - total == number(f["change"], loc)
            assert any(f["cash"] in row for row in printed) and any(f["change"] in row for row in printed)
        if "net" in f and "tax" in f:
            assert number(f["net"], loc) + number(f["tax"], loc) == total
        if "tax" in f:
            assert number(f["tax"], loc) < total or total == 0
        rows = doc.data["tax"]["rows"]  # the summary's rows: net + tax = gross, the grosses the total
        assert sum(r[5] for r in rows) == sum(r[3] + r[4] for r in rows)
        assert amount_of(sum(r[5] for r in rows), loc) == f["total"]
    assert cash_seen, dtype


def amount_of(minor: int, loc: str) -> str:
    from generate_data.doctypes.world_receipts import amount

    return amount(minor, LOCALES[loc])


AMOUNT = {
    "comma": re.compile(r"-?\d{1,3}(\.\d{3})*,\d{2}"),
    "fr": re.compile(r"-?\d{1,3}( \d{3})*,\d{2}"),
    "uk": re.compile(r"-?\d{1,3}(,\d{3})*\.\d{2}"),
    "jp": re.compile(r"-?\d{1,3}(,\d{3})*"),
}
DATE = {
    "de": r"\d{2}\.\d{2}\.\d{2}(\d{2})?",
    "fr": r"\d{2}[/-]\d{2}[/-]\d{2}(\d{2})?",
    "nl": r"\d{2}[/-]\d{2}[/-]\d{2}(\d{2})?",
    "es": r"\d{2}[/-]\d{2}[/-]\d{2}(\d{2})?",
    "it": r"\d{2}[/-]\d{2}[/-]\d{2}(\d{2})?",
    "uk": r"\d{2}([/-]\d{2}[/-]\d{2}(\d{2})?| [A-Z][a-z]{2} \d{4}|-[A-Z][a-z]{2}-\d{4})",
    "jp": r"\d{4}(年\d{1,2}月\d{1,2}日|[/.-]\d{2}[/.-]\d{2})",
}


@pytest.mark.parametrize("dtype", WORLD)
def test_amounts_and_dates_in_the_locales_form(dtype):
    loc = TYPES[dtype]
    pattern = AMOUNT[loc if loc in ("fr", "uk", "jp") else "comma"]
    thousands = 0
    dates = set()
    for i in range(150):  # values only: no page
        rng = random.Random(f"fmt:{dtype}:{i}")
        f = REGISTRY[dtype].generate(rng, Fakers(rng)).fields
        for k in ("total", "net", "tax", "cash", "change"):
            if k in f:
                assert pattern.fullmatch(f[k]), (dtype, k, f[k])
        for it in f["items"]:
            assert pattern.fullmatch(it["amount"]), (dtype, it)
        thousands += number(f["total"], loc) >= 1000
        assert re.fullmatch(DATE[loc], f["date"]), (dtype, f["date"])
        dates.add(re.sub(r"\d", "9", f["date"]))
    assert thousands, dtype  # some totals print a thousands separator
    assert len(dates) >= 2, dates  # more than one local date form


@pytest.mark.parametrize("dtype", WORLD)
def test_a_logo_name_is_no_answer(dtype):
    logos = nulls = 0
    for i in range(60):
        rng = random.Random(f"logo:{dtype}:{i}")
        doc = build.generate_doc(REGISTRY[dtype], rng, Fakers(rng), injection_share=0)
        if not doc.data["logo"] and i >= 10:  # render the logo receipts and ten others
            continue
        build.render_page(REGISTRY[dtype], doc, rng)
        f, legal, printed = doc.fields, doc.data["legal"], doc.data["printed"]
        text = "\n".join(printed)
        if not doc.data["logo"]:
            assert f["company"] == legal and printed.index(legal) <= 1  # the name heads the page
            continue
        logos += 1
        if "company" in f:  # the legal name from the footer, printed below the totals only
            assert f["company"] == legal and doc.data["legal_footer"]
            first = next(k for k, row in enumerate(printed) if legal in row)
            total_row = next(k for k, row in enumerate(printed) if f["total"] in row)
            assert first > total_row
        else:  # no text names the shop: the company is null
            nulls += 1
            assert legal not in text
    assert 0 < logos < 30 and nulls, (logos, nulls)
    # a query for the company of a name-less receipt has a null target
    for i in range(60):
        rng = random.Random(f"logo:{dtype}:{i}")
        doc = build.generate_doc(REGISTRY[dtype], rng, Fakers(rng), injection_share=0)
        if "company" not in doc.fields:
            for q, a in make_queries(REGISTRY[dtype], doc, rng, 12):
                if "company" in q.keys:
                    assert a["company"] is None
            break


@pytest.mark.parametrize("dtype", WORLD)
def test_items_labelled_as_printed(dtype, docs):
    kinds = set()
    for doc, printed in docs[dtype]:
        labels, rows = doc.fields["items"], doc.data["rows"]
        sold = [r for r in rows if r["kind"] != "void"]
        assert len(labels) == len(sold)
        text = norm(" ".join(printed))
        for lab, row in zip(labels, sold, strict=True):
            assert tuple(lab) == ITEM_KEYS
            assert lab["description"] == " ".join(row["lines"]) and lab["amount"] == row["amount"]
            for v in lab.values():
                assert v is None or norm(v) in text
            if lab["quantity"] and lab["unit_price"] and row["kind"] == "item":
                fmt = doc.data["qty_format"] if doc.data["istyle"] == 0 else None
                if fmt:  # "2 x 3,50" printed as one cell
                    assert any(fmt.format(q=lab["quantity"], p=lab["unit_price"]) in r for r in printed)
            kinds.add(row["kind"])
    assert "item" in kinds


def test_italian_rows_print_their_vat_rate():
    seen = 0
    for i in range(40):
        rng = random.Random(f"it:{i}")
        doc = REGISTRY["it_receipt"].generate(rng, Fakers(rng))
        if doc.data["item_rate"]:
            rates = {it["tax_rate"] for it in doc.fields["items"] if not it["amount"].startswith("-")}
            assert rates <= {"22%", "10%", "4%"} and rates
            seen += 1
    assert seen


@pytest.mark.parametrize("dtype", ["de_receipt", "jp_receipt"])
def test_same_seed_same_document(dtype):
    a = build.render_document(3, 11, [dtype])
    b = build.render_document(3, 11, [dtype])
    assert a[1].fields == b[1].fields and a[3].tobytes() == b[3].tobytes()
    assert a[1].fields != build.render_document(3, 12, [dtype])[1].fields


def test_local_names_are_asked_and_mean_one_field():
    for loc, table in LOCAL_NAMES.items():
        owner: dict[str, str] = {}
        for concept, names in table.items():
            assert concept in CONCEPTS
            for n in names:
                assert owner.setdefault(name_identity(n), concept) == concept, (loc, n)
                assert field_spec(n).role != "items", n  # no scalar is read as line items
    asked: dict[str, int] = {}
    for dtype in WORLD:
        loc, dt = TYPES[dtype], REGISTRY[dtype]
        names = {n for f in dt.spec.fields for n in local_names(f.concept, loc)}
        for i in range(20):
            rng = random.Random(f"names:{dtype}:{i}")
            doc = build.generate_doc(dt, rng, Fakers(rng), injection_share=0)
            for q, a in make_queries(dt, doc, rng, 6):
                for k in q.keys:
                    asked[dtype] = asked.get(dtype, 0) + (k in names)
                    concept = next((c for c, ns in LOCAL_NAMES[loc].items() if k in ns), None)
                    field = next((f.key for f in dt.spec.fields if f.concept == concept), None)
                    if concept and field:  # a local name's target is that field's value, or null
                        assert a[k] == doc.fields.get(field) or a[k] is None, (dtype, k, a[k])
    assert all(asked.get(t, 0) >= 20 for t in WORLD), asked


@pytest.mark.slow
def test_ocr_reads_the_total_and_date_verbatim(rapid_engine):
    """One page of each type through the real OCR (an unaugmented render, no injection): its text
    holds the total and the date as labelled."""
    missed = []
    for dtype in WORLD:
        doc, img, _ = rendered(dtype, 1, "ocr")
        from ocr_stage import load_document

        text = norm(str(rapid_engine.run(load_document(img)).to_text()))
        for k in ("total", "date"):
            if norm(doc.fields[k]) not in text:
                missed.append((dtype, k, doc.fields[k]))
    assert len(missed) <= 1, missed
