"""The stage runner's failure paths with a producer that behaves as the broker would: outputs the
broker will never take are dead-lettered, and a dead letter always fits in a record."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable
from typing import Any

from aiokafka.errors import KafkaTimeoutError, MessageSizeTooLargeError

from ecowire.core.records import DLQ_PREFIX_BYTES, InRecord, OutRecord
from ecowire.core.stage import Stage, StageRunner
from ecowire_schemas import DeadLetter, IngestRequest

LIMIT = 1024 * 1024


class SizeCheckingProducer:
    """Refuses what is larger than `limit`, as aiokafka's client-side check and the broker do."""

    def __init__(self, limit: int = LIMIT, fail_with: BaseException | None = None) -> None:
        self.limit, self.fail_with = limit, fail_with
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []

    async def send(self, topic: str, value: bytes, key: bytes | None, headers: dict[str, str]) -> Awaitable[Any]:
        if self.fail_with is not None and topic != "dlq":
            raise self.fail_with
        size = len(value) + sum(len(k) + len(v) for k, v in headers.items())
        if size > self.limit:
            raise MessageSizeTooLargeError(f"{size} bytes")
        self.sent.append((topic, value, headers))
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        fut.set_result(None)
        return fut


def _stage(output_bytes: int) -> Stage:
    def handle(req: IngestRequest, record: InRecord) -> list[OutRecord]:
        return [OutRecord("raw", "k", IngestRequest(content="x" * output_bytes))]

    return Stage("fetcher", "ingest", IngestRequest, handle)


def _record(content_bytes: int) -> InRecord:
    value = IngestRequest(content="y" * content_bytes).model_dump_json().encode()
    return InRecord(value=value, key=b"k", topic="ingest", partition=0, offset=7)


def test_an_output_the_broker_refuses_is_dead_lettered_not_retried() -> None:
    producer = SizeCheckingProducer()
    runner = StageRunner(_stage(2 * LIMIT), producer, "dlq", max_message_bytes=LIMIT)
    assert asyncio.run(runner.process(_record(10))) == []
    (topic, value, headers), = producer.sent
    assert topic == "dlq" and DeadLetter.from_headers(headers).reason == "output_too_large"
    assert value == _record(10).value  # small enough: the original travels whole


def test_a_dead_letter_of_a_huge_input_is_bounded_with_its_size_and_hash() -> None:
    producer = SizeCheckingProducer()
    runner = StageRunner(_stage(2 * LIMIT), producer, "dlq", max_message_bytes=LIMIT)
    record = _record(3 * LIMIT)
    asyncio.run(runner.process(record))
    (topic, value, headers), = producer.sent
    letter = DeadLetter.from_headers(headers)
    assert topic == "dlq" and len(value) == DLQ_PREFIX_BYTES and record.value.startswith(value)
    assert letter.original_size == len(record.value)
    assert letter.original_sha256 == hashlib.sha256(record.value).hexdigest()
    assert (letter.source_topic, letter.source_offset) == ("ingest", 7)


def test_a_transient_produce_error_still_raises_so_the_input_is_retried() -> None:
    producer = SizeCheckingProducer(fail_with=KafkaTimeoutError())
    runner = StageRunner(_stage(10), producer, "dlq", max_message_bytes=LIMIT)
    try:
        asyncio.run(runner.process(_record(10)))
    except KafkaTimeoutError:
        pass
    else:
        raise AssertionError("a timeout must not be dead-lettered: the broker may come back")
    assert producer.sent == []
