"""The orchestrator: fact ids, evidence spans, merging, robustness on hostile input."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecowire.extractor import EXTRACTOR_VERSION, extract
from ecowire.extractor.pipeline import Timings
from ecowire_schemas.common import stable_id

from .helpers import by_type, make_article, seed_article

SEEDS = [
    ("000_26015ab556cc6165", None),
    ("001_c89da7afd5c4699d", "2024-12-12"),
    ("002_83f491876b27a32f", "2023-01-30"),
    ("003_e06f71c8cde6baea", "2024-08-05"),
    ("004_911120dd2951dd3b", "2024-11-22"),
]


def _check_spans(text: str, facts: list) -> None:
    for f in facts:
        for ev in [f.evidence, *f.mentions]:
            assert 0 <= ev.start < ev.end <= len(text), (f.type, ev)
            assert text[ev.start : ev.end] == ev.text
        assert f.surface == f.evidence.text
        assert all(f.evidence.start < m.start or (f.evidence.start == m.start and f.evidence.end != m.end)
                   for m in f.mentions), f  # evidence is the first mention, mentions are the others


@pytest.mark.parametrize(("stem", "published"), SEEDS)
def test_seed_facts_have_valid_spans_and_stable_ids(stem: str, published: str | None) -> None:
    art = seed_article(stem, published)
    facts = extract(art)
    assert facts, stem
    _check_spans(art.text, facts)
    for f in facts:
        assert f.extractor_version == EXTRACTOR_VERSION and f.article_id == art.article_id
        assert f.fact_id == stable_id(art.article_id, f.type, f.evidence.start, f.evidence.end, EXTRACTOR_VERSION)
    ids = [f.fact_id for f in facts]
    assert len(ids) == len(set(ids))
    assert [f.fact_id for f in extract(art)] == ids  # a replay gives the same facts


def test_one_fact_per_entity_per_article() -> None:
    art = seed_article("004_911120dd2951dd3b", "2024-11-22")
    facts = extract(art)
    for t, key in (("person", "name"), ("organization", "name"), ("location", "name"), ("document", "title")):
        names = [getattr(f, key) for f in by_type(facts, t)]
        assert len(names) == len(set(names)), t


def test_seed_004_main_facts() -> None:
    facts = extract(seed_article("004_911120dd2951dd3b", "2024-11-22"))
    people = {p.name: p for p in by_type(facts, "person")}
    assert (people["许化"].org, people["许化"].titles) == ("深圳市生态环境局", ["党组成员"])
    locs = {f.name: f.admin_code for f in by_type(facts, "location")}
    assert locs["深圳"] == "440300" and locs["巴库"] is None
    docs = {d.title: d for d in by_type(facts, "document")}
    assert docs["数字能源先锋城市建设规划(2024-2030年)"].issuer == "深圳市发改委"
    events = {(e.kind, e.date) for e in by_type(facts, "event")}
    assert {("meeting", "2024-11-21"), ("signing", "2024-11-21")} <= events


def test_repeated_claim_is_one_quantity_and_target_numbers_are_not_quantities() -> None:
    body = ("到2025年，单位生产总值能耗比2020年下降13.5%以上。"
            "截至目前，累计调节电量约418万千瓦时。该中心累计调节电量约418万千瓦时。")
    art = make_article(body, title="累计调节电量约418万千瓦时", published_at="2024-11-22")
    facts = extract(art)
    targets = by_type(facts, "target")
    quantities = by_type(facts, "quantity")
    assert len(targets) == 1 and targets[0].value == 13.5
    assert all(q.value != 13.5 for q in quantities)  # the target's number is not a quantity again
    kwh = [q for q in quantities if q.unit == "kWh"]
    assert len(kwh) == 1 and len(kwh[0].mentions) == 2  # headline + two body mentions: one claim
    assert kwh[0].evidence.start < art.body_start  # evidence is the first statement (the headline)


def test_empty_and_blank_articles() -> None:
    assert extract(make_article("")) == [] or all(f.type for f in extract(make_article("")))
    assert extract(make_article("   \n\n  ", title=" ")) == []


def test_timings_cover_every_step() -> None:
    tm = Timings()
    extract(seed_article("003_e06f71c8cde6baea", "2024-08-05"), timings=tm)
    assert {"tokens", "places", "organizations", "people", "documents", "events", "quantities"} <= set(tm.seconds)


@pytest.mark.slow
def test_huge_repetitive_input_is_linear_and_bounded() -> None:
    unit = "上海市生态环境局局长程鹏表示，2024年深圳市碳排放约3494吨，《方案》印发。"
    art = make_article(unit * 4000)  # ~160K characters
    t0 = time.perf_counter()
    facts = extract(art)
    elapsed = time.perf_counter() - t0
    assert elapsed < 60, elapsed
    _check_spans(art.text, facts)
    assert len(by_type(facts, "person")) == 1  # one person, thousands of mentions
    no_stop = make_article("深" * 200_000)  # one "sentence" of 200K characters
    t0 = time.perf_counter()
    extract(no_stop)
    assert time.perf_counter() - t0 < 30


@pytest.mark.slow
@pytest.mark.parametrize("chunk", ["局长程鹏、", "《方案》", "9月22日座谈会在广州举行。", "深圳市生态环境局、",
                                   "广州碳排放权交易所(简称广碳所)，广碳所", "“座谈会”", "2024年5月和"])
def test_one_entity_repeated_many_times_stays_linear(chunk: str) -> None:
    art = make_article(chunk * (120_000 // len(chunk)))
    t0 = time.perf_counter()
    facts = extract(art)
    assert time.perf_counter() - t0 < 15, chunk  # quadratic merging would take minutes here
    _check_spans(art.text, facts)
    assert len(facts) <= 5  # one entity (and its place), however often it is named


_alphabet = st.sampled_from(
    list("上海市生态环境局部长黄润秋程鹏会议座谈会签署合作备忘录启动《》“”（）()、，。；：\n 0123456789")
    + list("abcXYZ%万亿元吨千瓦时年月日约以上到前") + ["\u3000", "\u00a0", "\ud7ff", "😀", "é", "ש", "ا", "\x00"]
)
_chunks = st.sampled_from([
    "生态环境部部长黄润秋", "上海市生态环境局党组书记、局长程鹏", "巴基斯坦旁遮普省首席部长玛里雅姆",
    "广州碳排放权交易所(简称广碳所)", "《产品碳足迹核算标准编制工作指引》(以下简称《工作指引》)",
    "2015年9月22日上午", "座谈会在广州举行", "正式签署合作备忘录", "约418万千瓦时", "到2025年下降13.5%以上",
    "深圳市", "南山区", "IUCN", "(UNDP)", "《人民日报》", "当地时间", "、", "。", "\n\n",
])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_chunks, st.text(_alphabet, max_size=40), st.text(max_size=20)), max_size=30),
       st.sampled_from([None, "2024-11-22", "2015-09-23T10:00:00+08:00"]))
def test_property_evidence_is_always_a_valid_span(parts: list[str], published: str | None) -> None:
    body = "".join(parts)
    art = make_article(body, published_at=published)
    facts = extract(art)
    _check_spans(art.text, facts)
    assert len({f.fact_id for f in facts}) == len(facts)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_chunks, st.integers(min_value=50, max_value=400))
def test_property_pathological_repetition(chunk: str, n: int) -> None:
    art = make_article(chunk * n)
    t0 = time.perf_counter()
    facts = extract(art)
    assert time.perf_counter() - t0 < 20
    _check_spans(art.text, facts)
