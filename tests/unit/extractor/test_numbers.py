"""The number grammar: Arabic, Chinese and mixed numerals, multipliers, and what is not a number."""

from __future__ import annotations

import pytest

from ecowire.extractor.numbers import find_numbers, fold, parse_number, trailing_multiplier


@pytest.mark.parametrize(
    ("surface", "value"),
    [
        ("418", 418), ("3.46", 3.46), ("1,050,000,000", 1050000000), ("１２３", 123),
        ("418万", 4180000), ("6.5亿", 6.5e8), ("3.46万亿", 3.46e12), ("1,100.9亿", 110090000000),
        ("五千万", 5e7), ("两亿", 2e8), ("一万五千亿", 1.5e12), ("四万万", 4e8), ("10万万", 1e9),
        ("十", 10), ("十五", 15), ("一百一十", 110), ("两千四百五", 2450), ("一万三", 13000),
        ("九十二万四", 924000), ("一千零五", 1005), ("一千零五十", 1050), ("七十八万五佰零六", 780506),
        ("肆佰陸拾", 460), ("壹佰伍拾", 150), ("二零零四", 2004), ("三六七", 367),
        ("十五点七", 15.7), ("两千万点五五四四", 20000000.5544), ("负三十二", -32), ("-10000", -10000),
        ("5万4千6百", 54600), ("3万4000", 34000), ("2千零30万", 20300000), ("1千零1", 1001),
        ("五兆六十二亿四万五千二", 5006200045200),
        ("四千五百六十九万八千三百一十一亿四千八百七十二万五千三百八十二", 4569831148725382),
    ],
)  # fmt: skip
def test_parse_number(surface: str, value: float) -> None:
    assert parse_number(surface) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize("surface", ["万", "万万", "三四十", "", "负", "百三"])
def test_not_a_number(surface: str) -> None:
    assert parse_number(surface) is None


@pytest.mark.parametrize(
    ("surface", "mult"), [("8千", 1e3), ("8万", 1e4), ("3.46万亿", 1e12), ("8千万", 1e7), ("8", 1), ("二十", 1)]
)
def test_trailing_multiplier(surface: str, mult: float) -> None:
    assert trailing_multiplier(surface) == mult


def test_fold_keeps_length() -> None:
    s = "兑换１．０７５３美元，２２％"
    assert len(fold(s)) == len(s)
    assert fold(s) == "兑换1.0753美元,22%"


def test_find_numbers_spans_and_words() -> None:
    text = "这不是四川这是五台山，一切正常，二氧化碳排放418万吨，PM2.5和CO2不是数字"
    got = [(text[n.start : n.end], n.value) for n in find_numbers(text)]
    assert ("五", 5) in got
    assert ("418万", 4180000) in got
    assert all(s not in ("四", "一", "二", "2.5", "2") for s, _ in got)


def test_find_numbers_does_not_split_inside_numeral() -> None:
    text = "一百零一万一千"
    assert [(n.start, n.end, n.value) for n in find_numbers(text)] == [(0, 7, 1011000)]


def test_chinese_words_with_numerals_are_not_corrupted() -> None:
    """cn2an-style whole-string conversion turns 二氧化碳 into 2氧化碳; we only read numerals."""
    text = "二氧化碳一河一策"
    spans = find_numbers(text)
    assert all(text[n.start : n.end] in ("二", "一") for n in spans)
