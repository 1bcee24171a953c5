"""Events merged across articles: the same kind of event, on the same date, with overlapping
participants or organisations (or the same name), is one canonical event listing every source.

Facts are grouped by (kind, date); within a group they are clustered greedily in source order
(publication date, article id, fact id), so the clusters depend only on the facts, not on the
order they arrived in. Two events of ONE article never merge: the extractor already reports each
distinct event once (each signing is its own event). Undated events are never merged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ecowire_schemas.common import Contract, stable_id
from ecowire_schemas.facts import EventFact
from ecowire_schemas.results import EventAggregate

from .index import FactIndex, Origin, norm, updated_at

EventGroupKey = tuple[str, str, str]  # kind, date, "" (or, for an undated event: kind, "", fact_id)

# Names shorter than this only match when equal: "中国" must not join every event naming it.
MIN_CONTAINED_NAME = 4


def names_match(a: str, b: str) -> bool:
    """Same body or person, allowing one written form inside the other (深圳市生态环境局 / 生态环境局)."""
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= MIN_CONTAINED_NAME and short in long_


@dataclass
class _Cluster:
    items: list[tuple[EventFact, Origin]] = field(default_factory=list)
    articles: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)

    def add(self, fact: EventFact, where: Origin) -> None:
        self.items.append((fact, where))
        self.articles.add(where.ref.article_id)
        self.names |= _names(fact)
        if norm(fact.name):
            self.titles.add(norm(fact.name))

    def accepts(self, fact: EventFact, where: Origin) -> bool:
        if where.ref.article_id in self.articles:
            return False
        if norm(fact.name) and norm(fact.name) in self.titles:
            return True
        return any(names_match(a, b) for a in _names(fact) for b in self.names)

    def absorb(self, other: _Cluster) -> None:
        self.items += other.items
        self.articles |= other.articles
        self.names |= other.names
        self.titles |= other.titles


def _names(fact: EventFact) -> set[str]:
    return {n for n in (norm(x) for x in [*fact.participants, *fact.organizations]) if n}


def cluster_events(items: list[tuple[EventFact, Origin]]) -> list[list[tuple[EventFact, Origin]]]:
    """Cluster one (kind, date) group's facts, given in source order."""
    clusters: list[_Cluster] = []
    for fact, where in items:
        joinable = [c for c in clusters if c.accepts(fact, where)]
        if not joinable:
            c = _Cluster()
            c.add(fact, where)
            clusters.append(c)
            continue
        target = joinable[0]
        target.add(fact, where)
        # The fact may bridge clusters (A shares a person with it, B a body): merge those that
        # hold no article already in the merged cluster.
        for other in joinable[1:]:
            if not (other.articles & target.articles):
                target.absorb(other)
                clusters.remove(other)
    return [c.items for c in clusters]


def _union(values: list[str]) -> list[str]:
    out: list[str] = []
    seen: list[str] = []
    for v in values:
        n = norm(v)
        if n and not any(names_match(n, s) for s in seen):
            seen.append(n)
            out.append(v)
    return out


def canonical(items: list[tuple[EventFact, Origin]]) -> EventAggregate:
    facts = [f for f, _ in items]
    first = facts[0]
    event_id = stable_id("event", first.kind, first.date or "", min(f.fact_id for f in facts))
    return EventAggregate(
        event_id=event_id,
        kind=first.kind,
        name=next((f.name for f in facts if f.name), None),
        date=first.date,
        location=next((f.location for f in facts if f.location), None),
        participants=_union([p for f in facts for p in f.participants]),
        organizations=_union([o for f in facts for o in f.organizations]),
        sources=[o.ref for _, o in items],
        updated_at=updated_at(o for _, o in items),
    )


class EventIndex(FactIndex[EventFact, EventGroupKey]):
    kind = "event"

    def key(self, fact: EventFact) -> EventGroupKey:
        if not fact.date:
            return (fact.kind, "", fact.fact_id)
        return (fact.kind, fact.date, "")

    def outputs(self, key: EventGroupKey) -> dict[str, Contract]:
        out: dict[str, Contract] = {}
        for items in cluster_events(self.items(key)):
            ev = canonical(sorted(items, key=lambda i: i[1].order))
            out[f"event:{ev.event_id}"] = ev
        return out
