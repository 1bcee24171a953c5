"""`ecowire reprocess`, the parts without a broker: selection by --since, the header marking, the
extractor's handling of a marked article, the emulated older extractor, and the aggregator
replacing an article's facts from an older extractor version (tests/integration/test_reprocess.py
runs it all on the broker)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ecowire.aggregator.logic import AggregatorState
from ecowire.aggregator.state import ArticleBundle
from ecowire.core.records import InRecord
from ecowire.core.settings import get_settings
from ecowire.extractor import EXTRACTOR_VERSION, extract
from ecowire.extractor import app as extractor_app
from ecowire.inprocess import raw_for_file
from ecowire.normalizer import normalize
from ecowire.reprocess import Report, article_fields, parse_since, reprocess_headers, selected
from ecowire_schemas import Article
from ecowire_schemas.common import H_INGESTED_AT, H_REPROCESS, H_SCHEMA_VERSION
from tests.support import SEEDS, comparable_results

OLD = "extractor-0.9.0-emulated"
T0 = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)


@pytest.fixture
def run_as_old(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ECOWIRE_EXTRACTOR_RUN_AS", OLD)
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("ECOWIRE_EXTRACTOR_RUN_AS")
    get_settings.cache_clear()


# ------------------------------------------------------------------ selection

def test_since_is_a_date_at_utc_midnight_or_an_iso_time() -> None:
    assert parse_since("2026-12-04") == datetime(2026, 12, 4, tzinfo=UTC)
    assert parse_since("2026-12-04T08:15") == datetime(2026, 12, 4, 8, 15, tzinfo=UTC)  # naive: UTC
    east8 = parse_since("2026-12-04T08:00:00+08:00")
    assert east8 == datetime(2026, 12, 4, 0, 0, tzinfo=UTC) and east8.utcoffset() == timedelta(hours=8)
    for bad in ("2026-13-01", "yesterday", "04/12/2026"):
        with pytest.raises(ValueError, match="not a date"):
            parse_since(bad)


def test_selection_by_ingest_time_includes_the_boundary() -> None:
    since = parse_since("2026-12-04")
    assert selected(T0, None)
    assert selected(T0, since)
    assert selected(since, since)  # ingested exactly at midnight: replayed
    assert not selected(since - timedelta(microseconds=1), since)
    # an ingest time in another zone is compared as an instant
    assert selected(datetime(2026, 12, 4, 7, 0, tzinfo=timezone(timedelta(hours=8))), parse_since("2026-12-03T23:00"))


def test_article_fields_of_kept_records() -> None:
    value = json.dumps({"article_id": "a1", "ingested_at": "2026-12-04T10:30:00+00:00", "text": "…"}).encode()
    assert article_fields(value) == ("a1", T0)
    naive = json.dumps({"article_id": "a1", "ingested_at": "2026-12-04T10:30:00"}).encode()
    assert article_fields(naive) == ("a1", T0)
    # a tombstone, junk, and JSON that is no article are not replayed (the extractor would only
    # dead-letter them again)
    for value in (None, b"", b"\xff\xfe", b"[1, 2]", b'{"article_id": 3, "ingested_at": "2026-12-04"}',
                  b'{"article_id": "a1", "ingested_at": "soon"}', b'{"ingested_at": "2026-12-04"}'):
        assert article_fields(value) is None, value


# ------------------------------------------------------------------ marking

def test_reprocess_headers_drop_the_ingest_time_and_carry_the_mark() -> None:
    original = {H_SCHEMA_VERSION: "1", H_INGESTED_AT: T0.isoformat(), "traceparent": "x"}
    headers = dict(reprocess_headers(original, "2026-12-05T08:00:00+00:00"))
    assert headers == {H_SCHEMA_VERSION: b"1", "traceparent": b"x", H_REPROCESS: b"2026-12-05T08:00:00+00:00"}
    # an article reprocessed before gets this run's mark, not two
    again = reprocess_headers({H_SCHEMA_VERSION: "1", H_REPROCESS: "earlier"}, "now")
    assert again == [(H_SCHEMA_VERSION, b"1"), (H_REPROCESS, b"now")]


def test_report_line_says_what_was_replayed() -> None:
    r = Report("ecowire.articles.v1", True, parse_since("2026-12-04"), scanned=7, replayed=4, before_since=2,
               repeated=1, partitions={0: (3, 9)})
    assert r.line() == ("would replay 4 article(s) since 2026-12-04T00:00:00+00:00 onto ecowire.articles.v1 "
                        "(7 record(s) read from 1 partition(s); skipped 2 ingested earlier, 1 repeated, 0 unreadable)")


def _seed_articles(n: int | None = None) -> list[Article]:
    return [a for p in sorted(SEEDS.glob("*.txt"))[:n] for a in normalize(raw_for_file(p))]


def test_the_extractor_keeps_the_mark_and_drops_the_ingest_time_of_a_reprocessed_article() -> None:
    article = _seed_articles(1)[0]
    facts = extract(article)
    fresh = extractor_app.handle(article, InRecord(b"", headers={H_INGESTED_AT: article.ingested_at.isoformat()}),
                                 facts)
    marked = extractor_app.handle(article, InRecord(b"", headers={H_REPROCESS: "run-1"}), facts)
    assert len(fresh) == len(marked) == len(facts) + 1
    for o in fresh:
        assert o.headers()[H_INGESTED_AT] == article.ingested_at.isoformat() and H_REPROCESS not in o.headers()
    for o in marked:
        # no ingest time: nothing downstream takes it for a fresh ingest's latency
        assert H_INGESTED_AT not in o.headers() and o.headers()[H_REPROCESS] == "run-1"
    assert [o.encode() for o in fresh] == [o.encode() for o in marked]  # the values are the same


# ------------------------------------------------------------------ the emulated older extractor

def test_run_as_changes_the_version_everywhere_and_finds_less(run_as_old: None) -> None:
    article = _seed_articles(1)[0]
    old = extractor_app.work(article)
    assert old and {f.extractor_version for f in old} == {OLD}
    assert extractor_app.active_version() == OLD
    closing = extractor_app.handle(article, InRecord(b""), old)[-1].value
    assert closing.extractor_version == OLD  # type: ignore[attr-defined]
    new = extract(article)
    assert {f.extractor_version for f in new} == {EXTRACTOR_VERSION}
    assert not {f.fact_id for f in old} & {f.fact_id for f in new}  # the version is part of the id


def test_without_run_as_the_service_step_is_the_extractor() -> None:
    article = _seed_articles(1)[0]
    assert extractor_app.active_version() == EXTRACTOR_VERSION
    assert extractor_app.work(article) == extract(article)


# ------------------------------------------------------------------ the aggregator

def _bundles(articles: list[Article], version: str, offset: int) -> list[tuple[int, ArticleBundle]]:
    out = []
    for i, a in enumerate(articles):
        facts = extract(a, use_ner=False, version=version) if version == OLD else extract(a)
        record = extractor_app.extraction_record(a, [f.fact_id for f in facts], version)
        out.append((offset + i, ArticleBundle(record=record, facts=facts, source_topic="facts", source_partition=0,
                                              source_offset=offset + i)))
    return out


def _comparable(state: AggregatorState) -> dict[str, object]:
    return comparable_results({k: v.model_dump(mode="json") for k, v in state.all_results().items()})


def test_newer_facts_replace_older_ones_and_the_article_counts_once() -> None:
    articles = _seed_articles()
    now = datetime.now(UTC)
    reprocessed = AggregatorState()
    for offset, b in _bundles(articles, OLD, 0):
        reprocessed.apply(b, offset, now)
    before = _comparable(reprocessed)
    updates = [reprocessed.apply(b, offset, now) for offset, b in _bundles(articles, EXTRACTOR_VERSION, 100)]
    fresh = AggregatorState()
    for offset, b in _bundles(articles, EXTRACTOR_VERSION, 0):
        fresh.apply(b, offset, now)

    assert before != _comparable(fresh)  # the older extractor's results differ...
    assert _comparable(reprocessed) == _comparable(fresh)  # ...and reprocessing ends where a fresh run does
    assert len(reprocessed.articles) == len(fresh.articles) == len(articles)
    assert reprocessed.entries == fresh.entries
    # a replacement is no new article: no second ingest → result latency sample, no duplicate
    assert all(u.applied and u.new_article is None for u in updates)
    for aid in reprocessed.articles:
        assert reprocessed.duplicate_found(aid) == fresh.duplicate_found(aid)
        assert {f.extractor_version for f in reprocessed.articles[aid].facts} <= {EXTRACTOR_VERSION}
