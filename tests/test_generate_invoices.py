"""The Western-style VAT invoice family (`eu_invoice`): every labelled value is printed on the page
(the strings its layout draws), net + VAT = gross in the locale's number format, amounts and dates
look as each language prints them, items are labelled records, a seed gives the same page, queries
ask by the names users type in each language and never get the gross where the net or the VAT is
asked; one slow test reads a page per language with the real OCR."""

from __future__ import annotations

import random
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest

from generate_data.doctypes import REGISTRY, Fakers
from generate_data.doctypes.data import invoice_words as IW
from generate_data.doctypes.invoices import fmt_amount, parse_amount
from generate_data.fields import CONCEPTS, INVOICE_NAMES, LOCAL_NAMES
from generate_data.queries import make_queries
from llm_stage.types import ITEM_KEYS

DT = REGISTRY["eu_invoice"]
CENT = Decimal("0.01")
SCALARS = [f.key for f in DT.spec.fields if f.key != "items"]
AMOUNT = {
    ",.": re.compile(r"^\d{1,3}(,\d{3})*\.\d{2}$"),  # 1,234.56
    ".,": re.compile(r"^(\d{1,3}(\.\d{3})*|\d+),\d{2}$"),  # 1.234,56 or 1234,56
    " ,": re.compile(r"^(\d{1,3}( \d{3})*|\d+),\d{2}$"),  # 1 234,56 or 1234,56
}
DATE = {
    "en": re.compile(r"^(\d{2}/\d{2}/\d{4}|\d{1,2} [A-Z][a-z]+ \d{4})$"),
    "de": re.compile(r"^(\d{2}\.\d{2}\.\d{4}|\d{1,2}\. [A-ZÄ][a-zä]+ \d{4})$"),
    "fr": re.compile(r"^(\d{2}/\d{2}/\d{4}|\d{1,2} [a-zéû]+ \d{4})$"),
    "nl": re.compile(r"^(\d{2}-\d{2}-\d{4}|\d{1,2} [a-z]+ \d{4})$"),
}


def make(i: int):
    rng = random.Random(f"eu:{i}")
    return DT.generate(rng, Fakers(rng)), rng


def drawn(monkeypatch, doc, rng, dt=DT) -> list[str]:
    """Every string the layout draws."""
    from generate_data import render

    calls: list[str] = []
    orig = render.Canvas.text

    def text(self, xy, s, *a, **k):
        calls.append(s)
        return orig(self, xy, s, *a, **k)

    monkeypatch.setattr(render.Canvas, "text", text)
    dt.render(doc, rng)
    monkeypatch.setattr(render.Canvas, "text", orig)
    return calls


def test_every_language_and_layout_is_drawn():
    docs = [make(i)[0] for i in range(60)]
    assert {d.data["lang"] for d in docs} == set(IW.LANGS)
    assert {d.data["layout"] for d in docs} == {"classic", "mirror", "band"}
    assert {d.fields["currency"] for d in docs} == {"EUR", "GBP"}


def test_every_labelled_scalar_is_printed(monkeypatch):
    for i in range(24):
        doc, rng = make(i)
        strings = drawn(monkeypatch, doc, rng)
        page = "\n".join(strings)
        for key in SCALARS:
            value = doc.fields[key]
            if key.endswith("_address"):  # printed on its lines, labelled joined by one space
                lines = doc.data["seller_lines" if key == "seller_address" else "buyer_lines"]
                assert " ".join(lines) == value
                assert all(line in strings for line in lines), (i, key, lines)
            else:
                assert value in page, (i, doc.layout, key, value)
        # the three amounts are three different strings, each on a line of its own label
        net, vat, gross = doc.fields["net_amount"], doc.fields["vat_amount"], doc.fields["total"]
        assert len({net, vat, gross}) == 3
        words = doc.data["words"]
        assert words["net"] in strings and words["vat_line"].format(rate=doc.fields["vat_rate"]) in strings


