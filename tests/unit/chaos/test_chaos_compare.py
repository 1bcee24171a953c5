"""The chaos suite's comparison: it must see every lost, extra and differing key, and ignore
nothing but the volatile timestamps."""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.chaos.compare import VOLATILE, compacted, compare, duplicates, strip_volatile


def _article(aid: str, facts: list[str], **kw: Any) -> dict[str, Any]:
    return {"type": "article", "article_id": aid, "doc_id": f"d{aid}", "title": "t", "status": "original",
            "facts": [{"fact_id": f, "type": "person", "name": "黄润秋"} for f in facts],
            "fact_counts": {"person": len(facts)}, "ingested_at": "2026-01-01T00:00:00Z",
            "completed_at": "2026-01-01T00:00:01Z", **kw}


def _state() -> dict[str, Any]:
    return {
        "article:a": _article("a", ["f1", "f2"]),
        "article:b": _article("b", ["f3"]),
        "event:e": {"type": "event", "event_id": "e", "name": "会议", "updated_at": "2026-01-01T00:00:00Z",
                    "sources": [{"article_id": "a", "fact_id": "f1"}, {"article_id": "b", "fact_id": "f3"}]},
    }


def test_identical_states_match() -> None:
    d = compare(_state(), _state())
    assert d.ok and d.same == 3


def test_volatile_timestamps_are_ignored_at_any_depth() -> None:
    run = _state()
    run["article:a"]["completed_at"] = "2030-01-01T00:00:00Z"
    run["article:a"]["ingested_at"] = "2030-01-01T00:00:00Z"
    run["event:e"]["updated_at"] = "2030-01-01T00:00:00Z"
    run["article:b"]["facts"][0]["ingested_at"] = "x"  # nested: still volatile
    assert compare(_state(), run).ok


def test_lost_key_is_detected() -> None:
    run = _state()
    del run["article:b"]
    d = compare(_state(), run)
    assert d.lost == ["article:b"] and not d.extra and not d.differing and not d.ok


def test_extra_key_is_detected() -> None:
    run = _state()
    run["person:p"] = {"type": "person", "name": "x", "titles": []}
    d = compare(_state(), run)
    assert d.extra == ["person:p"] and not d.ok


def test_differing_value_is_detected_with_its_path() -> None:
    run = _state()
    run["article:a"]["status"] = "duplicate"
    d = compare(_state(), run)
    assert d.differing == ["article:a"]
    assert any(p.startswith("/status") for p in d.examples["article:a"])


def test_non_volatile_timestamp_like_fields_are_compared() -> None:
    ref = _state()
    ref["article:a"]["published_at"] = "2024-12-12"
    run = copy.deepcopy(ref)
    run["article:a"]["published_at"] = "2024-12-13"
    assert compare(ref, run).differing == ["article:a"]
    assert "published_at" not in VOLATILE


def test_list_order_matters() -> None:
    run = _state()
    run["event:e"]["sources"].reverse()
    assert compare(_state(), run).differing == ["event:e"]


def test_strip_volatile_keeps_everything_else() -> None:
    v = {"a": 1, "completed_at": 2, "b": [{"updated_at": 3, "c": 4}]}
    assert strip_volatile(v) == {"a": 1, "b": [{"c": 4}]}


def test_compacted_keeps_the_latest_value_and_honours_tombstones() -> None:
    recs = [("k1", json.dumps({"v": 1}).encode()), ("k2", b'{"v": 2}'), ("k1", b'{"v": 3}'), ("k2", None)]
    assert compacted(recs) == {"k1": {"v": 3}}


def test_duplicates_counts_redeliveries_and_facts_counted_twice() -> None:
    clean = duplicates(["f1", "f2", "f3"], _state())
    assert clean.facts_records == 0 and clean.counted_twice == 0 and clean.facts_distinct == 3
    state = _state()
    state["article:a"]["facts"].append({"fact_id": "f1"})  # listed twice in one article
    state["event:e"]["sources"].append({"article_id": "a", "fact_id": "f1"})  # counted twice in an aggregate
    state["article:b"]["facts"].append({"fact_id": "f2"})  # a fact in two articles
    d = duplicates(["f1", "f1", "f2", "f3", "f3"], state)
    assert d.facts_records == 2
    assert (d.in_article_results, d.in_aggregates, d.across_articles) == (1, 1, 1)


def test_a_person_fact_in_two_title_spans_is_not_a_duplicate() -> None:
    person = {"type": "person", "name": "x", "titles": [
        {"title": "部长", "sources": [{"fact_id": "f1"}]}, {"title": "书记", "sources": [{"fact_id": "f1"}]}]}
    assert duplicates([], {"person:x": person}).in_aggregates == 0
    person["titles"][0]["sources"].append({"fact_id": "f1"})
    assert duplicates([], {"person:x": person}).in_aggregates == 1
