"""Line items: the list decoder (records with ITEM_KEYS, every cell a span of the document or null,
bounded), the shape a model's list is brought to, grounding per cell with the row's box, and the
arithmetic checks that flag and never change a value."""

from __future__ import annotations

import json

import pytest

from llm_stage import FieldQuery, extract
from llm_stage.backends import Backend, GenerationResult
from llm_stage.constrained import decode_json_object
from llm_stage.items import (
    LIST_CUT,
    ROW_PRODUCT,
    ROW_TAX,
    SUM_TOTAL,
    check_items,
    coerce_items,
    item_check_rate,
)
from llm_stage.types import ITEM_KEYS
from llm_stage.value_rules import copy_forms
from ocr_stage import OcrPage, OcrResult, TextLine

RECEIPT = [
    "KEDAI RUNCIT MAJU",
    "25/12/2018",
    "MILO 1KG  2 x 16.50  33.00",
    "ROTI GARDENIA  1 x 3.20  3.20",
    "DISCOUNT  -1.00",
    "TOTAL  35.20",
    "CASH  50.00",
]


def _ocr(rows: list[str]) -> OcrResult:
    lines = [
        TextLine(
            text=t,
            box=[(10, 10 + 30 * i), (400, 10 + 30 * i), (400, 34 + 30 * i), (10, 34 + 30 * i)],
            score=0.97,
        )
        for i, t in enumerate(rows)
    ]
    return OcrResult(
        pages=[OcrPage(index=0, width=420, height=30 * len(rows) + 20, lines=lines)], engine="test"
    )


def _wanting(table, target: bytes, stops):
    """A step function whose model wants to write `target` (the tokens that continue it score by
    their length), then to stop: a stand-in for a model that knows the answer. The bytes of every
    token fed after the prompt (forced ones too) are what it has written."""
    import torch

    by_first: dict[int, list[tuple[int, bytes]]] = {}
    for i, b in enumerate(table):
        if b:
            by_first.setdefault(b[0], []).append((i, b))
    written = bytearray()
    calls = [0]

    def step(ids, cache):
        calls[0] += 1
        if calls[0] > 1:  # the first call is the prompt
            for t in ids:
                written.extend(table[t] or b"")
        logits = torch.full((len(table),), -10.0)
        rest = target[len(written) :]
        for i, b in by_first.get(rest[0], []) if rest else []:
            if rest.startswith(b):
                logits[i] = float(len(b))
        if not rest:
            logits[sorted(stops)] = 5.0
        return logits, None

    return step


def test_the_list_decoder_writes_the_records_a_model_wants_then_closes(embedded_backend):
    tok, table, stops = embedded_backend.tokenizer, embedded_backend._table, embedded_backend._stop_ids
    rows = [
        {"description": "MILO 1KG", "quantity": "2", "unit_price": "16.50", "amount": "33.00"},
        {"description": "ROTI GARDENIA", "quantity": "1", "unit_price": "3.20", "amount": "3.20"},
    ]
    rows = [{k: r.get(k) for k in ITEM_KEYS} for r in rows]
    target = json.dumps({"total": "35.20", "line items": rows}, ensure_ascii=False).encode()
    r = decode_json_object(
        _wanting(table, target, stops), tok, [1, 2, 3], ["total", "line items"], table=table,
        stop_ids=set(stops), max_value_tokens=24, copy_from="\n".join(RECEIPT), item_fields=["line items"],
    )  # fmt: skip
    assert r.values == {"total": "35.20", "line items": rows}
    assert json.loads(r.text) == r.values and not r.items_cut
    assert len(r.item_logprobs["line items"]) == 2 and set(r.item_logprobs["line items"][0]) == set(ITEM_KEYS)


