"""The synthetic data generator: every type renders and its OCR text holds most of its values,
samples are valid XTuner conversations whose answers have exactly the query's keys, a seed gives
the same data, splits share no document, and a re-run resumes."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest

from generate_data import build
from generate_data.doctypes import REGISTRY
from generate_data.fields import CONCEPTS, check_aliases_unique
from generate_data.values import cn_upper_amount, is_valid_uscc, uscc
from llm_stage.types import FieldQuery

TYPES = sorted(REGISTRY)
SEED = 7


@pytest.fixture(scope="session")
def built(tmp_path_factory, rapid_engine):
    """One document of every type through the real OCR engine (round-robin assigns one each)."""
    out = tmp_path_factory.mktemp("gen")
    build._ENGINE = rapid_engine
    stats = build.run(len(TYPES), SEED, TYPES, out, workers=1, queries=4, progress=False)
    recs = build.load_records(out, range(len(TYPES)), SEED, TYPES)
    return out, stats, recs


def test_at_least_twelve_types_in_both_languages():
    assert len(TYPES) >= 12
    assert {REGISTRY[t].spec.lang for t in TYPES} == {"zh", "en"}
    assert check_aliases_unique() == []


def test_uscc_check_characters_and_uppercase_amounts():
    rng = random.Random(0)
    assert all(is_valid_uscc(uscc(rng)) for _ in range(200))
    assert is_valid_uscc("91350100M000100Y43")  # a published example code
    assert not is_valid_uscc("91350100M000100Y44")
    assert cn_upper_amount(Decimal("3495.00")) == "叁仟肆佰玖拾伍圆整"
    assert cn_upper_amount(Decimal("100500.07")) == "壹拾万零伍佰圆零柒分"
    assert cn_upper_amount(Decimal("1001.50")) == "壹仟零壹圆伍角整"


@pytest.mark.parametrize("dtype", TYPES)
def test_values_add_up(dtype):
    for i in range(5):
        rng = random.Random(f"{dtype}{i}")
        from generate_data.doctypes import Fakers

        f = REGISTRY[dtype].generate(rng, Fakers(rng)).fields
        num = lambda s: Decimal(str(s).lstrip("¥$").replace(",", "").removesuffix("元"))  # noqa: E731
        if "价税合计" in f:
            assert num(f["合计金额"]) + num(f["合计税额"]) == num(f["价税合计"])
            assert sum(num(it["金额"]) for it in f["货物明细"]) == num(f["合计金额"])
            assert f["价税合计（大写）"] == cn_upper_amount(num(f["价税合计"]))
        if dtype == "my_receipt":
            assert num(f["subtotal"]) + num(f["gst"]) + num(f.get("rounding", "0")) == num(f["total"])
            assert num(f["cash"]) - num(f["total"]) == num(f["change"])
        if dtype == "us_receipt":
            assert num(f["subtotal"]) + num(f["tax"]) == num(f["total"])
        if "items" in f and "subtotal" in f:
            assert sum(num(it["amount"]) for it in f["items"]) == num(f["subtotal"])


def test_same_seed_same_documents():
    for i in (0, 5, 13):
        a = build.render_document(i, 3, TYPES)
        b = build.render_document(i, 3, TYPES)
        assert a[1].fields == b[1].fields
        assert a[3].tobytes() == b[3].tobytes()
    assert build.render_document(1, 3, TYPES)[1].fields != build.render_document(1, 4, TYPES)[1].fields


@pytest.mark.slow
def test_every_type_rendered_and_ocr_reads_most_values(built):
    _, stats, recs = built
    assert sorted(r["doc_type"] for r in recs) == TYPES
    for r in recs:
        hits = r["ocr_contains"]
        share = sum(hits.values()) / len(hits)
        assert share >= 0.5, (r["doc_type"], r["augment"], [k for k, ok in hits.items() if not ok])
    overall = sum(sum(r["ocr_contains"].values()) for r in recs) / sum(len(r["ocr_contains"]) for r in recs)
    assert overall >= 0.75


@pytest.mark.slow
def test_samples_are_xtuner_and_round_trip(built):
    out, _, recs = built
    lines = []
    for split in build.SPLITS:
        lines += [json.loads(x) for x in (out / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 4 * len(TYPES)
    nulls = lists = questions = 0
    for r in recs:
        for q, smp in zip(r["queries"], r["samples"], strict=True):
            query = FieldQuery(**q["query"])
            (conv,) = smp["conversation"]
            assert set(conv) == {"system", "input", "output"}
            assert r["ocr_text"].strip()[:20] in conv["input"]
            answer = json.loads(conv["output"])
            assert list(answer) == query.keys
            try:
                from llm_stage.parsing import parse_answer
            except ImportError:
                parse_answer = None
            if parse_answer is not None:
                assert parse_answer(conv["output"], query.keys) == answer
            for v in answer.values():
                nulls += v is None
                lists += isinstance(v, list)
                assert v is None or isinstance(v, (str, list))
            questions += bool(query.question)
    assert nulls and lists and questions
    data = json.loads((out / "data.json").read_text(encoding="utf-8"))
    assert isinstance(data, list) and all("conversation" in s for s in data)


@pytest.mark.slow
def test_splits_share_no_document_and_rerun_resumes(built, tmp_path):
    out, stats, recs = built
    by_split = {s: {r["id"] for r in recs if r["split"] == s} for s in build.SPLITS}
    assert not (by_split["train"] & by_split["val"]) and not (by_split["train"] & by_split["test"])
    split_of_input = {}
    for s in build.SPLITS:
        for line in (out / f"{s}.jsonl").read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)["conversation"][0]["input"].split("</document>")[0]
            assert split_of_input.setdefault(doc, s) == s
    labels = [json.loads(x) for x in (out / "test" / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(labels) == len(by_split["test"])
    for lab in labels:
        assert (out / "test" / lab["image"]).is_file() and lab["fields"]
    again = build.run(len(TYPES), SEED, TYPES, out, workers=1, queries=4, progress=False)
    assert again["run"]["skipped"] == len(TYPES) and again["run"]["built"] == 0


def test_split_is_a_function_of_the_document():
    splits = [build.split_for(i, 0) for i in range(2000)]
    assert 0.85 < splits.count("train") / 2000 < 0.95
    assert splits == [build.split_for(i, 0) for i in range(2000)]


def test_every_concept_has_a_name_in_each_language():
    for cid, c in CONCEPTS.items():
        assert c.zh and c.en, cid


def test_item_field_names_are_list_fields_for_the_parser():
    parsing = pytest.importorskip("llm_stage.parsing")
    for t in TYPES:
        for f in REGISTRY[t].spec.fields:
            if CONCEPTS[f.concept].items:
                assert parsing.is_list_field(f.key), f.key
    for name in CONCEPTS["items"].zh + CONCEPTS["items"].en:
        assert parsing.is_list_field(name), name
