"""The stage shell every service shares: decode, handle, produce, wait for the broker, commit.

Delivery is at-least-once with nothing lost:
- the input is committed (`msg.ack()`) only after every output record was acknowledged by the
  broker (acks=all, idempotent producer);
- an input that cannot be processed goes to the dead-letter topic (original bytes and key,
  `dlq-*` headers) and is committed once the dead letter is acknowledged, so one poison message
  never blocks a partition;
- when producing fails (broker unavailable), the input is not committed: the consumer seeks back
  and processes it again after a pause. Ids are deterministic, so the retry is harmless.

No input holds a partition longer than its time budget (`Settings.time_budget_s`): a stage's
CPU-bound step (`Stage.work`) runs in a child process that is killed when it overruns, and an
async handler runs under `asyncio.timeout`; either way the input is dead-lettered as `timeout`.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError
from pydantic import TypeAdapter

from . import metrics
from .logs import get_logger
from .records import InRecord, OutRecord, Reject, dead_letter, decode, ingested_at
from .worker import BudgetedWorker, BudgetExceeded, WorkerDied, WorkerStopped

log = get_logger("ecowire.stage")

Handler = Callable[..., Sequence[OutRecord] | Awaitable[Sequence[OutRecord]]]


class Producer(Protocol):
    """Sends one record; returns an awaitable that completes when the broker acknowledged it."""

    async def send(
        self, topic: str, value: bytes, key: bytes | None, headers: dict[str, str]
    ) -> Awaitable[Any]: ...


@dataclass(frozen=True)
class Stage:
    name: str  # fetcher | normalizer | extractor | aggregator
    input_base: str  # topic base name, e.g. "raw"
    input_model: Any  # pydantic model or annotated union of the input topic
    # handle(item, record) -> outputs; with `work`: handle(item, record, work(item)). Sync handlers
    # run in a thread, async ones under the time budget; either must be cheap or I/O-bound.
    handle: Handler
    input_version: int = 1
    # The stage's pure CPU-bound step, item -> anything picklable; it runs in a worker process
    # under the time budget. Module-level (it is pickled by name), like `warm`, which loads what
    # the step needs once per worker process (models) before the first input.
    work: Callable[[Any], Any] | None = None
    warm: Callable[[], None] | None = None

    def adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.input_model)


# Produce errors no retry can cure: the record is larger than the producer or the topic accepts.
PERMANENT_PRODUCE_ERRORS = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)
# A dead letter keeps the original whole up to the message size less this room for its headers.
DLQ_HEADROOM = 64 * 1024
DLQ_PREFIX_BYTES = 64 * 1024


class StageRunner:
    """Processes one input record at a time; pure of any Kafka client (see `Producer`)."""

    def __init__(self, stage: Stage, producer: Producer, dlq_topic: str,
                 max_message_bytes: int = 8 * 1024 * 1024, time_budget_s: float = 60.0) -> None:
        self.stage = stage
        self.producer = producer
        self.dlq_topic = dlq_topic
        self.max_message_bytes = max_message_bytes
        self.time_budget_s = time_budget_s
        self._adapter = stage.adapter()
        self._is_async = inspect.iscoroutinefunction(stage.handle)
        self.worker = BudgetedWorker(time_budget_s, stage.warm) if stage.work is not None else None

    async def start(self) -> None:
        """Start the worker process (if the stage has a `work` step) before the first input."""
        if self.worker is not None:
            await self.worker.start()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()

    async def process(self, record: InRecord) -> list[OutRecord]:
        """Handle one record and produce its outputs (or its dead letter), confirmed by the broker.

        Returns what was produced. Raises only when producing failed: the caller must then NOT
        commit the input.
        """
        started = time.perf_counter()
        name = self.stage.name
        try:
            item = decode(self._adapter, record, self.stage.input_version)
            outputs = await self._handle(item, record)
        except Reject as e:
            await self._dead_letter(record, e.reason, e)
            return []
        except (BudgetExceeded, TimeoutError) as e:
            await self._dead_letter(record, "timeout", e)
            return []
        except WorkerDied as e:
            await self._dead_letter(record, "worker_died", e)
            return []
        except WorkerStopped:
            raise  # shutting down: the input stays uncommitted and is read again
        except Exception as e:
            # A bug this input triggers: dead-letter it (with the traceback in the log) rather than
            # retry forever and block the partition.
            log.exception("stage_error", stage=name, topic=record.topic, partition=record.partition,
                          offset=record.offset)
            await self._dead_letter(record, "stage_error", e)
            return []
        try:
            await self._produce(outputs)
        except PERMANENT_PRODUCE_ERRORS as e:
            # The broker (or the client's size check) will never take these outputs: retrying would
            # block the partition forever. Outputs already acknowledged stay (ids are deterministic).
            await self._dead_letter(record, "output_too_large", e)
            return []
        metrics.MESSAGES.labels(name, "ok").inc()
        metrics.PROCESSING_SECONDS.labels(name).observe(time.perf_counter() - started)
        t0 = ingested_at(record)
        if t0 is not None:
            metrics.STAGE_LATENCY_SECONDS.labels(name).observe(
                max(0.0, (datetime.now(UTC) - t0).total_seconds())
            )
        return outputs

    async def _handle(self, item: Any, record: InRecord) -> list[OutRecord]:
        handle = self.stage.handle
        if self.worker is not None:
            assert self.stage.work is not None
            worked = await self.worker.run(self.stage.work, item)
            return list(handle(item, record, worked))  # type: ignore[arg-type]
        if self._is_async:
            async with asyncio.timeout(self.time_budget_s):
                return list(await handle(item, record))  # type: ignore[misc]
        return list(await asyncio.to_thread(handle, item, record))  # type: ignore[arg-type]

    async def _produce(self, outputs: Sequence[OutRecord]) -> None:
        # Send all, then wait for every acknowledgement: pipelined, still confirmed before commit.
        pending = [
            await self.producer.send(o.topic, o.encode(), o.key.encode("utf-8"), o.headers()) for o in outputs
        ]
        await asyncio.gather(*pending)
        for o in outputs:
            metrics.PRODUCED.labels(self.stage.name, o.topic).inc()

    async def _dead_letter(self, record: InRecord, reason: str, error: BaseException) -> None:
        letter = dead_letter(self.stage.name, record, reason, error)
        value = record.value
        if len(value) + len(record.key or b"") > self.max_message_bytes - DLQ_HEADROOM:
            # too large to travel whole: a bounded prefix, its size and hash; the original stays
            # where dlq-source-topic/partition/offset say
            letter = letter.model_copy(update={"original_size": len(value),
                                               "original_sha256": hashlib.sha256(value).hexdigest()})
            value = value[:DLQ_PREFIX_BYTES]
        log.warning("dead_letter", stage=self.stage.name, reason=reason, error=letter.error_message,
                    topic=record.topic, partition=record.partition, offset=record.offset,
                    bounded=letter.original_size is not None)
        ack = await self.producer.send(self.dlq_topic, value, record.key, letter.to_headers())
        await ack
        metrics.DEAD_LETTERS.labels(self.stage.name, reason).inc()
        metrics.MESSAGES.labels(self.stage.name, "dead_lettered").inc()
