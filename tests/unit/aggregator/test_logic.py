from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from ecowire.aggregator.logic import AggregatorState
from ecowire.aggregator.state import ArticleBundle, RestoredState
from ecowire.aggregator.synthetic import SyntheticArticle, corpus, hot_corpus, make_article, republished, truncated_copy
from ecowire_schemas.results import ArticleResult, EventAggregate, IndicatorSeries, PersonEntry, TargetEntry

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def bundle(a: SyntheticArticle, offset: int = 0) -> ArticleBundle:
    return ArticleBundle(record=a.record, facts=a.facts, source_topic="facts", source_partition=0,
                         source_offset=offset)


def run(articles: list[SyntheticArticle]) -> AggregatorState:
    state = AggregatorState()
    for i, a in enumerate(articles):
        state.apply(bundle(a, i), i, NOW)
    return state


def comparable(results: dict[str, Any]) -> dict[str, Any]:
    return {k: v.model_dump(mode="json", exclude={"completed_at"}) for k, v in results.items()}


def published(state_updates: list[Any]) -> dict[str, Any]:
    """What a compacted results topic would hold after these updates."""
    latest: dict[str, Any] = {}
    for u in state_updates:
        for r in u.results:
            if r.value is None:
                latest.pop(r.key, None)
            else:
                latest[r.key] = r.value
    return latest


def test_duplicates_marked_and_not_counted() -> None:
    a = corpus(1, duplicate_every=0, truncated_every=0)[0]
    copy, half = republished(a, "转载网"), truncated_copy(a)
    state = run([a, copy, half, a])  # `a` twice: the same article again changes nothing
    res = state.all_results()
    arts = {k: v for k, v in res.items() if isinstance(v, ArticleResult)}
    assert len(arts) == 3
    orig = arts[f"article:{a.record.article_id}"]
    assert orig.status == "original" and orig.cluster_id == a.record.article_id
    dup = arts[f"article:{copy.record.article_id}"]
    assert (dup.status, dup.duplicate_of, dup.similarity) == ("duplicate", a.record.article_id, 1.0)
    near = arts[f"article:{half.record.article_id}"]
    assert near.status == "near_duplicate" and near.duplicate_of == a.record.article_id
    assert near.cluster_id == a.record.article_id and near.similarity is not None and near.similarity >= 0.8
    for v in res.values():
        if isinstance(v, EventAggregate):
            assert [s.article_id for s in v.sources] == [a.record.article_id]
        if isinstance(v, IndicatorSeries):
            assert len(v.points) == 1
        if isinstance(v, TargetEntry):
            assert len(v.statements) == 1


def test_truncated_copy_first_then_original_swaps_the_original() -> None:
    a = corpus(1, duplicate_every=0, truncated_every=0)[0]
    half = truncated_copy(a)
    state = AggregatorState()
    u1 = state.apply(bundle(half, 0), 0, NOW)
    assert u1.new_article is not None and u1.new_article.status == "original"
    u2 = state.apply(bundle(a, 1), 1, NOW)
    # the copy's result is re-published as a near duplicate, and its facts leave the aggregates
    by_key = {r.key: r.value for r in u2.results}
    assert by_key[f"article:{half.record.article_id}"].status == "near_duplicate"  # type: ignore[union-attr]
    series = [v for v in by_key.values() if isinstance(v, IndicatorSeries)]
    assert series and all(p.source.article_id == a.record.article_id for s in series for p in s.points)
    assert comparable(published([u1, u2])) == comparable(run([a, half]).all_results())


def test_order_does_not_matter() -> None:
    arts = corpus(60, seed=5)
    reference = comparable(run(arts).all_results())
    for seed in range(3):
        shuffled = arts[:]
        random.Random(seed).shuffle(shuffled)
        state = AggregatorState()
        updates = [state.apply(bundle(a, i), i, NOW) for i, a in enumerate(shuffled)]
        assert comparable(state.all_results()) == reference
        # the published stream, compacted, is the same picture
        assert comparable(published(updates)) == reference


def test_restore_then_continue_equals_undisturbed() -> None:
    arts = corpus(50, seed=9)
    state = AggregatorState()
    changelog: list[tuple[str, bytes]] = []
    updates = []
    cut = len(arts) // 2
    for i, a in enumerate(arts[:cut]):
        u = state.apply(bundle(a, i), i, NOW)
        updates.append(u)
        changelog += u.changelog
    restored = RestoredState()
    for k, v in changelog:
        restored.apply(k, v)
    again = AggregatorState.restore(0, restored)
    assert again.applied_offset == cut - 1
    assert comparable(again.all_results()) == comparable(state.all_results())
    # a replay of what was applied is skipped; the rest continues
    for i, a in enumerate(arts):
        u = again.apply(bundle(a, i), i, NOW)
        assert u.applied == (i >= cut)
        updates.append(u)
    assert comparable(again.all_results()) == comparable(run(arts).all_results())
    assert comparable(published(updates)) == comparable(run(arts).all_results())
    counts = Counter(k.split(":")[0] for k in again.all_results() if not k.startswith("article:"))
    assert again.entries == counts  # kept up to date by every update, starting from the restore
    at_cut = Counter(k.split(":")[0] for k in state.all_results() if not k.startswith("article:"))
    assert AggregatorState.restore(0, restored).entries == at_cut


