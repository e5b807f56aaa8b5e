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
from generate_data.fields import CONCEPTS
from generate_data.values import USCC_CHARS, cn_upper_amount, org_code_check, uscc, uscc_check
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
    owner: dict[str, str] = {}
    for cid, c in CONCEPTS.items():  # no alias names two concepts
        for n in c.zh + c.en:
            assert owner.setdefault(n.lower(), cid) == cid, f"{n!r}: {owner[n.lower()]} and {cid}"


def is_valid_uscc(code: str) -> bool:
    if len(code) != 18 or any(c not in USCC_CHARS for c in code):
        return False
    org = code[8:17]
    return uscc_check(code[:17]) == code[17] and org_code_check(org[:8]) == org[8]


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
        num = lambda s: Decimal(str(s).lstrip("¥￥$").replace(",", "").removesuffix("元"))  # noqa: E731
        if "价税合计" in f:
            assert num(f["合计金额"]) + num(f["合计税额"]) == num(f["价税合计"])
            assert sum(num(it["amount"]) for it in f["货物明细"]) == num(f["合计金额"])
            assert sum(num(it["tax"]) for it in f["货物明细"]) == num(f["合计税额"])
            assert f["价税合计（大写）"] == cn_upper_amount(num(f["价税合计"]))
        if dtype == "my_receipt":
            assert num(f["subtotal"]) + num(f.get("tax", "0")) + num(f.get("rounding", "0")) == num(
                f["total"]
            )
            assert num(f["cash"]) - num(f["total"]) == num(f["change"])
        if dtype == "us_receipt":
            assert num(f["subtotal"]) + num(f["tax"]) == num(f["total"])
        if "items" in f and "subtotal" in f:  # discount rows included, voided rows left out
            assert sum(num(it["amount"]) for it in f["items"]) == num(f["subtotal"])
        if "商品明细" in f:
            assert sum(num(it["amount"]) for it in f["商品明细"]) == num(f["合计"])


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
def test_value_rules_leave_the_generators_labels_right(built):
    # As if the model had answered every label exactly: the value rules (address growth, legal
    # names, party boxes, paid totals) must keep nearly all of them (bench.rule_audit on 4,148
    # training samples: 0.17% changed: labels cut at a box edge, and mall lines above an address).
    from chatocr.evaluation.metrics import score_value
    from llm_stage.value_rules import apply_value_rules

    _, _, recs = built
    kept = total = 0
    for r in recs:
        for smp in r["samples"]:
            gold = json.loads(smp["conversation"][0]["output"])
            labels = {k: v for k, v in gold.items() if v is None or isinstance(v, str)}
            after = apply_value_rules(dict(labels), r["ocr_text"])
            for k, v in labels.items():
                total += 1
                kept += after[k] == v or bool(score_value(k, after[k], v).tp)
    assert total > 100 and kept / total >= 0.97, (kept, total)


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
    assert splits.count("train") > 4 * (splits.count("val") + splits.count("test")) > 0
    assert splits == [build.split_for(i, 0) for i in range(2000)]


def test_splits_option_builds_only_those_documents(tmp_path):
    n, seed = 60, 11
    want = sorted(i for i in range(n) if build.split_for(i, seed) in ("val", "test"))
    assert 0 < len(want) < n // 3
    stats = build.run(n, seed, TYPES, tmp_path, workers=1, ocr=False, progress=False, splits=("val", "test"))
    assert stats["documents"] == len(want)
    pages = sorted((tmp_path / "preview" / "img").glob("*.jpg"))
    assert [int(p.name.split("_")[0]) for p in pages] == want
    with pytest.raises(ValueError, match="unknown split"):
        build.run(n, seed, TYPES, tmp_path, ocr=False, progress=False, splits=("dev",))


def test_splits_option_on_the_command_line(tmp_path):
    from click.testing import CliRunner

    from generate_data.cli import main

    r = CliRunner().invoke(main, ["--n", "3", "--out", str(tmp_path), "--splits", "train,dev"])
    assert r.exit_code == 2 and "--splits" in r.output and "choose from train, val, test" in r.output


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


# ---------------------------------------------------------------- realistic receipts, VAT labels, injections, weights
def _drawn(monkeypatch):
    """Record every string a layout prints with its height on the page; `_top_down` reads them."""
    from generate_data import render

    calls: list[tuple[float, str]] = []
    orig = render.Canvas.text

    def text(self, xy, s, *a, **k):
        calls.append((xy[1], s))
        return orig(self, xy, s, *a, **k)

    monkeypatch.setattr(render.Canvas, "text", text)
    return calls


