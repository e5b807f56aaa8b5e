"""Item-level evaluation: the record metrics of a line-items field on hand-made gold/predicted
lists, the scalar scores left as they were, and `chatocr eval` end to end on a tiny labelled set with
items (a scripted backend and OCR engine: no model loads)."""

from __future__ import annotations

import json

import pytest
from api_helpers import render_text_png
from click.testing import CliRunner
from fakes import Registry, ScriptedEngine

from chatocr.cli import main as cli
from chatocr.evaluation import load_dataset, summarize
from chatocr.evaluation.dataset import ITEMS_FIELD, DatasetError
from chatocr.evaluation.metrics import ItemStats, item_checks, match_items, score_items
from llm_stage.types import ITEM_KEYS
from ocr_stage.engines import register_engine


def rec(description, amount, **cells) -> dict:
    """A record with exactly ITEM_KEYS (the cells not given are null)."""
    return {k: {"description": description, "amount": amount, **cells}.get(k) for k in ITEM_KEYS}


MILO = rec("MILO 1KG", "33.00", quantity="2", unit_price="16.50")
ROTI = rec("ROTI GARDENIA", "3.20", quantity="1", unit_price="3.20")


def summary_of(*scores: dict) -> dict:
    st = ItemStats()
    for s in scores:
        st.add(s)
    return st.summary()


# -------------------------------------------------------------------- record metrics


def test_the_same_records_in_another_spelling_score_full_marks():
    pred = [
        rec("milo  1kg", "RM 33.00", quantity="2", unit_price="16.5"),
        rec("Roti Gardenia", "3.2", quantity="1", unit_price="3.20"),
    ]
    s = score_items(pred, [MILO, ROTI])
    assert (s["tp"], s["fp"], s["fn"], s["count_ok"]) == (2, 0, 0, True)
    assert s["pairs"] == [[0, 0], [1, 1]]
    v = summary_of(s)
    assert (v["precision"], v["recall"], v["f1"], v["count_accuracy"]) == (1.0, 1.0, 1.0, 1.0)
    assert v["subfields"]["quantity"] == {
        "matched": 2,
        "accuracy": 1.0,
        "labelled": 2,
        "labelled_accuracy": 1.0,
    }


def test_a_european_amount_equals_its_decimal_form():
    gold = [rec("KAFFEE", "1234.50", quantity="1,5", unit_price="823.00")]
    pred = [rec("Kaffee", "1.234,50", quantity="1.5", unit_price="823,00")]
    s = score_items(pred, gold)
    assert s["tp"] == 1 and s["subfields"]["quantity"][0] == 1 and s["subfields"]["unit_price"][0] == 1
    assert score_items([rec("KAFFEE", "1.234,00")], gold)["tp"] == 0


def test_a_wrong_amount_is_a_false_positive_and_a_false_negative():
    s = score_items([rec("MILO 1KG", "30.00", quantity="2", unit_price="16.50"), ROTI], [MILO, ROTI])
    assert (s["tp"], s["fp"], s["fn"], s["count_ok"]) == (1, 1, 1, True)
    v = summary_of(s)
    assert v["precision"] == 0.5 and v["recall"] == 0.5 and v["count_accuracy"] == 1.0
    # 2 x 16.50 is not 30.00: that record fails its arithmetic check; ROTI passes
    assert (s["checks_passed"], s["checked"]) == (1, 2) and v["check_rate"] == 0.5


def test_duplicate_gold_rows_are_matched_one_to_one():
    gold = [MILO, ROTI, MILO]
    # one MILO predicted: it takes the first gold MILO only
    s = score_items([MILO], gold)
    assert (s["tp"], s["fp"], s["fn"], s["count_ok"]) == (1, 0, 2, False) and s["pairs"] == [[0, 0]]
    # three MILOs predicted against two: the third is a false positive
    s = score_items([MILO, MILO, MILO, ROTI], gold)
    assert (s["tp"], s["fp"], s["fn"]) == (3, 1, 0)
    assert match_items([MILO, MILO, MILO, ROTI], gold) == [(0, 0), (1, 2), (3, 1)]


