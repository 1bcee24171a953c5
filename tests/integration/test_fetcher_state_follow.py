"""Replicas share conditional-GET state as it changes: on the real broker, replica B (started
first) sends the If-None-Match that replica A stored after B had started, because B follows the
compacted fetcher-state topic instead of reading it only at startup."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer

from ecowire.core.settings import Settings
from ecowire.fetcher.http import HttpFetcher
from ecowire.fetcher.logic import FetchContext, RecordRef, fetch_request
from ecowire.fetcher.settings import FetchSettings
from ecowire.fetcher.state import (
    SourceStatus,
    StateFollower,
    StateStore,
    StateValue,
    encode_value,
    load_state_at,
    source_key,
    validators_key,
)
from ecowire_schemas.ingest import IngestRequest
from tests.unit.fetcher.localhttp import LocalServer, Reply, Seen

pytestmark = pytest.mark.kafka

PAGE = "<html><body><p>全国碳市场扩围：钢铁、水泥、铝冶炼纳入管理。</p></body></html>".encode()


class Site:
    def __init__(self) -> None:
        self.etag = '"v1"'
        self.conditional: list[str | None] = []

    def __call__(self, req: Seen) -> Reply:
        if req.path == "/robots.txt":
            return Reply(404)
        self.conditional.append(req.headers.get("if-none-match"))
        if req.headers.get("if-none-match") == self.etag:
            return Reply(304)
        return Reply(200, PAGE, {"content-type": "text/html; charset=utf-8", "etag": self.etag})


async def wait_for(predicate: Callable[[], bool], within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.05)


class Replica:
    """One fetcher replica's state: loaded from the topic, written through it, then followed."""

    def __init__(self, settings: Settings, producer: AIOKafkaProducer) -> None:
        self.settings = settings
        self.producer = producer
        self.store = StateStore()
        self.follower: StateFollower | None = None

    async def _write(self, key: str, value: StateValue | None) -> None:
        await (await self.producer.send(self.settings.topic("fetcher-state"), encode_value(value),
                                        key=key.encode("utf-8")))

    async def start(self) -> Replica:
        entries, offsets = await load_state_at(self.settings, 30.0)
        self.store = StateStore(entries, writer=self._write)
        self.follower = StateFollower(self.settings, self.store, offsets)
        await self.follower.start()
        return self

    async def stop(self) -> None:
        if self.follower is not None:
            await self.follower.stop()


@pytest.fixture
async def producer(kafka_settings: Settings) -> AsyncIterator[AIOKafkaProducer]:
    p = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, acks="all")
    await p.start()
    yield p
    await p.stop()


def fetch_settings() -> FetchSettings:
    return FetchSettings(allow_hosts=["127.0.0.1"], per_host_interval_s=0, max_retries=0, read_timeout_s=2)


async def test_replica_b_sends_the_etag_replica_a_stored_after_b_started(
    kafka_settings: Settings, producer: AIOKafkaProducer
) -> None:
    s = kafka_settings
    b = await Replica(s, producer).start()  # B is up (and has read the empty topic) first
    a = await Replica(s, producer).start()
    site = Site()
    try:
        async with LocalServer(site) as srv, HttpFetcher(fetch_settings()) as http_a, \
                HttpFetcher(fetch_settings()) as http_b:
            url = srv.url("/article/carbon-market")
            req = IngestRequest(url=url)
            key = validators_key(req.effective_doc_id(), url)

            first = await fetch_request(req, FetchContext(http_a, a.store), RecordRef(s.topic("ingest"), 0, 1))
            assert first.document is not None and site.conditional == [None]
            # The fetcher stage writes these with the raw document; here A writes them itself.
            await a.store.put_many(list(first.state))

            await wait_for(lambda: b.store.has(key))
            assert b.follower is not None and b.follower.applied >= 1

            # The same URL published again, now taken by replica B: conditional, 304, nothing published.
            again = await fetch_request(req, FetchContext(http_b, b.store), RecordRef(s.topic("ingest"), 0, 2))
            assert again.document is None
            assert site.conditional == [None, '"v1"']
    finally:
        await a.stop()
        await b.stop()


async def test_a_followed_store_takes_peers_writes_and_tombstones_but_not_its_own_stale_echo(
    kafka_settings: Settings, producer: AIOKafkaProducer
) -> None:
    s = kafka_settings
    a = await Replica(s, producer).start()
    b = await Replica(s, producer).start()
    t0 = datetime(2024, 12, 12, 8, 0, tzinfo=UTC)
    try:
        old = SourceStatus(source="mee", url="https://www.mee.gov.cn/ywdt/xwfb/", last_poll_at=t0, polls=1,
                           etag='"old"')
        new = old.model_copy(update={"last_poll_at": t0 + timedelta(minutes=30), "polls": 2, "etag": '"new"'})
        await a.store.put(source_key("mee"), old)
        await a.store.put(source_key("mee"), new)
        await wait_for(lambda: (st := b.store.source_status("mee")) is not None and st.polls == 2)
        await asyncio.sleep(0.5)  # A's own echoes (old, then new) have come back by now
        assert a.store.source_status("mee") == new and b.store.source_status("mee") == new

        await b.store.put(source_key("mee"), None)  # e.g. pruned by the poller on B
        await wait_for(lambda: a.store.source_status("mee") is None)
    finally:
        await a.stop()
        await b.stop()
