"""The aggregator on the real normalizer + extractor output for the seeds (no broker): the seeds
twice plus each seed cut to its first half. Checks the signatures the normalizer computes work
with the aggregator's duplicate detection."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ecowire.aggregator.logic import AggregatorState
from ecowire.aggregator.state import ArticleBundle
from ecowire_schemas.results import ArticleResult, EventAggregate, IndicatorSeries, PersonEntry, TargetEntry
from tests.support import SEEDS

extractor_app = pytest.importorskip("ecowire.extractor.app")
inprocess = pytest.importorskip("ecowire.inprocess")


def test_seeds_twice_and_half_copies(tmp_path: Path) -> None:
    state = AggregatorState()
    offset = 0

    def feed(path: Path) -> list[str]:
        nonlocal offset
        ids = []
        for article, facts in inprocess.extract_file(path):
            record = extractor_app.extraction_record(article, [f.fact_id for f in facts])
            bundle = ArticleBundle(record=record, facts=facts, source_topic="facts", source_partition=0,
                                   source_offset=offset)
            state.apply(bundle, offset, datetime.now(UTC))
            offset += 1
            ids.append(article.article_id)
        return ids

    seeds = sorted(SEEDS.glob("*.txt"))
    originals = {p.name: feed(p) for p in seeds}
    assert [feed(p) for p in seeds] == list(originals.values())  # the same ids again
    distinct = len(state.articles)
    halves: dict[str, list[str]] = {}
    for p in seeds:
        text = p.read_text("utf-8")
        half = tmp_path / p.name
        half.write_text(text[: len(text) // 2], "utf-8")
        halves[p.name] = feed(half)
    assert len(state.articles) == distinct + sum(len(v) for v in halves.values())

    results = state.all_results()
    for name, ids in halves.items():
        for aid in ids:
            r = results[f"article:{aid}"]
            assert isinstance(r, ArticleResult)
            assert r.status in ("duplicate", "near_duplicate"), (name, r.title)
            assert r.duplicate_of in originals[name] and r.cluster_id == r.duplicate_of
            assert r.similarity is not None and r.similarity >= 0.8
    # no aggregate holds a fact of a copy
    copies = {aid for ids in halves.values() for aid in ids}
    for v in results.values():
        refs = []
        if isinstance(v, EventAggregate):
            refs = v.sources
        elif isinstance(v, IndicatorSeries):
            refs = [p.source for p in v.points]
        elif isinstance(v, TargetEntry):
            refs = [s.source for s in v.statements]
        elif isinstance(v, PersonEntry):
            refs = [s for t in v.titles for s in t.sources]
        assert not {r.article_id for r in refs} & copies
