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

from collections import Counter
from collections.abc import Iterable

from sortedcontainers import SortedKeyList, SortedList

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
    """Distinct names of an event by their first mention in source order."""

    def __init__(self) -> None:
        self.mentions: dict[str, SortedList] = {}  # name -> mention keys (removal finds the next)
        self.ordered: SortedKeyList = SortedKeyList(key=lambda e: e[0])  # (first key, written, name)
        self.written: dict[tuple[object, ...], str] = {}

    def add(self, key: tuple[object, ...], written: str) -> None:
        n = norm(written)
        if not n:
            return
        held = self.mentions.setdefault(n, SortedList())
        old = (held[0], self.written[held[0]], n) if held else None
        held.add(key)
        self.written[key] = written
        if old is None or key < old[0]:
            if old is not None:
                self.ordered.remove(old)
            self.ordered.add((key, written, n))

    def remove(self, key: tuple[object, ...], written: str) -> None:
        n = norm(written)
        if not n:
            return
        held = self.mentions[n]
        if held[0] == key:
            self.ordered.remove((key, written, n))
        held.remove(key)
        del self.written[key]
        if not held:
            del self.mentions[n]
        elif held[0] > key:
            self.ordered.add((held[0], self.written[held[0]], n))

    def listed(self) -> list[str]:
        # Scanning a few times the cap is enough: contained forms are rare beside distinct names.
        return _union((w for _, w, _ in self.ordered.islice(0, 4 * MAX_NAMES)), MAX_NAMES)


class _Event:
    """One component: its facts in source order and what its record shows."""

    def __init__(self, item: Item) -> None:
        self.history = History()
        self.fact_ids: SortedList = SortedList()
        self.named: SortedKeyList = SortedKeyList(key=lambda i: i[0])
        self.located: SortedKeyList = SortedKeyList(key=lambda i: i[0])
        self.participants = _Names()
        self.organizations = _Names()
        self.ghosts: set[str] = set()  # removed facts still in the union-find tree
        self.rk: str | None = None  # the result key it is held under in the index
        self.add(item)

    def add(self, item: Item) -> None:
        order, fact, _ = item
        self.history.add(item)
        self.fact_ids.add(fact.fact_id)
        if fact.name:
            self.named.add(item)
        if fact.location:
            self.located.add(item)
        for pos, p in enumerate(fact.participants):
            self.participants.add((*order, pos), p)
        for pos, o in enumerate(fact.organizations):
            self.organizations.add((*order, pos), o)

    def remove(self, item: Item) -> None:
        order, fact, _ = item
        self.history.remove(item)
        self.fact_ids.remove(fact.fact_id)
        if fact.name:
            self.named.remove(item)
        if fact.location:
            self.located.remove(item)
        for pos, p in enumerate(fact.participants):
            self.participants.remove((*order, pos), p)
        for pos, o in enumerate(fact.organizations):
            self.organizations.remove((*order, pos), o)

    def absorb(self, other: _Event) -> None:
        for item in other.history.items:
            self.add(item)
        self.ghosts |= other.ghosts

    @property
    def event_id(self) -> str:
        first = self.history.items[0][1]
        return stable_id("event", first.kind, first.date or "", self.fact_ids[0])

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


def _tokens(fact: EventFact) -> list[str]:
    """What links a fact: its names, and its event name (prefixed: matched only when equal)."""
    title = norm(fact.name)
    return sorted(_names(fact)) + ([TITLE + title] if title else [])


TITLE = "\x00"


