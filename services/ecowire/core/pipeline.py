"""Batches of a stateless stage in flight at once, committed in the order they were read.

Why: a stage hands its CPU-bound step to several worker processes, but one batch at a time left
them idle behind a long input. An article of 23,000 characters took 0.42 s in the extractor,
and everything read meanwhile waited for it (the p99 of ingest → result at 20 documents/s came
from that queue). Here the next batch goes to an idle worker while the long one still runs.

What does not change:
- an input is committed only after every output (and dead letter) of it, and of every input read
  before it on any partition, was acknowledged by the broker: the commit follows the oldest batch
  still in flight, whatever finished first;
- order per key, Kafka's own guarantee: the inputs of a batch whose key an earlier batch in flight
  holds are split off and wait for that batch to be produced before they start (Confluent's
  parallel consumer calls this KEY ordering). Inputs of different keys may be produced out of order;
- a produce failure that can pass is retried in place, after a pause, until the broker takes the
  batch: its outputs were computed once and are kept; nothing after it is committed meanwhile;
- on revocation and at shutdown the batches in flight finish and are committed (within the
  graceful timeout); what did not finish is not committed, and is read again by the partition's
  next owner (ids are deterministic, so a replay is harmless).

    pipeline = Pipeline(runner, depth=2, retry_s=1.0, drain_s=15.0)   # depth: the stage's workers
    await pipeline.submit(records, consumer)   # returns once the batch started (a slot was free)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError

from . import metrics
from .logs import get_logger
from .records import InRecord
from .stage import StageRunner, Verdict
from .worker import WorkerStopped

log = get_logger("ecowire.pipeline")


async def produce_failed(stage: str, records: Sequence[InRecord], error: BaseException, pause_s: float) -> None:
    """Count and log a produce failure that can pass, then pause before the retry."""
    metrics.PUBLISH_FAILURES.labels(stage).inc()
    log.error("produce_failed_will_retry", stage=stage, topic=records[0].topic, error=repr(error),
              records=len(records), partition=records[0].partition, offset=records[0].offset)
    await asyncio.sleep(pause_s)


@dataclass(eq=False)
class _Batch:
    records: Sequence[InRecord]
    keys: frozenset[bytes]
    done: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    task: asyncio.Task[None] | None = None

    def ends(self) -> dict[TopicPartition, int]:
        """The offset to commit per partition once this batch is durable."""
        out: dict[TopicPartition, int] = {}
        for r in self.records:
            tp = TopicPartition(r.topic, r.partition)
            out[tp] = max(out.get(tp, 0), r.offset + 1)
        return out


class _Slot:
    """One of the pipeline's slots, held by the one or two batches a read batch became."""

    def __init__(self, slots: asyncio.Semaphore, holders: int) -> None:
        self.slots, self.holders = slots, holders

    def release(self) -> None:
        self.holders -= 1
        if self.holders == 0:
            self.slots.release()


