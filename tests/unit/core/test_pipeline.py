"""Batches in flight at once (core/pipeline.py), with the stage runner and a consumer that keeps
what it was asked to commit. The same against the real broker: test_stage_shell.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaTimeoutError

from ecowire.core import metrics
from ecowire.core.pipeline import Pipeline
from ecowire.core.records import InRecord, OutRecord
from ecowire.core.stage import Stage, StageRunner
from ecowire_schemas import IngestRequest

TOPIC = "ingest"


class Producer:
    """Acknowledges at once and keeps the order it was handed records in; fails the first
    `failures` sends."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[str] = []

    async def send(self, topic: str, value: bytes, key: bytes | None, headers: dict[str, str]) -> Awaitable[Any]:
        if self.failures:
            self.failures -= 1
            raise KafkaTimeoutError("the broker did not answer")
        self.sent.append(json.loads(value)["content"])
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        fut.set_result(None)
        return fut


class Consumer:
    def __init__(self, partitions: int = 2) -> None:
        self.assigned = {TopicPartition(TOPIC, p) for p in range(partitions)}
        self.commits: list[dict[int, int]] = []
        self.paused: set[TopicPartition] = set()

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused.update(partitions)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append({tp.partition: o for tp, o in offsets.items()})


async def handle(req: IngestRequest, record: InRecord) -> list[OutRecord]:
    """`slow`: 0.3 s; `stuck`: far longer than any test."""
    if req.content and req.content.startswith("slow"):
        await asyncio.sleep(0.3)
    if req.content == "stuck":
        await asyncio.sleep(3600)
    return [OutRecord("raw", record.key.decode() if record.key else "-", req)]


def pipeline(producer: Producer, depth: int = 3) -> Pipeline:
    runner = StageRunner(Stage("fetcher", TOPIC, IngestRequest, handle), producer, "dlq", time_budget_s=7200)
    return Pipeline(runner, depth=depth, retry_s=0.01, drain_s=1.0)


def rec(content: str, offset: int, partition: int = 0, key: str | None = None) -> InRecord:
    return InRecord(value=IngestRequest(content=content).model_dump_json().encode(),
                    key=(key or content).encode(), topic=TOPIC, partition=partition, offset=offset)


async def settle(p: Pipeline) -> None:
    assert await p.drain(5.0)


def test_a_later_batch_is_produced_first_and_committed_with_the_earlier() -> None:
    async def run() -> tuple[Producer, Consumer]:
        producer, consumer = Producer(), Consumer()
        p = pipeline(producer)
        await p.submit([rec("slow", 0)], consumer)
        await p.submit([rec("fast", 1), rec("other", 0, partition=1)], consumer)
        await asyncio.sleep(0.1)
        assert producer.sent == ["fast", "other"]
        assert consumer.commits == [], "nothing past the unfinished input"
        await settle(p)
        return producer, consumer

    producer, consumer = asyncio.run(run())
    assert producer.sent == ["fast", "other", "slow"]
    assert consumer.commits == [{0: 2, 1: 1}]


def test_an_input_whose_key_is_in_flight_is_produced_after_it_and_the_rest_is_not_held() -> None:
    async def run() -> tuple[Producer, Consumer]:
        producer, consumer = Producer(), Consumer()
        p = pipeline(producer, depth=2)  # the split-off input shares its batch's slot: no wait for one
        await p.submit([rec("slow v1", 0, key="k")], consumer)
        await p.submit([rec("fast", 1), rec("v2", 2, key="k"), rec("fast too", 3)], consumer)
        await asyncio.sleep(0.1)
        assert producer.sent == ["fast", "fast too"]
        await settle(p)
        return producer, consumer

    producer, consumer = asyncio.run(run())
    assert producer.sent.index("slow v1") < producer.sent.index("v2")
    assert consumer.commits == [{0: 1}, {0: 4}]  # the split-off input is queued before the rest


def test_no_more_than_depth_batches_are_in_flight() -> None:
    async def run() -> list[int]:
        producer, consumer = Producer(), Consumer()
        p = pipeline(producer, depth=2)
        seen = []
        for i in range(5):
            await p.submit([rec(f"slow{i}", i)], consumer)
            seen.append(p.in_flight)
        await settle(p)
        return seen

    assert max(asyncio.run(run())) <= 2


def test_a_failed_produce_is_retried_in_place_and_committed_once_it_succeeds() -> None:
    handled: list[str] = []

    async def counting(req: IngestRequest, record: InRecord) -> list[OutRecord]:
        handled.append(req.content or "")
        return await handle(req, record)

    async def run() -> tuple[Producer, Consumer, float]:
        producer, consumer = Producer(failures=3), Consumer()
        runner = StageRunner(Stage("fetcher", TOPIC, IngestRequest, counting), producer, "dlq")
        p = Pipeline(runner, depth=2, retry_s=0.01, drain_s=1.0)
        before = metrics.PUBLISH_FAILURES.labels("fetcher")._value.get()
        await p.submit([rec("a", 0)], consumer)
        await p.submit([rec("b", 1)], consumer)
        await settle(p)
        return producer, consumer, metrics.PUBLISH_FAILURES.labels("fetcher")._value.get() - before

    producer, consumer, failures = asyncio.run(run())
    assert sorted(producer.sent) == ["a", "b"]
    assert sorted(handled) == ["a", "b"], "handled once: the outputs are kept for the retry"
    assert failures == 3
    assert consumer.commits[-1] == {0: 2}


def test_a_revocation_commits_what_is_in_flight_and_drops_a_batch_read_before_it() -> None:
    async def run() -> tuple[Producer, Consumer]:
        producer, consumer = Producer(), Consumer()
        p = pipeline(producer, depth=1)
        await p.submit([rec("slow", 0)], consumer)
        waiting = asyncio.create_task(p.submit([rec("read before", 1)], consumer))  # no slot yet
        await asyncio.sleep(0)
        await p.on_partitions_revoked(consumer.assigned)
        assert consumer.commits == [{0: 1}], "the batch in flight finished and was committed"
        await waiting
        await settle(p)
        return producer, consumer

    producer, consumer = asyncio.run(run())
    assert producer.sent == ["slow"]
    assert consumer.commits == [{0: 1}]


def test_at_shutdown_what_finished_is_committed_and_what_did_not_is_not() -> None:
    async def run() -> tuple[Producer, Consumer]:
        producer, consumer = Producer(), Consumer()
        p = pipeline(producer)
        await p.submit([rec("quick", 0, partition=1)], consumer)
        await p.submit([rec("stuck", 0)], consumer)
        await p.submit([rec("after", 1)], consumer)
        await p.close()
        await p.submit([rec("too late", 2)], consumer)
        return producer, consumer

    producer, consumer = asyncio.run(run())
    assert producer.sent == ["quick", "after"]
    assert consumer.commits == [{1: 1}], "nothing of partition 0 past the stuck input"
    assert consumer.paused == consumer.assigned, "the consumer stops fetching what would be dropped"
