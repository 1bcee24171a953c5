"""Polls the configured sources and publishes each new item once.

Per poll of a source: conditional GET of the feed/listing (validators kept in the source's
status), parse, drop items already in the state (`seen:<source>:<item>`), publish the rest oldest
first, wait for the broker's acknowledgements, then record them as seen (also acknowledged).
A crash between the two re-publishes those items after the restart (same doc_ids, so consumers
dedup): at-least-once, never lost.

What is published:
- an item carrying the article itself (feed `content:encoded` / a long `description`, as RSSHub
  feeds do) goes straight to raw.v1 as a `RawDocument` with origin `feed`;
- any other item becomes an `IngestRequest(url=link)` on ingest.v1, fetched like any URL.
Both get the doc_id the link would get as an ingest request (`u-<hash of the URL>`).

Scheduling: every source runs its own loop; the next poll is due `interval` after the last one
(remembered in the state, so a restart does not poll everything at once), randomised by
± `jitter`; after failures the interval doubles per consecutive error, up to 8x.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ecowire.core.logs import get_logger
from ecowire.core.records import OutRecord, Reject
from ecowire.core.settings import Settings
from ecowire_schemas.common import SourceMeta, utcnow
from ecowire_schemas.ingest import IngestRequest
from ecowire_schemas.raw import FetchInfo, RawDocument

from .decode import decode_bytes
from .http import FetchError, FetchResult, HttpFetcher, Validators
from .logic import ENVELOPE_BYTES
from .sources import (
    FeedError,
    SourceConfig,
    SourceItem,
    item_doc_id,
    next_page_url,
    parse_feed,
    parse_listing,
    text_length,
)
from .state import SeenItem, SourceStatus, StateStore, StateValue, expired_keys, seen_key, source_key

log = get_logger("ecowire.fetcher.poller")

Publish = Callable[[list[OutRecord]], Awaitable[None]]  # returns once the broker acknowledged all
MAX_BACKOFF_FACTOR = 8


@dataclass(frozen=True)
class PollResult:
    source: str
    published: int
    items: int
    not_modified: bool = False
    error: str | None = None


def item_records(src: SourceConfig, item: SourceItem, settings: Settings, res: FetchResult, encoding: str,
                 now: datetime) -> OutRecord:
    """The record publishing one new item: its content as a raw document, or its link to fetch."""
    meta = SourceMeta(source=src.source, url=item.link, published_at=item.published, title=item.title)
    doc_id = item_doc_id(src.name, item)
    content = item.content_html
    inline = content is not None and (
        src.inline == "always" or (src.inline == "auto" and text_length(content) >= src.min_inline_chars)
    )
    if inline or (item.link is None and content):
        assert content is not None
        doc = RawDocument(
            doc_id=doc_id, text=content, content_type="text/html", encoding=encoding, encoding_source="declared",
            byte_length=len(content.encode("utf-8")), metadata=meta,
            fetch=FetchInfo(url=res.url, final_url=res.final_url, status=res.status, etag=res.etag,
                            last_modified=res.last_modified, redirects=res.redirects,
                            elapsed_ms=round(res.elapsed_ms, 1)),
            origin="feed", ingested_at=now,
        )
        size = len(doc.model_dump_json().encode("utf-8"))
        if size <= settings.max_message_bytes - ENVELOPE_BYTES:
            return OutRecord(settings.topic("raw"), doc_id, doc, ingested_at=now)
        if item.link is None:
            raise ValueError(f"item {item.key!r}: its content ({size} bytes as JSON) is over the message limit")
        log.info("source_item_too_large_to_inline", source=src.name, link=item.link, bytes=size)
    if item.link is None:
        raise ValueError(f"item {item.key!r} has neither a link nor content")
    req = IngestRequest(doc_id=doc_id, url=item.link, metadata=meta, submitted_at=now)
    return OutRecord(settings.topic("ingest"), doc_id, req, ingested_at=now)


class SourcePoller:
    def __init__(
        self,
        sources: list[SourceConfig],
        fetcher: HttpFetcher,
        state: StateStore,
        publish: Publish,
        settings: Settings,
        rng: random.Random | None = None,
        now: Callable[[], datetime] = utcnow,
        seen_ttl: timedelta = timedelta(days=180),
        validators_ttl: timedelta = timedelta(days=30),
        prune_every_s: float = 6 * 3600.0,
    ) -> None:
        self.sources = sources
        self.fetcher = fetcher
        self.state = state
        self.publish = publish
        self.settings = settings
        self.rng = rng or random.Random()
        self.now = now
        self.seen_ttl = seen_ttl
        self.validators_ttl = validators_ttl
        self.prune_every_s = prune_every_s
        self._tasks: list[asyncio.Task[None]] = []
        # Seen keys of the items each source listed at its last successful poll (for pruning).
        self._listed: dict[str, set[str]] = {}

    async def poll_once(self, src: SourceConfig) -> PollResult:
        """Poll one source now; failures are recorded in its status, never raised."""
        status = self.state.source_status(src.name) or SourceStatus(source=src.name, url=src.url)
        started = self.now()
        first_poll = status.polls == 0 and self.state.seen_count(src.name) == 0
        try:
            res = await self.fetcher.fetch(src.url, Validators(status.etag, status.last_modified) or None,
                                           robots=src.robots)
            if res.not_modified:
                await self._record(status, started, published=0, last_title=None, res=res)
                return PollResult(src.name, 0, 0, not_modified=True)
            items, encoding = await self.read(src, res)
            self._listed[src.name] = {seen_key(src.name, i.key) for i in items}
            fresh = [i for i in items if not self.state.has(seen_key(src.name, i.key))]
            fresh.reverse()  # feeds and listings put the newest first: publish oldest first
            if first_poll and not src.backfill:
                to_publish: list[SourceItem] = []
                log.info("source_backfill_skipped", source=src.name, items=len(fresh))
            else:
                to_publish = fresh
            now = self.now()
            records: list[OutRecord] = []
            for i in list(to_publish):
                try:
                    records.append(item_records(src, i, self.settings, res, encoding, now))
                except ValueError as e:
                    # One malformed item (no link, an over-long URL) must not block the source: it is
                    # logged, remembered as seen and skipped.
                    log.warning("source_item_skipped", source=src.name, item=i.key[:300], error=str(e)[:500])
                    to_publish.remove(i)
            if records:
                await self.publish(records)
            await self.state.put_many([
                (seen_key(src.name, i.key), SeenItem(source=src.name, item=i.key, link=i.link,
                                                     doc_id=item_doc_id(src.name, i), seen_at=now))
                for i in fresh
            ])
            last_title = to_publish[-1].title if to_publish else None
            await self._record(status, started, published=len(to_publish), last_title=last_title, res=res)
            if to_publish:
                log.info("source_new_items", source=src.name, published=len(to_publish), items=len(items))
            return PollResult(src.name, len(to_publish), len(items))
        except (FetchError, FeedError, Reject, ValueError) as e:
            # The feed could not be read this time: count it against the source and try again later.
            message = getattr(e, "message", None) or str(e)
            log.warning("source_poll_failed", source=src.name, url=src.url, error=message[:500])
            await self._record(status, started, error=message)
            return PollResult(src.name, 0, 0, error=message)

    def parse(self, src: SourceConfig, res: FetchResult) -> tuple[list[SourceItem], str]:
        """The items of one fetched feed or listing page (no further pages)."""
        items, encoding, _ = self._parse_page(src, res)
        return items, encoding

    def _parse_page(self, src: SourceConfig, res: FetchResult) -> tuple[list[SourceItem], str, str]:
        if src.kind == "feed":
            items, encoding = parse_feed(res.body, res.final_url, src.tz, res.content_type, src.max_items)
            return items, encoding, ""
        decoded = decode_bytes(res.body, res.content_type)
        return parse_listing(decoded.text, res.final_url, src), decoded.encoding, decoded.text

    async def read(self, src: SourceConfig, res: FetchResult) -> tuple[list[SourceItem], str]:
        """The items of the fetched source, and of its next listing pages.

        A listing with `max_pages` > 1 is followed page by page (`next_page_url`) while the page
        just read had an item not seen before, up to `max_pages`: the first poll reads every page
        up to the bound, later polls usually stop after the first. Items are in page order (newest
        first); an item listed on two pages counts once. A next page that fails to load ends the
        paging for this poll (its items come when a later poll reaches them, or never if they
        scroll past the bound meanwhile: raise `max_pages` for a busy listing).
        """
        items, encoding, html = self._parse_page(src, res)
        if src.kind != "listing" or src.max_pages <= 1:
            return items, encoding
        keys = {i.key for i in items}
        visited = {src.url, res.url, res.final_url}
        page, page_items, page_url = 1, items, res.final_url
        while any(not self.state.has(seen_key(src.name, i.key)) for i in page_items):
            nxt = next_page_url(html, page_url, src, page)
            if nxt is None or nxt in visited:
                break
            visited.add(nxt)
            try:
                more = await self.fetcher.fetch(nxt, robots=src.robots)
            except FetchError as e:
                log.warning("source_page_failed", source=src.name, url=nxt, page=page + 1,
                            error=(e.message or str(e))[:300])
                break
            decoded = decode_bytes(more.body, more.content_type)
            html, page_url, page = decoded.text, more.final_url, page + 1
            visited.add(page_url)
            page_items = [i for i in parse_listing(html, page_url, src) if i.key not in keys]
            keys.update(i.key for i in page_items)
            items += page_items
        return items, encoding

    async def _record(self, status: SourceStatus, at: datetime, published: int = 0,
                      last_title: str | None = None, res: FetchResult | None = None,
                      error: str | None = None) -> None:
        upd: dict[str, object] = {"last_poll_at": at, "polls": status.polls + 1}
        if error is not None:
            upd |= {"error_count": status.error_count + 1, "consecutive_errors": status.consecutive_errors + 1,
                    "last_error": error[:1000]}
        else:
            upd |= {"last_ok_at": at, "consecutive_errors": 0}
            if res is not None and not res.not_modified:
                upd |= {"etag": res.etag, "last_modified": res.last_modified}
            if published:
                upd |= {"last_new_item_at": at, "last_new_item_title": last_title,
                        "items_published": status.items_published + published}
        new: StateValue = status.model_copy(update=upd)
        await self.state.put(source_key(status.source), new)

    async def prune(self) -> int:
        """Forget old seen items no longer listed, items of sources no longer configured, and old
        validators (tombstones on the state topic). Returns how many keys went."""
        listed = dict(self._listed)
        configured = {s.name for s in self.sources}
        gone = {v.source for v in self.state.entries.values() if isinstance(v, SeenItem)} - configured
        for name in gone:
            listed[name] = set()  # a source removed from the file lists nothing any more
        keys = expired_keys(self.state.entries, self.now(), self.seen_ttl, self.validators_ttl, listed)
        await self.state.put_many([(k, None) for k in keys])
        if keys:
            log.info("state_pruned", keys=len(keys))
        return len(keys)

    async def _run_pruning(self) -> None:
        while True:
            await asyncio.sleep(self.prune_every_s)
            try:
                await self.prune()
            except Exception:
                log.exception("state_prune_failed")  # the broker is down: next round

    # --- scheduling --------------------------------------------------------------------------

    def next_delay(self, src: SourceConfig) -> float:
        """Seconds until the source's next poll, from its status (jittered, backed off on errors)."""
        status = self.state.source_status(src.name)
        base = src.interval_s
        if status is not None and status.consecutive_errors:
            base *= min(MAX_BACKOFF_FACTOR, 2 ** status.consecutive_errors)
        jittered = base * (1 + self.rng.uniform(-src.jitter, src.jitter))
        if status is None or status.last_poll_at is None:
            # Never polled: soon, spread over a small window so sources do not all start at once.
            return self.rng.uniform(0, min(base * src.jitter, 10.0))
        elapsed = (self.now() - status.last_poll_at).total_seconds()
        return max(0.0, jittered - elapsed)

    async def _run_source(self, src: SourceConfig) -> None:
        while True:
            await asyncio.sleep(self.next_delay(src))
            try:
                await self.poll_once(src)
            except Exception:
                # Publishing or the state write failed (broker down): logged; the next round retries.
                log.exception("source_poll_crashed", source=src.name)
                await asyncio.sleep(min(src.interval_s, 30.0))

    def start(self) -> None:
        for src in self.sources:
            self._tasks.append(asyncio.create_task(self._run_source(src), name=f"poll:{src.name}"))
        self._tasks.append(asyncio.create_task(self._run_pruning(), name="prune-state"))
        log.info("poller_started", sources=[s.name for s in self.sources])

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._tasks.clear()
