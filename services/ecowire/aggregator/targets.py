"""Target registry: each target keyed by (actor, indicator, deadline), with every article that
states it and whether the sources state different values (a target raised or cut)."""

from __future__ import annotations

from collections import Counter

from ecowire_schemas.common import Contract, stable_id
from ecowire_schemas.facts import TargetFact
from ecowire_schemas.results import TargetEntry, TargetStatement

from .index import History, Item, KeyedIndex, norm

TargetKey = tuple[str, str, str]  # normalized actor, normalized indicator, deadline


def target_id(key: TargetKey) -> str:
    return stable_id("target", *key)


class _Targets(History):
    """A target's statements plus how many distinct values each unit has: `value_changed` over
    every statement at O(1) per statement."""

    def __init__(self) -> None:
        super().__init__()
        self.values: Counter[tuple[str | None, float | None, float | None]] = Counter()
        self.distinct: Counter[str | None] = Counter()  # unit -> distinct (value, value_max)

    def add(self, item: Item) -> None:
        super().add(item)
        f = item[1]
        v = (f.unit, f.value, f.value_max)
        self.values[v] += 1
        if self.values[v] == 1:
            self.distinct[f.unit] += 1

    def remove(self, item: Item) -> None:
        super().remove(item)
        f = item[1]
        v = (f.unit, f.value, f.value_max)
        self.values[v] -= 1
        if not self.values[v]:
            del self.values[v]
            self.distinct[f.unit] -= 1
            if not self.distinct[f.unit]:
                del self.distinct[f.unit]

    def value_changed(self) -> bool:
        # A change is a different value in the same unit: 15 % and 400000 m2 for one key are two
        # measures of the goal, not a revision of it.
        return any(c > 1 for c in self.distinct.values())


class TargetIndex(KeyedIndex[TargetFact, TargetKey]):
    kind = "target"

    def key(self, fact: TargetFact) -> TargetKey | None:
        actor, indicator = norm(fact.actor), norm(fact.indicator)
        if not actor or not indicator or not fact.deadline:
            return None
        return (actor, indicator, fact.deadline)

    def result_key(self, key: TargetKey) -> str:
        return f"target:{target_id(key)}"

    def new_group(self) -> History:
        return _Targets()

    def build(self, key: TargetKey, group: History, n: int) -> Contract:
        assert isinstance(group, _Targets)
        first = group.items[0][1]
        statements = [  # in publication order, so a change in value reads in time order
            TargetStatement(value=f.value, unit=f.unit, qualifier=f.qualifier, direction=f.direction,
                            baseline=f.baseline, source=o.ref)
            for _, f, o in group.latest(n)
        ]
        return TargetEntry(
            target_id=target_id(key),
            actor=first.actor or key[0],
            indicator=first.indicator or key[1],
            deadline=key[2],
            statements=statements,
            statement_count=len(group),
            first_seen=group.first_seen(),
            last_seen=group.last_seen(),
            value_changed=group.value_changed(),
            updated_at=group.updated_at(),
        )
