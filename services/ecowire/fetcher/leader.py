"""One poller among the fetcher replicas: a lease held through a Kafka consumer group.

Every replica joins the group `<group prefix>fetcher-poller` on the one-partition state topic; the
member the broker assigns partition 0 is the poller. When it stops (SIGTERM: it leaves the group)
or dies (its session times out), the group rebalances and another replica takes over. Kafka calls
every member's `on_partitions_revoked` before any member's `on_partitions_assigned`, so the old
poller has stopped before the new one starts (a member that lost its session without noticing
could overlap briefly: items it publishes twice keep their doc_ids, and consumers dedup).

The consumer only holds the lease: its partition is paused, it reads nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from ecowire.core.logs import get_logger
from ecowire.core.settings import Settings

log = get_logger("ecowire.fetcher.leader")

Hook = Callable[[], Awaitable[None]]


class _Listener(ConsumerRebalanceListener):
    def __init__(self, lease: PollerLease) -> None:
        self.lease = lease

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        if self.lease.held and any(tp.partition == 0 for tp in revoked):
            await self.lease.release()

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        assert self.lease.consumer is not None
        if assigned:
            self.lease.consumer.pause(*assigned)  # a lease, not a reader
        if not self.lease.held and any(tp.partition == 0 for tp in assigned):
            await self.lease.acquire()


class PollerLease:
    def __init__(self, settings: Settings, on_acquired: Hook, on_lost: Hook) -> None:
        self.settings = settings
        self.on_acquired = on_acquired
        self.on_lost = on_lost
        self.held = False
        self.consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def group_id(self) -> str:
        return self.settings.group_id("fetcher-poller")

    async def acquire(self) -> None:
        log.info("poller_lease_acquired", group=self.group_id)
        self.held = True
        await self.on_acquired()

    async def release(self) -> None:
        log.info("poller_lease_released", group=self.group_id)
        self.held = False
        await self.on_lost()

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.bootstrap_servers,
            group_id=self.group_id,
            client_id="ecowire-fetcher-lease",
            enable_auto_commit=False,
            session_timeout_ms=self.settings.session_timeout_ms,
            heartbeat_interval_ms=self.settings.heartbeat_interval_ms,
        )
        self.consumer.subscribe([self.settings.topic("fetcher-state")], listener=_Listener(self))
        await self.consumer.start()
        self._task = asyncio.create_task(self._keep(), name="poller-lease")

    async def _keep(self) -> None:
        """Poll (paused: nothing is fetched) so the group sees a live member and rebalances run."""
        assert self.consumer is not None
        while True:
            try:
                await self.consumer.getmany(timeout_ms=1000)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A broker hiccup: aiokafka reconnects; the lease may move meanwhile (the listener says).
                log.exception("poller_lease_poll_failed")
                await asyncio.sleep(1.0)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.held:
            await self.release()
        if self.consumer is not None:
            await self.consumer.stop()  # leaves the group: another replica takes over at once
            self.consumer = None
