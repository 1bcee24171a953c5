"""The changelog-backed store (core/store.py) against the real broker: records written through the
runtime's producer land on the partition they name (tombstones as null values), a restore reads a
partition back to the latest value of each key, and a value kept at revocation is reused only while
nobody wrote the changelog since."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from ecowire.core.producer import KafkaProducer
from ecowire.core.records import InRecord, OutRecord
from ecowire.core.settings import Settings
from ecowire.core.stage import Stage, StageRunner
from ecowire.core.store import ChangelogStore
from ecowire_schemas import IngestRequest
from tests.support import consume, unique_settings

pytestmark = [pytest.mark.kafka]


class DictLoader:
    def __init__(self, partition: int) -> None:
        self.values: dict[str, bytes] = {}

    def apply(self, key: str, value: bytes | None) -> None:
        if value is None:
            self.values.pop(key, None)
        else:
            self.values[key] = value

    def finish(self) -> dict[str, bytes]:
        return self.values


async def _changelog_topic(settings: Settings) -> str:
    topic = f"{settings.topic_prefix}store-test.v1"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1, topic_configs={"cleanup.policy": "compact"})])
    finally:
        await admin.close()
    return topic


async def _write(settings: Settings, outputs: list[OutRecord]) -> None:
    """Produce `outputs` as a stage's outputs for one input, through the runtime's producer."""

    async def handle(item: IngestRequest, record: InRecord) -> list[OutRecord]:
        return outputs

    producer = KafkaProducer(settings, "store-test")
    await producer.start()
    try:
        runner = StageRunner(Stage("store-test", "ingest", IngestRequest, handle), producer, settings.topic("dlq"))
        value = IngestRequest(content="x").model_dump_json().encode()
        assert await runner.process(InRecord(value=value, key=b"k", topic="in")) == outputs
    finally:
        await producer.stop()


async def test_write_through_restore_tombstones_and_kept_values(kafka_bootstrap: str) -> None:
    settings = unique_settings(kafka_bootstrap)
    topic = await _changelog_topic(settings)
    store: ChangelogStore[dict[str, bytes]] = ChangelogStore(settings, topic, DictLoader)
    assert (await store.restore(1)).value == {}  # an empty changelog: an empty value
    value = store.get(1)
    assert value is not None
    value["b"] = b"2"  # the stage changes its value itself; the records make the change durable

    acked: list[int] = []
    await _write(settings, [
        store.put(1, "a", b"1", then=lambda m: acked.append(m.offset)),
        store.put(1, "b", b"2"),
        store.delete(1, "a"),
        store.put(0, "c", b"3"),
    ])
    assert acked == [0]  # `then` ran with the broker's metadata once everything was acknowledged

    fresh: ChangelogStore[dict[str, bytes]] = ChangelogStore(settings, topic, DictLoader)
    one = await fresh.restore(1)
    assert (one.value, one.records, one.kept) == ({"b": b"2"}, 3, False)
    assert (await fresh.restore(0)).value == {"c": b"3"}
    assert fresh.get(1) == {"b": b"2"}
    records = await consume(settings.bootstrap_servers, topic, until=4, timeout=30)
    by_key = {(r.partition, r.key): r.value for r in records}
    assert by_key[(1, b"a")] is None  # a tombstone is a null value, not an empty one
    assert {r.partition for r in records if r.key in (b"a", b"b")} == {1}  # the partition named, not the key's

    # Revoked and given back with nobody writing meanwhile: the value in memory is reused.
    store.drop(1, keep=True)
    assert store.get(1) is None
    again = await store.restore(1)
    assert (again.value, again.kept, again.records) == ({"b": b"2"}, True, 0)
    # Someone else wrote the partition meanwhile: the kept value is stale and the changelog is read.
    store.drop(1, keep=True)
    await _other_writer(settings, topic)
    stale = await store.restore(1)
    assert (stale.value, stale.kept) == ({"b": b"2", "d": b"4"}, False)
    # A loss (memory may be ahead of the changelog) never keeps the value.
    store.drop(1, keep=False)
    assert (await store.restore(1)).kept is False


async def _other_writer(settings: Settings, topic: str) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"4", key=b"d", partition=1)
    finally:
        await producer.stop()
