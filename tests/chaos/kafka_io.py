"""Publishing and reading back, for the suite (aiokafka, no consumer group: nothing to clean up)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError

from ecowire.core.settings import Settings

MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Rec:
    topic: str
    partition: int
    offset: int
    key: str | None
    value: bytes | None
    headers: dict[str, bytes]
    timestamp_ms: int  # CreateTime: when the producing service sent it
    seen_at: float  # time.time() when the suite read it

    def header(self, name: str) -> str | None:
        v = self.headers.get(name)
        return None if v is None else v.decode("utf-8", "replace")

    def json(self) -> Any:
        return None if self.value is None else json.loads(self.value)


def producer(settings: Settings, idempotent: bool = True) -> AIOKafkaProducer:
    # Hostile records the broker refuses (too large) break an idempotent producer's sequence
    # numbers for every later record: that publisher is not idempotent.
    return AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", enable_idempotence=idempotent,
                            max_request_size=MAX_BYTES, request_timeout_ms=15_000)


async def publish_until_acked(settings: Settings, topic: str,
                              records: Sequence[tuple[bytes, bytes]], attempt_timeout_s: float = 20.0) -> int:
    """Publish (key, value) records with schema-version 1, retrying the whole batch until the broker
    acknowledged it — through a broker stop or SIGKILL. Returns the number of attempts. A batch sent
    twice is a replay the pipeline must absorb (same doc_id, same content)."""
    attempts = 0
    while True:
        attempts += 1
        prod = producer(settings)
        try:
            await asyncio.wait_for(prod.start(), attempt_timeout_s)
            futures = [await prod.send(topic, value, key=key, headers=[("schema-version", b"1")])
                       for key, value in records]
            await asyncio.wait_for(asyncio.gather(*futures), attempt_timeout_s)
            return attempts
        except (KafkaError, TimeoutError) as e:
            print(f"chaos: publish attempt {attempts} failed ({type(e).__name__}: {e}); retrying", flush=True)
            await asyncio.sleep(1.0)
        finally:
            try:
                await asyncio.wait_for(prod.stop(), 10)
            except (KafkaError, TimeoutError) as e:
                print(f"chaos: producer stop: {type(e).__name__}: {e}", flush=True)


def _rec(r: Any) -> Rec:
    return Rec(r.topic, r.partition, r.offset, r.key.decode("utf-8", "replace") if r.key is not None else None,
               r.value, {k: bytes(v) for k, v in (r.headers or ())}, r.timestamp, time.time())


@dataclass
class Reader:
    """Reads topics from the beginning, in the background, into `records` (per topic)."""

    settings: Settings
    topics: list[str]
    records: dict[str, list[Rec]] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    last_new: float = field(default_factory=time.monotonic)

    async def __aenter__(self) -> Reader:
        consumer = AIOKafkaConsumer(*self.topics, bootstrap_servers=self.settings.bootstrap_servers,
                                    group_id=None, auto_offset_reset="earliest", enable_auto_commit=False,
                                    fetch_max_bytes=MAX_BYTES, max_partition_fetch_bytes=MAX_BYTES)
        await consumer.start()
        for t in self.topics:
            self.records[t] = []
        self._task = asyncio.create_task(self._run(consumer))
        return self

    async def _run(self, consumer: AIOKafkaConsumer) -> None:
        try:
            while not self._stop.is_set():
                batch = await consumer.getmany(timeout_ms=200)
                for recs in batch.values():
                    for r in recs:
                        self.records[r.topic].append(_rec(r))
                        self.last_new = time.monotonic()
        finally:
            await consumer.stop()

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    def check(self) -> None:
        """Re-raise the reader's failure, if it failed."""
        if self._task is not None and self._task.done() and not self._stop.is_set():
            self._task.result()


async def read_all(settings: Settings, topics: list[str], idle_s: float = 3.0, timeout_s: float = 120.0
                   ) -> dict[str, list[Rec]]:
    """Every record of `topics` from the beginning, once nothing new came for `idle_s`."""
    async with Reader(settings, topics) as reader:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and time.monotonic() - reader.last_new < idle_s:
            await asyncio.sleep(0.2)
            reader.check()
        return reader.records
