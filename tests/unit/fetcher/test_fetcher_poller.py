"""The source poller against a real local feed server, with the state in memory."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecowire.core.records import OutRecord
from ecowire.core.settings import Settings
from ecowire.fetcher.http import FetchResult, HttpFetcher
from ecowire.fetcher.poller import SourcePoller, item_records
from ecowire.fetcher.settings import FetchSettings
from ecowire.fetcher.sources import SourceConfig, SourceItem
from ecowire.fetcher.state import SeenItem, SourceStatus, StateStore, UrlValidators, seen_key
from ecowire_schemas.ingest import IngestRequest
from ecowire_schemas.raw import RawDocument
from tests.unit.fetcher.feeds import Item, item, listing, rss
from tests.unit.fetcher.localhttp import LocalServer, Reply, Seen

SETTINGS = Settings(topic_prefix="unit.")


class Feed:
    """What the local server serves at /feed (and /list); tests change it between polls."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.etag_support = False
        self.fail = False
        self.listing: bytes = b""

    def __call__(self, req: Seen) -> Reply:
        if req.path == "/robots.txt":
            return Reply(404)
        if req.path == "/list":
            return Reply(200, self.listing, {"content-type": "text/html; charset=gbk"})
        if self.fail:
            return Reply(404, b"gone")
        body = rss(list(reversed(self.items)))  # newest first, as feeds are
        etag = f'"{len(self.items)}"'
        if self.etag_support and req.headers.get("if-none-match") == etag:
            return Reply(304)
        headers = {"content-type": "application/rss+xml", **({"etag": etag} if self.etag_support else {})}
        return Reply(200, body, headers)


class Collector:
    def __init__(self) -> None:
        self.records: list[OutRecord] = []

    async def __call__(self, records: list[OutRecord]) -> None:
        self.records.extend(records)


@pytest.fixture
async def fetcher() -> AsyncIterator[HttpFetcher]:
    f = HttpFetcher(FetchSettings(allow_hosts=["127.0.0.1"], per_host_interval_s=0, backoff_base_s=0.01,
                                  max_retries=0))
    yield f
    await f.aclose()


def source(srv: LocalServer, **over: Any) -> SourceConfig:
    return SourceConfig(**{"name": "mee", "url": srv.url("/feed"), "source": "生态环境部", "interval": 60, **over})


async def test_new_items_are_published_once_and_not_again_after_a_restart(fetcher: HttpFetcher) -> None:
    feed = Feed([item(i) for i in range(3)])
    async with LocalServer(feed) as srv:
        src = source(srv)
        out = Collector()
        state = StateStore()
        poller = SourcePoller([src], fetcher, state, out, SETTINGS)
        first = await poller.poll_once(src)
        again = await poller.poll_once(src)
        feed.items += [item(3), item(4)]
        gained = await poller.poll_once(src)
        restarted = SourcePoller([src], fetcher, StateStore(state.entries), out, SETTINGS)
        after_restart = await restarted.poll_once(src)
    assert (first.published, again.published, gained.published, after_restart.published) == (3, 0, 2, 0)
    docs = [r.value for r in out.records if isinstance(r.value, RawDocument)]
    assert len(docs) == len(out.records) and all(d.origin == "feed" for d in docs)
    assert [d.metadata.title for d in docs[3:]] == ["生态环境部新闻 第3号", "生态环境部新闻 第4号"]  # oldest first
    assert [d.metadata.title for d in docs[:3]] == [f"生态环境部新闻 第{i}号" for i in range(3)]
    d = docs[3]
    assert d.metadata.published_at == "2024-12-13T16:05:00+08:00" and d.metadata.source == "生态环境部"
    assert d.doc_id == IngestRequest(url=item(3).link).effective_doc_id() and out.records[3].key == d.doc_id
    assert out.records[3].topic == "unit.raw.v1" and out.records[3].ingested_at is not None
    status = state.source_status("mee")
    assert status is not None and status.items_published == 5 and status.polls == 3 and status.error_count == 0
    assert status.last_new_item_title == "生态环境部新闻 第4号"
    assert state.seen_count("mee") == 5


