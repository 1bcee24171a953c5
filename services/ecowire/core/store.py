"""A key-value store per input partition, backed by a compacted changelog topic.

    store = ChangelogStore(settings, "ecowire.x-state.v1", loader=MyLoader)
    restored = await store.restore(p)            # on assignment: read partition p to its end
    value = store.get(p)                         # while p is assigned; the stage changes it itself
    out = store.put(p, key, encoded)             # an OutRecord the stage returns with its outputs
    out = store.delete(p, key)                   # a tombstone
    store.drop(p, keep=True)                     # on revocation

Partition p of the changelog backs input partition p (the records carry an explicit partition).
Writes are write-through: they travel as the stage's outputs, in a later wave than its other
outputs (`CHANGELOG_WAVE`), so the changelog says "applied" only once what it covers was
acknowledged, and the input is committed only after the changelog was acknowledged.

A revoked partition's value may be kept in memory (`drop(keep=True)`) together with the changelog
end this process last wrote or read; when the partition comes back and nobody wrote since (the end
did not move) it is reused without reading the changelog again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from .changelog import end_offsets, read_to_end
from .logs import get_logger
from .records import OutRecord
from .settings import Settings

log = get_logger("ecowire.store")

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

# Outputs of wave 0 (results) are acknowledged before a changelog record is sent.
CHANGELOG_WAVE = 1


class Loader(Protocol[T_co]):
    """Builds one partition's value from its changelog: every record in order, then `finish`."""

    def apply(self, key: str, value: bytes | None) -> None: ...

    def finish(self) -> T_co: ...


@dataclass(frozen=True)
class Restored(Generic[T]):
    value: T
    records: int  # changelog records read (0 when the value kept in memory was reused)
    seconds: float
    kept: bool  # True: the value kept in memory at revocation was still current


class ChangelogStore(Generic[T]):
    def __init__(self, settings: Settings, topic: str, loader: Callable[[int], Loader[T]],
                 client_id: str = "ecowire-store") -> None:
        self.settings = settings
        self.topic = topic
        self.loader = loader
        self.client_id = client_id
        self.values: dict[int, T] = {}
        self._end: dict[int, int] = {}  # changelog end after our last read or acknowledged write
        self._kept: dict[int, tuple[T, int]] = {}

    def get(self, partition: int) -> T | None:
        return self.values.get(partition)

    async def restore(self, partition: int) -> Restored[T]:
        """Read partition `partition` of the changelog from its beginning to its current end into
        a fresh value (or reuse the kept one), which `get` then returns."""
        started = time.perf_counter()
        kept = await self._still_current(partition)
        if kept is not None:
            self.values[partition] = kept
            return Restored(kept, 0, time.perf_counter() - started, True)
        loader = self.loader(partition)
        count = 0

        def apply(key: str, value: bytes | None) -> None:
            nonlocal count
            count += 1
            loader.apply(key, value)

        ends = await read_to_end(self.settings, self.topic, apply, [partition], client_id=self.client_id)
        value = await asyncio.to_thread(loader.finish)  # CPU work: heartbeats and /health go on
        self._end[partition] = ends[partition]
        self.values[partition] = value
        return Restored(value, count, time.perf_counter() - started, False)

    def drop(self, partition: int, keep: bool = False) -> None:
        """Forget a partition's value; `keep` holds it for a quick return (see the module doc).
        Never keep a value that may be ahead of the changelog (after a failure)."""
        value = self.values.pop(partition, None)
        end = self._end.pop(partition, None)
        self._kept.pop(partition, None)
        if keep and value is not None and end is not None:
            self._kept[partition] = (value, end)

    def put(self, partition: int, key: str, value: bytes, then: Callable[[Any], None] | None = None) -> OutRecord:
        """The changelog record setting `key`; `then(metadata)` runs once it was acknowledged."""
        return self._record(partition, key, value, then)

    def delete(self, partition: int, key: str, then: Callable[[Any], None] | None = None) -> OutRecord:
        """A tombstone for `key`."""
        return self._record(partition, key, None, then)

    def _record(self, partition: int, key: str, value: bytes | None, then: Callable[[Any], None] | None) -> OutRecord:
        def acked(metadata: Any) -> None:
            if partition in self._end and metadata is not None:
                self._end[partition] = max(self._end[partition], metadata.offset + 1)
            if then is not None:
                then(metadata)

        return OutRecord(self.topic, key, value, partition=partition, wave=CHANGELOG_WAVE, on_ack=acked)

    async def _still_current(self, partition: int) -> T | None:
        kept = self._kept.pop(partition, None)
        if kept is None:
            return None
        value, known_end = kept
        end = (await end_offsets(self.settings, self.topic, [partition]))[partition]
        if end != known_end:
            log.info("kept_state_stale", topic=self.topic, partition=partition, known_end=known_end, end=end)
            return None
        self._end[partition] = end
        return value
