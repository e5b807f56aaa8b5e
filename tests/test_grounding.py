"""Grounding extracted values to OCR lines: hand-built OCR results for every tier, one real OCR run."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from llm_stage.grounding import OcrIndex, best_line_match, ground_values
from ocr_stage.types import OcrPage, OcrResult, TextLine


def line(
    text: str, x: float, y: float, w: float | None = None, h: float = 20, score: float = 0.99
) -> TextLine:
    w = w if w is not None else 10 * len(text)
    return TextLine(text=text, box=[(x, y), (x + w, y), (x + w, y + h), (x, y + h)], score=score)


def doc(*pages: list[TextLine]) -> OcrResult:
    return OcrResult(
        pages=[OcrPage(page=i + 1, width=1000, height=1400, lines=ls) for i, ls in enumerate(pages)]
    )


@pytest.fixture(scope="module")
def receipt() -> OcrResult:
    return doc(
        [
            line("BOOK TA .K (TAMAN DAYA)", 100, 40, score=0.97),  # 0  one row, two boxes
            line("SDN BHD", 350, 40, score=0.90),  # 1
            line("NO.53 55,57 & 59, JALAN SAGU 18,", 100, 80, score=0.95),  # 2  address on three rows
            line("TAMAN DAYA,", 100, 110, score=0.85),  # 3
            line("81100 JOHOR BAHRU, JOHOR.", 100, 140, score=0.93),  # 4
            line("25/12/2018 8:13:39 PM", 100, 200),  # 5
            line("SUBTOTAL", 100, 400),  # 6
            line("9.00", 600, 400),  # 7
            line("TOTAL ROUNDED", 100, 430),  # 8
            line("RM 9.00", 600, 430, score=0.8),  # 9
            line("COFFEE O", 100, 300),  # 10
            line("4.50", 600, 300),  # 11
            line("TEH TARIK", 100, 330),  # 12
            line("4.50", 600, 330),  # 13
        ]
    )


@pytest.fixture(scope="module")
def invoice() -> OcrResult:
    return doc(
        [
            line("发票号码：12269563", 600, 30),  # 0
            line("开票日期：2016年06月12日", 600, 60, score=0.96),  # 1
            line("名称：深圳市购机汇网络有限公司", 80, 120),  # 2
            line("开户行及账号：中国工商银行股份有限公司深圳园岭支行", 80, 150, score=0.9),  # 3
            line("价税合计(大写)", 80, 400),  # 4
            line("⊗叁仟肆佰玖拾伍圆整", 260, 400, score=0.92),  # 5
            line("（小写）¥ 3495.00", 700, 400),  # 6
            line("ＡＢＣ　Ｔｒａｄｉｎｇ", 80, 450),  # 7
        ],
        [line("第二页 备注：货物已签收", 80, 50, score=0.88)],
    )


def test_exact_line_with_box_and_scores(invoice):
    out = ground_values(invoice, None, {"发票号码": "12269563"})
    fv = out["发票号码"]
    assert (fv.value, fv.page, fv.grounded, fv.match_score) == ("12269563", 1, True, 1.0)
    assert fv.box == [(600.0, 30.0), (730.0, 30.0), (730.0, 50.0), (600.0, 50.0)]
    assert fv.ocr_score == 0.99


def test_exact_prefers_the_tightest_line(receipt):
    m = best_line_match(receipt, "9.00")
    assert (m.page, m.lines, m.method, m.score) == (1, (7,), "exact", 1.0)


def test_normalised_width_case_space_and_yen(invoice):
    m = best_line_match(invoice, "￥3495.00")
    assert (m.lines, m.method, m.score) == ((6,), "normalized", 0.98)
    m = best_line_match(invoice, "abc trading")
    assert (m.lines, m.method, m.score) == ((7,), "normalized", 0.98)


def test_value_split_over_two_boxes_on_one_row(receipt):
    fv = ground_values(receipt, receipt.to_text(), {"company": "BOOK TA .K (TAMAN DAYA) SDN BHD"})["company"]
    assert (fv.grounded, fv.match_score, fv.page) == (True, 0.97, 1)
    assert fv.box == [(100.0, 40.0), (420.0, 40.0), (420.0, 60.0), (100.0, 60.0)]
    assert fv.ocr_score == 0.90  # the weakest line used


def test_multi_row_address(receipt):
    value = "NO.53 55,57 & 59, JALAN SAGU 18, TAMAN DAYA, 81100 JOHOR BAHRU, JOHOR."
    m = best_line_match(receipt, value)
    assert (m.lines, m.method, m.score, m.ocr_score) == ((2, 3, 4), "multiline", 0.97, 0.85)
    assert m.box == [(100.0, 80.0), (420.0, 80.0), (420.0, 160.0), (100.0, 160.0)]


def test_amount_tier_chinese_uppercase_and_currency(invoice, receipt):
    # Only the uppercase amount line holds 3495 in this document once the (小写) line is gone.
    only_upper = doc([ln for i, ln in enumerate(invoice.pages[0].lines) if i != 6])
    m = best_line_match(only_upper, "3495.00")
    assert (m.lines, m.method, m.score) == ((5,), "amount", 0.95)
    m = best_line_match(only_upper, "叁仟肆佰玖拾伍元")
    assert (m.lines, m.method) == ((5,), "amount")
    # "RM9" is not a substring of "RM 9.00" (a number is never cut); the amount tier finds 9.00,
    # on the tightest line that prints it.
    m = best_line_match(receipt, "RM9")
    assert (m.lines, m.method, m.score) == ((7,), "amount", 0.95)
    m = best_line_match(receipt, "12.5")
    assert m.method == "fuzzy" and m.score < 0.8


def test_date_tier(invoice, receipt):
    m = best_line_match(invoice, "2016-06-12")
    assert (m.lines, m.method, m.score) == ((1,), "date", 0.95)
    m = best_line_match(receipt, "2018-12-25")
    assert (m.lines, m.method, m.score) == ((5,), "date", 0.95)
    # A value that merely contains a date among other words is not grounded by the date tier.
    m = best_line_match(receipt, "paid on 2018-12-25 by card")
    assert m.method != "date"


def test_fuzzy_ocr_slip_in_chinese(invoice):
    # 深训 / 深圳: one substitution in 20 characters of the line segment -> 0.95 (InDel ratio).
    m = best_line_match(invoice, "中国工商银行股份有限公司深训园岭支行")
    assert (m.lines, m.method) == ((3,), "fuzzy")
    assert m.score == pytest.approx(1 - 2 / 36, abs=1e-4)


def test_numbers_and_dates_are_not_grounded_by_resemblance(invoice, receipt):
    # One digit changed in 8: a different invoice number, however alike; capped at 0.5.
    out = ground_values(invoice, None, {"发票号码": "12269568"})
    assert (out["发票号码"].match_score, out["发票号码"].grounded) == (0.5, False)
    # A date one day off: not found by the date tier, and fuzzy may not ground it.
    m = best_line_match(receipt, "2018-12-24")
    assert m.method == "fuzzy" and m.score <= 0.5


def test_digit_heavy_text_is_penalised_twice():
    ocr = doc([line("电话：A12070755-23806606", 10, 10)])
    # One substitution in 18 characters: ratio 1 - 2/36, its distance doubled for a digit string.
    m = best_line_match(ocr, "A12070755-23806609")
    assert m.method == "fuzzy"
    assert m.score == pytest.approx(1 - 2 * (2 / 36), abs=1e-4)


def test_money_needs_a_money_looking_number():
    # A bare "09" in a cipher line is not the amount 9.00; an integer value may meet it.
    ocr = doc([line("4*>17**74-88<->5492<09//11+", 10, 10), line("RM 9", 10, 40)])
    m = best_line_match(ocr, "9.00")
    assert (m.lines, m.method) == ((1,), "amount")
    ocr = doc([line("4*>17**74-88<->5492<09//11+", 10, 10)])
    m = best_line_match(ocr, "9.00")
    assert m.method == "fuzzy" and m.score <= 0.5


def test_short_line_inside_long_value_does_not_ground_it(receipt):
    m = best_line_match(receipt, "TAMAN DAYA, 47000 SUNGAI BULOH, SELANGOR DARUL EHSAN")
    assert m.score < 0.8


def test_strict_none_and_order(invoice):
    values = {
        "价税合计": "￥3495.00",
        "销售方名称": None,
        "发票号码": "99999999",
        "购买方名称": "深圳市购机汇网络有限公司",
    }
    loose = ground_values(invoice, None, values)
    assert list(loose) == list(values)
    assert loose["发票号码"].value == "99999999" and loose["发票号码"].grounded is False
    assert loose["销售方名称"].model_dump() == {
        "value": None, "page": None, "box": None, "ocr_score": None,
        "match_score": None, "grounded": False, "normalized": None,
        "confidence": None, "needs_review": False, "review_reasons": [],
    }  # fmt: skip
    strict = ground_values(invoice, None, values, strict=True)
    assert strict["发票号码"].value is None and strict["发票号码"].grounded is False
    assert strict["价税合计"].value == "￥3495.00" and strict["价税合计"].grounded is True
    assert strict["价税合计"].normalized == "3495.00"
    assert strict["购买方名称"].normalized is None  # text fields carry no separate canonical form


def test_min_score_threshold(invoice):
    value = {"x": "中国工商银行股份有限公司深训园岭支行"}
    assert ground_values(invoice, None, value, min_score=0.9)["x"].grounded is True
    assert ground_values(invoice, None, value, min_score=0.95)["x"].grounded is False


def test_second_page(invoice):
    fv = ground_values(invoice, None, {"备注": "货物已签收"})["备注"]
    assert (fv.page, fv.grounded, fv.ocr_score) == (2, True, 0.88)  # pages count from 1


def test_numbers_from_json_are_grounded_as_text(receipt):
    out = ground_values(receipt, None, {"total": 9.0, "n": 4.5})
    assert out["total"].value == "9" and out["total"].grounded is True and out["total"].normalized == "9.00"
    assert out["n"].value == "4.5" and out["n"].grounded is True


def test_line_items_ground_every_cell(receipt):
    from llm_stage.types import ITEM_KEYS

    def rec(desc, price):
        return dict.fromkeys(ITEM_KEYS) | {"description": desc, "unit_price": price}

    # a model's own cell names (name, price) become the item keys
    items = [{"name": "COFFEE O", "price": "4.50"}, {"name": "TEH TARIK", "price": "4.50"}]
    fv = ground_values(receipt, None, {"items": items})["items"]
    assert fv.value == [rec("COFFEE O", "4.50"), rec("TEH TARIK", "4.50")]
    assert fv.grounded is True and fv.match_score == 1.0
    assert fv.box == [(100.0, 300.0), (640.0, 300.0), (640.0, 350.0), (100.0, 350.0)]
    assert [r.cells["unit_price"].grounded for r in fv.items] == [True, True]

    bad = [{"name": "COFFEE O", "price": "4.50"}, {"name": "NASI LEMAK", "price": "4.50"}]
    fv = ground_values(receipt, None, {"items": bad})["items"]
    assert fv.value == [rec("COFFEE O", "4.50"), rec("NASI LEMAK", "4.50")] and fv.grounded is False
    assert fv.items[1].cells["description"].grounded is False
    fv = ground_values(receipt, None, {"items": bad}, strict=True)["items"]
    assert fv.value == [rec("COFFEE O", "4.50"), rec(None, "4.50")]
    assert fv.grounded is True  # what strict mode leaves is all traced to the page

    # no rows: nothing that could be untraced
    fv = ground_values(receipt, None, {"items": []})["items"]
    assert fv.value == [] and fv.items == [] and fv.grounded is True


def test_empty_document_and_blank_value():
    out = ground_values(doc([]), None, {"a": "x", "b": "  "})
    assert out["a"].grounded is False and out["a"].page is None and out["a"].match_score == 0.0
    assert out["b"].grounded is False


def test_index_reuse_over_a_long_document():
    rows = [line(f"ITEM {i:03d} WIDGET TYPE {i % 7}", 50, 30 + 20 * i, h=18) for i in range(300)]
    ocr = doc(rows)
    index = OcrIndex(ocr)
    m = best_line_match(index, "ITEM 257 WIDGET TYPE 5")
    assert (m.lines, m.method) == ((257,), "exact")
    m = best_line_match(index, "item 123 widget type 4")
    assert (m.lines, m.method) == ((123,), "normalized")


# --------------------------------------------------------------------------- real OCR

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
]


@pytest.fixture(scope="module")
def rendered_doc_ocr(rapid_engine):
    font_path = next((p for p in FONT_CANDIDATES if Path(p).exists()), None)
    if font_path is None:
        pytest.skip("no CJK font installed to render the test document")
    font = ImageFont.truetype(font_path, 30)
    img = Image.new("RGB", (900, 520), "white")
    d = ImageDraw.Draw(img)
    rows = [
        (40, 30, "名称：深圳市购机汇网络有限公司"),
        (40, 90, "开票日期：2016年06月12日"),
        (40, 150, "价税合计(大写) 叁仟肆佰玖拾伍圆整"),
        (40, 210, "NO 12, JALAN MERANTI 3,"),
        (40, 260, "47400 PETALING JAYA"),
        (40, 340, "TOTAL"),
        (700, 340, "9.00"),
    ]
    for x, y, text in rows:
        d.text((x, y), text, fill="black", font=font)
    return rapid_engine.run([img])


@pytest.mark.slow
def test_grounding_on_real_ocr(rendered_doc_ocr):
    ocr = rendered_doc_ocr
    values = {
        "购买方名称": "深圳市购机汇网络有限公司",
        "开票日期": "2016-06-12",
        "价税合计": "3495.00",
        "address": "NO 12, JALAN MERANTI 3, 47400 PETALING JAYA",
        "total": "9.00",
        "发票号码": "87654321",
    }
    out = ground_values(ocr, ocr.to_text(), values, strict=True)
    assert [k for k, v in out.items() if v.grounded] == [
        "购买方名称",
        "开票日期",
        "价税合计",
        "address",
        "total",
    ]
    assert out["发票号码"].value is None
    assert out["开票日期"].normalized == "2016-06-12"
    assert out["价税合计"].normalized == "3495.00"
    # Boxes sit where the text was drawn (rows at y=30, 90, 150, 210-290, 340).
    ys = {
        k: (out[k].box[0][1], out[k].box[2][1])
        for k in ("购买方名称", "开票日期", "价税合计", "address", "total")
    }
    assert 15 < ys["购买方名称"][0] < 45 and 60 < ys["购买方名称"][1] < 80
    assert 75 < ys["开票日期"][0] < 105
    assert 135 < ys["价税合计"][0] < 165
    assert 195 < ys["address"][0] < 225 and 285 < ys["address"][1] < 310  # both address rows
    assert 325 < ys["total"][0] < 355 and out["total"].box[0][0] > 650  # the right-hand box
    assert all(0 < out[k].ocr_score <= 1 for k in ys)


def test_a_value_is_as_sure_as_its_least_sure_character_not_its_line():
    """One character read at 0.4 on a line of mean score 0.97 (the usual OCR slip): the value that
    holds it carries 0.4; a value on the same line without it does not; a value over two lines
    takes the lower; a line without per-character scores gives its own score."""
    label = "No.5: 55,57 JALAN SAGU"
    chars = [0.99] * len(label)
    chars[label.index(":") - 1] = 0.4  # the "5" of "No.5"
    chars[label.index(" ")] = 0.2  # a space, read from a gap: never counts
    slip = TextLine(text=label, box=[(0, 0), (300, 0), (300, 20), (0, 20)], score=0.97, char_scores=chars)
    town = TextLine(
        text="81100 JOHOR", box=[(0, 30), (200, 30), (200, 50), (0, 50)], score=0.95, char_scores=[0.9] * 11
    )
    plain = line("TOTAL 9.00", 0, 60, score=0.93)
    index = OcrIndex(doc([slip, town, plain]))
    assert index.match("No.5: 55,57").char_score == 0.4
    assert index.match("JALAN SAGU").char_score == 0.99
    assert index.match("JALAN SAGU 81100 JOHOR").char_score == 0.9
    assert index.match("9.00").char_score == 0.93
    out = ground_values(
        doc([slip, town, plain]), "", {"a": "55,57 JALAN SAGU", "b": "No.5: 55,57", "c": None}
    )
    assert (out["a"].char_score, out["b"].char_score, out["c"].char_score) == (0.99, 0.4, None)
    assert "char_score" not in out["b"].model_dump()  # a confidence signal, not part of the answer


def test_char_scores_that_do_not_line_up_with_the_text_are_dropped():
    ln = TextLine(text="ABC", box=[(0, 0), (9, 0), (9, 9), (0, 9)], score=0.8, char_scores=[0.5, 0.6])
    assert ln.char_scores is None and ln.least_sure() == 0.8
    ln = TextLine(
        text="A C", box=[(0, 0), (9, 0), (9, 9), (0, 9)], score=0.8, char_scores=[0.91234, 0.1, 1.2]
    )
    assert ln.char_scores == [0.912, 0.1, 1.0] and ln.least_sure() == 0.912 and ln.least_sure(2) == 1.0


@pytest.mark.slow
def test_the_shipped_recogniser_scores_every_character(rendered_doc_ocr):
    lines = [ln for _, _, ln in rendered_doc_ocr.iter_lines()]
    assert lines and all(ln.char_scores is not None and len(ln.char_scores) == len(ln.text) for ln in lines)
    assert all(0.0 <= c <= 1.0 for ln in lines for c in ln.char_scores)
    # the mean of a line's character scores is the line's score, as the recogniser reports it
    for ln in lines:
        assert abs(sum(ln.char_scores) / len(ln.char_scores) - ln.score) < 0.01, ln
