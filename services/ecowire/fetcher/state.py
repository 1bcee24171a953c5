"""The fetcher's memory: seen feed items, per-source status, conditional-GET validators.

In memory it is a dict of JSON objects; durably it is the compacted topic `fetcher-state.v1`
(one partition), read from the beginning at startup. Keys:

    seen:<source>:<item hash>      an item of a source that was published (never again)
    source:<source>                the source's poll status (last poll, last new item, errors, validators)
    validators:<doc/url hash>      ETag / Last-Modified of an ingest URL, for conditional GET

Values are JSON objects (`StateValue` models); a null value (tombstone) deletes a key.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ecowire.core.changelog import read_to_end
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

    def source_status(self, source: str) -> SourceStatus | None:
        v = self.entries.get(source_key(source))
        return v if isinstance(v, SourceStatus) else None

    def seen_count(self, source: str) -> int:
        prefix = f"seen:{source}:"
        return sum(1 for k in self.entries if k.startswith(prefix))


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
    topic = settings.topic("fetcher-state")
    entries: dict[str, StateValue] = {}

    def apply(key: str, raw: bytes | None) -> None:
        value = parse_value(raw)
        if value is None:
            entries.pop(key, None)
        else:
            entries[key] = value

    started = time.monotonic()
    await read_to_end(settings, topic, apply, timeout_s=timeout_s, client_id="ecowire-fetcher-state")
    log.info("state_loaded", topic=topic, keys=len(entries), seconds=round(time.monotonic() - started, 3))
    return entries


def encode_value(value: StateValue | None) -> bytes | None:
    return None if value is None else value.model_dump_json().encode("utf-8")
