"""Partition assignment hooks for stages that keep per-partition state (in the style of arroyo's
`create_with_partitions`): the stage says what to do when partitions arrive and leave, and the
runtime installs one `ConsumerRebalanceListener` (`Partitions`) that calls it.

    class Hooks(PartitionHooks):
        async def on_assigned(self, partitions): ...restore their state...; return {p: start_offset}
        async def on_revoked(self, partitions): ...drop their state...

Guarantees the runtime gives a stage with hooks:
- no record of a partition is handled before `on_assigned` returned for it: the partition is paused
  on assignment, prepared in a task (retried on failure), positioned where the hooks say (else at
  the group's committed offset) and only then marked ready and resumed;
- aiokafka can hand out records of a partition before its listener ran: the runtime snapshots the
  ready partitions and their assignment generation as a batch arrives (`snapshot`) and drops the
  records of any partition that was not ready then, or was reassigned since (`current`); the seek
  after the preparation reads them again;
- `on_revoked` runs only after the batch in flight finished (`lock`, which the runtime holds while
  it processes and commits a batch);
- `on_lost` runs when the in-memory state can no longer be trusted (producing failed, or the stage
  called `lose`): the partition is then prepared again, as if newly assigned.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, Protocol

from aiokafka import ConsumerRebalanceListener, TopicPartition

from .logs import get_logger

log = get_logger("ecowire.partitions")

# Where to start reading a prepared partition: an offset, the beginning of the topic, or the
# group's committed offset (the default for a partition the hooks do not mention).
Start = int | Literal["beginning", "committed"]


class PartitionHooks(Protocol):
    """What a stage with per-partition state does on assignment and revocation."""

    async def on_assigned(self, partitions: frozenset[int]) -> Mapping[int, Start]:
        """Prepare newly assigned partitions (restore their state); returns where to start each."""
        ...

    async def on_revoked(self, partitions: frozenset[int]) -> None:
        """The partitions went to another member; the batch in flight has finished."""
        ...

    async def on_lost(self, partitions: frozenset[int]) -> None:
        """The in-memory state of the partitions can no longer be trusted: forget it."""
        await self.on_revoked(partitions)

    def commit_offset(self, partition: int, next_offset: int) -> int:
        """The offset a partition may be committed at after a batch that ended before `next_offset`."""
        return next_offset


class Partitions(ConsumerRebalanceListener):
    """The one rebalance listener of a stage with hooks, and its gate on what may be processed."""

    def __init__(self, name: str, hooks: PartitionHooks) -> None:
        self.name = name
        self.hooks = hooks
        self.lock = asyncio.Lock()
        self.ready: set[int] = set()
        self.generation: dict[int, int] = {}  # bumped on every (re)assignment and loss
        self.preparing: dict[int, asyncio.Task[None]] = {}
        self._lost: set[int] = set()
        self._consumer: Callable[[], Any] = lambda: None
        self._topic = ""
        self._retry_s = 1.0

    def bind(self, topic: str, consumer: Callable[[], Any], retry_s: float) -> None:
        """Called by the runtime: the topic and (lazily) the consumer this listener serves."""
        self._topic, self._consumer, self._retry_s = topic, consumer, max(0.0, retry_s)

    # ------------------------------------------------------------------ the listener

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        partitions = frozenset(tp.partition for tp in revoked)
        async with self.lock:  # waits for the batch in flight
            for p in partitions:
                self._unready(p)
            await self.hooks.on_revoked(partitions)
        log.info("partitions_revoked", stage=self.name, topic=self._topic, partitions=sorted(partitions))

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        partitions = sorted(tp.partition for tp in assigned)
        for p in partitions:
            self._prepare(p)
        log.info("partitions_assigned", stage=self.name, topic=self._topic, partitions=partitions)

    # ------------------------------------------------------------------ the gate

    def snapshot(self) -> dict[int, int]:
        """Ready partitions and their generations; take it as a batch arrives, before any await."""
        return {p: self.generation.get(p, 0) for p in self.ready}

    def current(self, partition: int, snapshot: Mapping[int, int]) -> bool:
        """True when the partition was ready at the snapshot and has not been reassigned since."""
        return partition in self.ready and snapshot.get(partition) == self.generation.get(partition, 0)

    def lose(self, partition: int) -> None:
        """The stage can no longer trust the partition's state (call it while handling a batch):
        nothing more of it is processed, and after the batch is produced and committed (`settle`)
        its state is dropped and prepared again."""
        self._lost.add(partition)
        self.ready.discard(partition)

    def is_lost(self, partition: int) -> bool:
        """Whether the stage lost the partition's state during the batch in hand."""
        return partition in self._lost

    async def settle(self) -> None:
        """After a batch: prepare the partitions the stage lost while handling it (under `lock`)."""
        lost, self._lost = frozenset(self._lost), set()
        if lost:
            await self.reset(lost)

    async def reset(self, partitions: frozenset[int]) -> None:
        """Forget the partitions' state and prepare them again (call it under `lock`)."""
        for p in partitions:
            self._unready(p)
        await self.hooks.on_lost(partitions)
        for p in partitions:
            self._prepare(p)

    def close(self) -> None:
        for task in self.preparing.values():
            task.cancel()
        self.preparing.clear()

    # ------------------------------------------------------------------ preparation

    def _unready(self, partition: int) -> None:
        self.ready.discard(partition)
        self.generation[partition] = self.generation.get(partition, 0) + 1
        task = self.preparing.pop(partition, None)
        if task is not None:
            task.cancel()

    def _prepare(self, partition: int) -> None:
        consumer = self._consumer()
        if consumer is not None:
            consumer.pause(TopicPartition(self._topic, partition))  # nothing of it before it is prepared
        self._unready(partition)
        self.preparing[partition] = asyncio.create_task(self._run_prepare(partition),
                                                        name=f"prepare-{self._topic}-{partition}")

    async def _run_prepare(self, partition: int) -> None:
        me = asyncio.current_task()
        while True:
            try:
                starts = await self.hooks.on_assigned(frozenset({partition}))
                break
            except asyncio.CancelledError:
                raise
            except Exception as e:  # logged with its traceback, retried: the partition waits
                log.exception("partition_prepare_failed_will_retry", stage=self.name, topic=self._topic,
                              partition=partition, error=repr(e))
                await asyncio.sleep(max(1.0, self._retry_s))
        tp = TopicPartition(self._topic, partition)
        async with self.lock:
            consumer = self._consumer()
            if self.preparing.get(partition) is not me or consumer is None or tp not in consumer.assignment():
                return  # revoked or prepared again meanwhile
            start = starts.get(partition, "committed")
            if start == "committed":
                committed = await consumer.committed(tp)
                start = committed if committed is not None else "beginning"
            if start == "beginning":  # explicit offsets: a pending position reset could win over seek_to_*
                start = (await consumer.beginning_offsets([tp]))[tp]
            consumer.seek(tp, start)
            self.generation[partition] = self.generation.get(partition, 0) + 1
            self.ready.add(partition)
            del self.preparing[partition]
            consumer.resume(tp)
        log.debug("partition_ready", stage=self.name, topic=self._topic, partition=partition, offset=start)