async def test_items_without_content_become_ingest_requests(fetcher: HttpFetcher) -> None:
    feed = Feed([item(i, full=False) for i in range(2)] + [item(2)])
    async with LocalServer(feed) as srv:
        out = Collector()
        await SourcePoller([source(srv)], fetcher, StateStore(), out, SETTINGS).poll_once(source(srv))
        never = Collector()
        await SourcePoller([source(srv, inline="never")], fetcher, StateStore(), never, SETTINGS).poll_once(
            source(srv, inline="never"))
    kinds = [(r.topic, type(r.value).__name__) for r in out.records]
    assert kinds == [("unit.ingest.v1", "IngestRequest")] * 2 + [("unit.raw.v1", "RawDocument")]
    req = out.records[0].value
    assert isinstance(req, IngestRequest) and req.url == item(0).link and req.metadata.title == item(0).title
    assert req.doc_id == req.model_copy(update={"doc_id": None}).effective_doc_id()
    assert all(r.topic == "unit.ingest.v1" for r in never.records) and len(never.records) == 3


async def test_conditional_get_on_the_feed(fetcher: HttpFetcher) -> None:
    feed = Feed([item(0)])
    feed.etag_support = True
    async with LocalServer(feed) as srv:
        state = StateStore()
        poller = SourcePoller([source(srv)], fetcher, state, Collector(), SETTINGS)
        await poller.poll_once(source(srv))
        second = await poller.poll_once(source(srv))
        feed.items.append(item(1))
        third = await poller.poll_once(source(srv))
        conditions = [r.headers.get("if-none-match") for r in srv.requests if r.path == "/feed"]
    assert second.not_modified and third.published == 1
    assert conditions == [None, '"1"', '"1"']


async def test_failures_are_counted_and_back_off(fetcher: HttpFetcher) -> None:
    feed = Feed([item(0)])
    feed.fail = True
    async with LocalServer(feed) as srv:
        state = StateStore()
        clock = [datetime(2024, 12, 12, 8, 0, tzinfo=UTC)]
        poller = SourcePoller([source(srv)], fetcher, state, Collector(), SETTINGS, rng=random.Random(1),
                              now=lambda: clock[0])
        r1 = await poller.poll_once(source(srv))
        await poller.poll_once(source(srv))
        status = state.source_status("mee")
        assert r1.error is not None and "404" in r1.error
        assert status is not None and (status.error_count, status.consecutive_errors) == (2, 2)
        # Two failures in a row: the next poll waits about 4 intervals (± jitter).
        assert 4 * 60 * 0.9 <= poller.next_delay(source(srv)) <= 4 * 60 * 1.1
        feed.fail = False
        await poller.poll_once(source(srv))
        status = state.source_status("mee")
        assert status is not None and (status.error_count, status.consecutive_errors) == (2, 0)
        clock[0] += timedelta(seconds=30)
        assert 30 * 0.9 - 1 <= poller.next_delay(source(srv)) <= 60 * 1.1 - 30


async def test_no_backfill_remembers_without_publishing(fetcher: HttpFetcher) -> None:
    feed = Feed([item(i) for i in range(4)])
    async with LocalServer(feed) as srv:
        out = Collector()
        state = StateStore()
        poller = SourcePoller([source(srv, backfill=False)], fetcher, state, out, SETTINGS)
        await poller.poll_once(source(srv, backfill=False))
        feed.items.append(item(9))
        await poller.poll_once(source(srv, backfill=False))
    assert [r.value.metadata.title for r in out.records] == ["生态环境部新闻 第9号"]  # type: ignore[attr-defined]
    assert all(isinstance(v, SeenItem | SourceStatus) for v in state.entries.values())