def test_records_are_joined_by_the_tokens_the_tokenizer_writes_as_in_training(embedded_backend):
    """The tokenizer writes a record's end as '"},' when another record follows and as '"}' then
    ']}' when the list ends, so a trained model reads a lone '"}' as the list's end. The decoder
    must decide between going on and closing on those tokens, never feed the '}' alone first."""
    tok, table, stops = embedded_backend.tokenizer, embedded_backend._table, embedded_backend._stop_ids
    rows = [
        {"description": "MILO 1KG", "quantity": "2", "unit_price": "16.50", "amount": "33.00"},
        {"description": "ROTI GARDENIA", "quantity": "1", "unit_price": "3.20", "amount": "3.20"},
    ]
    rows = [{k: r.get(k) for k in ITEM_KEYS} for r in rows]
    target = json.dumps({"line items": rows, "total": "35.20"}, ensure_ascii=False).encode()
    want = _wanting(table, target, stops)
    fed: list[int] = []

    def step(ids, cache):
        fed.extend(ids)
        return want(ids, cache)

    r = decode_json_object(
        step, tok, [1, 2, 3], ["line items", "total"], table=table, stop_ids=set(stops),
        max_value_tokens=24, copy_from="\n".join(RECEIPT), item_fields=["line items"],
    )  # fmt: skip
    assert r.values == {"line items": rows, "total": "35.20"}
    pieces = [table[i] for i in fed[3:]]
    ends = [p for p in pieces if b"}" in p]
    canonical = [table[i] for i in tok.encode(target.decode(), add_special_tokens=False) if b"}" in table[i]]
    assert ends == canonical[: len(ends)] and len(ends) >= len(rows)  # '"},' between records


def test_a_record_ending_in_a_value_goes_on_in_the_token_that_closes_it(embedded_backend):
    """A goods row whose last cell (the tax) is a value: the tokenizer writes its closing quote, the
    record's end and the comma to the next record as one token '"},', and '"}' only before the
    list's end. The decoder must let the value's last token run into the way on, so a trained model
    that reads '"}' as the end (as the stand-in here does) still writes every row."""
    import torch

    tok, table, stops = embedded_backend.tokenizer, embedded_backend._table, embedded_backend._stop_ids
    doc = ["货物或应税劳务名称 数量 单价 金额 税率 税额", "*电子计算机*笔记本电脑 1 2564.10 2564.10 17% 435.90",
           "*计算机配件*鼠标 2 30.00 60.00 17% 10.20", "价税合计 ¥3070.20"]  # fmt: skip
    rows = [
        {"description": "*电子计算机*笔记本电脑", "quantity": "1", "unit_price": "2564.10", "amount": "2564.10",
         "tax_rate": "17%", "tax": "435.90"},
        {"description": "*计算机配件*鼠标", "quantity": "2", "unit_price": "30.00", "amount": "60.00",
         "tax_rate": "17%", "tax": "10.20"},
    ]  # fmt: skip
    rows = [{k: r.get(k) for k in ITEM_KEYS} for r in rows]
    target = json.dumps({"货物明细": rows}, ensure_ascii=False).encode()
    assert b'"},' in [table[i] for i in tok.encode(target.decode(), add_special_tokens=False)]
    want = _wanting(table, target, stops)
    ends_list = [i for i, b in enumerate(table) if b and b.startswith(b"]")]
    fed: list[int] = []

    def step(ids, cache):
        fed.extend(ids)
        logits, cache = want(ids, cache)
        if table[ids[-1]] == b'"}':  # in training '"}' came only before the list's end
            logits[ends_list] = 50.0 + torch.arange(len(ends_list), dtype=logits.dtype)
        return logits, cache

    r = decode_json_object(
        step, tok, [1, 2, 3], ["货物明细"], table=table, stop_ids=set(stops),
        max_value_tokens=24, copy_from="\n".join(doc), item_fields=["货物明细"],
    )  # fmt: skip
    assert r.values == {"货物明细": rows}
    assert b'"},' in [table[i] for i in fed[3:]]


