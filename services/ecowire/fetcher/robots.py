"""robots.txt, fetched once per origin and cached with a TTL (RFC 9309 semantics).

- 2xx: the rules apply (Protego, BSD-3: RFC 9309 longest match and wildcards, which
  `urllib.robotparser` lacks), Crawl-delay widens the host's gap.
- 4xx: no rules (everything allowed), as RFC 9309 says for an unavailable robots.txt.
- 5xx: everything disallowed, cached for the shorter error TTL, so a site whose robots.txt is
  failing is asked again soon rather than crawled blind.
- no answer at all (connection refused, timeouts): the host is unreachable, which is what the
  page fetch reports; not cached, the next request asks again.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from ecowire.core.logs import get_logger

log = get_logger("ecowire.fetcher.robots")

MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309: crawlers may stop parsing after 500 KiB


@dataclass(frozen=True)
class RobotsResponse:
    status: int  # 0 when the request failed before a response
    body: bytes = b""
    error: str | None = None


@dataclass(frozen=True)
class RobotsVerdict:
    allowed: bool
    reason: str  # why, for the dead letter: "rules", "no robots.txt", "robots.txt unavailable (...)"
    crawl_delay: float | None = None
    unreachable: bool = False  # the host did not answer at all: the page cannot be fetched either


@dataclass
class _Entry:
    parser: Protego | None  # None: no rules (allow all) or failed (see `failed`)
    failed: str | None
    expires: float
    unreachable: bool = False


def robots_url(url: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/robots.txt", "", ""))


def origin_of(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}".lower()


def parse_robots(body: bytes) -> Protego:
    return Protego.parse(body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace"))


class RobotsCache:
    def __init__(
        self,
        fetch: Callable[[str], Awaitable[RobotsResponse]],
        user_agent: str,
        ttl_s: float = 3600.0,
        error_ttl_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 4096,
    ) -> None:
        self.fetch = fetch
        self.user_agent = user_agent
        self.ttl_s = ttl_s
        self.error_ttl_s = error_ttl_s
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[str, _Entry] = {}

    async def _entry(self, url: str) -> _Entry:
        origin = origin_of(url)
        now = self.clock()
        entry = self._entries.get(origin)
        if entry is not None and entry.expires > now:
            return entry
        resp = await self.fetch(robots_url(url))
        if resp.status == 0:
            return _Entry(None, resp.error or "no answer", now, unreachable=True)
        if 200 <= resp.status < 300:
            entry = _Entry(parse_robots(resp.body), None, now + self.ttl_s)
        elif 400 <= resp.status < 500:
            entry = _Entry(None, None, now + self.ttl_s)
        else:
            why = resp.error or f"HTTP {resp.status}"
            log.warning("robots_unavailable", origin=origin, error=why)
            entry = _Entry(None, why, now + self.error_ttl_s)
        if len(self._entries) >= self.max_entries:
            for key in [k for k, e in self._entries.items() if e.expires <= now] or list(self._entries)[:1]:
                del self._entries[key]
        self._entries[origin] = entry
        return entry

    async def check(self, url: str) -> RobotsVerdict:
        entry = await self._entry(url)
        if entry.unreachable:
            return RobotsVerdict(False, f"robots.txt: {entry.failed}", unreachable=True)
        if entry.failed is not None:
            return RobotsVerdict(False, f"robots.txt unavailable ({entry.failed}): RFC 9309 says assume disallow")
        if entry.parser is None:
            return RobotsVerdict(True, "no robots.txt")
        allowed = entry.parser.can_fetch(url, self.user_agent)
        delay = entry.parser.crawl_delay(self.user_agent)
        return RobotsVerdict(allowed, "robots.txt rules", float(delay) if delay is not None else None)
