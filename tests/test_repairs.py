"""Repairs after decoding: presets, the record of each change, field roles, and receipts from many
countries passing through unchanged where the model was right."""

from __future__ import annotations

import json

import pytest
from fakes import ScriptedBackend, rows_page
from world_receipts import RECEIPTS, WRONG_TOTALS

from llm_stage import FieldQuery, extract
from llm_stage.field_roles import field_spec
from llm_stage.repairs import PRESETS, active_families, apply_repairs, check_preset
from llm_stage.repairs.malaysia import complete_addresses
from llm_stage.repairs.receipts import trim_value
from ocr_stage import OcrPage, OcrResult, TextLine


def _ocr(text: str) -> OcrResult:
    lines = [
        TextLine(text=row, box=[(0, 30 * i), (400, 30 * i), (400, 30 * i + 20), (0, 30 * i + 20)], score=0.95)
        for i, row in enumerate(text.split("\n"))
    ]
    return OcrResult(pages=[OcrPage(index=0, width=400, height=30 * len(lines), lines=lines)], engine="test")


@pytest.mark.parametrize("country", sorted(RECEIPTS))
def test_right_values_from_eight_countries_pass_through_auto_unchanged(country):
    r = RECEIPTS[country]
    for preset in ("auto", "all"):
        values, records = apply_repairs(dict(r["labels"]), r["text"], preset)
        assert values == r["labels"] and records == [], (preset, records)
    # and through the whole extraction: copied, grounded, nothing repaired
    ex = extract(_ocr(r["text"]), FieldQuery(fields=list(r["labels"])), ScriptedBackend(r["labels"]))
    assert ex.values() == r["labels"] and ex.repairs == []
    assert not [k for k, fv in ex.fields.items() if fv.review_reasons]  # and no plausibility check fails


def test_the_defects_on_european_values_are_fixed():
    assert trim_value("company", "Studio 54321 Productions LLC") == "Studio 54321 Productions LLC"
    # a registration number after the name still goes
    assert trim_value("company", "99 SPEED MART S/B (519537-X)") == "99 SPEED MART S/B"
    assert trim_value("company", "Acme Widgets Ltd 0412345") == "Acme Widgets Ltd"
    for text, value in (
        ("Bäckerei Schmidt\nHauptstraße 5\n10115 Berlin\nTel. 030 1234567", "Hauptstraße 5 10115 Berlin"),
        ("MONOPRIX\n12 rue de Rivoli\n75004 Paris\nSIRET 552 018 020 00014", "12 rue de Rivoli 75004 Paris"),
    ):
        # the Malaysian address repair, called directly, keeps the street too
        assert complete_addresses({"address": value}, text) == {"address": value}


def test_a_zero_tax_is_no_evidence_against_the_total():
    """0% VAT (food in the UK): net + tax is the net itself, printed wherever the net is. A wrong
    net (the change, 0.70) must not replace the right total; with a real tax the sum still does."""
    text = ("6  BREAD WHITE 800G  1.55  9.30 Z\nAMOUNT DUE  9.30\nVAT @ 0%  0.00\n"
            "CASH TENDERED  10.00\nCHANGE DUE  0.70")  # fmt: skip
    asked = {"total": "9.30", "net": "0.70", "tax": "0.00"}
    for preset in ("general", "auto"):
        values, records = apply_repairs(dict(asked), text, preset)
        assert values["total"] == "9.30" and not [x for x in records if x.field == "total"], records
    text = "NETTO  10,00\nMwSt 19%  1,90\nSUMME  11,90\nBAR  20,00"
    values, records = apply_repairs({"total": "20,00", "net": "10,00", "tax": "1,90"}, text, "general")
    assert values["total"] == "11,90" and [(x.rule, x.field) for x in records] == [
        ("amounts_add_up", "total")
    ]


@pytest.mark.parametrize("country", sorted(WRONG_TOTALS))
def test_a_payment_row_answered_as_the_total_is_settled_in_each_language(country):
    r = RECEIPTS[country]
    wrong, right = WRONG_TOTALS[country]
    values, records = apply_repairs({**r["labels"], "total": wrong}, r["text"], "auto")
    assert values["total"] == right
    assert [(x.rule, x.field, x.before, x.after) for x in records] == [("total_paid", "total", wrong, right)]
    # `general` reads no language: the total stays as answered; `none` runs nothing
    for preset in ("general", "none"):
        assert apply_repairs({**r["labels"], "total": wrong}, r["text"], preset) == (
            {**r["labels"], "total": wrong},
            [],
        )