def _top_down(calls: list[tuple[float, str]]) -> list[str]:
    """The printed strings as a reader meets them: top to bottom, left to right within a row."""
    return [s for _, s in sorted(calls, key=lambda c: c[0])]


def _make(dtype, i, share=None):
    from generate_data.doctypes import Fakers

    rng = random.Random(f"t:{dtype}:{i}")
    dt = REGISTRY[dtype]
    doc = build.generate_doc(dt, rng, Fakers(rng), injection_share=share)
    return dt, doc, rng


SUFFIXES = (
    "SDN BHD",
    "SDN. BHD.",
    "S/B",
    "SB",
    "BHD",
    "ENTERPRISE",
    "TRADING",
    "PTE LTD",
    "PTE. LTD.",
    "PTE LTD.",
    "Sdn Bhd",
)


def test_my_receipt_header_address_totals_and_date(monkeypatch):
    import re

    with_suffix = 0
    for i in range(30):
        dt, doc, rng = _make("my_receipt", i, share=0)
        f, data = doc.fields, doc.data
        drawn = _drawn(monkeypatch)
        build.render_page(dt, doc, rng)
        monkeypatch.undo()
        calls = _top_down(drawn)
        with_suffix += f["company"].endswith(SUFFIXES)
        # company first after any pre-header lines, registration number right beside or under it
        # (or both in an "Owned by" footer when the top shows a brand)
        k = next(i for i, c in enumerate(calls) if f["company"] in c)
        if data["owner"] != "footer":
            assert k == len(data["pre_header"]), calls[: k + 1]
        assert any(f["registration_no"] in c for c in calls[k : k + 3]), calls[k : k + 3]
        # the address prints over 2-4 lines and its gold is those lines joined by one space
        lines = data["addr_lines"]
        assert 1 <= len(lines) <= 4 and f["address"] == " ".join(lines)
        assert all(line in calls for line in lines)
        # the date is printed, and its gold carries no time
        assert not re.search(r"\d{1,2}:\d{2}", f["date"]) and any(f["date"] in c for c in calls)
        # the true total next to distractors that are not it
        joined = "\n".join(calls).upper()
        assert f["total"] in joined
        assert "CHANGE" in joined or "BALANCE" in joined
        assert any(w in joined for w in ("SUB", "EXCL", "ROUNDING", "GST", "SST", "QTY", "VOLUME"))
        assert "." in f["total"] and not f["total"].startswith("RM")
    assert with_suffix >= 20


def _my_rendered(i: int, monkeypatch, tag: str = "rw"):
    """A my_receipt's doc, the strings its page prints top down, and the page (no injection)."""
    from generate_data.doctypes import Fakers

    rng = random.Random(f"{tag}:{i}")
    dt = REGISTRY["my_receipt"]
    doc = build.generate_doc(dt, rng, Fakers(rng), injection_share=0)
    drawn = _drawn(monkeypatch)
    img = build.render_page(dt, doc, rng)
    monkeypatch.undo()
    return doc, _top_down(drawn), img


@pytest.fixture(scope="module")
def my_receipts():
    """120 Malaysian receipts rendered once for the layout tests below: (doc, strings top down)."""
    mp = pytest.MonkeyPatch()
    try:
        return [_my_rendered(i, mp)[:2] for i in range(120)]
    finally:
        mp.undo()


def test_my_receipt_lines_above_the_company(my_receipts):
    """Real receipts print codes, logos, brands, headings and greetings above the legal name: the
    first line is not the company, and the gold company is still printed verbatim."""
    n, with_pre, kinds, footer_only, legal_under_brand = len(my_receipts), 0, set(), 0, 0
    for doc, calls in my_receipts:
        f, data = doc.fields, doc.data
        pre = data["pre_header"]
        assert len(pre) <= 2
        assert any(f["company"] in c for c in calls), f["company"]  # verbatim, somewhere
        k = next(j for j, c in enumerate(calls) if f["company"] in c)
        if pre:
            with_pre += 1
            kinds |= {kind for kind, _ in pre}
            assert calls[: len(pre)] == [line for _, line in pre]  # printed at the top, in order
            assert all(f["company"] not in line for _, line in pre)
            assert f["company"] not in calls[0]
            assert k >= len(pre)
        brand = next((line for kind, line in pre if kind == "brand"), None)
        if data["owner"] == "footer":  # the top shows the brand; the legal name only at the bottom
            footer_only += 1
            assert brand and brand != f["company"]
            assert k > len(pre) + len(data["addr_lines"])
            assert any(
                w in " ".join(calls[k - 1 : k + 1]).lower() for w in ("owned by", "operated by", "managed by")
            )
        elif brand:
            legal_under_brand += 1
            assert k == len(pre)
    assert 0 < with_pre < n, with_pre  # some receipts print lines above the company, not all
    assert kinds == {"code", "logo", "brand", "heading", "welcome"}
    assert footer_only and legal_under_brand


