"""Absent means null (llm_stage.evidence) and signals for confidence (llm_stage.signals): a value
for a field the page prints no label or shape for becomes null, a blank page answers null in every
mode, and the signals read what a reviewer would look at. Scripted backends: no model needed."""

from __future__ import annotations

import pytest
from fakes import ScriptedBackend

from llm_stage import FieldQuery, extract
from llm_stage.evidence import unsupported
from llm_stage.signals import arithmetic, implausible, label_near
from llm_stage.types import FieldValue
from ocr_stage import OcrPage, OcrResult, TextLine

RECEIPT = [
    "BOOK TA K (TAMAN DAYA) SDN BHD",
    "NO.5: 55,57 & 59, JALAN SAGU 18,",
    "Document No : TD01167104",
    "Date : 25/12/2018 8:13:39 PM",
    "Total : 9.00",
    "Cash 10.00",
]


def _page(rows: list[str]) -> OcrResult:
    lines = [
        TextLine(text=t, box=[(10, 40 * i), (600, 40 * i), (600, 40 * i + 30), (10, 40 * i + 30)], score=0.97)
        for i, t in enumerate(rows)
    ]
    return OcrResult(
        pages=[OcrPage(page=1, width=800, height=40 * len(rows) + 40, lines=lines)], engine="test"
    )


def test_fields_the_page_does_not_print_are_null_whatever_the_model_picks():
    ocr = _page(RECEIPT)
    picks = {
        "phone number": "25/12/2018",  # a date as the phone
        "email": "NO.5: 55,57 & 59, JALAN SAGU 18,",  # the address as the email
        "invoice number": "TD01167104",  # a number with no invoice label on the page
        "GST ID": "TD01167104",
        "机器编号": "9.00",
        "total": "9.00",
        "Document No": "TD01167104",
    }
    ex = extract(ocr, FieldQuery(fields=list(picks)), ScriptedBackend([picks]))
    assert ex.values() == {
        "phone number": None,
        "email": None,
        "invoice number": None,
        "GST ID": None,
        "机器编号": None,
        "total": "9.00",
        "Document No": "TD01167104",  # its label is printed: kept
    }
    assert ex.fields["email"].confidence is None and ex.fields["total"].confidence is not None


def test_printed_labels_and_shapes_keep_their_values():
    text = "TEL: 07-355 1234  Email: shop@example.com\n发票号码 12269563\n纳税人识别号：440300083885931\n地址、电话： 深圳市 0755-23806606"
    assert unsupported("phone number", "07-355 1234", text) is None
    assert unsupported("email", "shop@example.com", text) is None
    assert unsupported("发票号码", "12269563", text) is None
    assert unsupported("购买方纳税人识别号", "440300083885931", text) is None
    assert unsupported("购买方地址电话", "深圳市 0755-23806606", text) is None  # an address field
    assert unsupported("company", "anything at all", text) is None  # no evidence kind: the model's call
    assert unsupported("phone number", "25/12/2018", text) == "shape"
    assert unsupported("机器编号", "12269563", text) == "no_label"
    # a phone label (地址、电话) is no evidence of a fax number
    assert (
        unsupported("fax number", "12270798", "地址、电话： 深圳市 0755-23806606\nNo 12270798") == "no_label"
    )
    assert unsupported("fax", "Fax: 03-1234 5678", "Tel: 03-1234 5670 Fax: 03-1234 5678") is None


@pytest.mark.parametrize(
    "label",
    ["Tlf: 929 633 428", "Teléfono: 929 633 428", "Tfno. 929 633 428", "Telf. 929 633 428",
     "Cellulare 333 123 4567", "Ph: 98450 12345", "Handy: 0171 1234567", "Tél : 01 42 00 00 00",
     "Telefon 030 1234567", "TEL 03-1234-5678", "电话： 0755-23806606"],
)  # fmt: skip
def test_phone_labels_of_many_languages_are_evidence(label):
    number = label.split(" ", 1)[1].lstrip(": ")  # the number after the label
    text = f"Alimentación Navarro S.L.\n{label}\nTOTAL 59,08 EUR"
    assert unsupported("phone", number, text) is None
    # the same number on a page with no phone label is not a phone number
    assert unsupported("phone", number, f"Alimentación Navarro S.L.\nNIF {number}\nTOTAL 59,08") == "no_label"


