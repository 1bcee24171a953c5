"""Per-host politeness: at most N requests in flight to a host, and a minimum gap between starts.

The limits hold inside one fetcher process (ingest handling, robots.txt and the source poller
share them); replicas each keep their own, so a host sees at most replicas x N connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field


@dataclass
class _Host:
    slots: asyncio.Semaphore
    gate: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0
    users: int = 0
    extra_interval: float = 0.0  # e.g. a robots.txt Crawl-delay above the configured gap


class HostLimiter:
    def __init__(
        self,
        concurrency: int,
        min_interval_s: float,
        clock: Callable[[], float] = time.monotonic,
        max_idle_hosts: int = 1024,
    ) -> None:
        self.concurrency = concurrency
        self.min_interval_s = min_interval_s
        self.clock = clock
        self.max_idle_hosts = max_idle_hosts
        self._hosts: dict[str, _Host] = {}

    def _host(self, key: str) -> _Host:
        h = self._hosts.get(key)
        if h is None:
            if len(self._hosts) >= self.max_idle_hosts:
                self._prune()
            h = self._hosts[key] = _Host(asyncio.Semaphore(self.concurrency))
        return h

    def _prune(self) -> None:
        now = self.clock()
        for key in [k for k, h in self._hosts.items() if h.users == 0 and h.next_start <= now]:
            del self._hosts[key]

    def set_crawl_delay(self, key: str, delay_s: float) -> None:
        """Widen a host's gap (never below the configured minimum)."""
        self._host(key).extra_interval = max(0.0, delay_s)

    def interval(self, key: str) -> float:
        h = self._hosts.get(key)
        return max(self.min_interval_s, h.extra_interval if h else 0.0)

    @contextlib.asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        """Hold one of the host's request slots; starts are spaced by the host's interval."""
        h = self._host(key)
        h.users += 1
        try:
            async with h.slots:
                async with h.gate:
                    wait = h.next_start - self.clock()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    h.next_start = self.clock() + self.interval(key)
                yield
        finally:
            h.users -= 1
