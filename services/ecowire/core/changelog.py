"""A compacted topic read as a changelog: every record from the beginning up to the end the topic
had when reading began, handed to `apply(key, value)` in order (a None value is a tombstone).

One reader for every store that lives in a compacted topic: the aggregator's per-partition state
(`core/store.py`, read when a partition is assigned) and the fetcher's seen items and validators (read at startup).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from .clients import start_client
from .settings import Settings

Apply = Callable[[str, bytes | None], None]


def _consumer(settings: Settings, client_id: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, group_id=None, enable_auto_commit=False,
        client_id=client_id, auto_offset_reset="earliest",
        max_partition_fetch_bytes=settings.max_message_bytes, fetch_max_bytes=settings.max_message_bytes * 2,
    )


async def _partitions(settings: Settings, topic: str, deadline: float) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id="ecowire-changelog")
    await start_client(admin, settings.bootstrap_servers)
    try:
        while True:
            (described,) = await admin.describe_topics([topic])
            found = [p["partition"] for p in described.get("partitions", [])]
            if found:
                return [TopicPartition(topic, p) for p in sorted(found)]
            if time.monotonic() > deadline:
                raise TimeoutError(f"topic {topic} not found (create the topics first: `ecowire topics create`)")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def end_offsets(settings: Settings, topic: str, partitions: Sequence[int]) -> dict[int, int]:
    consumer = _consumer(settings, "ecowire-changelog")
    await start_client(consumer, settings.bootstrap_servers)
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        return {tp.partition: off for tp, off in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


async def read_to_end(settings: Settings, topic: str, apply: Apply, partitions: Sequence[int] | None = None,
                      timeout_s: float | None = None, client_id: str = "ecowire-changelog") -> dict[int, int]:
    """Read `partitions` (all of the topic's when None) to their current ends; returns the end
    offset read up to, per partition. Raises TimeoutError after `timeout_s` (None: no limit)."""
    deadline = time.monotonic() + (timeout_s if timeout_s is not None else float("inf"))
    consumer = _consumer(settings, client_id)
    await start_client(consumer, settings.bootstrap_servers)
    try:
        if partitions is None:
            tps = await _partitions(settings, topic, deadline)
        else:
            tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        # Explicit offsets: `seek_to_beginning` right after `assign` can lose to the pending
        # default position lookup, and the loop below would then see an empty changelog.
        for tp, start in (await consumer.beginning_offsets(tps)).items():
            consumer.seek(tp, start)
        pending = {tp for tp in tps if ends[tp] > 0}
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic} not read to its end within {timeout_s:g}s")
            batch = await consumer.getmany(*pending, timeout_ms=500, max_records=5000)
            for tp, records in batch.items():
                for r in records:
                    if r.offset >= ends[tp]:
                        break
                    apply(r.key.decode("utf-8", "replace") if r.key else "", r.value)
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        return {tp.partition: off for tp, off in ends.items()}
    finally:
        await consumer.stop()