def test_empty_gold_and_empty_prediction():
    s = score_items([], [])
    assert (s["tp"], s["fp"], s["fn"], s["count_ok"], s["checked"]) == (0, 0, 0, True, 0)
    v = summary_of(s)
    assert (v["precision"], v["recall"], v["f1"], v["count_accuracy"]) == (1.0, 1.0, 1.0, 1.0)
    assert v["check_rate"] is None and v["subfields"]["amount"]["accuracy"] is None
    # records for a document without items: false positives; no list for one with items: misses
    s = score_items([MILO], [])
    assert (s["tp"], s["fp"], s["fn"], s["count_ok"]) == (0, 1, 0, False)
    s = score_items(None, [MILO, ROTI])
    assert (s["tp"], s["fp"], s["fn"], s["count_ok"]) == (0, 0, 2, False)
    assert summary_of(s)["precision"] == 0.0 and summary_of(s)["recall"] == 0.0


def test_sub_fields_are_read_over_matched_records_and_null_is_right_only_against_null():
    gold = [rec("A", "10.00", quantity="2", unit="PC", tax_rate=None), rec("B", "5.00", quantity=None)]
    pred = [
        rec("A", "10.00", quantity="3", unit="pc", tax_rate="6%"),  # quantity wrong, tax rate invented
        rec("B", "5.00", quantity=None),  # null = null: right
        rec("C", "1.00", quantity="1"),  # unmatched: not read for sub-fields
    ]
    s = score_items(pred, gold)
    assert s["tp"] == 2
    # [right, matched, right where gold prints the cell, matched where gold prints it]
    assert s["subfields"]["quantity"] == [1, 2, 0, 1]
    assert s["subfields"]["unit"] == [2, 2, 1, 1]  # "pc" = "PC"; null = null on B
    assert s["subfields"]["tax_rate"] == [1, 2, 0, 0]
    assert s["subfields"]["amount"] == [2, 2, 2, 2]  # the amount is part of what makes a match
    v = summary_of(s)["subfields"]
    assert v["quantity"]["accuracy"] == 0.5 and v["quantity"]["labelled_accuracy"] == 0.0
    assert v["tax_rate"]["labelled_accuracy"] is None
    # a tax rate compares as a fraction
    t = score_items([rec("X", "100.00", tax_rate="0.13")], [rec("X", "100.00", tax_rate="13%")])
    assert t["subfields"]["tax_rate"][0] == 1


def test_a_record_without_description_and_amount_matches_nothing():
    blank = rec(None, None, quantity="1")
    assert score_items([blank], [blank])["tp"] == 0
    # a set component printed without a price: description and a null amount match
    coke = rec("L Coke", None, quantity="1")
    assert score_items([rec("l coke", None)], [coke])["tp"] == 1


def test_check_rate_counts_quantity_times_price_and_rate_times_amount():
    assert item_checks([MILO, ROTI]) == (2, 2)
    bad_tax = rec("X", "100.00", tax_rate="13%", tax="12.00")
    assert item_checks([bad_tax, rec("Y", "9.00")]) == (1, 2)
    assert item_checks([]) == (0, 0)
    # an unlabelled document's prediction adds to the check rate only
    v = summary_of(score_items([bad_tax], None), score_items([MILO], [MILO]))
    assert v["documents"] == 1 and v["checked_records"] == 2 and v["check_rate"] == 0.5
    assert (v["tp"], v["fp"], v["fn"]) == (1, 0, 0)


def _doc(image: str, fields: dict, items: dict | None = None) -> dict:
    """A per-document record as the runner writes it, with scalar fields only or items beside."""
    from chatocr.evaluation import score_value

    out = {
        "image": image,
        "fields": {
            k: {"gold": g, "pred": p, **score_value(k, p, g).to_dict()} for k, (g, p) in fields.items()
        },
        "timings": {"ocr_s": 0.1, "llm_s": 0.2},
    }
    if items:
        out["items"] = {k: {"gold": g, "pred": p, **score_items(p, g)} for k, (g, p) in items.items()}
    return out


