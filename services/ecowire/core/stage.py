"""The stage shell every service shares: decode, handle, produce, wait for the broker, commit.

Delivery is at-least-once with nothing lost:
- the input is committed (`msg.ack()`) only after every output record was acknowledged by the
  broker (acks=all, idempotent producer);
- an input that cannot be processed goes to the dead-letter topic (original bytes and key,
  `dlq-*` headers) and is committed once the dead letter is acknowledged, so one poison message
  never blocks a partition;
- when producing fails (broker unavailable), the input is not committed: its outputs are produced
  again after a pause (core/pipeline.py), or, for a stage with per-partition state, its partitions
  are read again from their commits. Ids are deterministic, so the retry is harmless.

No input holds a partition longer than its time budget (`Settings.time_budget_s`): a stage's
CPU-bound step (`Stage.work`) runs in a child process that is killed when it overruns, and an
async handler runs under `asyncio.timeout`; either way the input is dead-lettered as `timeout`.
"""

from __future__ import annotations

import asyncio
import inspect
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError
from pydantic import TypeAdapter

from . import metrics
from .logs import get_logger
from .partitions import Partitions
from .records import InRecord, OutRecord, Reject, dead_letter_message, decode, ingested_at
from .worker import BudgetExceeded, WorkerDied, WorkerPool

log = get_logger("ecowire.stage")

Handler = Callable[..., Sequence[OutRecord] | Awaitable[Sequence[OutRecord]]]


class Producer(Protocol):
    """Sends one record; returns an awaitable that completes when the broker acknowledged it."""

    async def send(
        self, topic: str, value: bytes | None, key: bytes | None, headers: dict[str, str]
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
    # Topic bases the stage produces to (besides the dead-letter topic): its AsyncAPI channels.
    outputs: tuple[str, ...] = ()
    # Consumer group suffix (`Settings.group_id`), when a service runs several stages: default `name`.
    group: str | None = None
    # Per-partition state: assignment/revocation hooks behind the runtime's rebalance listener
    # (core/partitions.py). The runtime then commits explicit offsets (`hooks.commit_offset`), drops
    # records of partitions not ready, and on a produce failure resets the batch's partitions.
    partitions: Partitions | None = None
    # Outputs for an input that was dead-lettered, produced once its dead letter was acknowledged
    # (a stateful stage records the input as consumed, e.g. an offset mark in its changelog).
    rejected: Callable[[InRecord, str], Sequence[OutRecord]] | None = None
    # Records per batch (default `Settings.batch_max_records`).
    max_records: int | None = None

    def group_name(self) -> str:
        return self.group or self.name

    def adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.input_model)


# Produce errors no retry can cure: the record is larger than the producer or the topic accepts.
PERMANENT_PRODUCE_ERRORS = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)


@dataclass
class Verdict:
    """What one input of a batch came to: its outputs, or the reason it is dead-lettered."""

    record: InRecord
    item: Any = None
    outputs: list[OutRecord] = field(default_factory=list)
    reason: str | None = None
    error: BaseException | None = None
    # Not handled: its partition's state was lost earlier in the batch (`Partitions.lose`). It is
    # neither produced for nor committed; the partition is read again from its restored state.
    skipped: bool = False
    started: float = 0.0  # perf_counter when its batch was taken up

    def reject(self, reason: str, error: BaseException) -> None:
        self.outputs, self.reason, self.error = [], reason, error


