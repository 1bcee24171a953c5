"""The service shell's guards, with fake Kafka clients: nothing of a newly assigned partition is
processed before its state is restored (even records aiokafka hands out early), processing resumes
at the last applied offset + 1, and a replayed offset never counts twice."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import TopicPartition

from ecowire.aggregator.app import AggregatorService
from ecowire.aggregator.logic import AggregatorState
from ecowire.aggregator.state import ArticleBundle, RestoredState
from ecowire.aggregator.synthetic import corpus
from ecowire.core.settings import Settings

SETTINGS = Settings(topic_prefix="unit.", publish_retry_backoff_s=0.0)
TP = TopicPartition("unit.aggregator-bundles.v1", 0)


@dataclass
class Rec:
    offset: int
    value: bytes
    key: bytes = b"k"
    topic: str = TP.topic
    partition: int = 0
    headers: tuple[()] = ()
    timestamp: int = 0


@dataclass
class Meta:
    offset: int


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None]] = []

    async def send(self, topic: str, value: bytes | None, key: bytes | None = None, **_: Any) -> asyncio.Future[Meta]:
        self.sent.append((topic, key, value))
        fut: asyncio.Future[Meta] = asyncio.get_running_loop().create_future()
        fut.set_result(Meta(len(self.sent) - 1))
        return fut


class FakeConsumer:
    def __init__(self, service: AggregatorService) -> None:
        self.service = service
        self.script: deque[Any] = deque()
        self.paused: set[TopicPartition] = set()
        self.seeks: list[int] = []
        self.commits: list[int] = []
        self.assigned: set[TopicPartition] = set()

    async def getmany(self, *_: Any, **__: Any) -> dict[TopicPartition, list[Rec]]:
        await asyncio.sleep(0)
        if not self.script:
            self.service.stopping.set()
            return {}
        step = self.script.popleft()
        if callable(step):
            await step()
            return {}
        return {TP: step}

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    def pause(self, *tps: TopicPartition) -> None:
        self.paused |= set(tps)

    def resume(self, *tps: TopicPartition) -> None:
        self.paused -= set(tps)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append(offset)

    async def beginning_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(tps, 0)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(offsets[TP])


async def test_records_before_restore_are_dropped_and_replays_skipped() -> None:
    arts = corpus(6, seed=2, duplicate_every=0, truncated_every=0)
    bundles = [ArticleBundle(record=a.record, facts=a.facts, source_topic="f", source_partition=0,
                             source_offset=i).model_dump_json().encode() for i, a in enumerate(arts)]
    # what the changelog holds: offsets 0..2 applied before
    before = AggregatorState()
    restored = RestoredState()
    for i in range(3):
        u = before.apply(ArticleBundle.model_validate_json(bundles[i]), i, datetime.now(UTC))
        for k, v in u.changelog:
            restored.apply(k, v)

    service = AggregatorService(SETTINGS)
    consumer = FakeConsumer(service)
    producer = FakeProducer()
    service.bundles_consumer = consumer
    service.producer = producer
    gate = asyncio.Event()

    async def slow_changelog(partition: int) -> RestoredState:
        await gate.wait()
        return restored

    service.read_changelog = slow_changelog  # type: ignore[method-assign]

    async def assign() -> None:
        consumer.assigned = {TP}
        await service._bundles_assigned({TP})

    async def release() -> None:
        gate.set()
        await asyncio.gather(*service.restoring.values())

    consumer.script.extend([
        assign,
        [Rec(i, bundles[i]) for i in range(6)],  # handed out before the restore finished: dropped
        release,
        [Rec(1, bundles[1]), Rec(3, bundles[3]), Rec(4, bundles[4]), Rec(5, bundles[5])],
    ])
    await service.aggregate_loop()

    assert consumer.seeks == [3]  # positioned after the last applied offset
    assert consumer.paused == set()  # resumed once restored
    assert consumer.commits == [4, 5, 6]  # offset 1 was a replay: skipped
    results = [(k or b"").decode() for t, k, _ in producer.sent if t == SETTINGS.topic("results")]
    articles = [k for k in results if k.startswith("article:")]
    assert articles == [f"article:{arts[i].record.article_id}" for i in (3, 4, 5)]
    state = service.states[0]
    assert state.applied_offset == 5 and state.key_count() == 6


async def test_a_bundle_the_broker_never_takes_is_dead_lettered_not_retried_forever() -> None:
    from aiokafka.errors import MessageSizeTooLargeError

    arts = corpus(2, seed=3, duplicate_every=0, truncated_every=0)
    service = AggregatorService(SETTINGS)
    consumer = FakeConsumer(service)
    facts_tp = TopicPartition(service.facts_topic, 0)

    class RefusesTheFirstBundle(FakeProducer):
        refused = 0

        async def send(self, topic: str, value: bytes | None, key: bytes | None = None,
                       **kw: Any) -> asyncio.Future[Meta]:
            if topic == service.bundles_topic and not self.refused:
                self.refused += 1
                raise MessageSizeTooLargeError("the bundle is over the broker's limit")
            return await super().send(topic, value, key, **kw)

    producer = RefusesTheFirstBundle()
    service.facts_consumer = consumer
    service.producer = producer
    records, offset = [], 0
    for a in arts:
        for f in a.facts:
            records.append(Rec(offset, f.model_dump_json().encode(), key=a.record.article_id.encode(),
                               topic=facts_tp.topic))
            offset += 1
        records.append(Rec(offset, a.record.model_dump_json().encode(), key=a.record.article_id.encode(),
                           topic=facts_tp.topic))
        offset += 1

    async def batch() -> dict[TopicPartition, list[Rec]]:
        await asyncio.sleep(0)
        if records:
            out = {facts_tp: list(records)}
            records.clear()
            return out
        service.stopping.set()
        return {}

    consumer.getmany = lambda *a, **k: batch()  # type: ignore[method-assign]
    consumer.commits = []
    consumer.commit = lambda offsets: _commit(consumer, offsets[facts_tp])  # type: ignore[method-assign]
    await service.assemble_loop()

    sent = [(t, (k or b"").decode()) for t, k, _ in producer.sent]
    first, second = arts[0].record.article_id, arts[1].record.article_id
    assert sent == [(service.dlq_topic, first), (service.bundles_topic, second)]
    assert consumer.seeks == []  # no rewind: the partition went on
    assert consumer.commits[-1] == offset  # everything committed


async def _commit(consumer: FakeConsumer, offset: int) -> None:
    consumer.commits.append(offset)
