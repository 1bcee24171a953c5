"""People: each named official's titles and the bodies they hold them in, over time.

A person is keyed by name (the facts carry no stronger identity); each (title, body) they are
reported with becomes a span from the first to the last publication date that states it. Named
people without any title are not officials and get no entry.
"""

from __future__ import annotations

from ecowire_schemas.common import Contract, stable_id
from ecowire_schemas.facts import PersonFact
from ecowire_schemas.results import PersonEntry, SourceRef, TitleSpan

from .index import FactIndex, norm, updated_at


def person_id(name_key: str) -> str:
    return stable_id("person", name_key)


class PeopleIndex(FactIndex[PersonFact, str]):
    kind = "person"

    def key(self, fact: PersonFact) -> str | None:
        name = norm(fact.name)
        if not name or not any(norm(t) for t in fact.titles):
            return None
        return name

    def result_key(self, key: str) -> str:
        return f"person:{person_id(key)}"

    def outputs(self, key: str) -> dict[str, Contract]:
        items = self.items(key)
        if not items:
            return {}
        spans: dict[tuple[str, str], list[SourceRef]] = {}
        shown: dict[tuple[str, str], tuple[str, str | None]] = {}
        # A title given without its body (部长黄润秋) joins the span of that title with a body when
        # the person holds it in exactly one body; otherwise it stays a span of its own.
        bodies: dict[str, set[str]] = {}
        for fact, _ in items:
            if norm(fact.org):
                for title in fact.titles:
                    bodies.setdefault(norm(title), set()).add(norm(fact.org))
        for fact, where in items:
            for title in fact.titles:
                t, org = norm(title), norm(fact.org)
                if not t:
                    continue
                if not org and len(bodies.get(t, ())) == 1:
                    org = next(iter(bodies[t]))
                k = (t, org)
                refs = spans.setdefault(k, [])
                if where.ref not in refs:
                    refs.append(where.ref)
                current = shown.get(k)
                if current is None or (not current[1] and norm(fact.org)):
                    shown[k] = (title, fact.org)  # as written, preferring a mention with the body
        titles = []
        for k, refs in spans.items():
            dates = sorted(r.published_at for r in refs if r.published_at)
            written_title, written_org = shown[k]
            titles.append(TitleSpan(title=written_title, org=written_org, first_seen=dates[0] if dates else None,
                                    last_seen=dates[-1] if dates else None, sources=refs))
        titles.sort(key=lambda t: (t.first_seen or "9999", norm(t.title), norm(t.org)))
        pid = person_id(key)
        model = PersonEntry(person_id=pid, name=items[0][0].name, titles=titles,
                            updated_at=updated_at(o for _, o in items))
        return {f"person:{pid}": model}
