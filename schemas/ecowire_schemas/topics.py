"""The one declaration of ecowire's topics: names, versions, partitions, retention, compaction.

Topics are created up front from this list (`ecowire topics create`, the compose init job, the
test fixtures), never by broker auto-creation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from .aggregator import ArticleBundle
from .articles import Article
from .dlq import DeadLetter
from .facts import FactsRecord
from .ingest import IngestRequest
from .raw import RawDocument
from .results import Result

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    base: str  # e.g. "ingest"
    version: int
    model: Any  # a pydantic model or an Annotated union
    key: str  # what the record key holds
    description: str
    partitions: int | None = None  # None: the default partition count of the deployment
    compacted: bool = False
    retention_ms: int = 7 * DAY_MS
    extra_config: dict[str, str] = field(default_factory=dict)

    def name(self, prefix: str = "ecowire.") -> str:
        return f"{prefix}{self.base}.v{self.version}"

    def config(self) -> dict[str, str]:
        cfg = {"cleanup.policy": "compact" if self.compacted else "delete"}
        if not self.compacted:
            cfg["retention.ms"] = str(self.retention_ms)
        else:
            # Keep tombstones a day; compact eagerly enough that restore stays short.
            cfg["delete.retention.ms"] = str(DAY_MS)
            cfg["min.cleanable.dirty.ratio"] = "0.1"
            cfg["segment.ms"] = str(3600 * 1000)
        cfg.update(self.extra_config)
        return cfg

    def adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.model)


# Messages may carry up to 8 MiB (a large page as text); the fetcher caps bodies below that.
BIG = {"max.message.bytes": str(8 * 1024 * 1024)}

TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec("ingest", 1, IngestRequest, "doc_id", "Documents to process (URL or inline content)", extra_config=BIG),
    TopicSpec("raw", 1, RawDocument, "doc_id", "Fetched/decoded documents", extra_config=BIG),
    # Compacted by article_id: the latest record of every article is kept for good, so
    # `ecowire reprocess` can run a newer extractor over history (docs/operations.md, "Reprocessing").
    TopicSpec("articles", 1, Article, "article_id", "Clean articles",
              compacted=True, extra_config=BIG),
    # Every topic takes what the producers may send (8 MiB): a record the broker refuses after the
    # client accepted it leaves an idempotent producer's sequence broken (OutOfOrderSequenceNumber).
    TopicSpec("facts", 1, FactsRecord, "article_id", "One record per fact, then one extraction record",
              extra_config=BIG),
    TopicSpec(
        "results", 1, Result, "<type>:<id>", "Article results and latest aggregate states", compacted=True,
        extra_config=BIG,
    ),
    TopicSpec("dlq", 1, DeadLetter, "original key", "Dead letters: original bytes + dlq-* headers",
              retention_ms=30 * DAY_MS, extra_config=BIG),
    # Changelogs: co-partitioned with the topic whose state they back.
    # The aggregator's repartition topic and its changelog: one partition on purpose, since
    # duplicates and cross-article aggregates need every article in one place and one order.
    TopicSpec("aggregator-bundles", 1, ArticleBundle, "article_id",
              "Completed articles (extraction record + facts) re-keyed onto one partition for aggregation",
              partitions=1, compacted=True, extra_config=BIG),
    TopicSpec("aggregator-state", 1, None, "article:<article_id> | offset:<partition>",
              "Aggregator state changelog, co-partitioned with aggregator-bundles",
              partitions=1, compacted=True, extra_config=BIG),
    TopicSpec("fetcher-state", 1, None, "seen:<source>:<hash> | source:<source> | validators:<hash>",
              "Fetcher seen items and conditional-GET validators",
              partitions=1, compacted=True, extra_config=BIG),
)

BY_BASE = {t.base: t for t in TOPICS}


def topic(base: str, prefix: str = "ecowire.") -> str:
    """Full topic name for a base name: topic("facts") == "ecowire.facts.v1"."""
    return BY_BASE[base].name(prefix)
