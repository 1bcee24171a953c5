"""Chinese date and period expressions resolved against the publication date."""

from __future__ import annotations

import itertools

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
        ("下个月", "2017-03-22", "2017-04"),
        ("上一年", "2024-11-22", "2023"),
        ("年底", "2015-06-22", "2015-12"),
        ("去年底", "2024-11-22", "2023-12"),
        ("07年", None, "2007"),
        ("零八年", None, "2008"),
        ("民国三年", None, "1914"),
        ("康熙二十年9月", None, "1681-09"),
        ("到本世纪中叶", "2024-11-22", "2050"),
        ("2009年10月12号，星期一", None, "2009-10-12"),  # the weekday belongs to the date
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
        # issue 12: time as news writes it
        ("近三年来", "2024-11-22", "2021-11-22/2024-11-22"),  # N units back end on the publication day
        ("过去十年", "2018-07-24", "2008-07-24/2018-07-24"),
        ("上2个月", "2017-03-22", "2017-01-22/2017-03-22"),
        ("未来两天", "2017-03-22", "2017-03-23/2017-03-24"),  # N units ahead start the day after
        ("今后五年", "2024-11-22", "2024-11-23/2029-11-22"),
        ("2016-2018年", None, "2016/2018"),
        ("从2016到2018", None, "2016/2018"),
        ("二〇一六年至二〇一八年", None, "2016/2018"),
        ("2010年之后2018年之前", None, "2010/2017"),
        ("18年10月1日到19年2月3日", None, "2018-10-01/2019-02-03"),
        ("2018/1/10-2018/7/10", None, "2018-01-10/2018-07-10"),
        ("前三季度", "2024-11-22", "2024-01/2024-09"),
        ("前3季度", "2024-11-22", "2024-01/2024-09"),
        ("一季度", "2024-11-22", "2024-01/2024-03"),
        ("第2季度", "2024-11-22", "2024-04/2024-06"),
        ("今年前10个月", "2024-11-22", "2024-01/2024-10"),
        ("前11个月", "2025-01-10", "2024-01/2024-11"),  # published in January: last year's
        ("下半年", "2024-11-22", "2024-07/2024-12"),
        ("今年夏天", "2017-03-22", "2017-06/2017-08"),
        ("去年冬季", "2024-11-22", "2023-12/2024-02"),
        ("上季度", "2024-11-22", "2024-07/2024-09"),
        ("十四五期间", None, "2021/2025"),
        ("上世纪90年代", "2017-03-22", "1990/1999"),
        ("十九世纪七十年代", None, "1870/1879"),
        ("50年代", "2017-03-22", "1950/1959"),
        ("20年代", "2024-11-22", "2020/2029"),  # the latest such decade that has begun
        ("截至去年底", "2024-11-22", "..2023-12"),
        ("截至今年上半年", "2024-11-22", "..2024-06"),
        ("目前", "2024-11-22", "..2024-11-22"),
        ("2013年以来", None, "2013.."),
        ("自2018年1月1日起", None, "2018-01-01.."),
        ("2015年至今", None, "2015.."),
        ("从明年起", "2024-11-22", "2025.."),
    ],
)
def test_resolve_period(expr: str, published: str | None, value: str) -> None:
    assert resolve_period(expr, published) == value


def test_intervals_are_not_points() -> None:
    assert resolve_date("上半年", "2024-08-01") is None
    assert resolve_date("十四五", None) is None


@pytest.mark.parametrize(
    "text",
    ["该项目历时3年", "11.3公里健身步道", "1.强化领导", "1/3、1/8和1/5", "GB 21522—2024", "8(j)条款", "第二届",
     # spans counted from an event, not the publication (issue 12), durations, bare seasons, every year
     "退役工作完成后六十日内", "在机组首次装料前六个月", "工期将近3年", "夏季用电高峰", "每年年底前", "用了15年",
     "从1500到2000吨", "每一季度"],
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


def test_a_date_list_stays_dates_and_an_announced_date_is_not_a_span() -> None:
    # 公告如下4月2日: 下 belongs to 如下, the date follows
    assert [d.value for d in find_dates("有关安排公告如下4月2日（星期六）至4日", "2016-03-30")] == [
        "2016-04-02/2016-04-04"
    ]
    assert [d.value for d in find_dates("2023年8月和2024年11月", None)] == ["2023-08", "2024-11"]


def test_open_ends_keep_their_point() -> None:
    since, until = find_dates("自2018年1月1日起施行，截至目前", "2024-11-22")
    assert (since.kind, since.opening_point, since.last_year) == ("since", "2018-01-01", 2018)
    assert (until.kind, until.opening_point) == ("until", None)


def test_spans_do_not_overlap() -> None:
    text = "2013年至今，自2018年起至今，近三年来，2016-2018年，截至去年底"
    spans = find_dates(text, "2024-11-22")
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    assert [text[d.start : d.end] for d in spans] == [
        "2013年至今", "自2018年起至今", "近三年来", "2016-2018年", "截至去年底"
    ]