def test_sixty_rows_stop_at_the_token_budget_and_say_how_many_were_read(embedded_backend):
    """A receipt of 60 item rows and a model that wants to write them all: the list stops at the
    decoder's token budget, still valid JSON, and the answer says how many records it holds."""
    from llm_stage.constrained import MAX_LIST_TOKENS

    tok, table, stops = embedded_backend.tokenizer, embedded_backend._table, embedded_backend._stop_ids
    doc = [f"ITEM NUMBER {i:02d}  1 x {i}.50  {i}.50" for i in range(1, 61)]
    rows = [
        dict.fromkeys(ITEM_KEYS) | {"description": f"ITEM NUMBER {i:02d}", "quantity": "1",
                                    "unit_price": f"{i}.50", "amount": f"{i}.50"}
        for i in range(1, 61)
    ]  # fmt: skip
    target = json.dumps({"items": rows}).encode()
    r = decode_json_object(
        _wanting(table, target, stops), tok, [1, 2, 3], ["items"], table=table, stop_ids=set(stops),
        max_value_tokens=24, copy_from="\n".join(doc), item_fields=["items"],
    )  # fmt: skip
    got = json.loads(r.text)["items"]
    assert 10 < len(got) < 60 and got == rows[: len(got)]
    assert r.items_cut == {"items": len(got)} and r.tokens <= MAX_LIST_TOKENS + 64

    class Cut(_Fixed):
        def generate(self, messages, keys=None, max_new_tokens=256, copy_from=None, rules=None):
            return GenerationResult(text=r.text, items_cut=r.items_cut)

    ex = extract(_ocr(doc), FieldQuery(fields=["items"]), Cut(""))
    fv = ex.fields["items"]
    assert len(fv.items) == len(got) and fv.review_reasons == [LIST_CUT] and fv.needs_review


@pytest.mark.parametrize("seed", range(4))
def test_list_cells_are_spans_of_the_document_whatever_the_model_prefers(embedded_backend, seed):
    import torch

    tok, table = embedded_backend.tokenizer, embedded_backend._table
    stops = sorted(embedded_backend._stop_ids)
    gen = torch.Generator().manual_seed(seed)
    doc = "\n".join(RECEIPT)
    foreign = [i for i, b in enumerate(table) if b and len(b) > 1 and b not in doc.encode()][:3000]
    opens = [i for i, b in enumerate(table) if b and (b[:1] in (b"{", b",") or b"}," in b)]

    def step(ids, cache):
        logits = torch.randn(len(table), generator=gen)
        logits[foreign] += 4.0
        logits[opens] += 3.0  # a model that never wants the list to end
        return logits, None

    r = decode_json_object(
        step, tok, [1, 2, 3], ["items", "date"], table=table, stop_ids=set(stops), max_value_tokens=8,
        copy_from=doc, item_fields=["items"], max_items=5, max_list_tokens=400,
    )  # fmt: skip
    obj = json.loads(r.text)
    assert list(obj) == ["items", "date"] and obj == r.values
    assert isinstance(obj["items"], list) and len(obj["items"]) <= 5
    forms = copy_forms(doc)
    for row in obj["items"]:
        assert list(row) == list(ITEM_KEYS)
        for v in row.values():
            assert v is None or (v.strip() and any(v in f for f in forms)), (row, v)
    # a list that would go on forever stops at a cap and says how many records it read
    if len(obj["items"]) == 5 or r.items_cut:
        assert r.items_cut.get("items") == len(obj["items"])


