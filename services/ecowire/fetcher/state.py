"""The fetcher's memory: seen feed items, per-source status, conditional-GET validators.

In memory it is a dict of JSON objects; durably it is the compacted topic `fetcher-state.v1`
(one partition), read from the beginning at startup and then followed (`StateFollower`): what a
peer replica writes (the poller's seen items, the validators of the URLs it fetched) reaches every
replica within about a second, not only at its next start. Keys:

    seen:<source>:<item hash>      an item of a source that was published (never again)
    source:<source>                the source's poll status (last poll, last new item, errors, validators)
    validators:<doc/url hash>      ETag / Last-Modified of an ingest URL, for conditional GET

Values are JSON objects (`StateValue` models); a null value (tombstone) deletes a key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Literal

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import BaseModel, ConfigDict, ValidationError

from ecowire.core.changelog import read_to_end
from ecowire.core.clients import start_client
from ecowire.core.logs import get_logger
from ecowire.core.settings import Settings
from ecowire_schemas.common import stable_id

log = get_logger("ecowire.fetcher.state")

Writer = Callable[[str, "StateValue | None"], Awaitable[None]]


class StateValue(BaseModel):
    model_config = ConfigDict(extra="ignore")
    schema_version: Literal[1] = 1


class SeenItem(StateValue):
    kind: Literal["seen"] = "seen"
    source: str
    item: str  # the item's identity in the feed (guid, link, or title+date)
    link: str | None = None
    doc_id: str
    seen_at: datetime


class SourceStatus(StateValue):
    kind: Literal["source"] = "source"
    source: str
    url: str
    last_poll_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_new_item_at: datetime | None = None
    last_new_item_title: str | None = None
    items_published: int = 0
    polls: int = 0
    error_count: int = 0
    consecutive_errors: int = 0
    last_error: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class UrlValidators(StateValue):
    kind: Literal["validators"] = "validators"
    url: str
    doc_id: str
    etag: str | None = None
    last_modified: str | None = None
    # The ingest record that stored them: when that same record is delivered again (its output
    # was not confirmed), the fetch must not be conditional or the document would be lost.
    source_topic: str = ""
    source_partition: int = -1
    source_offset: int = -1
    at: datetime


def seen_key(source: str, item: str) -> str:
    return f"seen:{source}:{stable_id(item)}"


def source_key(source: str) -> str:
    return f"source:{source}"


def validators_key(doc_id: str, url: str) -> str:
    return f"validators:{stable_id(doc_id, url)}"


_MODELS: dict[str, type[StateValue]] = {"seen": SeenItem, "source": SourceStatus, "validators": UrlValidators}


def parse_value(raw: bytes | None) -> StateValue | None:
    """A state record's value as its model; None for a tombstone or an unknown kind."""
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        model = _MODELS.get(str(data.get("kind"))) if isinstance(data, dict) else None
        return model.model_validate(data) if model else None
    except (ValueError, ValidationError) as e:
        log.warning("state_record_unreadable", error=str(e)[:300])
        return None


class StateStore:
    """The state in memory, with confirmed writes through `writer` (None: memory only, for tests)."""

    def __init__(self, entries: dict[str, StateValue] | None = None, writer: Writer | None = None) -> None:
        self.entries: dict[str, StateValue] = dict(entries or {})
        self.writer = writer

    def get(self, key: str) -> StateValue | None:
        return self.entries.get(key)

    def has(self, key: str) -> bool:
        return key in self.entries

    def remember(self, key: str, value: StateValue | None) -> None:
        """Change memory only (the durable write travels another way, e.g. as a stage output)."""
        if value is None:
            self.entries.pop(key, None)
        else:
            self.entries[key] = value

    async def put(self, key: str, value: StateValue | None) -> None:
        """Write through: returns once the broker acknowledged the record."""
        if self.writer is not None:
            await self.writer(key, value)
        self.remember(key, value)

    async def put_many(self, items: list[tuple[str, StateValue | None]]) -> None:
        await asyncio.gather(*(self.put(k, v) for k, v in items))

    def apply_remote(self, key: str, value: StateValue | None) -> bool:
        """A record read back from the state topic (a peer's write, or the echo of our own).

        Applied unless memory holds a newer value of the key (by the value's own time: a seen
        item's `seen_at`, a status's `last_poll_at`, validators' `at`), so the late echo of our own
        earlier write never undoes a later one. Tombstones always apply. Returns whether it did.
        """
        if value is None:
            return self.entries.pop(key, None) is not None
        current = self.entries.get(key)
        if current is not None:
            mine, theirs = _stamp(current), _stamp(value)
            if mine is not None and theirs is not None and mine > theirs:
                return False
        self.entries[key] = value
        return True

    def source_status(self, source: str) -> SourceStatus | None:
        v = self.entries.get(source_key(source))
        return v if isinstance(v, SourceStatus) else None

    def seen_count(self, source: str) -> int:
        prefix = f"seen:{source}:"
        return sum(1 for k in self.entries if k.startswith(prefix))