def test_items_leave_the_scalar_scores_as_they_were():
    scalar = [_doc("a", {"total": ("9.00", "9.00"), "date": ("2018-12-25", None)})]
    with_items = [{**scalar[0], **_doc("a", {}, {"line items": ([MILO], [MILO, ROTI])})}]
    with_items[0]["fields"] = scalar[0]["fields"]
    a, b = summarize(scalar), summarize(with_items)
    assert "items" not in a
    assert {k: v for k, v in b.items() if k != "items"} == a
    assert b["items"]["line items"]["precision"] == 0.5 and b["items"]["line items"]["recall"] == 1.0


# -------------------------------------------------------------------- labelled sets


def _set(tmp_path, labels: list[dict]):
    root = tmp_path / "set"
    (root / "img").mkdir(parents=True)
    for i, lab in enumerate(labels):
        (root / lab["image"]).write_bytes(render_text_png([f"SHOP {i}"], size=(200, 60), font_size=20))
    (root / "labels.jsonl").write_text("".join(json.dumps(x) + "\n" for x in labels), encoding="utf-8")
    return root


def test_item_labels_merge_into_a_set_by_image(tmp_path):
    root = _set(
        tmp_path,
        [
            {"image": "img/a.png", "doc_type": "receipt", "fields": {"total": "36.20"}},
            {"image": "img/b.png", "doc_type": "receipt", "fields": {"total": "5.00"}},
        ],
    )
    items = tmp_path / "items.jsonl"
    items.write_text(json.dumps({"image": "img/b.png", "items": [ROTI]}) + "\n", encoding="utf-8")
    ds = load_dataset(root, items_labels=items)
    assert ds.fields_for("receipt") == ["total", ITEMS_FIELD]
    assert ITEMS_FIELD not in ds.docs[0].fields and json.loads(ds.docs[1].fields[ITEMS_FIELD]) == [ROTI]
    assert len(load_dataset(root, limit=1, items_labels=items).docs) == 1  # the limit comes after
    items.write_text(json.dumps({"image": "img/zzz.png", "items": []}) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"items.jsonl:1: image 'img/zzz.png' is not in the labelled set"):
        load_dataset(root, items_labels=items)
    items.write_text('{"image": "img/a.png", "items": "MILO"}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="not an item label line"):
        load_dataset(root, items_labels=items)


def test_a_generated_test_split_scores_its_line_items(tmp_path):
    """The generator writes a document's item lists beside its scalar fields (`line_items`);
    they are fields of the set like any other."""
    root = _set(
        tmp_path,
        [
            {
                "image": "img/a.png",
                "doc_type": "receipt",
                "fields": {"total": "36.20"},
                "line_items": {"商品明细": [ROTI]},
            }
        ],
    )
    ds = load_dataset(root)
    assert ds.fields_for("receipt") == ["total", "商品明细"]
    assert json.loads(ds.docs[0].fields["商品明细"]) == [ROTI]


# -------------------------------------------------------------------- chatocr eval end to end

SHOP_LINES = {
    0: ["SHOP A", "MILO 1KG 2 x 16.50 33.00", "ROTI GARDENIA 1 x 3.20 3.20", "TOTAL 36.20"],
    1: ["SHOP B", "KOPI 1 x 5.00 5.00", "TOTAL 5.00"],
}


def _answer(keys, messages):
    """A scripted model: shop A's items with one amount misread (and its row check failing), shop
    B's one item; the total right on both."""
    text = json.dumps(messages, ensure_ascii=False)
    if "SHOP A" in text:
        answer = {"total": "36.20", "line items": [MILO, {**ROTI, "amount": "3.90"}]}
    else:
        answer = {"total": "5.00", "line items": [rec("KOPI", "5.00", quantity="1", unit_price="5.00")]}
    return {k: answer.get(k) for k in keys or []}


@pytest.fixture
def scripted(monkeypatch, tmp_path):
    import chatocr.evaluation.runner as runner

    monkeypatch.setattr(runner, "DEFAULT_REPORTS", tmp_path / "reports")  # the OCR cache goes there
    reg = Registry(script=[_answer])
    pages = {"n": 0}

    def make_engine(**_):
        def lines_for(_i):
            pages["n"] += 1
            return SHOP_LINES[(pages["n"] - 1) % 2]

        return ScriptedEngine(lines_for)

    register_engine("items-ocr", make_engine)
    return reg


@pytest.mark.parametrize("merged", [False, True], ids=["items-in-labels", "items-labels-option"])
def test_eval_scores_line_items_end_to_end(scripted, tmp_path, merged):
    kopi = rec("KOPI", "5.00", quantity="1", unit_price="5.00")
    labels = [
        {"image": "img/a.png", "doc_type": "receipt", "fields": {"total": "36.20"}},
        {"image": "img/b.png", "doc_type": "receipt", "fields": {"total": "5.00"}},
    ]
    gold = {"img/a.png": [MILO, ROTI], "img/b.png": [kopi]}
    args = []
    if merged:
        items = tmp_path / "items.jsonl"
        items.write_text("".join(json.dumps({"image": k, "items": v}) + "\n" for k, v in gold.items()))
        args = ["--items-labels", str(items)]
    else:
        for lab in labels:
            lab["fields"]["line items"] = gold[lab["image"]]
    root = _set(tmp_path, labels)
    out = tmp_path / "out" / "run.json"
    r = CliRunner().invoke(
        cli, ["eval", str(root), "-b", "scripted", "-e", "items-ocr", "-o", str(out), "--no-progress", *args]
    )
    assert r.exit_code == 0, r.output
    assert "| line items | 2 | 3 | 3 |" in r.output  # the items table is printed too
    data = json.loads(out.read_text(encoding="utf-8"))
    called = scripted.backend.calls
    assert called and all(set(c["keys"]) <= {"total", "line items"} for c in called)
    assert "line items" in {k for c in called for k in c["keys"]}

    s = data["summary"]
    # the scalar field alone is in the field counts
    assert list(s["fields"]) == ["total"] and s["overall"]["n"] == 2 and s["overall"]["f1"] == 1.0
    it = s["items"]["line items"]
    assert (it["documents"], it["gold_records"], it["predicted_records"]) == (2, 3, 3)
    assert (it["tp"], it["fp"], it["fn"]) == (2, 1, 1)
    assert it["precision"] == pytest.approx(2 / 3) and it["recall"] == pytest.approx(2 / 3)
    assert it["count_accuracy"] == 1.0 and it["check_rate"] == pytest.approx(2 / 3)
    assert it["subfields"]["quantity"] == {
        "matched": 2,
        "accuracy": 1.0,
        "labelled": 2,
        "labelled_accuracy": 1.0,
    }
    doc_a = data["documents"][0]
    assert list(doc_a["fields"]) == ["total"] and doc_a["items"]["line items"]["gold"] == [MILO, ROTI]
    assert data["summary"] == json.loads(json.dumps(summarize(data["documents"])))

    md = out.with_suffix(".md").read_text(encoding="utf-8")
    section = md.split("## Line items", 1)[1].split("\n## ", 1)[0]
    assert "| line items | 2 | 3 | 3 | 66.7 | 66.7 | 66.7 | 100.0 | 66.7 |" in section
    assert "| quantity | 2 | 100.0 | 2 | 100.0 |" in section
    # the document with a miss, what it missed and what it answered instead
    assert "| img/a.png | line items | 2 | 2 | 1 | ROTI GARDENIA = 3.20 | ROTI GARDENIA = 3.90 |" in section
    assert "img/b.png" not in section
    # eval-compare puts the record F1 beside the fields
    r = CliRunner().invoke(cli, ["eval-compare", str(out), str(out)])
    assert r.exit_code == 0, r.output
    row = next(ln for ln in r.output.splitlines() if ln.startswith("line items (records)"))
    assert row.split()[3:6] == ["66.7", "66.7", "0.0"], row


def test_eval_without_items_has_no_items_section(scripted, tmp_path):
    root = _set(tmp_path, [{"image": "img/a.png", "doc_type": "receipt", "fields": {"total": "36.20"}}])
    out = tmp_path / "run.json"
    r = CliRunner().invoke(
        cli, ["eval", str(root), "-b", "scripted", "-e", "items-ocr", "-o", str(out), "--no-progress"]
    )
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert "items" not in data["summary"] and "items" not in data["documents"][0]
    assert "## Line items" not in out.with_suffix(".md").read_text(encoding="utf-8")