def test_records_follow_the_reading_order_of_the_page(embedded_backend):
    """A model that wants the rows out of order (ROTI, then MILO from the row above it, with the
    cash paid three rows below on ROTI's record) gets them only without `ordered`: by default a
    description starts below the one before, and an amount lies near its own description."""
    tok, table, stops = embedded_backend.tokenizer, embedded_backend._table, embedded_backend._stop_ids
    wanted = [
        {"description": "ROTI GARDENIA", "quantity": "1", "unit_price": "3.20", "amount": "50.00"},
        {"description": "MILO 1KG", "quantity": "2", "unit_price": "16.50", "amount": "33.00"},
    ]
    wanted = [{k: r.get(k) for k in ITEM_KEYS} for r in wanted]
    target = json.dumps({"items": wanted}).encode()

    def run(ordered: bool):
        return decode_json_object(
            _wanting(table, target, stops), tok, [1, 2, 3], ["items"], table=table,
            stop_ids=set(stops), max_value_tokens=24, copy_from="\n".join(RECEIPT),
            item_fields=["items"], ordered=ordered,
        ).values["items"]  # fmt: skip

    assert run(False) == wanted
    got = run(True)
    assert got[0]["description"] == "ROTI GARDENIA" and got[0]["amount"] != "50.00"
    assert all(r["description"] != "MILO 1KG" for r in got[1:])
    rows = {t: i for i, t in enumerate(RECEIPT)}
    for r in got[1:]:  # whatever else it wrote lies below ROTI's row
        assert (
            max(i for t, i in rows.items() if r["description"] in t) > rows["ROTI GARDENIA  1 x 3.20  3.20"]
        ), got


# A receipt that prints each item's code and amount on the row above its name (as some
# supermarket tills do), then its totals and the payment.
CODE_ABOVE = [
    "HYPERMARKET",
    "1x 000007996511  75.00SR",
    "AMBROSIAL GREEK",
    "2x 000004497295  5.90SR",
    "WET TISSUE 150S",
    "Sub-total  80.90",
    "CASH  100.00",
    "Change Amt  19.10",
]


def _decode_items(embedded_backend, rows: list[str], wanted: list[dict], ordered: bool = True):
    tok, table, stops = embedded_backend.tokenizer, embedded_backend._table, embedded_backend._stop_ids
    wanted = [{k: r.get(k) for k in ITEM_KEYS} for r in wanted]
    return decode_json_object(
        _wanting(table, json.dumps({"items": wanted}).encode(), stops), tok, [1, 2, 3], ["items"],
        table=table, stop_ids=set(stops), max_value_tokens=24, copy_from="\n".join(rows),
        item_fields=["items"], ordered=ordered,
    ).values["items"]  # fmt: skip


def test_amounts_lie_near_their_description_and_below_the_amount_before(embedded_backend):
    """An amount on the row above the description (the code row) is the record's; the amount of the
    record before, or one printed further away, is not (null, or a span within reach)."""
    right = [
        {"description": "AMBROSIAL GREEK", "quantity": "1", "amount": "75.00"},
        {"description": "WET TISSUE 150S", "quantity": "2", "amount": "5.90"},
    ]
    assert _decode_items(embedded_backend, CODE_ABOVE, right) == [
        {k: r.get(k) for k in ITEM_KEYS} for r in right
    ]
    # the second record wants the first one's amount again
    again = [right[0], {**right[1], "amount": "75.00"}]
    assert _decode_items(embedded_backend, CODE_ABOVE, again, ordered=False)[1]["amount"] == "75.00"
    got = _decode_items(embedded_backend, CODE_ABOVE, again)
    assert got[0] == {k: right[0].get(k) for k in ITEM_KEYS}
    assert got[1]["description"] == "WET TISSUE 150S" and got[1]["amount"] in (None, "5.90", "80.90"), got
    # the first record wants the cash paid, four rows below its name
    cash = [{**right[0], "amount": "100.00"}]
    assert _decode_items(embedded_backend, CODE_ABOVE, cash, ordered=False)[0]["amount"] == "100.00"
    got = _decode_items(embedded_backend, CODE_ABOVE, cash)
    assert got[0]["description"] == "AMBROSIAL GREEK" and got[0]["amount"] in (None, "75.00", "5.90"), got


