"""The aggregator's guards on the core runtime, with fake Kafka clients: nothing of a newly assigned
partition is processed before its state is restored (even records aiokafka hands out early),
processing resumes at the last applied offset + 1, a replayed offset never counts twice, a bundle
the broker never takes is dead-lettered rather than retried forever, and a bundle that breaks the
state is dead-lettered, marked, and the state restored from the changelog."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import MessageSizeTooLargeError

from ecowire.aggregator.app import Aggregator
from ecowire.aggregator.logic import AggregatorState
from ecowire.aggregator.state import ArticleBundle
from ecowire.aggregator.synthetic import corpus
from ecowire.core import store as store_module
from ecowire.core.app import process_partitioned
from ecowire.core.partitions import Partitions
from ecowire.core.records import InRecord
from ecowire.core.settings import Settings
from ecowire.core.stage import Stage, StageRunner
from ecowire_schemas.dlq import DeadLetter

SETTINGS = Settings(topic_prefix="unit.", publish_retry_backoff_s=0.0)
BUNDLES = "unit.aggregator-bundles.v1"
TP = TopicPartition(BUNDLES, 0)


@dataclass
class Meta:
    offset: int


class FakeProducer:
    def __init__(self, refuse: Callable[[str], bool] = lambda topic: False) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, dict[str, str]]] = []
        self.refuse = refuse

    async def send(self, topic: str, value: bytes | None, key: bytes | None, headers: dict[str, str],
                   partition: int | None = None) -> asyncio.Future[Meta]:
        if self.refuse(topic):
            raise MessageSizeTooLargeError("over the broker's limit")
        self.sent.append((topic, key, value, headers))
        fut: asyncio.Future[Meta] = asyncio.get_running_loop().create_future()
        fut.set_result(Meta(len(self.sent) - 1))
        return fut

    def keys(self, topic: str) -> list[str]:
        return [(k or b"").decode() for t, k, _, _ in self.sent if t == topic]


class FakeConsumer:
    def __init__(self, tp: TopicPartition) -> None:
        self.assigned = {tp}
        self.paused: set[TopicPartition] = set()
        self.seeks: list[int] = []
        self.commits: list[int] = []

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    def pause(self, *tps: TopicPartition) -> None:
        self.paused |= set(tps)

    def resume(self, *tps: TopicPartition) -> None:
        self.paused -= set(tps)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append(offset)

    async def committed(self, tp: TopicPartition) -> int | None:
        return None

    async def beginning_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(tps, 0)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        (offset,) = offsets.values()
        self.commits.append(offset)


class Harness:
    """One stage of the aggregator on the runtime's batch path, with the fakes above."""

    def __init__(self, stage: Stage, tp: TopicPartition, producer: FakeProducer) -> None:
        assert stage.partitions is not None
        self.stage, self.gate = stage, stage.partitions
        self.consumer = FakeConsumer(tp)
        self.gate.bind(tp.topic, lambda: self.consumer, 0.0)
        self.runner = StageRunner(stage, producer, SETTINGS.topic("dlq"))
        self.tp = tp

    async def assign(self) -> None:
        await self.gate.on_partitions_assigned({self.tp})

    async def prepared(self) -> None:
        await asyncio.gather(*self.gate.preparing.values())

    async def batch(self, records: Sequence[InRecord], snapshot: dict[int, int] | None = None) -> None:
        snap = self.gate.snapshot() if snapshot is None else snapshot
        await process_partitioned(self.stage, self.runner, self.gate, snap, records, self.consumer, SETTINGS)


def _bundles(n: int, seed: int) -> tuple[list[Any], list[bytes]]:
    arts = corpus(n, seed=seed, duplicate_every=0, truncated_every=0)
    return arts, [ArticleBundle(record=a.record, facts=a.facts, source_topic="f", source_partition=0,
                                source_offset=i).model_dump_json().encode() for i, a in enumerate(arts)]


def _rec(offset: int, value: bytes, topic: str = BUNDLES, key: bytes = b"k") -> InRecord:
    return InRecord(value=value, key=key, headers={"schema-version": "1"}, topic=topic, partition=0, offset=offset)


def _changelog(bundles: list[bytes], upto: int) -> list[tuple[str, bytes | None]]:
    """What the changelog holds after bundles 0..upto-1 were applied."""
    state, out = AggregatorState(), []
    for i in range(upto):
        out += state.apply(ArticleBundle.model_validate_json(bundles[i]), i, datetime.now(UTC)).changelog
    return list(out)