def test_net_plus_vat_is_gross_in_the_locale_format():
    for i in range(60):
        doc, _ = make(i)
        f, data = doc.fields, doc.data
        style = data["thousands"] + data["decimal"]
        pattern = AMOUNT[".," if style == "," else style]  # "," alone: no thousands separator
        for key in ("net_amount", "vat_amount", "total"):
            assert pattern.match(f[key]), (i, key, f[key], style)
        num = {k: parse_amount(f[k], data["decimal"]) for k in ("net_amount", "vat_amount", "total")}
        assert num["net_amount"] + num["vat_amount"] == num["total"], (i, f)
        rate = Decimal(re.sub(r"\s*%$", "", f["vat_rate"]).replace(",", "."))
        assert (num["net_amount"] * rate / 100).quantize(CENT, ROUND_HALF_UP) == num["vat_amount"]
        assert sum(parse_amount(it["amount"], data["decimal"]) for it in f["items"]) == num["net_amount"]
        for key in ("invoice_date", "due_date"):
            assert DATE[data["lang"]].match(f[key]), (i, key, f[key])
        assert f["currency"] == IW.COUNTRIES[data["country"]][1]


def test_locale_number_formats():
    x = Decimal("1234567.5")
    assert fmt_amount(x, ",", ".") == "1,234,567.50"
    assert fmt_amount(x, ".", ",") == "1.234.567,50"
    assert fmt_amount(x, " ", ",") == "1 234 567,50"
    assert fmt_amount(x, "", ",") == "1234567,50"
    for t, d in ((",", "."), (".", ","), (" ", ","), ("", ",")):
        assert parse_amount(fmt_amount(x, t, d), d) == x


def test_iban_check_digits():
    for i in range(30):
        doc, _ = make(i)
        raw = doc.fields["iban"].replace(" ", "")
        moved = raw[4:] + raw[:4]
        assert int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1, raw


def test_items_are_labelled_records(monkeypatch):
    for i in range(16):
        doc, rng = make(i)
        strings = drawn(monkeypatch, doc, rng)
        dec = doc.data["decimal"]
        assert doc.fields["items"]
        for it in doc.fields["items"]:
            assert tuple(it) == ITEM_KEYS and it["tax"] is None
            for k, v in it.items():
                if v is not None:
                    assert v in strings, (i, k, v)
            qty = Decimal(it["quantity"].replace(",", "."))
            assert (qty * parse_amount(it["unit_price"], dec)).quantize(CENT, ROUND_HALF_UP) == parse_amount(
                it["amount"], dec
            )
            assert (it["tax_rate"] is None) != doc.data["show_vat_col"]
            if it["tax_rate"]:
                assert it["tax_rate"] == doc.fields["vat_rate"]


def test_same_seed_same_page():
    a, ra = make(3)
    b, rb = make(3)
    assert a.fields == b.fields
    assert DT.render(a, ra).tobytes() == DT.render(b, rb).tobytes()
    assert make(4)[0].fields != a.fields


def _concept_of(name: str, own: dict[str, str]) -> str | None:
    if name in own:
        return own[name]
    for cid, c in CONCEPTS.items():
        if name in c.zh or name in c.en:
            return cid
    for names in LOCAL_NAMES.values():
        for cid, ns in names.items():
            if name in ns:
                return cid
    return None


def test_queries_ask_local_names_and_never_confuse_the_amounts():
    own = {f.key: f.concept for f in DT.spec.fields}
    local_asked: dict[str, set[str]] = {lang: set() for lang in IW.LANGS}
    amounts = {"subtotal": "net_amount", "tax_amount": "vat_amount", "total": "total"}
    for i in range(80):
        doc, rng = make(i)
        for _query, answer in make_queries(DT, doc, random.Random(i), 4):
            for name, value in answer.items():
                concept = _concept_of(name, own)
                if name in {n for ns in INVOICE_NAMES[doc.data["lang"]].values() for n in ns}:
                    local_asked[doc.data["lang"]].add(name)
                if concept in amounts:
                    assert value == doc.fields[amounts[concept]], (name, value)
                if concept in DT.spec.unlabelled:
                    pytest.fail(f"{name!r} asked though the page prints it unlabelled")
    assert all(len(v) >= 5 for v in local_asked.values()), local_asked
    assert {"Nettobetrag", "Gesamtbetrag"} & local_asked["de"]