def test_a_list_does_not_go_on_past_the_totals_that_end_the_table(embedded_backend):
    """A model that goes on from the items to the payment rows (CASH, Change) gets the item rows
    only: the table ends at the first totals row below its first record."""
    wanted = [
        {"description": "AMBROSIAL GREEK", "amount": "75.00"},
        {"description": "WET TISSUE 150S", "amount": "5.90"},
        {"description": "CASH", "amount": "100.00"},
        {"description": "Change Amt", "amount": "19.10"},
    ]
    assert len(_decode_items(embedded_backend, CODE_ABOVE, wanted, ordered=False)) == 4
    got = _decode_items(embedded_backend, CODE_ABOVE, wanted)
    assert [r["description"] for r in got] == ["AMBROSIAL GREEK", "WET TISSUE 150S"], got


@pytest.mark.parametrize(
    "rows, end",
    [
        (["REWE Markt", "Bio Milch 1,19 A", "Brot 2,49 A", "SUMME EUR 3,68", "Bar 5,00", "Rückgeld 1,32"], 3),
        (["Carrefour", "Pain 1,20", "TOTAL TTC 1,20 €", "Espèces 2,00"], 2),
        (["Qty Item  Total", "1 Coke  2.50", "Sub-total  2.50", "TOTAL  2.50"], 2),
        (["货物或应税劳务名称 金额 税率 税额", "餐费 597.44 17% 101.56", "合  计  ￥597.44  ￥101.56"], 2),
        (["ローソン", "おにぎり ¥150", "小計 ¥150", "合計 ¥162"], 2),
        (["Total Qty: 5", "TOTAL 9.00"], 1),  # a count of items is no totals row
    ],
)
def test_the_totals_that_end_an_item_table_are_found_in_any_language(rows, end):
    from llm_stage.items import totals_rows

    assert totals_rows("\n".join(rows))[0] == end


def test_money_cells_are_amounts_the_page_prints(embedded_backend):
    """A model that wants a quantity ("2") and a word ("1KG") in the money cells gets one of the
    page's money spans or null there; the description and quantity are copied as it wants."""
    tok, table, stops = embedded_backend.tokenizer, embedded_backend._table, embedded_backend._stop_ids
    wanted = [{"description": "MILO 1KG", "quantity": "2", "unit_price": "1KG", "amount": "2"}]
    wanted = [{k: r.get(k) for k in ITEM_KEYS} for r in wanted]
    r = decode_json_object(
        _wanting(table, json.dumps({"items": wanted}).encode(), stops), tok, [1, 2, 3], ["items"],
        table=table, stop_ids=set(stops), max_value_tokens=24, copy_from="\n".join(RECEIPT),
        item_fields=["items"],
    )  # fmt: skip
    first = r.values["items"][0]
    assert first["description"] == "MILO 1KG" and first["quantity"] == "2"
    money = {"16.50", "33.00", "3.20", "-1.00", "35.20", "50.00", None}
    assert {rec[c] for rec in r.values["items"] for c in ("unit_price", "amount", "tax")} <= money


def test_a_copy_source_places_every_form_of_the_text_on_its_rows():
    from llm_stage.shapes import CopySource

    doc = "SHOP\nCAFE  2,00\nTOMATES KG\nECOLOGICO  2,89\nCAFE  2,00\nＴＯＴＡＬ 6,89"
    src = CopySource(doc)
    assert len(src.rows) == len(src.data) and min(src.rows) == -1  # the NULs between forms
    cafe = src.advance(None, b"CAFE")
    assert src.start_row(cafe, 4) == 1 and len(cafe) == 6  # twice in each form (raw, collapsed, NFKC)
    below = src.after_row(2)
    assert below.start_row(below.advance(None, b"CAFE"), 4) == 4
    # a description over two rows (the collapsed form) starts on its first row
    assert src.start_row(src.advance(None, b"TOMATES KG ECOLOGICO"), 20) == 2
    below = src.after_row(3)
    assert not below.ok(None, b"SHOP") and not below.ok(None, b"TOMATES")
    assert below.ok(None, b"ECOLOGICO") and below.ok(None, b"TOTAL") and below.ok(None, "ＴＯＴＡＬ".encode())
    assert src.after_row(0).data is src.data and src.after_row(0).ok(None, b"SHOP")
    # a window of rows: values start on rows 2..3 only; a value over two rows ends on its last
    mid = src.between_rows(2, 3)
    assert mid.ok(None, b"TOMATES") and mid.ok(None, b"ECOLOGICO")
    assert not mid.ok(None, b"CAFE") and not mid.ok(None, b"SHOP") and not mid.ok(None, "ＴＯＴＡＬ".encode())
    assert src.end_row(src.advance(None, b"TOMATES KG ECOLOGICO")) == 3 and src.end_row(None) is None