def test_my_receipt_gst_summary_total_is_not_the_total(my_receipts):
    n, seen = len(my_receipts), 0
    for doc, calls in my_receipts:
        f, summary = doc.fields, doc.data["gst_summary"]
        if not summary:
            continue
        seen += 1
        assert "tax" in f and summary["amount"] == f["subtotal"] and summary["tax"] == f["tax"]
        assert summary["amount"] != f["total"]
        head = next(j for j, c in enumerate(calls) if "Summary" in c or "SUMMARY" in c or "Analysis" in c)
        total_row = next(j for j in range(head, len(calls)) if calls[j].upper().startswith("TOTAL"))
        assert calls[total_row + 1 : total_row + 3] == [summary["amount"], summary["tax"]]
        assert f["total"] not in calls[total_row + 1 : total_row + 3]
        # the receipt total is still printed above the block
        assert any(f["total"] in c for c in calls[:head])
    assert 0 < seen < n, seen  # some receipts carry a summary table, not all


def test_my_receipt_address_and_branch_lines(my_receipts):
    premises = state_alone = branch_above = 0
    for doc, calls in my_receipts:
        f, data = doc.fields, doc.data
        lines = data["addr_lines"]
        assert 1 <= len(lines) <= 4 and f["address"] == " ".join(lines)
        pos = [calls.index(line) for line in lines]
        assert pos == sorted(pos) and pos[-1] - pos[0] == len(lines) - 1  # consecutive printed lines
        assert ".." not in f["address"]
        premises += lines[0].endswith(",") and lines[0].split(",")[0].startswith(
            ("LEVEL", "GROUND", "1ST", "3RD", "LOT G-")
        )
        state_alone += lines[-1].rstrip(".").split(" D")[0] in {
            "SELANGOR",
            "JOHOR",
            "PERAK",
            "KEDAH",
            "MELAKA",
            "PAHANG",
        }
        if data["branch"]:
            assert data["branch"] not in f["address"]  # an outlet name is not the postal address
            if data["branch_above"]:
                branch_above += 1
                assert calls.index(data["branch"]) < pos[0]
        if f["change"].startswith("0") and not f["change"].startswith("0."):
            assert Decimal(f["change"]) < 10 and any(f["change"] in c for c in calls)
    assert premises and state_alone and branch_above


def test_my_receipt_real_world_patterns_are_deterministic(monkeypatch):
    for i in (0, 3, 11):
        a_doc, a_calls, a_img = _my_rendered(i, monkeypatch, "det")
        b_doc, b_calls, b_img = _my_rendered(i, monkeypatch, "det")
        assert a_doc.fields == b_doc.fields and a_doc.data == b_doc.data
        assert a_calls == b_calls and a_img.tobytes() == b_img.tobytes()
    pres = [_my_rendered(i, monkeypatch, "det")[0].data["pre_header"] for i in range(12)]
    assert len({repr(p) for p in pres}) > 3  # different seeds, different headers


def test_vat_labels_look_like_the_real_ones():
    import re

    from generate_data.doctypes import Fakers

    for dtype in ("vat_special_invoice", "vat_normal_invoice"):
        for i in range(10):
            rng = random.Random(f"v:{dtype}:{i}")
            f = REGISTRY[dtype].generate(rng, Fakers(rng)).fields
            assert re.fullmatch(r"\d{4}年\d{2}月\d{2}日", f["开票日期"])
            for k in ("合计金额", "合计税额", "价税合计"):
                assert re.fullmatch(r"￥\d+\.\d{2}", f[k]), f[k]
            assert f["税率"] in {"17%", "16%", "13%", "11%", "10%", "9%", "6%", "3%"}
            if f["开票日期"] < "2018年05月":
                assert f["税率"] not in {"13%", "16%", "9%", "10%"}