MY_RECEIPT = "\n".join(
    [
        "KEDAI BUKU ANEKA SDN BHD",
        "(123456-X)",
        "NO 12, JALAN MAWAR 3,",
        "TAMAN MAWAR,",
        "81100 JOHOR BAHRU, JOHOR.",
        "GST ID: 000123456789",
        "TOTAL           RM 12.50",
        "CASH            RM 20.00",
        "CHANGE          RM  7.50",
    ]
)


def test_auto_runs_a_family_only_where_the_page_shows_it():
    assert active_families("auto", MY_RECEIPT) == ["general", "receipt", "malaysia"]
    assert active_families("auto", RECEIPTS["DE"]["text"]) == ["general", "receipt"]
    vat = "购买方 名称：甲公司\n纳税人识别号：91440101664041243T\n销售方 名称：乙公司\n价税合计 ￥100.00"
    assert "cn_vat" in active_families("auto", vat)
    assert active_families("general", MY_RECEIPT) == ["general"]
    assert active_families("malaysia", RECEIPTS["DE"]["text"]) == ["general", "malaysia"]
    assert active_families("none", MY_RECEIPT) == []
    assert active_families("receipt,cn_vat", "") == ["general", "receipt", "cn_vat"]
    answer = {"company": "KEDAI BUKU ANEKA", "address": "TAMAN MAWAR,", "total": "20.00"}
    values, records = apply_repairs(answer, MY_RECEIPT, "auto")
    assert values == {
        "company": "KEDAI BUKU ANEKA SDN BHD",
        "address": "NO 12, JALAN MAWAR 3, TAMAN MAWAR, 81100 JOHOR BAHRU, JOHOR.",
        "total": "12.50",
    }
    assert [r.rule for r in records] == ["whole_legal_name", "total_paid", "whole_address"]
    # the same answer on a page with none of that family's evidence is left to the model
    assert apply_repairs({"address": "TAMAN MAWAR,"}, "TAMAN MAWAR,\nJOHOR BAHRU", "auto")[1] == []


def test_a_preset_is_checked_and_names_the_choices():
    assert check_preset(None) == "auto" and check_preset(" General ") == "general"
    assert set(PRESETS) >= {"auto", "general", "none", "all", "receipt", "malaysia", "cn_vat"}
    with pytest.raises(ValueError, match="choose auto, general"):
        check_preset("malaysian")
    with pytest.raises(ValueError):
        extract(_ocr("x"), FieldQuery(fields=["total"]), ScriptedBackend({"total": None}), repairs="bogus")


def test_each_change_is_on_the_answer_and_in_its_json():
    ocr = _ocr(MY_RECEIPT)
    backend = ScriptedBackend({"company": "KEDAI BUKU ANEKA", "total": "20.00"})
    ex = extract(ocr, FieldQuery(fields=["company", "total"]), backend)
    assert ex.values() == {"company": "KEDAI BUKU ANEKA SDN BHD", "total": "12.50"}
    assert all(ex.fields[k].grounded for k in ("company", "total"))
    dumped = json.loads(ex.model_dump_json())["repairs"]
    assert dumped == [
        {
            "rule": "whole_legal_name",
            "field": "company",
            "before": "KEDAI BUKU ANEKA",
            "after": "KEDAI BUKU ANEKA SDN BHD",
        },
        {"rule": "total_paid", "field": "total", "before": "20.00", "after": "12.50"},
    ]
    raw = extract(ocr, FieldQuery(fields=["company", "total"]), backend, repairs="none")
    assert raw.values() == {"company": "KEDAI BUKU ANEKA", "total": "20.00"} and raw.repairs == []


@pytest.mark.parametrize(
    ("name", "role", "amount_role"),
    [
        ("价税合计", "amount", "gross"),
        ("合计税额", "amount", "tax"),
        ("合计金额", "amount", "net"),
        ("total", "amount", "gross"),
        ("subtotal", "amount", "net"),
        ("GST amount", "amount", "tax"),
        ("开票日期", "date", None),
        ("税率", "rate", None),
        ("tax rate", "rate", None),
        ("发票号码", "number", None),
        ("invoice number", "number", None),
        ("company", "organisation", None),
        ("购买方名称", "organisation", None),
        ("business term", "text", None),
        ("address", "address", None),
        ("email address", "text", None),
        ("line items", "items", None),
        ("商品明细", "items", None),
        ("number of items", "text", None),
        ("goods and services tax", "amount", "tax"),
        ("价税合计(大写)", "cn_amount", None),
    ],
)
def test_one_function_gives_a_field_its_role(name, role, amount_role):
    from chatocr.evaluation.baselines import field_kind as baseline_kind
    from llm_stage.normalize import field_kind
    from llm_stage.parsing import is_list_field

    spec = field_spec(name)
    assert (spec.role, spec.amount_role) == (role, amount_role)
    # every reader agrees with it
    assert field_kind(name) == spec.kind
    assert is_list_field(name) == (role == "items")
    want = {"organisation": "company", "cn_amount": "amount", "items": "text"}.get(role, role)
    if role == "organisation" and any("\u3400" <= ch <= "\u9fff" for ch in name):
        want = "text"  # the regex baseline reads a VAT invoice's labelled party name by its label
    assert baseline_kind(name) == want


