"""aggregator-bundles.v1: the aggregator's internal repartition topic.

The aggregator's first step gathers an article's facts from facts.v1 until its extraction record
arrives, then publishes the whole article as one bundle onto a single-partition topic, where the
second step holds the cross-article state (see docs/aggregator.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .common import Contract
from .facts import ExtractionRecord, Fact


class ArticleBundle(Contract):
    """A completed article: the extraction record that closed it and the facts it listed."""

    schema_version: Literal[1] = 1
    record: ExtractionRecord
    facts: list[Fact] = Field(default_factory=list)
    source_topic: str = Field(description="facts topic the bundle was assembled from")
    source_partition: int
    source_offset: int = Field(description="Offset of the extraction record on the facts topic")
    missing_fact_ids: list[str] = Field(
        default_factory=list, description="Ids the extraction record listed but no fact record carried"
    )

    @property
    def article_id(self) -> str:
        return self.record.article_id
