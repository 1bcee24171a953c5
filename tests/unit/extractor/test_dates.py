"""Chinese date and period expressions resolved against the publication date."""

from __future__ import annotations

import pytest

from ecowire.extractor.dates import find_dates, resolve_date, resolve_period


@pytest.mark.parametrize(
    ("expr", "published", "value"),
    [
        ("12月10日", "2024-12-12", "2024-12-10"),
        ("9月22日", "2015-09-23", "2015-09-22"),
        ("12月20日", "2024-12-12", "2024-12-20"),  # a week ahead: the coming date
        ("1月23日", "2020-11-22", "2020-01-23"),  # far ahead: read as the past January
        ("12月28日", "2025-01-05", "2024-12-28"),  # across the new year
        ("2月29日", "2017-03-22", "2016-02-29"),  # back to a leap year
        ("2024年12月1日", None, "2024-12-01"),
        ("2024-11-22", None, "2024-11-22"),
        ("2010.01.29", None, "2010-01-29"),
        ("二〇二四年三月五日", None, "2024-03-05"),
        ("两千零四年八月十五", None, "2004-08-15"),
        ("2015年9月", None, "2015-09"),
        ("今年6月", "2022-12-20", "2022-06"),
        ("去年", "2022-12-20", "2021"),
        ("2024年", None, "2024"),
        ("2023年度", None, "2023"),
        ("12日", "2024-12-19", "2024-12-12"),
        ("昨天", "2024-12-19", "2024-12-18"),
        ("上周一", "2017-03-22", "2017-03-13"),
    ],
)
def test_resolve_date(expr: str, published: str | None, value: str) -> None:
    assert resolve_date(expr, published) == value


@pytest.mark.parametrize(
    ("expr", "published", "value"),
    [
        ("今年1月—11月", "2022-12-20", "2022-01/2022-11"),
        ("1-11月", "2024-12-12", "2024-01/2024-11"),
        ("截至11月底", "2022-12-20", "..2022-11"),
        ("截至今年8月", "2022-12-20", "..2022-08"),
        ("截至2016年3月29日", None, "..2016-03-29"),
        ("截至目前", "2024-11-22", "..2024-11-22"),
        ("上半年", "2024-08-01", "2024-01/2024-06"),
        ("2024年前三季度", None, "2024-01/2024-09"),
        ("2023年第四季度", None, "2023-10/2023-12"),
        ("十四五", None, "2021/2025"),
        ("十二五", None, "2011/2015"),
        ("十五五", None, "2026/2030"),
        ("2023—2030年", None, "2023/2030"),
        ("12月10日—12日", "2024-12-20", "2024-12-10/2024-12-12"),
    ],
)
def test_resolve_period(expr: str, published: str | None, value: str) -> None:
    assert resolve_period(expr, published) == value


def test_intervals_are_not_points() -> None:
    assert resolve_date("上半年", "2024-08-01") is None
    assert resolve_date("十四五", None) is None


@pytest.mark.parametrize(
    "text",
    ["该项目历时3年", "11.3公里健身步道", "1.强化领导", "1/3、1/8和1/5", "GB 21522—2024", "8(j)条款", "第二届"],
)
def test_not_dates(text: str) -> None:
    assert find_dates(text, "2024-12-12") == []


def test_year_less_dates_need_a_publication_date() -> None:
    assert resolve_date("12月10日", None) is None
    assert resolve_date("今年", None) is None


def test_invalid_dates_are_dropped() -> None:
    assert find_dates("2019年2月29日", None) == []
    assert find_dates("2月30日", "2020-03-22") == []


def test_spans_and_kinds_in_text() -> None:
    text = "当地时间11月21日下午,截至2023年,深圳GDP总量已突破3.46万亿元。“十四五”期间,到2025年"
    spans = find_dates(text, "2024-11-22")
    got = [(text[d.start : d.end], d.value, d.kind) for d in spans]
    assert got == [
        ("11月21日", "2024-11-21", "date"),
        ("截至2023年", "..2023", "until"),
        ("十四五", "2021/2025", "plan"),
        ("2025年", "2025", "year"),
    ]
    assert spans[2].last_year == 2025 and not spans[2].is_point and spans[0].is_point
