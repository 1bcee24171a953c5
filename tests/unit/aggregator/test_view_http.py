from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ecowire.aggregator.cli import parse_where
from ecowire.aggregator.http import make_app, state_history
from ecowire.aggregator.logic import AggregatorState
from ecowire.aggregator.state import ArticleBundle
from ecowire.aggregator.synthetic import corpus, hot_corpus
from ecowire.aggregator.view import ResultsView
from ecowire_schemas.results import EventAggregate, PersonEntry


async def _metrics(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"metrics"})


def _view() -> tuple[ResultsView, AggregatorState]:
    state = AggregatorState()
    updates: list[Any] = []
    for i, a in enumerate(corpus(30, seed=4)):
        u = state.apply(ArticleBundle(record=a.record, facts=a.facts, source_topic="f", source_partition=0,
                                      source_offset=i), i, datetime(2026, 1, 1, tzinfo=UTC))
        updates.extend(u.results)
    view = ResultsView()
    for r in updates:  # the results topic, in order, as the service's view reads it
        view.apply(r.key, r.value.model_dump_json().encode() if r.value is not None else None)
    return view, state


def test_view_holds_the_latest_state_of_every_key() -> None:
    view, state = _view()
    assert view.results == state.all_results()
    assert view.counts()["article"] == len(state.articles)
    meetings = view.query("events", {"kind": "meeting"})
    assert meetings and all(e.kind == "meeting" for e in meetings)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="unknown filter"):
        view.query("events", {"colour": "red"})
    key = next(iter(view.results))
    view.apply(key, None)
    assert key not in view.results


async def test_http_endpoints() -> None:
    view, state = _view()
    healthy = {"ok": True}
    app = make_app(view, lambda: (healthy["ok"], {"ready_partitions": [0]}), _metrics)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        events = (await http.get("/events", params={"kind": "meeting", "limit": "2"})).json()
        assert 0 < len(events) <= 2 and events[0]["type"] == "event"
        series = (await http.get("/series")).json()
        assert len(series) == sum(1 for k in state.all_results() if k.startswith("series:"))
        assert (await http.get("/targets", params={"nope": "x"})).status_code == 400
        some = next(iter(state.articles))
        art = await http.get(f"/articles/{some}")
        assert art.status_code == 200 and art.json()["article_id"] == some
        assert (await http.get("/articles/missing")).status_code == 404
        assert (await http.get("/people")).status_code == 200
        assert (await http.get("/health")).status_code == 200
        healthy["ok"] = False
        assert (await http.get("/health")).status_code == 503
        assert (await http.get("/metrics")).text == "metrics"
        assert (await http.get("/nothing")).status_code == 404


def test_parse_where() -> None:
    assert parse_where(["kind=meeting", "date = 2015-09-22"]) == {"kind": "meeting", "date": "2015-09-22"}
    with pytest.raises(ValueError):
        parse_where(["kind"])


async def test_history_pages_through_every_source() -> None:
    state = AggregatorState()
    for i, a in enumerate([*corpus(30, seed=4), *hot_corpus(45)]):
        state.apply(ArticleBundle(record=a.record, facts=a.facts, source_topic="f", source_partition=0,
                                  source_offset=i), i, datetime(2026, 1, 1, tzinfo=UTC))
    app = make_app(ResultsView(), lambda: (True, {}), _metrics, history=state_history({0: state}))
    results = state.all_results()
    hot = max((v for v in results.values() if isinstance(v, EventAggregate)), key=lambda e: e.source_count or 0)
    assert hot.source_count is not None and hot.source_count > len(hot.sources)  # the record is bounded
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        seen: list[dict[str, Any]] = []
        cursor = ""
        pages = 0
        while True:
            r = await http.get(f"/events/{hot.event_id}/history", params={"cursor": cursor, "limit": "3"})
            assert r.status_code == 200
            body = r.json()
            assert body["total"] == hot.source_count and len(body["items"]) <= 3
            seen += body["items"]
            pages += 1
            if body["next_cursor"] is None:
                break
            cursor = body["next_cursor"]
        assert len(seen) == hot.source_count and pages == -(-hot.source_count // 3)
        refs = [i["source"] for i in seen]
        orders = [(r["published_at"] or "9999", r["article_id"], r["fact_id"]) for r in refs]
        assert orders == sorted(orders) and len(set(orders)) == len(orders)
        # the record's sources are the latest of the history
        assert refs[-len(hot.sources):] == [s.model_dump(mode="json") for s in hot.sources]
        assert all(i["fact"]["type"] == "event" for i in seen)
        person = next(v for v in results.values() if isinstance(v, PersonEntry) and v.name == "黄润秋")
        r = await http.get(f"/people/{person.person_id}/history")
        assert r.status_code == 200 and r.json()["total"] == person.source_count
        assert (await http.get("/series/nope/history")).status_code == 404
        assert (await http.get(f"/events/{hot.event_id}/history", params={"cursor": "x!"})).status_code == 400
        assert (await http.get(f"/events/{hot.event_id}/history", params={"limit": "0"})).status_code == 400
    idle = make_app(ResultsView(), lambda: (True, {}), _metrics, history=state_history({}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=idle), base_url="http://t") as http:
        assert (await http.get(f"/events/{hot.event_id}/history")).status_code == 503


def test_view_parses_on_read_and_drops_what_is_not_a_result() -> None:
    view, state = _view()
    key = next(k for k in state.all_results() if k.startswith("person:"))
    view.apply(key, b'{"type": "person", "no": "such result"}')
    view.apply("person:junk", b"\xff not json")
    assert view.counts()["person"] == sum(1 for k in state.all_results() if k.startswith("person:")) + 1
    people = view.query("people", {})
    assert all(p.type == "person" for p in people)  # type: ignore[attr-defined]
    assert view.get("person", key.split(":", 1)[1]) is None and view.invalid == 2
    assert key not in view.results and "person:junk" not in view.results


def test_health_reports_the_results_the_view_dropped() -> None:
    from ecowire.aggregator.app import Aggregator
    from ecowire.core.settings import Settings

    aggregator = Aggregator(Settings())
    aggregator.view.apply("person:x", b"not a result")
    assert aggregator.view.get("person", "x") is None
    assert aggregator.health()[1]["results_view_invalid"] == 1
