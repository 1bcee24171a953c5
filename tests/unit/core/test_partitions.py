"""The runtime's rebalance listener and gate (core/partitions.py), with a fake consumer: a partition
is paused until its hooks prepared it, positioned where they say (else at the committed offset),
revocation waits for the batch in flight, preparation is retried, and a lost partition is prepared
again."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from aiokafka import TopicPartition

from ecowire.core.partitions import PartitionHooks, Partitions, Start

T = "unit.topic"


def tp(p: int) -> TopicPartition:
    return TopicPartition(T, p)


class Consumer:
    def __init__(self, *partitions: int, committed: dict[int, int] | None = None) -> None:
        self.assigned = {tp(p) for p in partitions}
        self.paused: set[TopicPartition] = set()
        self.seeks: list[tuple[int, int]] = []
        self._committed = committed or {}

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    def pause(self, *tps: TopicPartition) -> None:
        self.paused |= set(tps)

    def resume(self, *tps: TopicPartition) -> None:
        self.paused -= set(tps)

    def seek(self, t: TopicPartition, offset: int) -> None:
        self.seeks.append((t.partition, offset))

    async def committed(self, t: TopicPartition) -> int | None:
        return self._committed.get(t.partition)

    async def beginning_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(tps, 5)


class Hooks(PartitionHooks):
    def __init__(self, starts: Mapping[int, Start] | None = None, fail_first: int = 0) -> None:
        self.starts = dict(starts or {})
        self.fail_first = fail_first
        self.events: list[tuple[str, tuple[int, ...]]] = []
        self.release = asyncio.Event()
        self.release.set()

    async def on_assigned(self, partitions: frozenset[int]) -> Mapping[int, Start]:
        await self.release.wait()
        if self.fail_first:
            self.fail_first -= 1
            raise ConnectionError("changelog unreachable")
        self.events.append(("assigned", tuple(sorted(partitions))))
        return {p: self.starts[p] for p in partitions if p in self.starts}

    async def on_revoked(self, partitions: frozenset[int]) -> None:
        self.events.append(("revoked", tuple(sorted(partitions))))

    async def on_lost(self, partitions: frozenset[int]) -> None:
        self.events.append(("lost", tuple(sorted(partitions))))


def gate(hooks: Hooks, consumer: Consumer) -> Partitions:
    g = Partitions("unit", hooks)
    g.bind(T, lambda: consumer, 0.0)
    return g


async def settled(g: Partitions) -> None:
    await asyncio.gather(*g.preparing.values())


async def test_a_partition_is_paused_until_prepared_then_positioned_and_resumed() -> None:
    hooks = Hooks(starts={0: 42, 1: "beginning"})
    hooks.release.clear()
    consumer = Consumer(0, 1, 2, committed={2: 7})
    g = gate(hooks, consumer)
    await g.on_partitions_assigned(consumer.assigned)
    assert consumer.paused == consumer.assigned and g.snapshot() == {}
    await asyncio.sleep(0)
    assert g.ready == set() and sorted(g.preparing) == [0, 1, 2]
    hooks.release.set()
    await settled(g)
    assert sorted(consumer.seeks) == [(0, 42), (1, 5), (2, 7)]  # hooks' offset, beginning, committed
    assert consumer.paused == set() and g.ready == {0, 1, 2}


async def test_no_committed_offset_starts_at_the_beginning() -> None:
    consumer = Consumer(0)
    g = gate(Hooks(), consumer)
    await g.on_partitions_assigned(consumer.assigned)
    await settled(g)
    assert consumer.seeks == [(0, 5)]


async def test_a_snapshot_taken_before_a_reassignment_is_no_longer_current() -> None:
    consumer = Consumer(0)
    g = gate(Hooks(), consumer)
    await g.on_partitions_assigned(consumer.assigned)
    await settled(g)
    before = g.snapshot()
    assert g.current(0, before)
    await g.on_partitions_revoked(consumer.assigned)
    await g.on_partitions_assigned(consumer.assigned)
    await settled(g)
    assert not g.current(0, before) and g.current(0, g.snapshot())


async def test_revocation_waits_for_the_batch_in_flight() -> None:
    hooks = Hooks()
    consumer = Consumer(0)
    g = gate(hooks, consumer)
    await g.on_partitions_assigned(consumer.assigned)
    await settled(g)
    async with g.lock:  # what the runtime holds while it processes and commits a batch
        revoking = asyncio.create_task(g.on_partitions_revoked(consumer.assigned))
        await asyncio.sleep(0.01)
        assert not revoking.done() and ("revoked", (0,)) not in hooks.events
    await revoking
    assert hooks.events[-1] == ("revoked", (0,)) and g.ready == set()


async def test_a_failed_preparation_is_retried() -> None:
    hooks = Hooks(starts={0: 3}, fail_first=1)
    consumer = Consumer(0)
    g = gate(hooks, consumer)
    await g.on_partitions_assigned(consumer.assigned)
    await asyncio.wait_for(settled(g), timeout=5)
    assert hooks.events == [("assigned", (0,))] and consumer.seeks == [(0, 3)]


async def test_a_revocation_during_preparation_leaves_the_partition_alone() -> None:
    hooks = Hooks(starts={0: 3})
    hooks.release.clear()
    consumer = Consumer(0)
    g = gate(hooks, consumer)
    await g.on_partitions_assigned(consumer.assigned)
    await asyncio.sleep(0)
    await g.on_partitions_revoked(consumer.assigned)
    consumer.assigned = set()
    hooks.release.set()
    await asyncio.sleep(0.01)
    assert consumer.seeks == [] and g.ready == set() and g.preparing == {}


async def test_a_lost_partition_is_forgotten_after_the_batch_and_prepared_again() -> None:
    hooks = Hooks(starts={0: 10})
    consumer = Consumer(0)
    g = gate(hooks, consumer)
    await g.on_partitions_assigned(consumer.assigned)
    await settled(g)
    snap = g.snapshot()
    async with g.lock:
        g.lose(0)  # the stage no longer trusts its state
        assert not g.current(0, snap)
        assert ("lost", (0,)) not in hooks.events  # not before the batch is produced and committed
        await g.settle()
    assert ("lost", (0,)) in hooks.events and tp(0) in consumer.paused
    await settled(g)
    assert hooks.events[-1] == ("assigned", (0,)) and consumer.seeks == [(0, 10), (0, 10)]
    assert g.ready == {0} and consumer.paused == set()


def test_default_hooks_commit_where_the_batch_ended_and_treat_a_loss_as_a_revocation() -> None:
    class Plain(PartitionHooks):
        def __init__(self) -> None:
            self.revoked: list[frozenset[int]] = []

        async def on_assigned(self, partitions: frozenset[int]) -> Mapping[int, Start]:
            return {}

        async def on_revoked(self, partitions: frozenset[int]) -> None:
            self.revoked.append(partitions)

    plain = Plain()
    assert plain.commit_offset(0, 17) == 17
    asyncio.run(plain.on_lost(frozenset({1})))
    assert plain.revoked == [frozenset({1})]