class _Group:
    """The events of one (kind, date): union-find over fact ids, and the token indexes.

    `holders` says which articles' facts hold each token; `pairs` how many facts hold each pair of
    tokens together. Removing a fact changes no other fact's event when each of its tokens is
    still held by two articles (its holders stay linked to each other) and each pair of its
    tokens is still held together by some fact (the tokens stay linked): then the fact just leaves
    its event. Otherwise its event alone is rebuilt."""

    def __init__(self, key: EventGroupKey) -> None:
        self.key = key
        self.items: dict[str, Item] = {}
        self.parent: dict[str, str] = {}
        self.events: dict[str, _Event] = {}  # root fact id -> event
        self.holders: dict[str, dict[str, set[str]]] = {}  # token -> article -> fact ids
        self.pairs: Counter[tuple[str, str]] = Counter()
        self.containing: dict[str, set[str]] = {}  # substring -> names containing it

    def root(self, fid: str) -> str:
        parent = self.parent
        while parent[fid] != fid:
            parent[fid] = parent[parent[fid]]
            fid = parent[fid]
        return fid

    def event_of(self, fid: str) -> _Event:
        return self.events[self.root(fid)]

    def _partners(self, fact: EventFact, article: str) -> set[str]:
        """Facts of other articles linked to this one: enough of them to reach every event it
        joins (one per token held by two or more articles: those holders are one event)."""
        partners: set[str] = set()
        for n in _names(fact):
            matched = {n, *(s for s in _substrings(n) if s in self.holders)}
            if len(n) >= MIN_CONTAINED_NAME:
                matched |= self.containing.get(n, set())
            for m in matched:
                partners |= _others(self.holders.get(m), article)
        title = norm(fact.name)
        if title:
            partners |= _others(self.holders.get(TITLE + title), article)
        return partners

    def _index(self, fact: EventFact, article: str) -> None:
        tokens = _tokens(fact)
        for t in tokens:
            if t not in self.holders and not t.startswith(TITLE):
                for s in _substrings(t):
                    self.containing.setdefault(s, set()).add(t)
            self.holders.setdefault(t, {}).setdefault(article, set()).add(fact.fact_id)
        for i, a in enumerate(tokens):
            for b in tokens[i + 1 :]:
                self.pairs[(a, b)] += 1

    def _unindex(self, fact: EventFact, article: str) -> None:
        tokens = _tokens(fact)
        for t in tokens:
            held = self.holders[t]
            held[article].discard(fact.fact_id)
            if not held[article]:
                del held[article]
        for i, a in enumerate(tokens):
            for b in tokens[i + 1 :]:
                self.pairs[(a, b)] -= 1
                if not self.pairs[(a, b)]:
                    del self.pairs[(a, b)]

    def _link(self, fid: str, partners: Iterable[str]) -> list[_Event]:
        """Union the fact's event with its partners'; the events merged away."""
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
        return gone

    def add(self, item: Item) -> tuple[list[_Event], list[_Event]]:
        """Hold a fact: (the events gone, the events there are now in their place)."""
        _, fact, where = item
        fid, article = fact.fact_id, where.ref.article_id
        if fid in self.parent:  # a fact removed before, still a node of some event's tree
            self.items[fid] = item
            self._index(fact, article)
            return self._rebuild(self.event_of(fid), add=item)
        self.items[fid] = item
        self.parent[fid] = fid
        self.events[fid] = _Event(item)
        partners = self._partners(fact, article)
        self._index(fact, article)
        gone = self._link(fid, partners)
        return gone, [self.event_of(fid)]

    def remove(self, fid: str) -> tuple[list[_Event], list[_Event]]:
        """Drop a fact: (the events gone, the events there are now in their place)."""
        item = self.items.pop(fid)
        _, fact, where = item
        self._unindex(fact, where.ref.article_id)
        ev = self.event_of(fid)
        tokens = _tokens(fact)
        keeps = all(len(self.holders[t]) >= 2 for t in tokens) and all(
            (a, b) in self.pairs for i, a in enumerate(tokens) for b in tokens[i + 1 :])
        if keeps and len(ev.history) > 1:
            ev.remove(item)
            ev.ghosts.add(fid)
            return [], [ev]
        return self._rebuild(ev)

    def _rebuild(self, ev: _Event, add: Item | None = None) -> tuple[list[_Event], list[_Event]]:
        """Recompute one event's components from its facts (its facts link nowhere else)."""
        members = [i for i in ev.history.items if i[1].fact_id in self.items]
        if add is not None:
            members.append(add)
        root = self.root(ev.fact_ids[0]) if ev.fact_ids else self.root(next(iter(ev.ghosts)))
        del self.events[root]
        for g in ev.ghosts | set(ev.fact_ids):
            del self.parent[g]
        if add is not None:
            self.parent.pop(add[1].fact_id, None)
        for item in members:
            fid = item[1].fact_id
            self.parent[fid] = fid
            self.events[fid] = _Event(item)
        gone = [ev]
        for item in sorted(members, key=lambda i: i[0]):
            fact = item[1]
            # A fact added back may also join other events: they are gone too.
            gone += self._link(fact.fact_id, self._partners(fact, item[2].ref.article_id) - {fact.fact_id})
        now = {id(e): e for e in (self.event_of(i[1].fact_id) for i in members)}
        return gone, list(now.values())


def _others(held: dict[str, set[str]] | None, article: str) -> set[str]:
    """Facts of articles other than `article` holding a token: one when two or more articles hold
    it (all its holders are one event then), else all of the other article's."""
    if not held:
        return set()
    other = next((a for a in held if a != article), None)
    if other is None:
        return set()
    if len(held) - (article in held) >= 2:
        return {next(iter(held[other]))}
    return set(held[other])


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
        return self._changed(*group.add((where.order, fact, where)))

    def _changed(self, gone: list[_Event], now: list[_Event]) -> set[str]:
        touched: set[str] = set()
        for ev in gone:
            if ev.rk is not None:
                self._events.pop(ev.rk, None)
                touched.add(ev.rk)
                ev.rk = None
        for ev in now:
            touched |= self._register(ev)
        return touched

    def _register(self, ev: _Event) -> set[str]:
        """Hold an event under its current result key (its id changes when a smaller fact id
        joins it); both keys are touched: the one it left gets a tombstone."""
        rk = f"event:{ev.event_id}"
        touched = {rk}
        if ev.rk != rk:
            if ev.rk is not None:
                self._events.pop(ev.rk, None)
                touched.add(ev.rk)
            ev.rk = rk
            self._events[rk] = ev
        return touched

    def remove(self, fact_id: str) -> set[str]:
        key = self._group_of.pop(fact_id, None)
        if key is None:
            return set()
        group = self.groups[key]
        touched = self._changed(*group.remove(fact_id))
        if not group.items:
            del self.groups[key]
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