def test_a_blank_page_answers_null_in_every_mode_without_asking_the_model():
    blank = OcrResult(pages=[OcrPage(page=1, width=800, height=1000, lines=[])], engine="test")
    backend = ScriptedBackend([{"total": "1000", "answer": "Eco-Tech Solutions", "company": "Eco-Tech"}])
    for query, opts in (
        (FieldQuery(fields=["total", "company"]), {}),
        (FieldQuery(question="What is the total?"), {}),
        (FieldQuery(fields=["total", "company"]), {"copy": False}),
    ):
        ex = extract(blank, query, backend, **opts)
        assert all(v is None for v in ex.values().values()) and "all_null" in ex.flags
    assert backend.calls == []


def test_label_near_reads_the_values_row_and_the_row_above():
    ocr = _page(["TOTAL", "9.00", "", "THANK YOU 12.00"])

    def at(i):
        return FieldValue(
            value="x", page=1, box=[(10, 40 * i), (600, 40 * i), (600, 40 * i + 30), (10, 40 * i + 30)]
        )

    assert label_near("total", at(1), ocr) == 1.0  # the label one row up
    assert label_near("total", at(3), ocr) == 0.0
    assert label_near("total", FieldValue(), ocr) == 1.0  # null: nothing to check


def test_plausibility_and_arithmetic_signals():
    page = "Date 25/12/2018\nInvoice 2018-12-20\nTOTAL 9.00\nCash 10.00"
    assert implausible("date", "25/12/2038", page, "date") == 1.0  # decades from the page's dates
    assert implausible("date", "25/12/2018", page, "date") == 0.0
    assert implausible("cash", "10.00", page, "amount") == 1.0  # above the printed total
    assert implausible("total", "9.00", page, "amount") == 0.0
    roles = {"net": "net", "tax": "tax", "gross": "gross"}
    assert arithmetic({"net": "2987.18", "tax": "507.82", "gross": "3495.00"}, roles)["gross"] == 1.0
    assert arithmetic({"net": "2987.18", "tax": "507.82", "gross": "2987.18"}, roles)["net"] == -1.0
    assert arithmetic({"net": "2987.18", "gross": "3495.00"}, {"net": "net", "gross": "gross"})["net"] == 0.0


def test_a_calibration_saved_before_the_signals_reads_its_weights_by_name(tmp_path):
    from llm_stage.confidence import FEATURES, Calibration, choose_threshold, load_calibration

    (tmp_path / "calibration.json").write_text('{"weights": [1, 0, 0, 0, 0, 0, 0, 0.5], "threshold": 0.6}')
    old = load_calibration(tmp_path)
    assert old.features == list(FEATURES[:8])
    x = [-0.1, -0.2, -0.1, 0.0, 1.0, 1.0, 0.0, 1.0, 0.3, 1.0, 1.0, 0.0, 1.0, -1.0, 0.4]  # signals ignored
    assert abs(old.confidence(x) - 1 / (1 + 2.718281828 ** -(-0.1 + 0.5))) < 1e-6
    before_chars = Calibration(weights=[0.0] * 13 + [1.0])  # saved before the character score
    assert before_chars.features == list(FEATURES[:14]) and before_chars.confidence(x) < 0.5  # arith -1
    new = Calibration(weights=[0.0] * 14 + [-3.0])
    assert new.features == list(FEATURES) and new.confidence(x) < 0.5  # char_score 0.4 weighs in
    # the review threshold flags at most 8% of the right values it was chosen on
    conf = [i / 100 for i in range(100)]
    ys = [1] * 100
    t = choose_threshold(conf, ys)
    assert sum(c < t for c in conf) == 8


def test_an_amount_that_names_a_due_is_no_due_date():
    from llm_stage.evidence import evidence_for

    for name in ("amount due", "total due", "balance due"):
        assert evidence_for(name) is None, name
    assert evidence_for("due date").kind == "due_date"