def test_a_model_list_is_brought_to_the_item_keys():
    assert coerce_items(None) is None and coerce_items("CASH BILL") is None
    assert coerce_items([]) == []
    rows = coerce_items(
        [{"name": "MILO", "qty": 2, "price": "16.50", "Total": "33.00", "colour": "red"}, "ROTI"]
    )
    assert rows == [
        {"description": "MILO", "quantity": "2", "unit": None, "unit_price": "16.50", "amount": "33.00",
         "tax_rate": None, "tax": None},
        {"description": "ROTI", **dict.fromkeys(ITEM_KEYS[1:])},
    ]  # fmt: skip
    assert [list(r) for r in rows] == [list(ITEM_KEYS)] * 2
    assert coerce_items('[{"货物名称": "x", "金额": "1.00", "税率": "13%"}]')[0]["amount"] == "1.00"
    assert coerce_items([{}, {"colour": "red"}]) == []  # nothing a row could hold


class _Fixed(Backend):
    """Answers one fixed JSON text (an interface fake: the model's quality is not the point)."""

    name = "fixed"

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def generate(self, messages, keys=None, max_new_tokens=256, copy_from=None, rules=None):
        return GenerationResult(text=self.text)


def test_records_are_grounded_cell_by_cell_with_the_rows_box():
    rows = [
        {"description": "MILO 1KG", "quantity": "2", "unit_price": "16.50", "amount": "33.00"},
        {"description": "ROTI GARDENIA", "quantity": "1", "unit_price": "3.20", "amount": "3.20"},
        {"description": "DISCOUNT", "amount": "-1.00"},
    ]
    ex = extract(
        _ocr(RECEIPT),
        FieldQuery(fields=["line items", "total"]),
        _Fixed(json.dumps({"line items": rows, "total": "35.20"})),
        per_field=False,
    )
    fv = ex.fields["line items"]
    assert [r["description"] for r in fv.value] == ["MILO 1KG", "ROTI GARDENIA", "DISCOUNT"]
    assert len(fv.items) == 3 and fv.grounded
    milo = fv.items[0]
    assert milo.page == 1 and milo.cells["amount"].grounded and milo.cells["unit"].value is None
    # the row's box is the line it was read from (the third line: y 70 to 94), though "2" also
    # occurs in the date above it
    assert milo.box[0][1] == 70 and milo.box[2][1] == 94, milo.box
    assert milo.cells["quantity"].box == milo.box
    assert fv.items[2].box[0][1] > fv.items[1].box[0][1]
    assert not fv.review_reasons and not any(r.review_reasons for r in fv.items)  # 33 + 3.20 - 1 = 35.20
    assert item_check_rate(ex.fields) == (3, 3)
    dumped = json.loads(ex.model_dump_json())
    assert dumped["fields"]["line items"]["items"][0]["cells"]["amount"]["value"] == "33.00"
    assert "items" not in dumped["fields"]["total"]  # only a line-items field carries records


