"""Normalisers: every documented input format, Chinese uppercase amounts, None handling."""

from __future__ import annotations

import pytest

from llm_stage.normalize import (
    canonical_value,
    chinese_amount_to_decimal,
    field_kind,
    find_amounts,
    find_dates,
    normalize_amount,
    normalize_date,
    normalize_text,
    normalize_value,
    values_equal,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("ＡＢＣ１２３", "abc123"),  # full width -> half width, casefold
        ("  Hello    World \n", "hello world"),
        ("发票代码：４４０３", "发票代码:4403"),
        ("（大写）", "(大写)"),
        ("深圳 市 龙华 新区", "深圳市龙华新区"),  # OCR spaces between CJK characters
        ("NO.53 55 , 57", "no.53 55, 57"),
        ("a—b–c", "a-b-c"),
        ("中国。", "中国."),
        ("￥3495.00", "¥3495.00"),
        ("", ""),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_normalize_text_options():
    assert normalize_text(None) is None
    assert normalize_text("RM 9.00", strip_currency=True) == "9.00"
    assert normalize_text("￥3,495.00", strip_currency=True) == "3,495.00"
    assert normalize_text("RMB 100", strip_currency=True) == "100"
    assert normalize_text("$ 5", strip_currency=True) == "5"
    assert normalize_text("3495元", strip_currency=True) == "3495"
    # A word that merely starts with the letters of a currency code stays.
    assert normalize_text("RMX Plaza", strip_currency=True) == "rmx plaza"
    assert normalize_text("Jalan Sagu 18", drop_spaces=True) == "jalansagu18"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2016年06月12日", "2016-06-12"),
        ("2016年6月12日", "2016-06-12"),
        ("2016 年 6 月 2 日", "2016-06-02"),
        ("开票日期：2016年06月12日", "2016-06-12"),
        ("12/06/2016", "2016-06-12"),  # day first by default
        ("25/12/2018", "2018-12-25"),
        ("12-Jun-2016", "2016-06-12"),
        ("12 Jun 2016", "2016-06-12"),
        ("12 June, 2016", "2016-06-12"),
        ("12JUN16", "2016-06-12"),
        ("Jun 12, 2016", "2016-06-12"),
        ("June 12 2016", "2016-06-12"),
        ("Sept 5, 2019", "2019-09-05"),
        ("2016-06-12", "2016-06-12"),
        ("2016.06.12", "2016-06-12"),
        ("2016/6/12", "2016-06-12"),
        ("20160612", "2016-06-12"),
        ("19-03-18", "2018-03-19"),  # two-digit year -> 20xx
        ("07-02-18", "2018-02-07"),
        ("25/12/2018 8:13:39 PM", "2018-12-25"),
        ("DATE: 06/03/2018 11:25", "2018-03-06"),
        ("13/25/2018", None),  # no valid reading
        ("2016-02-30", None),
        ("TOTAL 9.00", None),
        ("hello", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_date(raw, expected):
    assert normalize_date(raw) == expected


def test_normalize_date_dayfirst_flag():
    assert normalize_date("06/12/2016", dayfirst=False) == "2016-06-12"
    assert normalize_date("06/12/2016") == "2016-12-06"
    # An impossible reading falls back to the other order.
    assert normalize_date("25/12/2018", dayfirst=False) == "2018-12-25"
    assert normalize_date("12/25/2018") == "2018-12-25"
    # Unambiguous formats ignore the flag.
    assert normalize_date("2016年06月12日", dayfirst=False) == "2016-06-12"


def test_find_dates():
    assert find_dates("From 01/02/2018 to 2018年3月4日") == ["2018-02-01", "2018-03-04"]
    assert find_dates("no date here 9.00") == []


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("￥3,495.00", "3495.00"),
        ("¥3495.00", "3495.00"),
        ("RM 9.00", "9.00"),
        ("RM9.00", "9.00"),
        ("9.00 RM", "9.00"),
        ("RMB 100", "100.00"),
        ("$12.5", "12.50"),
        ("3495.00元", "3495.00"),
        ("1.234,56", "1234.56"),  # European
        ("1.234.567,89", "1234567.89"),
        ("12,50", "12.50"),  # one comma and two decimals: decimal comma
        ("1,234", "1234.00"),  # comma and three digits: grouping
        ("1,234,567", "1234567.00"),
        ("-12.5", "-12.50"),
        ("(12.50)", "-12.50"),
        ("12.50-", "-12.50"),
        ("-RM 9.00", "-9.00"),
        ("9", "9.00"),
        ("9.000", "9.00"),  # trailing zeros beyond cents carry nothing
        ("0.125", "0.125"),  # but significant ones are kept: normalising never changes a value
        ("3 495.00", "3495.00"),
        ("9 .00", "9.00"),
        ("-0.00", "0.00"),
        ("０.５０", "0.50"),
        ("叁仟肆佰玖拾伍圆整", "3495.00"),
        ("ⓧ叁仟肆佰玖拾伍圆整", "3495.00"),
        ("17%", None),
        ("TOTAL 9.00", None),
        ("1,23,4", None),
        ("abc", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalize_amount(raw, expected):
    assert normalize_amount(raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("叁仟肆佰玖拾伍圆整", "3495.00"),
        ("壹万零伍拾元伍角陆分", "10050.56"),
        ("⊗叁仟肆佰玖拾伍圆整", "3495.00"),
        ("ⓧ柒仟肆佰捌拾伍圆整", "7485.00"),
        ("（大写）人民币叁佰元整", "300.00"),
        ("陆佰玖拾玖圆正", "699.00"),
        ("零元整", "0.00"),
        ("伍角", "0.50"),
        ("伍角整", "0.50"),
        ("壹佰元零伍分", "100.05"),
        ("拾伍元", "15.00"),
        ("壹拾元", "10.00"),
        ("贰佰零伍元", "205.00"),
        ("壹仟零伍元", "1005.00"),
        ("壹仟伍", "1500.00"),  # elided unit
        ("壹佰万元", "1000000.00"),
        ("壹亿贰仟万元整", "120000000.00"),
        ("貳佰參拾圓", "230.00"),  # traditional forms
        ("叁 仟 肆 佰 玖 拾 伍 圆 整", "3495.00"),
        ("伍角陆", None),  # digit with no unit
        ("圆整", None),
        ("hello", None),
        ("", None),
        (None, None),
    ],
)
def test_chinese_amount_to_decimal(raw, expected):
    assert chinese_amount_to_decimal(raw) == expected


def test_find_amounts():
    assert find_amounts("价税合计(大写) ⓧ叁仟肆佰玖拾伍圆整 (小写)￥3495.00") == ["3495.00"]
    assert find_amounts("TOTAL  RM 9.00  CASH 10.00  CHANGE 1.00") == ["9.00", "10.00", "1.00"]
    # Dashes inside a date are not minus signs.
    assert "-3.00" not in find_amounts("19-03-18")
    # money_only: a decimal part or a currency mark beside the number.
    assert find_amounts("4*>17**74-88<->5492<09//11+", money_only=True) == []
    assert find_amounts("TOTAL RM 9  QTY 2", money_only=True) == ["9.00"]
    assert find_amounts("9元 x 3", money_only=True) == ["9.00"]
    assert find_amounts("QTY 2 @ 4.50", money_only=True) == ["4.50"]


@pytest.mark.parametrize(
    "name, kind",
    [
        ("开票日期", "date"),
        ("date", "date"),
        ("Date", "date"),
        ("invoiceDate", "date"),
        ("due_date", "date"),
        ("价税合计", "amount"),
        ("合计金额", "amount"),
        ("合计税额", "amount"),
        ("total", "amount"),
        ("Subtotal", "amount"),
        ("tax", "amount"),
        ("unit price", "amount"),
        ("价税合计(大写)", "cn_amount"),
        ("发票号码", "text"),
        ("税率", "text"),
        ("购买方纳税人识别号", "text"),
        ("Tax ID", "text"),
        ("tax rate", "text"),
        ("company", "text"),
        ("address", "text"),
    ],
)
def test_field_kind(name, kind):
    assert field_kind(name) == kind


def test_normalize_value_dispatch_and_fallback():
    assert normalize_value("开票日期", "2016年06月12日") == "2016-06-12"
    assert normalize_value("Date", "25/12/2018 8:13:39 PM") == "2018-12-25"
    assert normalize_value("价税合计", "￥3,495.00") == "3495.00"
    assert normalize_value("价税合计", "叁仟肆佰玖拾伍圆整") == "3495.00"
    assert normalize_value("价税合计(大写)", "⊗叁仟肆佰玖拾伍圆整") == "3495.00"
    assert normalize_value("价税合计(大写)", "3495") == "3495.00"
    assert normalize_value("total", "RM 9.00") == "9.00"
    assert normalize_value("company", "  BOOK TA .K  SDN BHD ") == "book ta.k sdn bhd"
    # The specific normaliser fails: fall back to text.
    assert normalize_value("date", "Tomorrow") == "tomorrow"
    assert normalize_value("total", "N/A") == "n/a"
    assert normalize_value("total", None) is None
    assert normalize_value("total", "  ") is None
    assert normalize_value("total", 9.5) == "9.50"


def test_canonical_value_only_for_dates_and_amounts():
    assert canonical_value("开票日期", "2016年06月12日") == "2016-06-12"
    assert canonical_value("价税合计", "￥3,495.00") == "3495.00"
    assert canonical_value("date", "Tomorrow") is None
    assert canonical_value("company", "AEON CO.") is None
    assert canonical_value("total", None) is None


def test_values_equal():
    assert values_equal("开票日期", "2016年06月12日", "2016-06-12")
    assert values_equal("date", "25/12/2018", "2018-12-25")
    assert values_equal("价税合计", "￥3495.00", "3495")
    assert values_equal("价税合计", "叁仟肆佰玖拾伍圆整", "3,495.00")
    assert values_equal("company", "ＡＥＯＮ CO. (M) BHD", "aeon co.(m) bhd")
    assert values_equal("total", None, None)
    assert values_equal("total", None, "")
    assert not values_equal("total", "9.00", None)
    assert not values_equal("total", "9.00", "9.01")
    assert not values_equal("date", "25/12/2018", "2018-12-24")
    assert not values_equal("发票号码", "12269563", "12269568")