def _fake_changelog(monkeypatch: pytest.MonkeyPatch, records: list[tuple[str, bytes | None]],
                    gate: asyncio.Event | None = None) -> list[int]:
    """`read_to_end` of the store, serving `records`; returns the list of reads made."""
    reads: list[int] = []

    async def read_to_end(settings: Settings, topic: str, apply: Callable[[str, bytes | None], None],
                          partitions: Sequence[int], **_: Any) -> dict[int, int]:
        if gate is not None:
            await gate.wait()
        reads.append(len(records))
        for k, v in records:
            apply(k, v)
        return dict.fromkeys(partitions, len(records))

    monkeypatch.setattr(store_module, "read_to_end", read_to_end)
    return reads


async def test_records_before_restore_are_dropped_and_replays_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    arts, bundles = _bundles(6, seed=2)
    release = asyncio.Event()
    _fake_changelog(monkeypatch, _changelog(bundles, 3), release)  # offsets 0..2 applied before
    agg = Aggregator(SETTINGS)
    producer = FakeProducer()
    h = Harness(agg.stages[1], TP, producer)

    await h.assign()
    assert h.consumer.paused == {TP}
    early = h.gate.snapshot()  # a batch fetched while the restore runs
    for i in range(6):  # handed out before the restore finished: dropped
        await h.batch([_rec(i, bundles[i])])
    release.set()
    await h.prepared()
    await h.batch([_rec(3, bundles[3])], snapshot=early)  # fetched before, handled after: dropped too
    assert producer.sent == [] and h.consumer.commits == []
    await h.batch([_rec(1, bundles[1]), _rec(3, bundles[3])])  # a replay and a new bundle in one batch
    for i in (4, 5):
        await h.batch([_rec(i, bundles[i])])

    assert h.consumer.seeks == [3]  # positioned after the last applied offset
    assert h.consumer.paused == set()  # resumed once restored
    assert h.consumer.commits == [4, 5, 6]  # the replay of 1 was skipped and moved nothing back
    articles = [k for k in producer.keys(SETTINGS.topic("results")) if k.startswith("article:")]
    assert articles == [f"article:{arts[i].record.article_id}" for i in (3, 4, 5)]
    state = agg.store.get(0)
    assert state is not None and state.applied_offset == 5 and state.key_count() == 6
    # results first, then the changelog that says they were applied
    topics = [t for t, *_ in producer.sent]
    assert topics.index(agg.state_topic) > max(i for i, t in enumerate(topics[:topics.index(agg.state_topic)])
                                               if t == SETTINGS.topic("results"))


async def test_a_bundle_the_broker_never_takes_is_dead_lettered_not_retried_forever() -> None:
    arts = corpus(2, seed=3, duplicate_every=0, truncated_every=0)
    agg = Aggregator(SETTINGS)
    refused: list[str] = []

    def refuse_first_bundle(topic: str) -> bool:
        if topic == agg.bundles_topic and not refused:
            refused.append(topic)
            return True
        return False

    producer = FakeProducer(refuse_first_bundle)
    facts_tp = TopicPartition(SETTINGS.topic("facts"), 0)
    h = Harness(agg.stages[0], facts_tp, producer)
    records, offset = [], 0
    for a in arts:
        for value in [*(f.model_dump_json().encode() for f in a.facts), a.record.model_dump_json().encode()]:
            records.append(_rec(offset, value, topic=facts_tp.topic, key=a.record.article_id.encode()))
            offset += 1
    await h.assign()
    await h.prepared()
    await h.batch(records)

    first, second = arts[0].record.article_id, arts[1].record.article_id
    assert sorted((t, (k or b"").decode()) for t, k, _, _ in producer.sent) == sorted(
        [(agg.bundles_topic, second), (SETTINGS.topic("dlq"), first)])
    (_, _, _, headers), = [s for s in producer.sent if s[0] == SETTINGS.topic("dlq")]
    assert DeadLetter.from_headers(headers).reason == "output_too_large"
    assert h.consumer.seeks == [0]  # positioned once when assigned; no rewind: the partition went on
    assert h.consumer.commits == [offset]  # everything committed


async def test_an_open_article_holds_the_commit_back() -> None:
    arts = corpus(1, seed=4, duplicate_every=0, truncated_every=0)
    agg = Aggregator(SETTINGS)
    facts_tp = TopicPartition(SETTINGS.topic("facts"), 0)
    h = Harness(agg.stages[0], facts_tp, FakeProducer())
    await h.assign()
    await h.prepared()
    facts = [_rec(10 + i, f.model_dump_json().encode(), topic=facts_tp.topic) for i, f in enumerate(arts[0].facts)]
    await h.batch(facts)
    assert h.consumer.commits == [10]  # not past the first fact of the article still open
    await h.gate.on_partitions_revoked({facts_tp})
    assert agg.assembler.open_count() == 0  # its new owner reads the open article again