def test_strict_mode_nulls_cells_not_in_the_document():
    rows = [{"description": "MILO 1KG", "amount": "99.99"}, {"description": "CAVIAR", "amount": "500.00"}]
    ex = extract(
        _ocr(RECEIPT), FieldQuery(fields=["items"]), _Fixed(json.dumps({"items": rows})), strict=True
    )
    assert ex.fields["items"].value == [{"description": "MILO 1KG", **dict.fromkeys(ITEM_KEYS[1:])}]


def test_arithmetic_checks_flag_and_never_change_a_value():
    rows = [
        {
            "description": "MILO 1KG",
            "quantity": "2",
            "unit_price": "16.50",
            "amount": "30.00",
        },  # 2 x 16.50 != 30
        {"description": "ROTI GARDENIA", "quantity": "1", "unit_price": "3.20", "amount": "3.20"},
    ]
    doc = [*RECEIPT, "MILO 1KG 2 x 16.50 30.00"]
    ex = extract(
        _ocr(doc),
        FieldQuery(fields=["line items", "total"]),
        _Fixed(json.dumps({"line items": rows, "total": "35.20"})),
        per_field=False,
    )
    fv = ex.fields["line items"]
    assert fv.items[0].review_reasons == [ROW_PRODUCT] and fv.items[0].needs_review
    assert fv.items[1].review_reasons == []
    assert fv.review_reasons == [SUM_TOTAL] and fv.needs_review  # 30 + 3.20 is no total asked
    assert fv.value[0]["amount"] == "30.00"  # flagged, not changed
    assert item_check_rate(ex.fields) == (1, 2)


def test_a_vat_goods_row_checks_amount_times_rate_against_its_tax_in_any_number_format():
    from llm_stage.grounding import OcrIndex, ground_items

    doc = ["办公用品 个 10 12,50 125,00 13% 16,25", "服务费 1 200.00 200.00 6% 13.00", "合计 325.00 29.25"]
    index = OcrIndex(_ocr(doc))
    good = ground_items(index, coerce_items([
        {"description": "办公用品", "unit": "个", "quantity": "10", "unit_price": "12,50", "amount": "125,00",
         "tax_rate": "13%", "tax": "16,25"},
        {"description": "服务费", "quantity": "1", "unit_price": "200.00", "amount": "200.00", "tax_rate": "6%",
         "tax": "13.00"},  # 200 x 6% = 12.00, not 13.00
    ]))  # fmt: skip
    fields = {"商品明细": good, "合计金额": extract_value("325.00")}
    check_items(fields)
    assert good.items[0].review_reasons == []
    assert good.items[1].review_reasons == [ROW_TAX]
    assert SUM_TOTAL not in good.review_reasons  # 125 + 200 = the net total asked


def extract_value(v: str):
    from llm_stage.types import FieldValue

    return FieldValue(value=v, grounded=True)


def test_an_empty_item_table_is_an_empty_list():
    ex = extract(_ocr(["HELLO SHOP", "TOTAL 5.00"]), FieldQuery(fields=["items"]), _Fixed('{"items": []}'))
    assert (
        ex.fields["items"].value == []
        and ex.fields["items"].items == []
        and not ex.fields["items"].needs_review
    )


def test_the_embedded_model_answers_items_as_records_of_document_spans(embedded_backend):
    """The real model, asked for line items on a receipt: a list (possibly empty) of records with
    the item keys, every cell copied from the document, each record grounded."""
    ex = extract(_ocr(RECEIPT), FieldQuery(fields=["total", "line items"]), embedded_backend)
    fv = ex.fields["line items"]
    assert isinstance(fv.value, list) and fv.items is not None and len(fv.items) == len(fv.value)
    doc = "\n".join(RECEIPT)
    for row, rec in zip(fv.value, fv.items, strict=True):
        assert list(row) == list(ITEM_KEYS)
        for k, v in row.items():
            assert v is None or any(v in f for f in copy_forms(doc)), (k, v)
            assert (v is None) == (rec.cells[k].value is None)
    assert json.loads(ex.raw_output)["line items"] is not None or fv.value == []
