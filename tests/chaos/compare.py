"""Pure comparison of two results-topic states, and duplicate checks. No Kafka here.

A state is the compacted view of `results.v1`: key → latest value (a tombstone removes the key).
Two runs of the same input must agree on every key and every value once the timestamps that are
wall-clock by contract are removed: `completed_at` (when the aggregator applied an article),
`ingested_at` (when the fetcher took the document), and `updated_at` (the newest `ingested_at`
among an aggregate's sources, docs/aggregator.md). Nothing else is ignored.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

VOLATILE = frozenset({"completed_at", "ingested_at", "updated_at"})


def strip_volatile(value: Any, volatile: frozenset[str] = VOLATILE) -> Any:
    """`value` without the volatile keys, at any depth."""
    if isinstance(value, dict):
        return {k: strip_volatile(v, volatile) for k, v in value.items() if k not in volatile}
    if isinstance(value, list):
        return [strip_volatile(v, volatile) for v in value]
    return value


def compacted(records: Iterable[tuple[str, bytes | None]]) -> dict[str, Any]:
    """Key → latest parsed value, in topic order; a None value (tombstone) deletes its key."""
    state: dict[str, Any] = {}
    for key, value in records:
        if value is None:
            state.pop(key, None)
        else:
            state[key] = json.loads(value)
    return state


@dataclass
class Diff:
    lost: list[str] = field(default_factory=list)  # in the reference, missing from the run
    extra: list[str] = field(default_factory=list)  # in the run, not in the reference
    differing: list[str] = field(default_factory=list)  # in both, values differ
    same: int = 0
    examples: dict[str, list[str]] = field(default_factory=dict)  # key → differing paths (a few)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.extra or self.differing)


def diff_paths(a: Any, b: Any, path: str = "", limit: int = 5) -> list[str]:
    """Where two JSON values differ (JSON-pointer-like paths), at most `limit`."""
    out: list[str] = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}/{k} ({'missing' if k not in b else 'extra'})")
            elif a[k] != b[k]:
                out.extend(diff_paths(a[k], b[k], f"{path}/{k}", limit))
            if len(out) >= limit:
                break
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                out.extend(diff_paths(x, y, f"{path}/{i}", limit))
            if len(out) >= limit:
                break
    elif a != b:
        if isinstance(a, list) and isinstance(b, list):
            out.append(f"{path} (length {len(a)} vs {len(b)})")
        else:
            out.append(f"{path}: {json.dumps(a, ensure_ascii=False)[:60]} vs {json.dumps(b, ensure_ascii=False)[:60]}")
    return out[:limit]


def compare(reference: Mapping[str, Any], run: Mapping[str, Any],
            volatile: frozenset[str] = VOLATILE) -> Diff:
    """Key-by-key comparison of two compacted states, volatile timestamps aside."""
    d = Diff()
    d.lost = sorted(set(reference) - set(run))
    d.extra = sorted(set(run) - set(reference))
    for key in sorted(set(reference) & set(run)):
        a, b = strip_volatile(reference[key], volatile), strip_volatile(run[key], volatile)
        if a == b:
            d.same += 1
        else:
            d.differing.append(key)
            if len(d.examples) < 10:
                d.examples[key] = diff_paths(a, b)
    return d


@dataclass
class Duplicates:
    facts_records: int  # facts.v1 records whose fact_id was already seen (redeliveries)
    facts_distinct: int
    in_article_results: int  # fact_ids listed twice within one article result
    in_aggregates: int  # source fact_ids listed twice within one aggregate (a replay counted twice)
    across_articles: int  # fact_ids present in two different article results

    @property
    def counted_twice(self) -> int:
        return self.in_article_results + self.in_aggregates + self.across_articles


def _aggregate_fact_ids(value: Mapping[str, Any]) -> list[list[str]]:
    """The source fact ids of an aggregate, in groups where each fact may appear once: an event's
    sources, a series' points, a target's statements, each title span of a person (one person
    fact with two titles rightly sits in two spans)."""
    kind = value.get("type")
    groups: list[list[Mapping[str, Any]]] = []
    if kind == "event":
        groups = [list(value.get("sources", []))]
    elif kind == "series":
        groups = [[p["source"] for p in value.get("points", [])]]
    elif kind == "target":
        groups = [[s["source"] for s in value.get("statements", [])]]
    elif kind == "person":
        groups = [list(t.get("sources", [])) for t in value.get("titles", [])]
    return [[r["fact_id"] for r in refs if r.get("fact_id")] for refs in groups]


def duplicates(fact_ids_on_topic: Iterable[str], state: Mapping[str, Any]) -> Duplicates:
    """Duplicate facts: redelivered records on facts.v1, and facts counted twice in results."""
    on_topic = Counter(fact_ids_on_topic)
    in_articles = 0
    in_aggregates = 0
    owner: Counter[str] = Counter()
    for value in state.values():
        if value.get("type") == "article":
            ids = [f["fact_id"] for f in value.get("facts", [])]
            in_articles += len(ids) - len(set(ids))
            owner.update(set(ids))
        else:
            for ids in _aggregate_fact_ids(value):
                in_aggregates += len(ids) - len(set(ids))
    return Duplicates(
        facts_records=sum(n - 1 for n in on_topic.values()),
        facts_distinct=len(on_topic),
        in_article_results=in_articles,
        in_aggregates=in_aggregates,
        across_articles=sum(1 for n in owner.values() if n > 1),
    )