class StageRunner:
    """Processes batches of input records; pure of any Kafka client (see `Producer`).

    A batch is decoded, handled (the `work` step in the worker process, each input within the time
    budget), and then everything is produced at once: every output and every dead letter is sent,
    and only when the broker acknowledged them all may the caller commit the batch.
    """

    def __init__(self, stage: Stage, producer: Producer, dlq_topic: str,
                 max_message_bytes: int = 8 * 1024 * 1024, time_budget_s: float = 60.0, workers: int = 1) -> None:
        self.stage = stage
        self.producer = producer
        self.dlq_topic = dlq_topic
        self.max_message_bytes = max_message_bytes
        self.time_budget_s = time_budget_s
        self._adapter = stage.adapter()
        self._is_async = inspect.iscoroutinefunction(stage.handle)
        self.worker = WorkerPool(workers, time_budget_s, stage.warm) if stage.work is not None else None

    async def start(self) -> None:
        """Start the worker processes (if the stage has a `work` step) before the first input."""
        if self.worker is not None:
            await self.worker.start()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()

    async def process(self, record: InRecord) -> list[OutRecord]:
        """One record: `process_batch([record])`, returning what was produced for it."""
        return (await self.process_batch([record]))[0] or []

    async def process_batch(self, records: Sequence[InRecord]) -> list[list[OutRecord] | None]:
        """Handle a batch and produce its outputs and dead letters, all confirmed by the broker.

        Returns what was produced per record (nothing for a dead-lettered one), None for a record
        left unhandled because its partition's state was lost before it (a stage with partition
        hooks): it must not be committed. Raises when
        producing failed for a reason that can pass, or `WorkerStopped` at shutdown: the caller
        must then NOT commit the batch (it is read again; ids are deterministic).
        """
        verdicts = await self.handle_batch(records)
        await self.produce_batch(verdicts)
        return [None if v.skipped else v.outputs for v in verdicts]

    async def handle_batch(self, records: Sequence[InRecord]) -> list[Verdict]:
        """Decode and handle a batch, producing nothing yet: each input's outputs or the reason it
        is dead-lettered. Raises `WorkerStopped` only (shutdown)."""
        started = time.perf_counter()
        verdicts = [Verdict(r, started=started) for r in records]
        for v in verdicts:
            try:
                v.item = decode(self._adapter, v.record, self.stage.input_version)
            except Reject as e:
                v.reject(e.reason, e)
        todo = [v for v in verdicts if v.reason is None]
        if self.worker is not None:
            await self._work(todo)
        else:
            gate = self.stage.partitions
            for v in todo:
                if gate is not None and gate.is_lost(v.record.partition):
                    v.skipped = True  # handled again once the partition's state is restored
                    continue
                await self._handle(v)
        return verdicts

    async def produce_batch(self, verdicts: list[Verdict]) -> None:
        """Produce a handled batch's outputs and dead letters, all confirmed by the broker. Raises
        when producing failed for a reason that can pass: nothing of the batch may be committed;
        producing it again is harmless (deterministic ids)."""
        await self._produce(verdicts)
        self._observe(verdicts, time.perf_counter() - verdicts[0].started if verdicts else 0.0)

    async def _work(self, todo: list[Verdict]) -> None:
        """The stage's step for every input in the worker process, then `handle` here (cheap)."""
        assert self.worker is not None and self.stage.work is not None
        outcomes = await self.worker.run_many(self.stage.work, [v.item for v in todo])
        for v, outcome in zip(todo, outcomes, strict=True):
            if outcome.error is not None:
                self._failed(v, outcome.error, outcome.trace)
                continue
            try:
                v.outputs = list(self.stage.handle(v.item, v.record, outcome.value))  # type: ignore[arg-type]
            except Exception as e:  # noqa: BLE001 - classified: a reason, or a stage_error logged with its traceback
                self._failed(v, e, traceback.format_exc())

    async def _handle(self, v: Verdict) -> None:
        handle = self.stage.handle
        try:
            if self._is_async:
                async with asyncio.timeout(self.time_budget_s):
                    v.outputs = list(await handle(v.item, v.record))  # type: ignore[misc]
            else:
                v.outputs = list(await asyncio.to_thread(handle, v.item, v.record))  # type: ignore[arg-type]
        except Exception as e:  # noqa: BLE001 - classified: a reason, or a stage_error logged with its traceback
            self._failed(v, e, traceback.format_exc())

    def _failed(self, v: Verdict, error: BaseException, trace: str | None) -> None:
        if isinstance(error, Reject):
            v.reject(error.reason, error)
        elif isinstance(error, BudgetExceeded | TimeoutError):
            v.reject("timeout", error)
        elif isinstance(error, WorkerDied):
            v.reject("worker_died", error)
        else:
            # A bug this input triggers: dead-letter it (the traceback goes to the log) rather
            # than retry forever and block the partition.
            log.error("stage_error", stage=self.stage.name, topic=v.record.topic, partition=v.record.partition,
                      offset=v.record.offset, error=repr(error), traceback=trace)
            v.reject("stage_error", error)

    async def _produce(self, verdicts: list[Verdict]) -> None:
        """Send every output, then wait for every acknowledgement (pipelined, still confirmed
        before the commit), one wave after the other (`OutRecord.wave`); then the dead letters,
        those of outputs the broker will never take included, then what the stage produces for a
        dead-lettered input (`Stage.rejected`). A failure that can pass raises: the batch is not
        committed. `OutRecord.on_ack` runs once everything was acknowledged."""
        acked: dict[int, list[tuple[OutRecord, Any]]] = {}
        for wave in sorted({o.wave for v in verdicts for o in v.outputs}):
            await self._send_wave(verdicts, wave, acked)
        letters = [await self._dead_letter(v.record, v.reason, v.error) for v in verdicts
                   if v.reason is not None and v.error is not None]
        await asyncio.gather(*letters)
        rejected = [o for v in verdicts if v.reason is not None and self.stage.rejected is not None
                    for o in self.stage.rejected(v.record, v.reason)]
        metas = await asyncio.gather(*[await self._send(o) for o in rejected])
        for i, v in enumerate(verdicts):
            if v.reason is None:
                for o, meta in acked.get(i, ()):
                    if o.on_ack is not None:
                        o.on_ack(meta)
        for o, meta in zip(rejected, metas, strict=True):
            if o.on_ack is not None:
                o.on_ack(meta)
        for v in verdicts:
            if v.reason is not None:
                metrics.DEAD_LETTERS.labels(self.stage.name, v.reason).inc()
            for o in v.outputs:
                metrics.PRODUCED.labels(self.stage.name, o.topic).inc()
        for o in rejected:
            metrics.PRODUCED.labels(self.stage.name, o.topic).inc()

    async def _send_wave(self, verdicts: list[Verdict], wave: int,
                         acked: dict[int, list[tuple[OutRecord, Any]]]) -> None:
        sent: list[tuple[int, list[OutRecord], list[Any]]] = []
        for i, v in enumerate(verdicts):
            outs = [o for o in v.outputs if o.wave == wave] if v.reason is None else []
            if not outs:
                continue
            try:
                acks = [await self._send(o) for o in outs]
            except PERMANENT_PRODUCE_ERRORS as e:  # the client's own size check
                v.reject("output_too_large", e)
                continue
            sent.append((i, outs, acks))
        results = await asyncio.gather(*(a for _, _, acks in sent for a in acks), return_exceptions=True)
        transient: BaseException | None = None
        k = 0
        for i, outs, acks in sent:
            mine = results[k : k + len(acks)]
            k += len(acks)
            errors = [r for r in mine if isinstance(r, BaseException)]
            permanent = [e for e in errors if isinstance(e, PERMANENT_PRODUCE_ERRORS)]
            if permanent:
                # The broker will never take these outputs: retrying would block the partition
                # forever. Outputs already acknowledged stay (ids are deterministic).
                verdicts[i].reject("output_too_large", permanent[0])
            elif errors:
                transient = transient or errors[0]
            else:
                acked.setdefault(i, []).extend(zip(outs, mine, strict=True))
        if transient is not None:
            raise transient

    async def _send(self, o: OutRecord) -> Awaitable[Any]:
        key = o.key.encode("utf-8")
        if o.partition is None:
            return await self.producer.send(o.topic, o.encode(), key, o.headers())
        send: Any = self.producer.send  # the partition is an extra the plain Producer protocol leaves out
        return cast(Awaitable[Any], await send(o.topic, o.encode(), key, o.headers(), partition=o.partition))

    def _observe(self, verdicts: list[Verdict], elapsed: float) -> None:
        name = self.stage.name
        now = datetime.now(UTC)
        metrics.BATCH_RECORDS.labels(name).observe(len(verdicts))
        for v in verdicts:
            if v.skipped:
                continue  # counted when it is handled
            metrics.MESSAGES.labels(name, "ok" if v.reason is None else "dead_lettered").inc()
            metrics.PROCESSING_SECONDS.labels(name).observe(elapsed / len(verdicts))
            t0 = ingested_at(v.record)
            if t0 is not None and v.reason is None:
                metrics.STAGE_LATENCY_SECONDS.labels(name).observe(max(0.0, (now - t0).total_seconds()))

    async def _dead_letter(self, record: InRecord, reason: str, error: BaseException) -> Awaitable[Any]:
        """Send one dead letter; returns the broker's acknowledgement to await."""
        value, letter = dead_letter_message(self.stage.name, record, reason, error, self.max_message_bytes)
        log.warning("dead_letter", stage=self.stage.name, reason=reason, error=letter.error_message,
                    topic=record.topic, partition=record.partition, offset=record.offset,
                    bounded=letter.original_size is not None)
        return await self.producer.send(self.dlq_topic, value, record.key, letter.to_headers())
