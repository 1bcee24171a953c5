"""Step 1 of the aggregator: gather an article's facts from facts.v1 until its extraction record
closes it, then hand the whole article on as one bundle.

The pending facts are NOT a durable state: the shell commits a facts partition only up to the
first offset of the oldest article still open on it, so after a crash or a rebalance the facts
of every open article are simply read again. Facts are kept by fact_id, so reading one twice
(an extractor retry) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ecowire_schemas.facts import ExtractionRecord, FactBase

from .state import ArticleBundle


@dataclass
class _Open:
    first_offset: int
    facts: dict[str, FactBase] = field(default_factory=dict)


@dataclass
class Assembler:
    """Open articles per facts partition."""

    open: dict[int, dict[str, _Open]] = field(default_factory=dict)

    def add_fact(self, partition: int, offset: int, fact: FactBase) -> None:
        articles = self.open.setdefault(partition, {})
        entry = articles.get(fact.article_id)
        if entry is None:
            entry = articles[fact.article_id] = _Open(first_offset=offset)
        entry.facts[fact.fact_id] = fact

    def close(self, topic: str, partition: int, offset: int, record: ExtractionRecord) -> ArticleBundle:
        """The bundle for an article whose extraction record arrived at `offset`.

        Facts the record does not list (left over from an earlier, abandoned extraction) are
        dropped; ids it lists that no fact record carried are named in `missing_fact_ids`.
        """
        entry = self.open.get(partition, {}).pop(record.article_id, None)
        held = entry.facts if entry is not None else {}
        facts = [held[fid] for fid in record.fact_ids if fid in held]
        missing = [fid for fid in record.fact_ids if fid not in held]
        return ArticleBundle(
            record=record,
            facts=facts,
            source_topic=topic,
            source_partition=partition,
            source_offset=offset,
            missing_fact_ids=missing,
        )

    def safe_commit(self, partition: int, next_offset: int) -> int:
        """The offset a partition may be committed at: never past the first fact of an open article."""
        articles = self.open.get(partition)
        if not articles:
            return next_offset
        return min(next_offset, min(e.first_offset for e in articles.values()))

    def open_count(self, partition: int | None = None) -> int:
        if partition is not None:
            return len(self.open.get(partition, {}))
        return sum(len(a) for a in self.open.values())

    def drop_partition(self, partition: int) -> None:
        """Forget a revoked partition: its new owner reads the open articles again."""
        self.open.pop(partition, None)