def test_one_values_equal_for_scoring_and_the_llm_stage():
    from chatocr.evaluation import normalize as eval_normalize
    from llm_stage import normalize

    assert eval_normalize.values_equal is normalize.values_equal
    assert normalize.values_equal("address", "NO.53 55,57", "NO.5355,57")  # OCR's spaces do not count
    assert normalize.values_equal("total", "null", None)


def test_plausibility_checks_flag_and_never_change_a_value():
    from datetime import date

    from llm_stage.plausibility import check_answer

    page = "KEDAI ABC\nDate 25/12/2018\nTOTAL 9.00\nGST 6% 0.51\nCASH 10.00\nCHANGE 1.00"
    today = date(2026, 12, 6)
    right = {"date": "25/12/2018", "total": "9.00", "tax rate": "6%", "tax": "0.51", "cash": "10.00"}
    assert check_answer(right, page, today) == {}
    wrong = {"date": "25/12/2038", "total": "9.00", "tax rate": "8%", "tax": "10.00", "cash": "10.00"}
    assert check_answer(wrong, page, today) == {
        "date": ["date_far_from_today", "date_far_from_page"],
        "tax rate": ["rate_not_printed"],
        "tax": ["amount_above_total"],
    }
    assert check_answer({"date": "25/12/1950"}, "Date 25/12/1950", today) == {"date": ["date_far_from_today"]}
    adds = {"subtotal": "8.49", "tax": "0.51", "total": "9.00"}
    assert check_answer(adds, page, today) == {}
    assert set(check_answer({**adds, "total": "10.00"}, page, today)) == {"subtotal", "tax", "total"}
    # on the answer: flagged with its reason, the value kept
    ocr = _ocr(page)
    ex = extract(
        ocr, FieldQuery(fields=["date", "total"]), ScriptedBackend({"date": "25/12/2018", "total": "9.00"})
    )
    assert not ex.fields["date"].review_reasons
    ex = extract(ocr, FieldQuery(fields=["tax", "total"]), ScriptedBackend({"tax": "10.00", "total": "9.00"}))
    assert ex.fields["tax"].value == "10.00" and ex.fields["tax"].needs_review
    assert ex.fields["tax"].review_reasons == ["amount_above_total"]


def test_the_preset_is_chosen_in_settings_the_api_and_the_cli(monkeypatch):
    from click.testing import CliRunner

    from chatocr.api.schemas import ExtractRequest
    from chatocr.cli import main
    from chatocr.settings import Settings, SettingsError

    assert Settings().repairs == "auto"
    monkeypatch.setenv("CHATOCR_REPAIRS", "general")
    assert Settings().repairs == "general"
    monkeypatch.setenv("CHATOCR_REPAIRS", "malaysian")
    with pytest.raises(SettingsError, match="CHATOCR_REPAIRS: unknown repairs preset malaysian"):
        Settings()
    with pytest.raises(ValueError, match="unknown repairs preset"):
        Settings(repairs="bogus")
    monkeypatch.delenv("CHATOCR_REPAIRS")
    req = ExtractRequest.model_validate({"document": {"base64": "eA=="}, "options": {"repairs": "None"}})
    assert req.options.repairs == "none"
    with pytest.raises(ValueError, match="unknown repairs preset"):
        ExtractRequest.model_validate({"document": {"base64": "eA=="}, "options": {"repairs": "bogus"}})
    for cmd in (["extract", "x.png", "-f", "total"], ["eval", "."], ["batch", ".", "-f", "total"]):
        res = CliRunner().invoke(main, [*cmd, "-R", "bogus"])
        assert res.exit_code == 2 and "unknown repairs preset bogus" in res.output, (cmd, res.output)