class Pipeline(ConsumerRebalanceListener):
    """Up to `depth` batches of one stage in flight; commits follow the oldest unfinished one."""

    def __init__(self, runner: StageRunner, depth: int, retry_s: float, drain_s: float) -> None:
        if depth < 1:
            raise ValueError(f"a pipeline holds at least one batch, not {depth}")
        self.runner = runner
        self.name = runner.stage.name
        self.retry_s = max(0.0, retry_s)
        self.drain_s = drain_s
        self._slots = asyncio.Semaphore(depth)
        self._queue: deque[_Batch] = deque()  # in the order read; the head is the oldest uncommitted
        self._commit_lock = asyncio.Lock()
        self._consumer: Any = None
        self._closing = False
        self._tasks: set[asyncio.Task[None]] = set()  # the queue's, and any a revocation gave up on
        self._revocations = 0

    @property
    def in_flight(self) -> int:
        return len(self._queue)

    async def submit(self, records: Sequence[InRecord], consumer: Any) -> None:
        """Start a batch once fewer than `depth` are in flight. Its inputs whose key an earlier
        batch in flight holds are split off into a batch of their own, which waits for those
        (the two share the batch's slot). While closing, a batch is left alone: not processed,
        not committed."""
        revocations = self._revocations
        await self._slots.acquire()
        if self._closing or not records or revocations != self._revocations:
            if revocations != self._revocations:
                # Read before a revocation this batch waited through: its partitions were
                # positioned again at their commits, from where it is read again.
                log.info("batch_read_before_rebalance_dropped", stage=self.name, records=len(records))
            self._slots.release()
            return
        self._consumer = consumer
        held = {k: b.done for b in self._queue if not b.done.done() for k in b.keys}
        later = [r for r in records if r.key is not None and r.key in held]
        rest = [r for r in records if r.key is None or r.key not in held]
        slot = _Slot(self._slots, int(bool(later)) + int(bool(rest)))
        if later:
            earlier = list({id(f): f for f in (held[r.key] for r in later if r.key is not None)}.values())
            # Queued before the rest: the rest's offsets are then committed only after these.
            self._start(later, earlier, slot)
        if rest:
            self._start(rest, [], slot)

    def _start(self, records: Sequence[InRecord], earlier: list[asyncio.Future[bool]], slot: _Slot) -> None:
        batch = _Batch(records, frozenset(r.key for r in records if r.key is not None))
        self._queue.append(batch)
        batch.task = task = asyncio.create_task(self._run(batch, earlier, slot), name=f"ecowire-{self.name}-batch")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: _Batch, earlier: list[asyncio.Future[bool]], slot: _Slot) -> None:
        ok = False
        try:
            if earlier:  # the same key in an earlier batch: produce after it
                await asyncio.gather(*(asyncio.shield(f) for f in earlier))
            ok = await self._process(batch.records)
        finally:
            if not batch.done.done():
                batch.done.set_result(ok)
            try:
                await self._commit_finished()
            finally:
                slot.release()

    async def _process(self, records: Sequence[InRecord]) -> bool:
        """Handle and produce a batch; False when it was given up (shutdown)."""
        verdicts: list[Verdict] | None = None
        while True:
            try:
                if verdicts is None:
                    verdicts = await self.runner.handle_batch(records)
                await self.runner.produce_batch(verdicts)
                return True
            except WorkerStopped:
                log.info("stopping_batch_not_committed", stage=self.name, records=len(records))
                return False
            except Exception as e:  # noqa: BLE001 - counted, logged, and retried after a pause
                await produce_failed(self.name, records, e, self.retry_s)
                if self._closing:
                    log.info("stopping_batch_not_committed", stage=self.name, records=len(records))
                    return False

    async def _commit_finished(self) -> None:
        """Commit the batches at the head of the queue that finished, in the order read. A batch
        given up stays at the head: nothing after it is committed until it is read again."""
        async with self._commit_lock:
            ends: dict[TopicPartition, int] = {}
            while self._queue and self._queue[0].done.done() and self._queue[0].done.result():
                for tp, end in self._queue.popleft().ends().items():
                    ends[tp] = max(ends.get(tp, 0), end)
            if ends:
                await self._commit(ends)

    async def _commit(self, ends: dict[TopicPartition, int]) -> None:
        consumer = self._consumer
        if consumer is None:
            return
        assigned = consumer.assignment()
        offsets = {tp: end for tp, end in ends.items() if tp in assigned}
        if len(offsets) < len(ends):  # revoked meanwhile: its next owner reads these again
            log.info("commit_skipped_not_assigned", stage=self.name,
                     partitions=sorted(tp.partition for tp in ends if tp not in offsets))
        if not offsets:
            return
        try:
            await consumer.commit(offsets)
        except KafkaError as e:
            # The group moved on (a rebalance): the partition starts from its last commit, and
            # what follows is produced again, harmlessly.
            log.warning("commit_failed", stage=self.name, offsets=sorted(
                (tp.partition, o) for tp, o in offsets.items()), error=repr(e))

    async def drain(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for the batches in flight to finish and be committed; True if
        they all did."""
        tasks = [b.task for b in self._queue if b.task is not None and not b.task.done()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout_s)
            if pending:
                log.warning("batches_still_in_flight", stage=self.name, batches=len(pending), waited_s=timeout_s)
                return False
        await self._commit_finished()
        return not self._queue

    async def close(self) -> None:
        """At shutdown: take no new batch, let those in flight finish and commit (up to
        `drain_s`), and abandon the rest, uncommitted. The consumer stops fetching meanwhile:
        what it read now would only be dropped."""
        self._closing = True
        if self._consumer is not None:
            self._consumer.pause(*self._consumer.assignment())
        await self.drain(self.drain_s)
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._queue.clear()

    # ------------------------------------------------------------------ the rebalance listener

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        """Finish and commit what is in flight before the partitions move. A batch that does not
        finish within the drain time is not committed by this member any more: its partitions'
        next owner (which may be this member again, from the last commit) reads it again."""
        self._revocations += 1
        if self._queue and not await self.drain(self.drain_s):
            self._queue.clear()  # they finish on their own, uncommitted

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        return None
