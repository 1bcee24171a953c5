"""State restore time from the real changelog topic, for thousands of keys.

Run with `-s` to see the figures (they are quoted in docs/aggregator.md):
    .venv/bin/pytest -s tests/integration/test_aggregator_restore.py
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from ecowire.aggregator.app import read_changelog
from ecowire.aggregator.logic import AggregatorState
from ecowire.aggregator.state import ArticleBundle
from ecowire.aggregator.synthetic import corpus
from ecowire.aggregator.topics import INTERNAL, STATE
from ecowire.core.topics_admin import ensure_topics
from tests.support import produce, unique_settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.mark.parametrize("n", [1000, 5000])
async def test_restore_time(kafka_bootstrap: str, n: int) -> None:
    settings = unique_settings(kafka_bootstrap)
    await ensure_topics(settings, INTERNAL)
    articles = corpus(n, seed=n)
    state = AggregatorState()
    changelog: list[tuple[bytes | None, bytes, dict[str, str]]] = []
    for i, a in enumerate(articles):
        bundle = ArticleBundle(record=a.record, facts=a.facts, source_topic="facts", source_partition=0,
                               source_offset=i)
        update = state.apply(bundle, i, datetime(2026, 1, 1, tzinfo=UTC))
        changelog += [(k.encode(), v, {}) for k, v in update.changelog]
    topic = STATE.name(settings.topic_prefix)
    await produce(settings.bootstrap_servers, topic, changelog)

    t0 = time.perf_counter()
    restored = await read_changelog(settings, topic, 0)
    t1 = time.perf_counter()
    again = AggregatorState.restore(0, restored)
    t2 = time.perf_counter()

    size = sum(len(v) for _, v, _ in changelog)
    print(f"\nrestore n_articles={len(articles)} changelog_records={len(changelog)} bytes={size} "
          f"read={t1 - t0:.2f}s rebuild={t2 - t1:.2f}s total={t2 - t0:.2f}s "
          f"({len(articles) / (t2 - t0):.0f} articles/s)")
    assert again.applied_offset == len(articles) - 1
    assert again.key_count() == state.key_count() == len(articles)
    assert again.all_results() == state.all_results()
    assert t2 - t0 < 120, "restore is far slower than measured when this test was written"