def test_same_article_at_a_later_offset_only_moves_the_offset() -> None:
    a = corpus(1, duplicate_every=0, truncated_every=0)[0]
    state = run([a])
    u = state.apply(bundle(a, 5), 5, NOW)
    assert u.applied and u.results == [] and u.changelog[0][0] == "offset:0"
    assert state.applied_offset == 5


def test_two_articles_on_one_meeting_make_one_event() -> None:
    ev = {"type": "event", "kind": "meeting", "date": "2015-09-22"}
    a = make_article(
        "2015年9月22日上午，广州碳排放权交易所和英国驻广州总领事馆举办座谈会，伦敦金融城市长叶雅伦出席。",
        [{**ev, "surface": "2015年9月22日上午，广州碳排放权交易所和英国驻广州总领事馆举办座谈会",
          "name": "中英碳金融合作座谈会", "participants": ["叶雅伦"],
          "organizations": ["广州碳排放权交易所", "英国驻广州总领事馆"]}],
        title="中英碳金融合作座谈会在广州举行", published_at="2015-09-23", source="广碳所")
    b = make_article(
        "伦敦金融城市长叶雅伦22日到访广碳所，出席中英碳金融合作座谈会并致辞，双方交流碳市场建设经验。",
        [{**ev, "surface": "出席中英碳金融合作座谈会", "name": None, "participants": ["叶雅伦"],
          "organizations": ["广碳所"]}],
        title="叶雅伦到访广碳所", published_at="2015-09-24", source="新华网")
    other = make_article(
        "同日，生态环境部召开部务会议，审议通过多项规章，会议由部长主持，全体部领导出席会议。",
        [{**ev, "surface": "生态环境部召开部务会议", "participants": [], "organizations": ["生态环境部"]}],
        title="生态环境部召开部务会议", published_at="2015-09-23", source="生态环境部")
    events = [v for v in run([a, b, other]).all_results().values() if isinstance(v, EventAggregate)]
    assert len(events) == 2
    merged = next(e for e in events if len(e.sources) == 2)
    assert {s.article_id for s in merged.sources} == {a.record.article_id, b.record.article_id}
    assert merged.name == "中英碳金融合作座谈会"
    assert merged.participants == ["叶雅伦"]
    assert "广州碳排放权交易所" in merged.organizations and "英国驻广州总领事馆" in merged.organizations


BODIES = {
    "甲": "区政府印发实施方案，明确重点任务和保障措施，推动绿色低碳发展。",
    "乙": "记者从区发展改革委获悉，新修订的节能规划调整了部分指标，并增加了建筑领域的专项行动。",
    "丙": "会议听取了年度工作汇报，部署下一阶段的污染防治攻坚任务，要求各街道压实责任。",
}


def _target_article(value: float, published: str, source: str) -> SyntheticArticle:
    # different articles (not near-duplicates of each other) stating the same target
    surface = f"到2025年，黄浦区单位GDP能耗比2020年下降{value:g}%以上"
    return make_article(
        f"{BODIES[source]}{surface}。区政府印发实施方案。",
        [{"type": "target", "surface": surface, "actor": "黄浦区", "indicator": "单位GDP能耗", "value": value,
          "unit": "%", "direction": "decrease", "qualifier": "at_least", "deadline": "2025", "baseline": "2020"},
         {"type": "person", "surface": "区政府", "name": "李四", "titles": ["区长"], "org": "黄浦区人民政府"}],
        title=f"黄浦区节能目标{value:g}", published_at=published, source=source)


def test_target_registry_reports_a_changed_value_and_people_spans() -> None:
    first, second = _target_article(13.5, "2021-03-01", "甲"), _target_article(14.0, "2022-06-01", "乙")
    res = run([second, first]).all_results()
    target = next(v for v in res.values() if isinstance(v, TargetEntry))
    assert target.value_changed
    assert [s.value for s in target.statements] == [13.5, 14.0]  # in publication order
    person = next(v for v in res.values() if isinstance(v, PersonEntry))
    assert len(person.titles) == 1
    assert (person.titles[0].first_seen, person.titles[0].last_seen) == ("2021-03-01", "2022-06-01")
    same = run([first, _target_article(13.5, "2022-01-01", "丙")]).all_results()
    assert not next(v for v in same.values() if isinstance(v, TargetEntry)).value_changed


def _person_article(body: str, titles: list[str], org: str | None, published: str) -> SyntheticArticle:
    surface = "黄润秋"
    return make_article(f"{body}{surface}出席会议并讲话。", [
        {"type": "person", "surface": surface, "name": "黄润秋", "titles": titles, "org": org}],
        title=body[:8], published_at=published, source="x")


