"""Parsing and validation of model replies (no model needed)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llm_stage.parsing import OutputInvalidError, parse_answer, parse_json_object

KEYS = ["发票号码", "价税合计"]


@pytest.mark.parametrize(
    "reply",
    [
        '{"发票号码": "12269563", "价税合计": "￥3495.00"}',
        'Sure! Here it is:\n```json\n{"发票号码": "12269563", "价税合计": "￥3495.00"}\n```\nHope this helps.',
        "{'发票号码': '12269563', '价税合计': '￥3495.00'}",
        '{"发票号码": "12269563", "价税合计": "￥3495.00",}',
        '{"发票号码": "12269563", "价税合计": "￥3495.00"} and then some trailing prose {with braces}',
        '{"发票号码 ": "12269563", "价税合计": "￥3495.00"}',  # key spacing differs
    ],
)
def test_lenient_json_forms(reply):
    assert parse_answer(reply, KEYS) == {"发票号码": "12269563", "价税合计": "￥3495.00"}


def test_numbers_keep_their_printed_form_and_order_follows_the_query():
    out = parse_answer('{"total": 9.00, "date": null}', ["date", "total"])
    assert list(out) == ["date", "total"]
    assert out == {"date": None, "total": "9.00"}


@pytest.mark.parametrize(
    "reply, needle",
    [
        ("I cannot find anything.", "no JSON object"),
        ('{"发票号码": "1"', "not closed"),
        ('{"发票号码": "1", "价税合计": }', "not valid JSON"),
        ('{"发票号码": "1"}', "missing key '价税合计'"),
        ('{"发票号码": "1", "价税合计": "2", "hacked": 1}', "unexpected key 'hacked'"),
        ('{"发票号码": {"a": 1}, "价税合计": "2"}', "发票号码"),
        ("[1, 2]", "no JSON object"),
    ],
)
def test_invalid_replies_raise_one_error_type_with_a_useful_message(reply, needle):
    with pytest.raises(OutputInvalidError) as e:
        parse_answer(reply, KEYS)
    assert needle in str(e.value)
    assert e.value.output  # the reply travels with the error, for the retry message


def test_line_items_key_may_hold_a_list_of_objects():
    reply = json.dumps({"line items": [{"name": "A4 paper", "amount": "12.00"}], "total": "12.00"})
    out = parse_answer(reply, ["line items", "total"])
    assert out["line items"] == [{"name": "A4 paper", "amount": "12.00"}]
    with pytest.raises(OutputInvalidError):
        parse_answer(json.dumps({"vendor": [{"a": "b"}], "total": "1"}), ["vendor", "total"])


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=8), st.one_of(st.none(), st.text(max_size=20)), min_size=1, max_size=5
    )
)
def test_round_trip_of_any_canonical_answer(values):
    keys = list(values)
    # distinct after normalisation, else the mapping is ambiguous by design
    from llm_stage.parsing import _norm_key

    if len({_norm_key(k) for k in keys}) != len(keys):
        return
    assert parse_answer(json.dumps(values, ensure_ascii=False), keys) == values


def test_garbage_never_raises_anything_but_output_invalid():
    for junk in ["", "{", "}{", '{"a": "\\x"}', "{'a': nan}", "{" * 500, '{"a": "b" "c"}']:
        try:
            parse_json_object(junk)
        except OutputInvalidError:
            pass
