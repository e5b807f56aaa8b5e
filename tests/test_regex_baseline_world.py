"""The regex baseline reads the totals of shop receipts from eight countries (tests/world_receipts.py)
and the totals, amounts, numbers and dates of the synthetic Western-style invoices, in their
locale's formats: decimal commas, each locale's thousands separators, local dates and the labels
those countries print (SUMME, TOTAL TTC, Gesamtbetrag, Nettobetrag, MwSt, Rechnungsnummer, ...)."""

from __future__ import annotations

import random
import re

import pytest
from world_receipts import RECEIPTS

from chatocr.evaluation import score_value
from chatocr.evaluation.baselines import _AMOUNT, _DATE, regex_extract
from ocr_stage import OcrPage, OcrResult, TextLine


def _ocr_rows(rows: list[str]) -> OcrResult:
    """Printed rows as OCR boxes: each run of 2+ spaces splits a row into boxes left to right."""
    lines = []
    for r, row in enumerate(rows):
        x = 10.0
        for cell in re.split(r"\s{2,}", row.strip()):
            w = 14.0 * len(cell)
            y = 20.0 + 40.0 * r
            lines.append(
                TextLine(text=cell, box=[(x, y), (x + w, y), (x + w, y + 24), (x, y + 24)], score=0.99)
            )
            x += w + 80
    return OcrResult(
        pages=[OcrPage(index=0, width=1400, height=60 + 40 * len(rows), lines=lines)], engine="test"
    )


@pytest.mark.parametrize("country", sorted(RECEIPTS))
def test_baseline_reads_world_receipt_totals(country):
    rec = RECEIPTS[country]
    got = regex_extract(_ocr_rows(rec["text"].split("\n")), ["total", "date"])
    assert score_value("total", got["total"], rec["labels"]["total"]).exact, (country, got)
    assert score_value("date", got["date"], rec["labels"]["date"]).exact, (country, got)


def test_amount_and_date_shapes_of_each_locale():
    found = lambda s: [m.strip() for m in _AMOUNT.findall(s)]  # noqa: E731
    assert found("Gesamtbetrag 1.234,56 €") == ["1.234,56"]
    assert found("Total TTC 1 234,56 €") == ["1 234,56"]
    assert found("Total due £1,234.56") == ["£1,234.56".lstrip("£")]
    assert found("SUMME EUR 8,50") == ["8,50"]
    assert found("14.03.2024 08:12 Bon 4711") == []  # a date is no amount
    assert found("合計 ¥1,280") == ["¥1,280"]
    for d in (
        "06.12.2026",
        "06/12/2026",
        "6 December 2026",
        "6 décembre 2026",
        "6. Dezember 2026",
        "6 december 2026",
    ):
        assert _DATE.search(f"Datum: {d}").group(0) == d


def _invoice_page(i: int):
    """A synthetic eu_invoice and its page as OCR rows (what its layout draws, by position)."""
    from generate_data import render
    from generate_data.doctypes import REGISTRY, Fakers

    dt = REGISTRY["eu_invoice"]
    rng = random.Random(f"rx:{i}")
    doc = dt.generate(rng, Fakers(rng))
    lines: list[TextLine] = []
    orig = render.Canvas.text

    def text(self, xy, s, *a, **k):
        box = orig(self, xy, s, *a, **k)
        if s.strip():
            x0, y0, x1, y1 = box
            lines.append(TextLine(text=s, box=[(x0, y0), (x1, y0), (x1, y1), (x0, y1)], score=0.99))
        return box

    render.Canvas.text = text
    try:
        img = dt.render(doc, rng)
    finally:
        render.Canvas.text = orig
    return doc, OcrResult(
        pages=[OcrPage(index=0, width=img.width, height=img.height, lines=lines)], engine="test"
    )


# the names a user types for each field, per language, and the field they ask
ASK = {
    "en": {"Invoice No.": "invoice_no", "Subtotal": "net_amount", "VAT": "vat_amount", "Total due": "total"},
    "de": {
        "Rechnungsnummer": "invoice_no",
        "Nettobetrag": "net_amount",
        "MwSt": "vat_amount",
        "Gesamtbetrag": "total",
    },
    "fr": {
        "N° de facture": "invoice_no",
        "Total HT": "net_amount",
        "TVA": "vat_amount",
        "Total TTC": "total",
    },
    "nl": {"Factuurnummer": "invoice_no", "Subtotaal": "net_amount", "BTW": "vat_amount", "Totaal": "total"},
}


def test_baseline_reads_the_invoices_amounts_numbers_and_dates():
    hits = total = 0
    per_field: dict[str, int] = {}
    for i in range(24):
        doc, ocr = _invoice_page(i)
        ask = ASK[doc.data["lang"]]
        got = regex_extract(ocr, [*ask, "invoice date"])
        for name, key in [*ask.items(), ("invoice date", "invoice_date")]:
            ok = score_value(name, got[name], doc.fields[key]).exact
            hits += ok
            total += 1
            per_field[key] = per_field.get(key, 0) + ok
    # a rule system, not an oracle: most values, every field read on most pages (a gross asked as
    # "Total due" where the page prints "Net Total" and "TOTAL" is read from the first)
    assert hits / total >= 0.9, per_field
    assert all(v >= 20 for v in per_field.values()), per_field