def test_a_value_with_a_character_the_recogniser_doubts_is_flagged_for_review():
    """The company line reads at 0.96 on average but its "5" at 0.42: the value that holds it is
    flagged (`ocr_unsure_character`) however sure the model is; the date beside it is not, and
    neither is a value on a line whose engine gave no per-character scores."""
    from fakes import ScriptedBackend

    from llm_stage import FieldQuery, extract
    from llm_stage.signals import OCR_UNSURE, UNSURE_CHARACTER
    from ocr_stage import OcrPage, OcrResult, TextLine

    company = "KEDAI 5 MAJU SDN BHD"
    chars = [0.99] * len(company)
    chars[company.index("5")] = 0.42
    assert 0.42 < UNSURE_CHARACTER

    def row(text, y, **kw):
        return TextLine(text=text, box=[(10, y), (400, y), (400, y + 30), (10, y + 30)], **kw)

    ocr = OcrResult(
        pages=[
            OcrPage(
                page=1,
                width=420,
                height=200,
                lines=[
                    row(company, 10, score=0.96, char_scores=chars),
                    row("DATE 25/12/2018", 50, score=0.98, char_scores=[0.97] * 15),
                    row("TOTAL 9.00", 90, score=0.6),
                ],
            )
        ]
    )
    backend = ScriptedBackend([{"company": company, "date": "25/12/2018", "total": "9.00"}], probs={})
    ex = extract(ocr, FieldQuery(fields=["company", "date", "total"]), backend, per_field=False)
    f = ex.fields
    assert OCR_UNSURE in f["company"].review_reasons and f["company"].needs_review
    assert OCR_UNSURE not in f["date"].review_reasons and OCR_UNSURE not in f["total"].review_reasons
    assert f["company"].value == company  # flagged, never changed


def test_calibrate_counts_the_unsure_character_rule_in_the_review_rates():
    from chatocr.evaluation.calibrate import review_rates
    from llm_stage.confidence import FEATURES

    ci = FEATURES.index("char_score")

    def x(char):
        v = [0.0] * len(FEATURES)
        v[ci] = char
        return v

    conf, ys = [0.9, 0.9, 0.3, 0.9], [0, 0, 0, 1]
    xs = [x(0.3), x(0.9), x(0.9), x(1.0)]
    assert review_rates(conf, ys, 0.5) == (1 / 3, 0.0)  # the confidence alone: one wrong of three
    assert review_rates(conf, ys, 0.5, xs) == (2 / 3, 0.0)  # and the doubted character


def test_an_item_cell_with_a_doubted_character_flags_its_record():
    from fakes import ScriptedBackend

    from llm_stage import FieldQuery, extract
    from llm_stage.signals import OCR_UNSURE
    from llm_stage.types import ITEM_KEYS
    from ocr_stage import OcrPage, OcrResult, TextLine

    def row(text, y, chars=None):
        box = [(10, y), (400, y), (400, y + 30), (10, y + 30)]
        return TextLine(text=text, box=box, score=0.97, char_scores=chars or [0.99] * len(text))

    milo = "MILO 1KG 33.00"
    chars = [0.99] * len(milo)
    chars[milo.index("33.00") + 1] = 0.3  # the second "3" of the amount
    ocr = OcrResult(
        pages=[OcrPage(page=1, width=420, height=200, lines=[row(milo, 10, chars), row("ROTI 3.20", 50)])]
    )
    items = [
        dict.fromkeys(ITEM_KEYS) | {"description": "MILO 1KG", "amount": "33.00"},
        dict.fromkeys(ITEM_KEYS) | {"description": "ROTI", "amount": "3.20"},
    ]
    ex = extract(
        ocr, FieldQuery(fields=["line items"]), ScriptedBackend([{"line items": items}]), per_field=False
    )
    fv = ex.fields["line items"]
    first, second = fv.items
    assert first.cells["amount"].needs_review and not first.cells["description"].needs_review
    assert OCR_UNSURE in first.review_reasons and first.needs_review and fv.needs_review
    assert OCR_UNSURE not in second.review_reasons
    assert fv.value == items  # flagged, never changed
