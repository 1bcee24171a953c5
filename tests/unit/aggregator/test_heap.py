"""Why freezing the aggregator's heap is safe (aggregator/heap.py): applying bundles makes no
cyclic garbage and a state holds no cycles, so reference counting frees all of it even frozen."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from ecowire.aggregator.heap import Freezer
from ecowire.aggregator.logic import AggregatorState
from ecowire.aggregator.synthetic import iter_corpus
from ecowire_schemas.aggregator import ArticleBundle

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def _state(n: int) -> AggregatorState:
    state = AggregatorState()
    for i, a in enumerate(iter_corpus(n, seed=3)):
        state.apply(ArticleBundle(record=a.record, facts=a.facts, source_topic="f", source_partition=0,
                                  source_offset=i), i, NOW)
    return state


def test_applying_makes_no_cyclic_garbage_and_a_dropped_state_holds_no_cycles() -> None:
    gc.collect()
    state = _state(400)
    assert gc.collect() == 0  # everything replaced while applying went by reference counting
    del state
    assert gc.collect() == 0  # and so does the whole state when a partition is dropped


@pytest.mark.usefixtures("unfrozen")
def test_freezer_freezes_after_every_n_articles() -> None:
    freezer = Freezer(every=3)
    before = gc.get_freeze_count()
    freezer.grew()
    freezer.grew()
    assert gc.get_freeze_count() == before and freezer.pending == 2
    freezer.grew()
    assert gc.get_freeze_count() > before and freezer.pending == 0
