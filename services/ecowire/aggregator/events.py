"""Events merged across articles: the same kind of event, on the same date, with overlapping
participants or organisations (or the same name), is one canonical event listing every source.

Facts are grouped by (kind, date). Within a group, two facts of DIFFERENT articles are linked when
they share a participant or organisation (`names_match`) or the same event name, and an event is
a connected component of those links: a function of the set of facts, whatever their order.
Two facts of one article are never linked directly (the extractor reports each distinct event of
an article once), though a third article naming both joins them. Undated events are never merged.

Incremental: a new fact finds its partners through a per-group name index (exact names, and every
substring of 4+ characters for containment) and joins their components by union-find, so adding
a fact costs what its names match, not the size of the group. A name held by two or more articles
keeps only two representatives (everything holding it is one component by then). Removing a fact
(its article became a duplicate: rare) rebuilds its (kind, date) group from the remaining facts.
"""

from __future__ import annotations

from collections.abc import Iterable

from sortedcontainers import SortedKeyList

from ecowire_schemas.common import Contract, stable_id
from ecowire_schemas.facts import EventFact
from ecowire_schemas.results import EventAggregate

from .index import FactIndex, History, Item, Origin, bounded, norm

EventGroupKey = tuple[str, str, str]  # kind, date, "" (or, for an undated event: kind, "", fact_id)

# Names shorter than this only match when equal: "中国" must not join every event naming it.
MIN_CONTAINED_NAME = 4
MAX_NAMES = 64  # participants (and organisations) an event record lists, in order of first mention


def names_match(a: str, b: str) -> bool:
    """Same body or person, allowing one written form inside the other (深圳市生态环境局 / 生态环境局)."""
    if a == b:
        return True
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= MIN_CONTAINED_NAME and short in long_


def _names(fact: EventFact) -> set[str]:
    return {n for n in (norm(x) for x in [*fact.participants, *fact.organizations]) if n}


def _union(values: Iterable[str], cap: int = MAX_NAMES) -> list[str]:
    """Distinct names in order, one written form inside another counting as the same name."""
    out: list[str] = []
    seen: list[str] = []
    for v in values:
        n = norm(v)
        if n and not any(names_match(n, s) for s in seen):
            seen.append(n)
            out.append(v)
            if len(out) >= cap:
                break
    return out


class _Names:
    """Distinct names of a component by their first mention in source order (only ever added to:
    a component that loses a fact is rebuilt)."""

    def __init__(self) -> None:
        self.first: dict[str, tuple[tuple[object, ...], str]] = {}
        self.ordered: SortedKeyList = SortedKeyList(key=lambda e: e[0])

    def add(self, key: tuple[object, ...], written: str) -> None:
        n = norm(written)
        if not n:
            return
        cur = self.first.get(n)
        if cur is not None:
            if cur[0] <= key:
                return
            self.ordered.remove(cur)
        self.first[n] = (key, written)
        self.ordered.add((key, written))

    def listed(self) -> list[str]:
        # Scanning a few times the cap is enough: contained forms are rare beside distinct names.
        return _union((w for _, w in self.ordered.islice(0, 4 * MAX_NAMES)), MAX_NAMES)


class _Event:
    """One component: its facts in source order and what its record shows."""

    def __init__(self, group: EventGroupKey, item: Item) -> None:
        self.group = group
        self.history = History()
        self.min_fact = item[1].fact_id
        self.named: SortedKeyList = SortedKeyList(key=lambda i: i[0])
        self.located: SortedKeyList = SortedKeyList(key=lambda i: i[0])
        self.participants = _Names()
        self.organizations = _Names()
        self.rk: str | None = None  # the result key it is held under in the index
        self.add(item)

    def add(self, item: Item) -> None:
        order, fact, _ = item
        self.history.add(item)
        self.min_fact = min(self.min_fact, fact.fact_id)
        if fact.name:
            self.named.add(item)
        if fact.location:
            self.located.add(item)
        for pos, p in enumerate(fact.participants):
            self.participants.add((*order, pos), p)
        for pos, o in enumerate(fact.organizations):
            self.organizations.add((*order, pos), o)

    def absorb(self, other: _Event) -> None:
        for item in other.history.items:
            self.add(item)

    @property
    def event_id(self) -> str:
        first = self.history.items[0][1]
        return stable_id("event", first.kind, first.date or "", self.min_fact)

    def build(self, n: int) -> EventAggregate:
        h = self.history
        first = h.items[0][1]
        return EventAggregate(
            event_id=self.event_id,
            kind=first.kind,
            name=self.named[0][1].name if self.named else None,
            date=first.date,
            location=self.located[0][1].location if self.located else None,
            participants=self.participants.listed(),
            organizations=self.organizations.listed(),
            sources=[o.ref for _, _, o in h.latest(n)],
            source_count=len(h),
            first_seen=h.first_seen(),
            last_seen=h.last_seen(),
            updated_at=h.updated_at(),
        )


def _substrings(name: str) -> set[str]:
    """The proper substrings of a name that may stand for it (MIN_CONTAINED_NAME+ characters)."""
    n = len(name)
    return {name[i:j] for i in range(n) for j in range(i + MIN_CONTAINED_NAME, n + 1) if j - i < n}