def test_injection_recorded_and_targets_unchanged(monkeypatch):
    from generate_data import injection

    seen_zh = seen_en = 0
    for dtype in ("my_receipt", "vat_special_invoice", "us_receipt"):
        for i in range(8):
            _, clean_doc, _ = _make(dtype, i, share=0)
            dt, doc, rng = _make(dtype, i, share=1)
            assert doc.fields == clean_doc.fields  # ground truth never changes
            inj = doc.data["injection"]
            rec = injection.record(inj)
            assert set(rec) >= {"text", "target_field", "value"}
            assert (
                rec["value"] != doc.fields[rec["target_field"]]
                and rec["true_value"] == doc.fields[rec["target_field"]]
            )
            seen_zh += inj["lang"] == "zh"
            seen_en += inj["lang"] == "en"
            calls = _drawn(monkeypatch)
            build.render_page(dt, doc, rng)
            monkeypatch.undo()
            drawn = "\n".join(_top_down(calls))
            assert doc.data["injection_drawn"]
            assert (
                all(p in drawn for p in inj["print_lines"])
                or all(t in drawn for t in inj["text"].split("\n"))
                or dt.name not in ("my_receipt", "vat_special_invoice")
            )  # other layouts get a band after rendering
    assert seen_zh and seen_en
    # the share setting (its environment variable) decides how many documents print one
    monkeypatch.setenv(injection.SHARE_ENV, "0.1")
    hits = sum(bool(_make("my_receipt", i)[1].data.get("injection")) for i in range(100))
    assert 0 < hits < 50
    monkeypatch.setenv(injection.SHARE_ENV, "0")
    assert not any(_make("my_receipt", i)[1].data.get("injection") for i in range(100))


def test_injection_corpus_layout(tmp_path):
    from generate_data.injection_corpus import build_corpus

    build_corpus(3, 9001, tmp_path, progress=False)
    labels = [
        json.loads(x) for x in (tmp_path / "test" / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(labels) == 3
    for lab in labels:
        assert (tmp_path / "test" / lab["image"]).is_file()
        inj = lab["injection"]
        assert lab["fields"][inj["target_field"]] == inj["true_value"] != inj["value"]


def test_weights_give_a_deterministic_proportional_mix():
    from click import BadParameter

    from generate_data.cli import DEFAULT_WEIGHTS, _types
    from generate_data.values import doc_type_for_weighted, parse_weights, weighted_types

    w = parse_weights(DEFAULT_WEIGHTS)
    assert w == {"my_receipt": 3, "vat_special_invoice": 2, "vat_normal_invoice": 1}
    expanded = weighted_types(TYPES, w)
    n = 60 * len(expanded)
    got = [build.doc_type_for(i, 5, expanded) for i in range(n)]
    assert got == [doc_type_for_weighted(i, 5, TYPES, w) for i in range(n)]
    assert got.count("my_receipt") == 3 * got.count("us_receipt") == 3 * got.count("vat_normal_invoice")
    assert got.count("vat_special_invoice") == 2 * got.count("train_ticket")
    assert weighted_types(["a", "b"], {"a": 4, "b": 2}) == ("a", "a", "b")
    assert _types("my_receipt", DEFAULT_WEIGHTS) == ["my_receipt"]
    assert sorted(set(_types("all", "none"))) == TYPES
    with pytest.raises(BadParameter):
        _types("all", "my_receipt=x")
    with pytest.raises(BadParameter):
        _types("all", "nope=2")


def test_core_field_names_are_asked_often():
    from generate_data.doctypes import Fakers
    from generate_data.queries import CORE_FIELDS, make_queries

    for dtype, keys in CORE_FIELDS.items():
        asked = nulls = 0
        for i in range(15):
            rng = random.Random(f"q:{dtype}:{i}")
            doc = REGISTRY[dtype].generate(rng, Fakers(rng))
            for q, a in make_queries(REGISTRY[dtype], doc, rng, 4):
                asked += sum(k in keys for k in q.keys)
                nulls += sum(a[k] is None for k in q.keys if k in keys)
                for k in q.keys:
                    if k in keys:
                        assert a[k] == doc.fields.get(k)
        assert asked >= 60, (dtype, asked)


def test_training_targets_snap_to_what_the_ocr_read():
    from generate_data.build import snap_answer, snap_to_text

    text = "TOTAL  RM 9.00\nNO.53 JALAN SAGU 18,\nTAMAN DAYA 81100 J0HOR\n2016年06月12日"
    # printed verbatim (across rows too): unchanged
    assert snap_to_text("NO.53 JALAN SAGU 18, TAMAN DAYA", text) == "NO.53 JALAN SAGU 18, TAMAN DAYA"
    # an OCR slip (0 for O): the target becomes the span the OCR read, which copy decoding can produce
    assert snap_to_text("NO.53 JALAN SAGU 18, TAMAN DAYA 81100 JOHOR", text) == (
        "NO.53 JALAN SAGU 18, TAMAN DAYA 81100 J0HOR"
    )
    # nothing close: unchanged (and nulls/lists pass through)
    assert snap_to_text("ABC SDN BHD", text) == "ABC SDN BHD"
    assert snap_answer({"a": None, "b": "9.00"}, text) == {"a": None, "b": "9.00"}