def _stamp(value: StateValue) -> datetime | None:
    if isinstance(value, SeenItem):
        return value.seen_at
    if isinstance(value, SourceStatus):
        return value.last_poll_at
    if isinstance(value, UrlValidators):
        return value.at
    return None


def expired_keys(
    entries: dict[str, StateValue],
    now: datetime,
    seen_ttl: timedelta,
    validators_ttl: timedelta,
    listed: dict[str, set[str]],
) -> list[str]:
    """Keys to forget, so the state does not grow forever.

    - a seen item older than `seen_ttl` whose source's last poll (`listed`: source -> seen keys
      of the items it listed) no longer lists it; sources not in `listed` are left alone (the
      caller passes an empty set for a source removed from the sources file);
    - validators older than `validators_ttl` (the page is fetched unconditionally once more).
    """
    out = []
    for key, v in entries.items():
        if isinstance(v, SeenItem):
            current = listed.get(v.source)
            if current is not None and key not in current and now - v.seen_at > seen_ttl:
                out.append(key)
        elif isinstance(v, UrlValidators) and now - v.at > validators_ttl:
            out.append(key)
    return out


async def load_state(settings: Settings, timeout_s: float = 60.0) -> dict[str, StateValue]:
    """Read the state topic from its beginning to its current end (no consumer group)."""
    entries, _ = await load_state_at(settings, timeout_s)
    return entries


async def load_state_at(settings: Settings, timeout_s: float = 60.0) -> tuple[dict[str, StateValue], dict[int, int]]:
    """`load_state`, and the offsets it read up to (where a `StateFollower` goes on from)."""
    topic = settings.topic("fetcher-state")
    entries: dict[str, StateValue] = {}

    def apply(key: str, raw: bytes | None) -> None:
        value = parse_value(raw)
        if value is None:
            entries.pop(key, None)
        else:
            entries[key] = value

    started = time.monotonic()
    ends = await read_to_end(settings, topic, apply, timeout_s=timeout_s, client_id="ecowire-fetcher-state")
    log.info("state_loaded", topic=topic, keys=len(entries), seconds=round(time.monotonic() - started, 3))
    return entries, ends


class StateFollower:
    """Keeps a `StateStore` current after startup: tails the state topic from where the startup
    read ended and applies every record (`StateStore.apply_remote`), so a replica sends the
    If-None-Match / If-Modified-Since its peers stored, and the poller that takes the lease
    over knows what the previous one saw.

    No consumer group (every replica reads everything); the topic is compacted and small.
    """

    def __init__(self, settings: Settings, store: StateStore, offsets: dict[int, int],
                 client_id: str = "ecowire-fetcher-state-follow") -> None:
        self.settings = settings
        self.store = store
        self.offsets = dict(offsets)
        self.client_id = client_id
        self.applied = 0
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        topic = self.settings.topic("fetcher-state")
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.bootstrap_servers, group_id=None, enable_auto_commit=False,
            client_id=self.client_id, auto_offset_reset="earliest",
            max_partition_fetch_bytes=self.settings.max_message_bytes,
            fetch_max_bytes=self.settings.max_message_bytes * 2,
        )
        await start_client(self._consumer, self.settings.bootstrap_servers)
        tps = [TopicPartition(topic, p) for p in sorted(self.offsets)] or [TopicPartition(topic, 0)]
        self._consumer.assign(tps)
        for tp in tps:
            self._consumer.seek(tp, self.offsets.get(tp.partition, 0))
        self._task = asyncio.create_task(self._follow(), name="follow-fetcher-state")
        log.info("state_following", topic=topic, offsets=self.offsets)

    async def _follow(self) -> None:
        assert self._consumer is not None
        while True:
            try:
                batch = await self._consumer.getmany(timeout_ms=1000, max_records=5000)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("state_follow_failed")  # a broker hiccup: aiokafka reconnects
                await asyncio.sleep(1.0)
                continue
            for tp, records in batch.items():
                for r in records:
                    key = r.key.decode("utf-8", "replace") if r.key else ""
                    if key:
                        self.store.apply_remote(key, parse_value(r.value))
                        self.applied += 1
                    self.offsets[tp.partition] = r.offset + 1

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None


def encode_value(value: StateValue | None) -> bytes | None:
    return None if value is None else value.model_dump_json().encode("utf-8")
