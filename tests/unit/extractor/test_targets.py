"""Targets (FACTS.md "target"): deadlines, plan periods, non-numeric goals, what is not a target,
and properties on arbitrary input."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecowire.extractor.targets import TargetSpan, find_targets, shortest_admin

SEEDS = Path(__file__).parents[3] / "seeds"
PUB = "2023-01-20"


def targets(text: str, published: str | None = PUB) -> list[TargetSpan]:
    got = find_targets(text, published)
    for t in got:
        assert 0 <= t.start < t.end <= len(text)
    return got


def test_contract_example() -> None:
    text = (
        "上海市黄浦区印发碳达峰实施方案\n\n《方案》提出了主要目标。到2025年,单位生产总值(GDP)能耗比2020年下降13.5%以上,"
        "单位生产总值(GDP)二氧化碳排放下降完成市下达目标。"
    )
    t, rest = targets(text)
    assert text[t.start : t.end] == "到2025年,单位生产总值(GDP)能耗比2020年下降13.5%以上"
    assert (t.actor, t.indicator, t.value, t.unit) == ("黄浦区", "单位GDP能耗", 13.5, "%")
    assert (t.direction, t.qualifier, t.deadline, t.baseline) == ("decrease", "at_least", "2025", "2020")
    # the same deadline's next clause: a direction without a number
    assert (rest.indicator, rest.value, rest.direction, rest.deadline) == (
        "单位GDP二氧化碳排放",
        None,
        "decrease",
        "2025",
    )


def test_non_numeric_goal_before_deadline() -> None:
    (t,) = targets("节能低碳的生产生活方式全面普及,确保2030年前实现碳达峰。")
    assert (t.indicator, t.value, t.unit, t.qualifier, t.deadline) == ("碳达峰", None, None, "before", "2030")


@pytest.mark.parametrize(
    ("text", "deadline"),
    [
        ("“十四五”期间,新建公共充电桩600个。", "2025"),
        ("十二五期间,全市单位GDP能耗下降16%。", "2015"),
        ("“十三五”时期,森林覆盖率提高到30%。", "2020"),
        ("“十五五”期间,新建居住建筑执行超低能耗标准的比例达到50%。", "2030"),
        ("到2023年底,集贸市场禁止使用一次性塑料购物袋的比例达到100%。", "2023"),
    ],
)
def test_plan_periods_and_year_ends(text: str, deadline: str) -> None:
    (t,) = targets(text, "2010-01-01")
    assert t.deadline == deadline


def test_each_deadline_opens_its_own_scope_and_indicator_carries_over() -> None:
    text = "加快推进既有充电桩直流快充更换,到2025年,快充数量占比达到30%以上,到2030年达到40%以上。"
    a, b = targets(text)
    assert (a.value, a.qualifier, a.deadline, a.indicator) == (30, "at_least", "2025", "快充数量占比")
    assert (b.value, b.qualifier, b.deadline, b.indicator) == (40, "at_least", "2030", "快充数量占比")


def test_several_numbers_in_one_plan_sentence() -> None:
    text = "“十四五”期间新建公共、专用充电桩600个,建设2个以上市级充电桩示范小区。"
    a, b = targets(text)
    assert (a.value, a.unit, a.deadline) == (600, "count", "2025")
    assert (b.value, b.qualifier, b.indicator) == (2, "at_least", "市级充电桩示范小区")


@pytest.mark.parametrize(
    ("text", "deadline", "baseline"),
    [
        ("到2025年,单位GDP能耗比“十三五”末下降13.5%。", "2025", "2020"),  # the plan's end: its last year
        ("到2025年,排放量较2016-2018年平均水平下降10%。", "2025", "2016/2018"),
        ("到明年底,全市新能源汽车保有量比去年增长20%。", "2024", "2022"),
        ("到本世纪中叶,森林覆盖率比2020年提高5个百分点。", "2050", "2020"),
    ],
)
def test_deadlines_and_baselines_in_the_time_format(text: str, deadline: str, baseline: str) -> None:
    (t,) = targets(text, "2023-05-01")
    assert (t.deadline, t.baseline) == (deadline, baseline)


def test_baseline_note_and_change() -> None:
    text = "负责人展示了该集团的决心,即目标在2030年减少50%的碳排放(以2017年排放为基准)。"
    (t,) = targets(text, "2024-11-01")
    assert (t.indicator, t.value, t.direction, t.deadline, t.baseline) == ("碳排放", 50, "decrease", "2030", "2017")


@pytest.mark.parametrize(
    ("text", "indicator"),
    [
        ("到2030年,全区新建民用建筑全面执行超低能耗建筑标准。", "新建民用建筑全面执行超低能耗建筑标准"),
        ("到2023年底,所有宾馆、酒店、民宿不再主动提供一次性塑料用品。", "宾馆、酒店、民宿不再主动提供一次性塑料用品"),
        ("“十四五”期间,公园绿地500米服务半径基本实现全覆盖。", "公园绿地500米服务半径全覆盖"),
        ("到2050年实现人与自然和谐共生的美好愿景目标。", "人与自然和谐共生"),
    ],
)
def test_non_numeric_goals(text: str, indicator: str) -> None:
    (t,) = targets(text)
    assert (t.indicator, t.value, t.qualifier) == (indicator, None, None)


def test_compliance_deadline_is_a_target() -> None:
    (t,) = targets("重点排放单位应于6月20日前完成上缴。", "2024-05-10")
    assert (t.indicator, t.qualifier, t.deadline) == ("上缴", "before", "2024-06-20")


def test_future_year_opening_a_clause() -> None:
    (t,) = targets("推进苏州河沿岸人行步道景观提升工程。2025年,全区绿色交通出行比例达80%。")
    assert (t.deadline, t.value, t.indicator) == ("2025", 80, "绿色交通出行比例")


def test_range_target() -> None:
    (t,) = targets("到2025年,可再生能源装机达到5000万千瓦至6000万千瓦。")
    assert (t.value, t.value_max, t.unit, t.qualifier, t.indicator) == (5e7, 6e7, "kW", "range", "可再生能源装机")


@pytest.mark.parametrize(
    "text",
    [
        "从明年起,企业排放量须下降5%。",  # only says when it starts
        "自2018年以来,累计减排20%。",  # a starting point
        "预计到2050年,全球75%以上的人口可能受到影响。",  # a forecast
        "2020年,全市PM2.5浓度为30微克/立方米。",  # a past year
        "从2016年绿色工业园区概念的提出到2023年近300家绿色园区的建成。",  # 从…到: a stretch of time
        "于2010年发起全球平台,汇集了314家成员组织。",  # 于 + a past year
        "“十四五”期间,产业结构不断优化、发展能级显著提升。",  # a plan period without 实现 or a number
    ],
)
def test_not_targets(text: str) -> None:
    assert targets(text) == []


@pytest.mark.parametrize(
    ("name", "short"), [("上海市黄浦区人民政府", "黄浦区"), ("广东省深圳市", "深圳市"), ("生态环境部", "生态环境部")]
)
def test_shortest_admin(name: str, short: str) -> None:
    assert shortest_admin(name) == short


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seeds folder absent")
def test_seed_targets_are_found_and_repeats_compare_equal() -> None:
    import opencc

    text = opencc.OpenCC("t2s").convert((SEEDS / "002_83f491876b27a32f.txt").read_text(encoding="utf-8"))
    got = targets(text, "2023-02-01")
    keys = [(t.indicator, t.value, t.deadline) for t in got]
    assert keys.count(("单位GDP能耗", 13.5, "2025")) == 2  # the summary repeats the plan's goal
    assert ("碳达峰", None, "2030") in keys
    assert len(got) >= 20


_TOKENS = ["十四五", "十五五", "到2025年", "2030年前", "比2020年", "13.5%以上", "碳达峰", "截至", "上海市黄浦区", "🙂"]
_ALPHABET = st.sampled_from([*"0123456789.,%万亿年月日前底期间到在确保力争实现达峰下降比较以上吨个“”。\n", *_TOKENS])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ALPHABET, max_size=60).map("".join), st.one_of(st.none(), st.just("2023-01-20")))
def test_never_crashes_and_spans_are_valid(text: str, published: str | None) -> None:
    for t in find_targets(text, published):
        assert 0 <= t.start < t.end <= len(text)
        assert t.deadline is not None


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_never_crashes_on_arbitrary_text(text: str) -> None:
    for t in find_targets(text, PUB):
        assert 0 <= t.start < t.end <= len(text)


def test_goal_named_by_its_year() -> None:
    (t,) = targets("生态效益指标要求,主要污染物减排要完成2025年全国氮氧化物和挥发性有机物减排目标。", "2024-12-24")
    assert (t.indicator, t.direction, t.deadline, t.value) == (
        "全国氮氧化物和挥发性有机物减排目标",
        "decrease",
        "2025",
        None,
    )


def test_threshold_inside_a_goal_is_not_a_goal() -> None:
    text = "“十四五”期间累计完成既有建筑节能改造面积350万平方米以上,其中平均节能率15%及以上的建筑面积达到40万平方米。"
    got = targets(text)
    assert [t.value for t in got] == [3500000, 400000]


def test_without_publication_date_the_latest_stated_date_is_now() -> None:
    text = "特此通知。\n2023年1月19日\n推进步行街建设。2025年,全区绿色交通出行比例达80%。"
    (t,) = targets(text, None)
    assert (t.deadline, t.value) == ("2025", 80)