class _Restored(NamedTuple):
    arts: list[Any]
    bundles: list[bytes]
    changelog: list[tuple[str, bytes | None]]
    reads: list[Any]
    agg: Aggregator
    producer: FakeProducer
    h: Harness
    state: AggregatorState


async def _restored(monkeypatch: pytest.MonkeyPatch, n: int, seed: int) -> _Restored:
    """An aggregating stage restored from a changelog that applied bundle 0 of `n`."""
    arts, bundles = _bundles(n, seed=seed)
    changelog = _changelog(bundles, 1)
    reads = _fake_changelog(monkeypatch, changelog)
    agg = Aggregator(SETTINGS)
    producer = FakeProducer()
    h = Harness(agg.stages[1], TP, producer)
    await h.assign()
    await h.prepared()
    state = agg.store.get(0)
    assert state is not None
    return _Restored(arts, bundles, changelog, reads, agg, producer, h, state)


async def test_a_bundle_that_breaks_the_state_is_dead_lettered_and_the_state_restored(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    arts, bundles, changelog, reads, agg, producer, h, state = await _restored(monkeypatch, 3, seed=5)

    def broken(*_: Any) -> Any:
        raise ValueError("a bug")

    monkeypatch.setattr(state, "apply", broken)
    await h.batch([_rec(1, bundles[1])])

    (_, _, _, headers), = [s for s in producer.sent if s[0] == SETTINGS.topic("dlq")]
    assert DeadLetter.from_headers(headers).reason == "stage_error"
    marks = [v for t, k, v, _ in producer.sent if t == agg.state_topic and k == b"offset:0"]
    assert len(marks) == 1 and b'"applied_offset":1' in (marks[0] or b"")
    assert h.consumer.commits == [2]
    # the restore that follows reads what the changelog holds now: the mark included
    changelog += [((k or b"").decode(), v) for t, k, v, _ in producer.sent if t == agg.state_topic]
    await h.prepared()  # restored again from the changelog, a fresh state
    assert len(reads) == 2 and agg.store.get(0) is not state
    assert h.consumer.seeks[-1] == 2  # after the dead-lettered bundle
    await h.batch([_rec(2, bundles[2])])
    assert h.consumer.commits[-1] == 3
    assert f"article:{arts[2].record.article_id}" in producer.keys(SETTINGS.topic("results"))


async def test_bundles_after_a_broken_one_in_a_batch_wait_for_the_restored_state(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of four bundles, the second of which breaks the state: the first is applied and
    published, the second dead-lettered, the last two neither handled nor committed (the state
    they would meet is not trusted); after the restore they are applied to the restored state."""
    arts, bundles, changelog, reads, agg, producer, h, state = await _restored(monkeypatch, 5, seed=6)
    real_apply = state.apply

    def break_on_2(bundle: ArticleBundle, offset: int, now: datetime) -> Any:
        if offset == 2:
            raise ValueError("a bug")
        return real_apply(bundle, offset, now)

    monkeypatch.setattr(state, "apply", break_on_2)
    await h.batch([_rec(i, bundles[i]) for i in (1, 2, 3, 4)])

    (_, _, _, headers), = [s for s in producer.sent if s[0] == SETTINGS.topic("dlq")]
    assert DeadLetter.from_headers(headers).reason == "stage_error"
    results = producer.keys(SETTINGS.topic("results"))
    assert f"article:{arts[1].record.article_id}" in results
    assert not any(f"article:{arts[i].record.article_id}" in results for i in (2, 3, 4))
    assert h.consumer.commits == [3]  # up to the dead-lettered bundle, not past the unhandled ones

    changelog += [((k or b"").decode(), v) for t, k, v, _ in producer.sent if t == agg.state_topic]
    await h.prepared()
    restored = agg.store.get(0)
    assert len(reads) == 2 and restored is not None and restored is not state
    assert restored.applied_offset == 2 and h.consumer.seeks[-1] == 3
    await h.batch([_rec(i, bundles[i]) for i in (3, 4)])
    assert h.consumer.commits[-1] == 5
    results = producer.keys(SETTINGS.topic("results"))
    assert all(f"article:{arts[i].record.article_id}" in results for i in (3, 4))
    assert restored.key_count() == 4  # 0, 1, 3 and 4: the broken bundle never entered the state


def test_every_stage_of_the_aggregator_has_partition_hooks() -> None:
    stages = Aggregator(SETTINGS).stages
    assert [s.group_name() for s in stages] == ["aggregator-assemble", "aggregator"]
    assert all(isinstance(s.partitions, Partitions) for s in stages)