class _Group:
    """The events of one (kind, date): union-find over fact ids, and the name indexes."""

    def __init__(self, key: EventGroupKey) -> None:
        self.key = key
        self.items: dict[str, Item] = {}
        self.parent: dict[str, str] = {}
        self.events: dict[str, _Event] = {}  # root fact id -> event
        self.names: dict[str, dict[str, list[str]]] = {}  # name -> article -> fact ids
        self.titles: dict[str, dict[str, list[str]]] = {}  # event name -> article -> fact ids
        self.containing: dict[str, set[str]] = {}  # substring -> names containing it

    def root(self, fid: str) -> str:
        parent = self.parent
        while parent[fid] != fid:
            parent[fid] = parent[parent[fid]]
            fid = parent[fid]
        return fid

    def event_of(self, fid: str) -> _Event:
        return self.events[self.root(fid)]

    def add(self, item: Item) -> tuple[list[_Event], _Event]:
        """Hold a fact: (the events it merged away, the event it is in now)."""
        _, fact, where = item
        fid, article = fact.fact_id, where.ref.article_id
        self.items[fid] = item
        self.parent[fid] = fid
        self.events[fid] = _Event(self.key, item)
        partners: set[str] = set()
        for n in _names(fact):
            matched = {n, *(s for s in _substrings(n) if s in self.names)}
            if len(n) >= MIN_CONTAINED_NAME:
                matched |= self.containing.get(n, set())
            for m in matched:
                partners |= _others(self.names.get(m), article)
        title = norm(fact.name)
        if title:
            partners |= _others(self.titles.get(title), article)
        for n in _names(fact):
            if n not in self.names:
                for s in _substrings(n):
                    self.containing.setdefault(s, set()).add(n)
            _register(self.names.setdefault(n, {}), article, fid)
        if title:
            _register(self.titles.setdefault(title, {}), article, fid)
        gone: list[_Event] = []
        for p in sorted(partners):
            ra, rb = self.root(fid), self.root(p)
            if ra == rb:
                continue
            a, b = self.events[ra], self.events[rb]
            if len(a.history) < len(b.history):
                ra, rb, a, b = rb, ra, b, a
            gone.append(b)
            a.absorb(b)
            self.parent[rb] = ra
            del self.events[rb]
        return gone, self.event_of(fid)


def _others(held: dict[str, list[str]] | None, article: str) -> set[str]:
    if not held:
        return set()
    return {f for a, fids in held.items() if a != article for f in fids}


def _register(held: dict[str, list[str]], article: str, fid: str) -> None:
    if article in held:
        if len(held) == 1:
            held[article].append(fid)  # one article only so far: its facts may be apart
        return
    if len(held) >= 2:
        return  # every fact holding the name is one component already: two witnesses suffice
    held[article] = [fid]
    if len(held) == 2:
        for a in held:
            del held[a][1:]


class EventIndex(FactIndex[EventFact, EventGroupKey]):
    kind = "event"

    def __init__(self) -> None:
        self.groups: dict[EventGroupKey, _Group] = {}
        self._group_of: dict[str, EventGroupKey] = {}  # fact id -> group
        self._events: dict[str, _Event] = {}  # result key -> event

    def key(self, fact: EventFact) -> EventGroupKey:
        if not fact.date:
            return (fact.kind, "", fact.fact_id)
        return (fact.kind, fact.date, "")

    def add(self, fact: EventFact, where: Origin) -> set[str]:
        if fact.fact_id in self._group_of:
            return set()
        key = self.key(fact)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _Group(key)
        self._group_of[fact.fact_id] = key
        gone, now = group.add((where.order, fact, where))
        touched: set[str] = set()
        for ev in gone:
            if ev.rk is not None:
                del self._events[ev.rk]
                touched.add(ev.rk)
        touched |= self._register(now)
        return touched

    def _register(self, ev: _Event) -> set[str]:
        """Hold an event under its current result key (its id changes when a smaller fact id
        joins it); both keys are touched: the one it left gets a tombstone."""
        rk = f"event:{ev.event_id}"
        touched = {rk}
        if ev.rk != rk:
            if ev.rk is not None:
                del self._events[ev.rk]
                touched.add(ev.rk)
            ev.rk = rk
            self._events[rk] = ev
        return touched

    def remove(self, fact_id: str) -> set[str]:
        key = self._group_of.pop(fact_id, None)
        if key is None:
            return set()
        old = self.groups.pop(key)
        touched: set[str] = set()
        for ev in old.events.values():
            if ev.rk is not None:
                del self._events[ev.rk]
                touched.add(ev.rk)
        rest = sorted((item for fid, item in old.items.items() if fid != fact_id), key=lambda i: i[0])
        if rest:
            group = self.groups[key] = _Group(key)
            for item in rest:
                group.add(item)
            for ev in group.events.values():
                touched |= self._register(ev)
        return touched

    def output(self, result_key: str) -> Contract | None:
        ev = self._events.get(result_key)
        return bounded(ev.build) if ev is not None else None

    def result_keys(self) -> Iterable[str]:
        return list(self._events)

    def history(self, result_key: str) -> History | None:
        ev = self._events.get(result_key)
        return ev.history if ev is not None else None

    def size(self) -> int:
        return len(self._events)
