"""People: each named official's titles and the bodies they hold them in, over time.

A person is keyed by name (the facts carry no stronger identity); each (title, body) they are
reported with becomes a span from the first to the last publication date that states it. Named
people without any title are not officials and get no entry.
"""

from __future__ import annotations

from collections import Counter
from heapq import merge, nlargest

from sortedcontainers import SortedKeyList

from ecowire_schemas.common import Contract, stable_id
from ecowire_schemas.facts import PersonFact
from ecowire_schemas.results import PersonEntry, TitleSpan

from .index import UNDATED, History, Item, KeyedIndex, Order, norm

SpanKey = tuple[str, str]  # normalized title, normalized body ("" when written without one)
Mention = tuple[Order, Item]  # one title of one fact


def person_id(name_key: str) -> str:
    return stable_id("person", name_key)


def _first(mentions: SortedKeyList) -> Order | None:
    return mentions[0][0] if mentions else None


def _dates(lists: list[SortedKeyList]) -> tuple[str | None, str | None]:
    firsts, lasts = [], []
    for m in lists:
        if m and m[0][0][0] != UNDATED:
            firsts.append(m[0][0][0])
        i = m.bisect_key_left((UNDATED,))
        if i > 0:
            lasts.append(m[i - 1][0][0])
    return (min(firsts) if firsts else None, max(lasts) if lasts else None)


class _Person(History):
    """A person's mentions, and per (title, body) span the mentions in source order; `bodies`
    counts the bodies each title is held in, which decides where a title without body goes."""

    def __init__(self) -> None:
        super().__init__()
        self.spans: dict[SpanKey, SortedKeyList] = {}
        self.bodies: dict[str, Counter[str]] = {}

    def _keys(self, item: Item) -> set[SpanKey]:
        f = item[1]
        return {(norm(t), norm(f.org)) for t in f.titles if norm(t)}

    def add(self, item: Item) -> None:
        super().add(item)
        for k in self._keys(item):
            self.spans.setdefault(k, SortedKeyList(key=lambda m: m[0])).add((item[0], item))
            if k[1]:
                self.bodies.setdefault(k[0], Counter())[k[1]] += 1

    def remove(self, item: Item) -> None:
        super().remove(item)
        for k in self._keys(item):
            span = self.spans[k]
            span.remove((item[0], item))
            if not span:
                del self.spans[k]
            if k[1]:
                held = self.bodies[k[0]]
                held[k[1]] -= 1
                if not held[k[1]]:
                    del held[k[1]]
                    if not held:
                        del self.bodies[k[0]]

    def title_spans(self, spans: int, per_span: int) -> tuple[list[TitleSpan], int]:
        """The `spans` most recently seen spans, and how many there are. A title given without its
        body (部长黄润秋) joins the span of that title with a body when the person holds it in
        exactly one body; otherwise it is its own span."""
        found: list[tuple[tuple[str, str, str, str], str | None, str | None, list[SortedKeyList]]] = []
        for (t, org), mentions in self.spans.items():
            single = len(self.bodies.get(t, ())) == 1
            if not org and single:
                continue  # counted in the span with the body
            lists = [mentions]
            if org and single and (t, "") in self.spans:
                lists.append(self.spans[(t, "")])
            first, last = _dates(lists)
            found.append(((last or "", first or "", t, org), first, last, lists))
        out = []
        # Only the kept spans are built: a famous person may hold many titles.
        for (_, _, t, _), first, last, lists in nlargest(spans, found, key=lambda s: s[0]):
            tails = [list(m.islice(max(0, len(m) - per_span))) for m in lists]
            latest = list(merge(*tails, key=lambda m: m[0]))[-per_span:]
            # As written, preferring a mention with the body (the first of the span with it).
            shown = lists[0][0][1][1]
            title = next(x for x in shown.titles if norm(x) == t)
            out.append(TitleSpan(title=title, org=shown.org, first_seen=first, last_seen=last,
                                 sources=[m[1][2].ref for m in latest],
                                 source_count=sum(len(m) for m in lists)))
        return out, len(found)


class PeopleIndex(KeyedIndex[PersonFact, str]):
    kind = "person"

    def key(self, fact: PersonFact) -> str | None:
        name = norm(fact.name)
        if not name or not any(norm(t) for t in fact.titles):
            return None
        return name

    def result_key(self, key: str) -> str:
        return f"person:{person_id(key)}"

    def new_group(self) -> History:
        return _Person()

    def build(self, key: str, group: History, n: int) -> Contract:
        assert isinstance(group, _Person)
        # A famous person may hold many titles: the record keeps the `n` most recently seen.
        kept, total = group.title_spans(n, max(1, n // 4))
        kept.sort(key=lambda t: (t.first_seen or UNDATED, norm(t.title), norm(t.org)))
        return PersonEntry(person_id=person_id(key), name=group.items[0][1].name, titles=kept,
                           title_count=total, source_count=len(group), first_seen=group.first_seen(),
                           last_seen=group.last_seen(), updated_at=group.updated_at())
