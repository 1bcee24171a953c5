"""What every aggregate index shares: facts grouped by an aggregate key, with their provenance.

An index holds the facts of ORIGINAL articles only (duplicates never contribute). Adding and
removing facts is idempotent (they are keyed by fact_id), and `output(result_key)` is a pure
function of the facts held under the key, so the published aggregates depend only on which
articles are originals — not on the order they arrived in.

Bounded cost and size: each aggregate keeps its facts in a list sorted by source order
(`SortedKeyList`: O(log n) insert and remove) plus running figures (count, first and last
publication date, newest ingest time), so adding a fact never walks the aggregate's history, and
its record carries only the figures and the latest `LATEST` sources. The full history is paged
from the sorted list (`page`).
"""

from __future__ import annotations

import base64
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sortedcontainers import SortedKeyList, SortedList

from ecowire_schemas.common import Contract
from ecowire_schemas.facts import ExtractionRecord, FactBase
from ecowire_schemas.results import SourceRef

LATEST = 20  # sources (points, statements) an aggregate record carries: the latest ones
MAX_RECORD_BYTES = 64 * 1024  # no result record is larger (the record shrinks its lists to fit)
UNDATED = "9999"  # sorts an undated source after every dated one

Order = tuple[str, str, str]  # publication date (or UNDATED), article id, fact id


def norm(text: str | None) -> str:
    """Comparison form of a name: whitespace removed (full-width folding is the normalizer's)."""
    return "".join(text.split()) if text else ""


@dataclass(frozen=True)
class Origin:
    """Where a fact comes from: the source reference and the article's ingest time."""

    ref: SourceRef
    ingested_at: datetime

    @property
    def order(self) -> Order:
        """Deterministic order of sources: publication date, then ids."""
        return (self.ref.published_at or UNDATED, self.ref.article_id, self.ref.fact_id or "")


def origin(record: ExtractionRecord, fact_id: str) -> Origin:
    ref = SourceRef(
        article_id=record.article_id,
        source=record.source,
        url=record.url,
        published_at=record.published_at,
        fact_id=fact_id,
    )
    return Origin(ref, record.ingested_at)


F = TypeVar("F", bound=FactBase)
K = TypeVar("K", bound=Hashable)
Item = tuple[Order, Any, Origin]  # (order, fact, origin)


def _item_order(item: Item) -> Order:
    return item[0]


class History:
    """One aggregate's facts in source order, with running figures (all O(log n) to keep)."""

    def __init__(self) -> None:
        self.items: SortedKeyList = SortedKeyList(key=_item_order)
        self.ingested: SortedList = SortedList()

    def __len__(self) -> int:
        return len(self.items)

    def add(self, item: Item) -> None:
        self.items.add(item)
        self.ingested.add(item[2].ingested_at)

    def remove(self, item: Item) -> None:
        self.items.remove(item)
        self.ingested.remove(item[2].ingested_at)

    def first_seen(self) -> str | None:
        return self.items[0][2].ref.published_at if self.items else None

    def last_seen(self) -> str | None:
        i = self.items.bisect_key_left((UNDATED,))  # undated sources sort last
        return self.items[i - 1][2].ref.published_at if i > 0 else None

    def updated_at(self) -> datetime:
        """The newest ingest time among the sources: deterministic, so a replay or a restart
        republishes exactly the same value."""
        return self.ingested[-1]

    def latest(self, n: int) -> list[Item]:
        """The last `n` items in source order (undated ones count as the latest)."""
        return list(self.items.islice(max(0, len(self.items) - n)))


def bounded(build: Callable[[int], Contract], n: int = LATEST) -> Contract:
    """The record built with the latest `n` sources, halving `n` until it fits MAX_RECORD_BYTES
    (long URLs or names could otherwise push a record of 20 sources past the limit)."""
    while True:
        model = build(n)
        if n <= 1 or len(model.model_dump_json().encode("utf-8")) <= MAX_RECORD_BYTES:
            return model
        n //= 2