async def test_listing_source(fetcher: HttpFetcher) -> None:
    feed = Feed([])
    async with LocalServer(feed) as srv:
        feed.listing = listing([("/news/1.html", "关于印发碳足迹指引的通知", "2024-12-12"),
                                ("/news/2.html", "新闻发布会", "2024-12-11")], "gbk")
        src = SourceConfig(name="list", kind="listing", url=srv.url("/list"), link_pattern=r"/news/\d+\.html$",
                           interval=60)
        out = Collector()
        result = await SourcePoller([src], fetcher, StateStore(), out, SETTINGS).poll_once(src)
    assert result.published == 2
    reqs = [r.value for r in out.records]
    assert all(isinstance(r, IngestRequest) for r in reqs)
    assert [r.url for r in reqs] == [srv.url("/news/2.html"), srv.url("/news/1.html")]  # type: ignore[attr-defined]
    assert reqs[1].metadata.title == "关于印发碳足迹指引的通知"  # type: ignore[attr-defined]


async def test_a_source_may_skip_robots_txt_for_its_own_url(fetcher: HttpFetcher) -> None:
    feed = Feed([item(0)])

    def handler(req: Seen) -> Reply:
        if req.path == "/robots.txt":  # an RSSHub run with DISALLOW_ROBOT=true
            return Reply(200, b"User-agent: *\nDisallow: /\n")
        return feed(req)

    async with LocalServer(handler) as srv:
        obeying = await SourcePoller([source(srv)], fetcher, StateStore(), Collector(), SETTINGS).poll_once(source(srv))
        out = Collector()
        skipping = await SourcePoller([source(srv, robots=False)], fetcher, StateStore(), out, SETTINGS).poll_once(
            source(srv, robots=False))
    assert obeying.error is not None and "robots.txt" in obeying.error
    assert skipping.published == 1 and len(out.records) == 1


async def test_pruning_forgets_old_unlisted_items_removed_sources_and_old_validators(fetcher: HttpFetcher) -> None:
    feed = Feed([item(0), item(1)])
    clock = [datetime(2025, 6, 1, tzinfo=UTC)]
    old = clock[0] - timedelta(days=400)
    state = StateStore({
        seen_key("mee", "dropped-out"): SeenItem(source="mee", item="dropped-out", doc_id="u-a", seen_at=old),
        seen_key("mee", "recent"): SeenItem(source="mee", item="recent", doc_id="u-b", seen_at=clock[0]),
        seen_key("removed", "x"): SeenItem(source="removed", item="x", doc_id="u-c", seen_at=old),
        "validators:old": UrlValidators(url="https://x/1", doc_id="u-d", etag='"e"', at=old),
        "validators:new": UrlValidators(url="https://x/2", doc_id="u-e", etag='"e"', at=clock[0]),
    })
    async with LocalServer(feed) as srv:
        poller = SourcePoller([source(srv)], fetcher, state, Collector(), SETTINGS, now=lambda: clock[0])
        assert await poller.prune() == 2  # the mee source not read yet: its items are left alone
        await poller.poll_once(source(srv))
        clock[0] += timedelta(days=200)  # the feed's own items are old now, but still listed
        assert await poller.prune() == 3  # dropped-out, recent (now 200 days old), validators:new
    assert set(state.entries) == {seen_key("mee", item(0).guid), seen_key("mee", item(1).guid), "source:mee"}


def test_an_item_too_large_to_inline_is_fetched_by_its_link() -> None:
    small = Settings(topic_prefix="unit.", max_message_bytes=100_000)
    res = FetchResult("https://x/feed", "https://x/feed", 200, b"", None, None, None, 0, 1.0, 1)
    src = SourceConfig(name="s", url="https://x/feed")
    big = SourceItem("k", "https://x/a/1.html", "t", None, "<p>" + "碳" * 60_000 + "</p>")
    ok = SourceItem("k2", "https://x/a/2.html", "t", None, "<p>" + "碳" * 600 + "</p>")
    now = datetime(2024, 12, 12, tzinfo=UTC)
    assert item_records(src, big, small, res, "utf-8", now).topic == "unit.ingest.v1"
    assert item_records(src, ok, small, res, "utf-8", now).topic == "unit.raw.v1"
    with pytest.raises(ValueError, match="over the message limit"):
        item_records(src, SourceItem("k3", None, "t", None, big.content_html), small, res, "utf-8", now)