def test_the_cli_table_marks_a_repaired_value():
    from chatocr.commands.extract import render

    ex = extract(_ocr(MY_RECEIPT), FieldQuery(fields=["total"]), ScriptedBackend({"total": "20.00"}))
    lines = render(ex, "table").splitlines()
    assert lines[0].split()[-1] == "repaired"
    assert lines[2].split()[1] == "12.50" and lines[2].split()[-1] == "total_paid"
    assert "repaired total (total_paid): '20.00' -> '12.50'" in lines


# ------------------------------------------------------------------ amounts asked with their roles
class _SharedCacheScript(ScriptedBackend):
    """A scripted backend that decodes field by field over one document, as the embedded one does."""

    shares_prefix = True


def _vat_total_row() -> OcrResult:
    return rows_page(
        [
            "发票号码 12345678",
            "开票日期 2016年06月12日",
            "合 计 ￥2987.18 ￥507.82",
            "价税合计（大写） 叁仟肆佰玖拾伍圆整 （小写）￥3495.00",
        ]
    )


# the model's own values: the gross answered with the net, as on real invoices
_MODEL = {"发票号码": "12345678", "价税合计": "￥2987.18", "合计金额": "￥2987.18", "合计税额": "￥507.82"}


def test_companions_name_the_amount_roles_a_query_lacks_in_its_script():
    from llm_stage.repairs.general import amount_companions

    assert amount_companions(["价税合计"]) == ["合计金额", "合计税额"]
    assert amount_companions(["date", "total"]) == ["subtotal", "tax"]
    assert amount_companions(["合计税额", "total"]) == ["合计金额"]  # in the first amount's script
    assert amount_companions(["date", "company"]) == []
    assert amount_companions(["total", "subtotal", "tax"]) == []


def test_an_amount_asked_alone_answers_what_it_answers_beside_its_roles():
    ocr = _vat_total_row()
    alone_backend = _SharedCacheScript([_MODEL])
    alone = extract(ocr, FieldQuery(fields=["价税合计"]), alone_backend)
    full = extract(ocr, FieldQuery(fields=list(_MODEL)), _SharedCacheScript([_MODEL]))
    assert alone.values()["价税合计"] == full.values()["价税合计"] == "￥3495.00"
    # the answer text keeps the query's order, whatever order the amounts were read in
    tax_first = extract(
        ocr, FieldQuery(fields=["合计税额", "发票号码", "价税合计"]), _SharedCacheScript([_MODEL])
    )
    assert list(json.loads(tax_first.raw_output)) == ["合计税额", "发票号码", "价税合计"]
    # the roles were read together, in one prompt (gross, net, tax), and are not answered
    assert [c["keys"] for c in alone_backend.calls] == [["价税合计", "合计金额", "合计税额"]]
    assert 'Fields: ["价税合计", "合计金额", "合计税额"]' in alone_backend.calls[0]["messages"][1]["content"]
    assert list(alone.fields) == ["价税合计"] and list(json.loads(alone.raw_output)) == ["价税合计"]
    assert alone.companions == {"合计金额": "￥2987.18", "合计税额": "￥507.82"}
    assert [(r.rule, r.field, r.after) for r in alone.repairs] == [
        ("amounts_add_up", "价税合计", "￥3495.00")
    ]
    # so it is not marked as depending on the company it keeps; decoded as one object (no
    # companions) the same full query's value would differ alone, and is marked
    assert not full.fields["价税合计"].needs_review
    joint = extract(ocr, FieldQuery(fields=list(_MODEL)), _SharedCacheScript([_MODEL]), per_field=False)
    assert joint.values()["价税合计"] == "￥3495.00" and joint.fields["价税合计"].needs_review


def test_a_receipt_total_is_decoded_alone():
    """A receipt prints no net and tax to check a total against: the model's guesses at them would
    only mislead it (on the dev receipts they replaced three right totals)."""
    ocr = rows_page(["KEDAI ABC", "TOTAL 40.00", "CASH 50.00", "CHANGE 10.00"])
    backend = _SharedCacheScript([{"total": "40.00", "subtotal": "40.00", "tax": "10.00"}])
    ex = extract(ocr, FieldQuery(fields=["total"]), backend)
    assert ex.values() == {"total": "40.00"} and ex.companions == {}
    assert [c["keys"] for c in backend.calls] == [["total"]]


def test_without_repairs_no_companion_is_decoded():
    backend = _SharedCacheScript([_MODEL])
    ex = extract(_vat_total_row(), FieldQuery(fields=["价税合计"]), backend, repairs="none")
    assert ex.values() == {"价税合计": "￥2987.18"} and ex.companions == {}
    assert [c["keys"] for c in backend.calls] == [["价税合计"]]