def encode_cursor(order: Order) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(order)).encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> Order:
    """Raises ValueError for a cursor this module did not make."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as e:
        raise ValueError(f"bad cursor {cursor!r}") from e
    if not (isinstance(raw, list) and len(raw) == 3 and all(isinstance(x, str) for x in raw)):
        raise ValueError(f"bad cursor {cursor!r}")
    return (raw[0], raw[1], raw[2])


def page(history: History, cursor: str | None, limit: int) -> dict[str, Any]:
    """One page of an aggregate's full history in source order: the items after `cursor`, and
    the cursor of the next page (None on the last). Costs O(log n + limit)."""
    items = history.items
    start = 0 if not cursor else items.bisect_key_right(decode_cursor(cursor))
    chunk: list[Item] = list(items.islice(start, start + limit))
    more = start + len(chunk) < len(items)
    return {
        "total": len(items),
        "items": [{"source": o.ref.model_dump(mode="json"), "fact": f.model_dump(mode="json")}
                  for _, f, o in chunk],
        "next_cursor": encode_cursor(chunk[-1][0]) if chunk and more else None,
    }


class FactIndex(ABC, Generic[F, K]):
    """Facts of one type, grouped under aggregate keys. `add` and `remove` return the result keys
    (`<type>:<id>`) whose record may have changed, appeared or gone."""

    kind: str  # the result type: event, series, target, person

    @abstractmethod
    def key(self, fact: F) -> K | None:
        """The aggregate key of a fact, or None when the fact does not belong to any aggregate."""

    @abstractmethod
    def add(self, fact: F, where: Origin) -> set[str]:
        """Hold a fact; the result keys touched."""

    @abstractmethod
    def remove(self, fact_id: str) -> set[str]:
        """Drop a fact (unknown ids are ignored); the result keys touched."""

    @abstractmethod
    def output(self, result_key: str) -> Contract | None:
        """The record of a result key, None when the aggregate does not exist (any more)."""

    @abstractmethod
    def result_keys(self) -> Iterable[str]:
        """Every result key the index holds an aggregate for."""

    @abstractmethod
    def history(self, result_key: str) -> History | None:
        """The full history of an aggregate, None when there is none."""

    @abstractmethod
    def size(self) -> int:
        """Aggregates held."""


class KeyedIndex(FactIndex[F, K]):
    """An index whose aggregate key has exactly one result key (series, targets, people)."""

    def __init__(self) -> None:
        self.groups: dict[K, History] = {}
        self._held: dict[str, tuple[K, Item]] = {}  # fact_id -> (key, item)
        self._keys: dict[str, K] = {}  # result key -> aggregate key

    @abstractmethod
    def result_key(self, key: K) -> str:
        """The result key of an aggregate key."""

    @abstractmethod
    def build(self, key: K, group: History, n: int) -> Contract:
        """The record of a group with its latest `n` sources."""

    def new_group(self) -> History:
        return History()

    def add(self, fact: F, where: Origin) -> set[str]:
        key = self.key(fact)
        if key is None or fact.fact_id in self._held:
            return set()
        item: Item = (where.order, fact, where)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = self.new_group()
            self._keys[self.result_key(key)] = key
        group.add(item)
        self._held[fact.fact_id] = (key, item)
        return {self.result_key(key)}

    def remove(self, fact_id: str) -> set[str]:
        held = self._held.pop(fact_id, None)
        if held is None:
            return set()
        key, item = held
        group = self.groups[key]
        group.remove(item)
        rk = self.result_key(key)
        if not len(group):
            del self.groups[key]
            del self._keys[rk]
        return {rk}

    def output(self, result_key: str) -> Contract | None:
        key = self._keys.get(result_key)
        if key is None:
            return None
        group = self.groups[key]
        return bounded(lambda n: self.build(key, group, n))

    def result_keys(self) -> Iterable[str]:
        return list(self._keys)

    def history(self, result_key: str) -> History | None:
        key = self._keys.get(result_key)
        return self.groups[key] if key is not None else None

    def size(self) -> int:
        return len(self.groups)
