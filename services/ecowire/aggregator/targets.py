"""Target registry: each target keyed by (actor, indicator, deadline), with every article that
states it and whether the sources state different values (a target raised or cut)."""

from __future__ import annotations

from ecowire_schemas.common import Contract, stable_id
from ecowire_schemas.facts import TargetFact
from ecowire_schemas.results import TargetEntry, TargetStatement

from .index import FactIndex, norm, updated_at

TargetKey = tuple[str, str, str]  # normalized actor, normalized indicator, deadline


def target_id(key: TargetKey) -> str:
    return stable_id("target", *key)


class TargetIndex(FactIndex[TargetFact, TargetKey]):
    kind = "target"

    def key(self, fact: TargetFact) -> TargetKey | None:
        actor, indicator = norm(fact.actor), norm(fact.indicator)
        if not actor or not indicator or not fact.deadline:
            return None
        return (actor, indicator, fact.deadline)

    def result_key(self, key: TargetKey) -> str:
        return f"target:{target_id(key)}"

    def outputs(self, key: TargetKey) -> dict[str, Contract]:
        items = self.items(key)  # in publication order, so a change in value reads in time order
        if not items:
            return {}
        first = items[0][0]
        statements = [
            TargetStatement(value=f.value, unit=f.unit, qualifier=f.qualifier, direction=f.direction,
                            baseline=f.baseline, source=o.ref)
            for f, o in items
        ]
        # A change is a different value in the same unit: 15 % and 400000 m2 for one key are two
        # measures of the goal, not a revision of it.
        by_unit: dict[str | None, set[tuple[float | None, float | None]]] = {}
        for f, _ in items:
            by_unit.setdefault(f.unit, set()).add((f.value, f.value_max))
        tid = target_id(key)
        model = TargetEntry(
            target_id=tid,
            actor=first.actor or key[0],
            indicator=first.indicator or key[1],
            deadline=key[2],
            statements=statements,
            value_changed=any(len(v) > 1 for v in by_unit.values()),
            updated_at=updated_at(o for _, o in items),
        )
        return {f"target:{tid}": model}
