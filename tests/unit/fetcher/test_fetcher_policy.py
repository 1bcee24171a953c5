"""Backoff, Retry-After, the per-host limiter, the robots.txt cache and the state records."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from datetime import UTC, datetime

import pytest

from ecowire.fetcher.http import Validators, backoff_delay, host_key, retry_after_s
from ecowire.fetcher.politeness import HostLimiter
from ecowire.fetcher.robots import RobotsCache, RobotsResponse, robots_url
from ecowire.fetcher.state import (
    SeenItem,
    SourceStatus,
    StateStore,
    StateValue,
    encode_value,
    parse_value,
    seen_key,
    source_key,
)


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(7)
    for attempt, full in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (6, 10.0), (20, 10.0)]:
        delays = [backoff_delay(attempt, 0.5, 10.0, rng) for _ in range(200)]
        assert all(full / 2 <= d <= full for d in delays)
        assert max(delays) - min(delays) > full / 4  # jittered, not a constant


def test_retry_after() -> None:
    assert retry_after_s("3") == 3.0
    assert retry_after_s(None) is None and retry_after_s("soon") is None
    assert 0 <= (retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT") or 0) < 1  # in the past: no wait


def test_host_keys_and_validators() -> None:
    assert host_key("https://WWW.Mee.gov.cn/a") == "www.mee.gov.cn:443"
    assert host_key("http://x.org:8080/") == "x.org:8080" and host_key("http://x.org/") == "x.org:80"
    assert Validators('"e"', None).headers() == {"If-None-Match": '"e"'}
    assert not Validators() and Validators(None, "Thu, 12 Dec 2024 08:05:00 GMT")


async def test_limiter_bounds_concurrency_and_spaces_starts() -> None:
    limiter = HostLimiter(concurrency=2, min_interval_s=0.05)
    active = 0
    peak = 0
    starts: list[float] = []

    async def request() -> None:
        nonlocal active, peak
        async with limiter.slot("h:80"):
            starts.append(time.monotonic())
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.08)
            active -= 1

    await asyncio.gather(*(request() for _ in range(6)))
    gaps = [b - a for a, b in itertools.pairwise(sorted(starts))]
    assert peak == 2 and min(gaps) >= 0.045


async def test_limiter_hosts_are_independent_and_crawl_delay_widens_the_gap() -> None:
    limiter = HostLimiter(concurrency=1, min_interval_s=0.0)
    limiter.set_crawl_delay("slow:80", 0.1)
    assert limiter.interval("slow:80") == 0.1 and limiter.interval("fast:80") == 0.0
    t0 = time.monotonic()
    for _ in range(3):
        async with limiter.slot("slow:80"):
            pass
    assert time.monotonic() - t0 >= 0.19
    t1 = time.monotonic()
    for _ in range(3):
        async with limiter.slot("fast:80"):
            pass
    assert time.monotonic() - t1 < 0.05


async def test_limiter_forgets_idle_hosts() -> None:
    limiter = HostLimiter(concurrency=1, min_interval_s=0.0, max_idle_hosts=4)
    for i in range(20):
        async with limiter.slot(f"h{i}:80"):
            pass
    assert len(limiter._hosts) <= 5


class FakeRobots:
    def __init__(self, *responses: RobotsResponse) -> None:
        self.responses = list(responses)
        self.asked: list[str] = []

    async def __call__(self, url: str) -> RobotsResponse:
        self.asked.append(url)
        return self.responses.pop(0)


async def test_robots_cache_rules_ttl_and_failures() -> None:
    clock = [0.0]
    fetch = FakeRobots(
        RobotsResponse(200, b"User-agent: *\nDisallow: /private\nCrawl-delay: 3\n"),
        RobotsResponse(503),
        RobotsResponse(404),
        RobotsResponse(0, error="ConnectError"),
    )
    cache = RobotsCache(fetch, "ecowire-fetcher/0.1", ttl_s=100, error_ttl_s=10, clock=lambda: clock[0])
    assert (await cache.check("https://a.example/news/1")).allowed
    v = await cache.check("https://a.example/private/x")
    assert not v.allowed and v.crawl_delay == 3.0
    assert fetch.asked == ["https://a.example/robots.txt"]  # cached
    clock[0] = 101  # expired: asked again, and the server errs -> disallow, for the short TTL
    v = await cache.check("https://a.example/news/1")
    assert not v.allowed and "unavailable" in v.reason
    clock[0] = 112  # error TTL over: 404 -> no rules
    assert (await cache.check("https://a.example/private/x")).allowed
    other = await cache.check("http://b.example:8080/x")  # another origin: its own robots.txt
    assert other.unreachable and fetch.asked[-1] == "http://b.example:8080/robots.txt"
    assert robots_url("https://u:p@a.example:8443/a/b?q=1#f") == "https://u:p@a.example:8443/robots.txt"


def test_state_records_round_trip_and_tombstones() -> None:
    now = datetime(2024, 12, 12, tzinfo=UTC)
    values: list[StateValue] = [
        SeenItem(source="mee", item="https://x/1", doc_id="u-1", seen_at=now),
        SourceStatus(source="mee", url="https://x/feed", polls=3, error_count=1),
    ]
    for v in values:
        assert parse_value(encode_value(v)) == v
    assert parse_value(None) is None and encode_value(None) is None
    assert parse_value(b'{"kind": "martian"}') is None and parse_value(b"not json") is None
    assert seen_key("mee", "https://x/1") != seen_key("mee", "https://x/2") and seen_key("a", "x").startswith("seen:a:")
    assert source_key("mee") == "source:mee"


async def test_state_store_writes_through_before_remembering() -> None:
    written: list[tuple[str, StateValue | None]] = []

    async def writer(key: str, value: StateValue | None) -> None:
        written.append((key, value))

    failing = StateStore(writer=_failing_writer)
    with pytest.raises(ConnectionError):
        await failing.put("source:x", SourceStatus(source="x", url="https://x/"))
    assert not failing.has("source:x")  # a write the broker did not confirm is not remembered
    store = StateStore(writer=writer)
    v = SourceStatus(source="x", url="https://x/")
    await store.put("source:x", v)
    await store.put("source:x", None)
    assert written == [("source:x", v), ("source:x", None)] and not store.has("source:x")


async def _failing_writer(key: str, value: StateValue | None) -> None:
    raise ConnectionError("broker down")
