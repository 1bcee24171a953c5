"""What every aggregate index shares: facts grouped by an aggregate key, with their provenance.

An index holds the facts of ORIGINAL articles only (duplicates never contribute). Adding and
removing facts is idempotent (they are keyed by fact_id), and `outputs(key)` is a pure function of
the facts held under the key, so the published aggregates depend only on which articles are
originals — not on the order they arrived in.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from ecowire_schemas.common import Contract
from ecowire_schemas.facts import ExtractionRecord, FactBase
from ecowire_schemas.results import SourceRef


def norm(text: str | None) -> str:
    """Comparison form of a name: whitespace removed (full-width folding is the normalizer's)."""
    return "".join(text.split()) if text else ""


@dataclass(frozen=True)
class Origin:
    """Where a fact comes from: the source reference and the article's ingest time."""

    ref: SourceRef
    ingested_at: datetime

    @property
    def order(self) -> tuple[str, str, str]:
        """Deterministic order of sources: publication date, then ids."""
        return (self.ref.published_at or "9999", self.ref.article_id, self.ref.fact_id or "")


def origin(record: ExtractionRecord, fact_id: str) -> Origin:
    ref = SourceRef(
        article_id=record.article_id,
        source=record.source,
        url=record.url,
        published_at=record.published_at,
        fact_id=fact_id,
    )
    return Origin(ref, record.ingested_at)


def updated_at(origins: Iterable[Origin]) -> datetime:
    """An aggregate's `updated_at`: the newest ingest time among its sources. Deterministic, so a
    replay or a restart republishes exactly the same value."""
    return max(o.ingested_at for o in origins)


F = TypeVar("F", bound=FactBase)
K = TypeVar("K", bound=Hashable)


class FactIndex(ABC, Generic[F, K]):
    """Facts of one type, grouped under aggregate keys."""

    kind: str  # the result type: event, series, target, person

    def __init__(self) -> None:
        self.groups: dict[K, dict[str, tuple[F, Origin]]] = {}
        self._key_of: dict[str, K] = {}

    @abstractmethod
    def key(self, fact: F) -> K | None:
        """The aggregate key of a fact, or None when the fact does not belong to any aggregate."""

    @abstractmethod
    def outputs(self, key: K) -> dict[str, Contract]:
        """The results for a key: results-topic key (`<type>:<id>`) → model. Empty when none."""

    def result_key(self, key: K) -> str | None:
        """The one results-topic key of an aggregate key, when it has exactly one (None: outputs
        may come and go under other ids, as merged events do)."""
        return None

    def add(self, fact: F, where: Origin) -> K | None:
        key = self.key(fact)
        if key is None:
            return None
        self.groups.setdefault(key, {})[fact.fact_id] = (fact, where)
        self._key_of[fact.fact_id] = key
        return key

    def remove(self, fact_id: str) -> K | None:
        key = self._key_of.pop(fact_id, None)
        if key is None:
            return None
        group = self.groups.get(key)
        if group is not None:
            group.pop(fact_id, None)
            if not group:
                del self.groups[key]
        return key

    def items(self, key: K) -> list[tuple[F, Origin]]:
        """The facts under a key in source order."""
        return sorted(self.groups.get(key, {}).values(), key=lambda item: item[1].order)

    def size(self) -> int:
        return len(self.groups)