@pytest.mark.slow
def test_ocr_reads_number_total_and_date(rapid_engine, tmp_path):
    """One clean page per language through the real OCR: the invoice number, the total and the
    invoice date are read verbatim."""
    from ocr_stage import load_document

    seen: set[str] = set()
    for i in range(40):
        doc, rng = make(i)
        if doc.data["lang"] in seen:
            continue
        seen.add(doc.data["lang"])
        path = tmp_path / f"{i}.png"
        DT.render(doc, rng).save(path)
        text = str(rapid_engine.run(load_document(path)).to_text())
        flat = re.sub(r"\s+", "", text)
        for key in ("invoice_no", "total", "invoice_date"):
            assert re.sub(r"\s+", "", doc.fields[key]) in flat, (doc.data["lang"], key, doc.fields[key], text)
    assert seen == set(IW.LANGS)


def test_vat_discount_rows_keep_the_totals(monkeypatch):
    """A share of the Chinese VAT invoices prints a 折扣 row: the same name, a negative amount and
    tax, under the row it discounts; the goods rows still add up to 合计金额 and 合计税额, and the
    discount row is printed as labelled."""
    discounts = 0
    for dtype in ("vat_special_invoice", "vat_normal_invoice"):
        for i in range(60):
            rng = random.Random(f"{dtype}{i}")
            doc = REGISTRY[dtype].generate(rng, Fakers(rng))
            rows, f = doc.fields["货物明细"], doc.fields
            assert sum(Decimal(r["amount"]) for r in rows) == Decimal(f["合计金额"].lstrip("￥"))
            assert sum(Decimal(r["tax"]) for r in rows) == Decimal(f["合计税额"].lstrip("￥"))
            for j, r in enumerate(rows):
                if r["amount"].startswith("-"):
                    discounts += 1
                    assert r["tax"].startswith("-") and r["description"] == rows[j - 1]["description"]
                    assert r["quantity"] is r["unit"] is r["unit_price"] is None
                    assert Decimal(rows[j - 1]["amount"]) + Decimal(r["amount"]) > 0
                    if discounts == 1:
                        strings = drawn(monkeypatch, doc, rng, REGISTRY[dtype])
                        assert r["amount"] in strings and r["tax"] in strings
    assert 2 <= discounts <= 30, discounts


def test_local_names_have_the_roles_the_pipeline_reads():
    """Each language's names of the invoice's fields have the role `field_spec` gives the pipeline
    (normalisation, the regex baseline): an amount asked as net, VAT or gross is that part of the bill."""
    from llm_stage.field_roles import field_spec

    want = {"subtotal": "net", "tax_amount": "tax", "total": "gross"}
    roles = {"date": "date", "due_date": "date", "invoice_no": "number", "tax_rate": "rate"}
    for lang, names in LOCAL_NAMES.items():
        for concept, ns in names.items():
            for n in ns:
                spec = field_spec(n)
                if concept in want and lang.endswith("-invoice"):
                    assert (spec.role, spec.amount_role) == ("amount", want[concept]), (lang, n, spec)
                elif concept in want:  # a receipt's generic word ("Betrag", "Total paid") may name no part
                    assert spec.role == "amount" and spec.amount_role in (want[concept], None), (
                        lang,
                        n,
                        spec,
                    )
                if concept in roles:
                    assert spec.role == roles[concept], (lang, n, spec)
