"""Bounded cost and size, checked by sizes and operation counts (never wall-clock timings): a hot
aggregate's record stops growing, the work an apply publishes is the same with 200 or 2 000
articles held, an LSH query compares at most bands × cap signatures, and no record passes 64 KiB."""

from __future__ import annotations

from datetime import UTC, datetime

from ecowire.aggregator.dedup import lsh_params
from ecowire.aggregator.index import LATEST, MAX_RECORD_BYTES
from ecowire.aggregator.logic import AggregatorState, Update
from ecowire.aggregator.state import ArticleBundle
from ecowire.aggregator.synthetic import SyntheticArticle, hot_corpus
from ecowire_schemas.results import EventAggregate, PersonEntry

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def _apply(state: AggregatorState, a: SyntheticArticle, offset: int) -> Update:
    return state.apply(ArticleBundle(record=a.record, facts=a.facts, source_topic="f", source_partition=0,
                                     source_offset=offset), offset, NOW)


def _bytes(update: Update) -> list[int]:
    return [len(r.value.model_dump_json().encode()) for r in update.results if r.value is not None]


def test_work_per_apply_does_not_grow_with_articles_held() -> None:
    state = AggregatorState()
    bands, _ = lsh_params(state.cfg.lsh_threshold, 64)
    window: dict[int, list[int]] = {200: [], 2000: []}
    candidates: dict[int, int] = {200: 0, 2000: 0}
    for i, a in enumerate(hot_corpus(2100)):
        u = _apply(state, a, i)
        for start in window:
            if start <= i < start + 100:
                window[start].append(sum(_bytes(u)))
                candidates[start] = max(candidates[start], state.dedup.last_query_size())
    # Every apply touched the same hot event and person; at 2 000 they hold 10× the sources, but
    # what an apply builds and publishes is the same size.
    small, large = (sum(window[s]) / len(window[s]) for s in (200, 2000))
    assert large <= 1.1 * small
    # Buckets fill up to their cap, then a query's candidates stop growing (2 000 articles share
    # the lead sentence: uncapped, every one of them would be compared).
    assert max(candidates.values()) <= bands * state.cfg.bucket_cap < 2000
    results = state.all_results()
    event = next(v for v in results.values() if isinstance(v, EventAggregate))
    assert event.source_count == len(state.articles) == 2100 and len(event.sources) == LATEST
    person = next(v for v in results.values() if isinstance(v, PersonEntry))
    assert person.source_count == 2100 and person.titles[0].source_count == 2100
    assert len(person.titles[0].sources) <= LATEST


def test_no_record_passes_64_kib_even_with_long_sources() -> None:
    state = AggregatorState()
    sizes: list[int] = []
    for i, a in enumerate(hot_corpus(60, url_length=6000)):  # 20 sources of 6 KB would be 120 KB
        sizes += _bytes(_apply(state, a, i))
    assert max(sizes) <= MAX_RECORD_BYTES
    event = next(v for v in state.all_results().values() if isinstance(v, EventAggregate))
    assert event.source_count == 60 and 1 <= len(event.sources) < LATEST  # shrunk to fit, counts intact
    assert [s.article_id for s in event.sources] == [s["source"]["article_id"] for s in state.history(
        "events", event.event_id, None, 100)["items"]][-len(event.sources):]  # type: ignore[index]