def test_title_without_body_joins_the_only_body_holding_it() -> None:
    res = run([
        _person_article("生态环境部召开部务会议，审议通过多项规章。", ["部长"], "生态环境部", "2024-12-10"),
        _person_article("全国生态环境保护工作会议在京召开，部署明年重点任务。", ["部长"], None, "2024-12-31"),
        _person_article("中央环保督察动员会议举行，督察组组长作动员讲话。", ["组长"], None, "2024-06-01"),
    ]).all_results()
    person = next(v for v in res.values() if isinstance(v, PersonEntry))
    spans = [(t.title, t.org, t.first_seen, t.last_seen, len(t.sources)) for t in person.titles]
    assert spans == [("组长", None, "2024-06-01", "2024-06-01", 1),
                     ("部长", "生态环境部", "2024-12-10", "2024-12-31", 2)]


def test_target_value_change_is_within_one_unit() -> None:
    def art(value: float, unit: str, body: str) -> SyntheticArticle:
        surface = f"到2030年，黄浦区建筑面积目标{value:g}{unit}"
        return make_article(f"{body}{surface}。", [
            {"type": "target", "surface": surface, "actor": "黄浦区", "indicator": "建筑面积", "value": value,
             "unit": unit, "deadline": "2030"}], title=body[:6], published_at="2024-01-01", source="y")
    both = run([art(400000, "m2", BODIES["甲"]), art(15, "%", BODIES["乙"])]).all_results()
    entry = next(v for v in both.values() if isinstance(v, TargetEntry))
    assert len(entry.statements) == 2 and not entry.value_changed


def test_a_copy_is_found_whichever_member_ends_up_the_original() -> None:
    body = "上海市生态环境局发布年度报告，全市空气质量持续改善。" * 8
    later = make_article(body, [], title="年度报告", published_at="2024-12-20", source="A")
    earlier = make_article(body, [], title="年度报告", published_at="2024-12-10", source="B")
    state = AggregatorState()
    state.apply(bundle(later, 0), 0, NOW)
    assert state.duplicate_found(later.record.article_id) is None
    update = state.apply(bundle(earlier, 1), 1, NOW)
    # The copy that arrived second is the original (published first) ...
    assert update.new_article is not None and update.new_article.status == "original"
    assert state.article_result(later.record.article_id).status == "duplicate"
    # ... and the duplicate it revealed is still found, and found exact.
    assert state.duplicate_found(earlier.record.article_id) == "exact"
    near = truncated_copy(earlier, 0.6, source="C")
    state.apply(bundle(near, 2), 2, NOW)
    assert state.duplicate_found(near.record.article_id) == "near"


def test_incremental_aggregates_equal_a_rebuild_after_originals_are_replaced() -> None:
    """Shuffled, copies often arrive before their originals: facts leave events, series, targets
    and people again (events split or shrink in place). The live state must equal one rebuilt from
    scratch from its changelog (which only ever adds)."""
    arts = corpus(220, seed=11, duplicate_every=3, truncated_every=4)
    random.Random(7).shuffle(arts)
    state = AggregatorState()
    changelog: dict[str, bytes] = {}
    for i, a in enumerate(arts):
        changelog.update(state.apply(bundle(a, i), i, NOW).changelog)
    restored = RestoredState()
    for k, v in changelog.items():
        restored.apply(k, v)
    again = AggregatorState.restore(0, restored)
    assert comparable(again.all_results()) == comparable(state.all_results())
    assert again.published == state.published and again.entries == state.entries


def test_hot_event_loses_and_regains_facts_like_a_rebuild() -> None:
    """A hot event (every article shares its names) loses facts in place when earlier-published
    copies demote their originals, and gets a fact back when an article is re-extracted."""
    arts = list(hot_corpus(40))
    stream: list[SyntheticArticle] = list(arts)
    for a in arts[5:30:3]:  # a copy published earlier becomes the original
        c = republished(a, "早报")
        stream.append(SyntheticArticle(c.record.model_copy(update={"published_at": "2024-02-01"}), c.facts, c.text))
    state = AggregatorState()
    changelog: dict[str, bytes] = {}
    for i, a in enumerate(stream):
        changelog.update(state.apply(bundle(a, i), i, NOW).changelog)
    # Re-extracted without its person fact: its event fact leaves and comes back (same id).
    again_a = arts[2]
    changelog.update(state.apply(ArticleBundle(record=again_a.record, facts=again_a.facts[:1], source_topic="facts",
                                               source_partition=0, source_offset=99), 99, NOW).changelog)
    restored = RestoredState()
    for k, v in changelog.items():
        restored.apply(k, v)
    rebuilt = AggregatorState.restore(0, restored)
    assert comparable(rebuilt.all_results()) == comparable(state.all_results())
    events = [v for v in state.all_results().values() if isinstance(v, EventAggregate)]
    assert len(events) == 1 and events[0].source_count == 40
