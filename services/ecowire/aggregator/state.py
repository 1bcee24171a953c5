"""The aggregator's durable state: what goes on the internal bundles topic and the changelog.

Two internal topics (see `topics.py`):
- `aggregator-bundles.v1`: one `ArticleBundle` per completed article (its extraction record and
  its facts), re-keyed from facts.v1's many partitions onto ONE partition so the duplicate index
  and every aggregate see all articles in one order;
- `aggregator-state.v1`: the changelog of the state of bundles partition p, on its partition p,
  compacted. Keys: `article:<article_id>` → `StoredArticle`, `offset:<p>` → `OffsetMark`.

Only articles are stored. Everything else (duplicate clusters, events, series, targets, people)
is a deterministic function of the stored articles and is rebuilt on restore, so the changelog
can never disagree with itself. Every stored record carries the bundles offset that produced
it; the largest one is the last applied offset, and a replayed bundle at or below it is skipped.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from ecowire_schemas.aggregator import ArticleBundle
from ecowire_schemas.common import Contract
from ecowire_schemas.facts import ExtractionRecord, Fact


class StoredArticle(Contract):
    """Changelog value for `article:<article_id>`."""

    schema_version: Literal[1] = 1
    kind: Literal["article"] = "article"
    record: ExtractionRecord
    facts: list[Fact] = Field(default_factory=list)
    links: list[str] = Field(
        default_factory=list,
        description="Articles this one was confirmed a (near) duplicate of when it arrived: restore "
        "rebuilds the clusters from these instead of querying the LSH index again",
    )
    completed_at: datetime = Field(description="When the aggregator first applied the article")
    applied_offset: int = Field(description="Bundles-topic offset of the bundle that last changed it")

    @property
    def article_id(self) -> str:
        return self.record.article_id

    def same_content(self, bundle: ArticleBundle) -> bool:
        """True when a bundle would not change this article (a replay, or the same article again)."""
        return (
            self.record.content_hash == bundle.record.content_hash
            and self.record.extractor_version == bundle.record.extractor_version
            and [f.fact_id for f in self.facts] == [f.fact_id for f in bundle.facts]
        )


class OffsetMark(Contract):
    """Changelog value for `offset:<partition>`: an input that changed no article was applied."""

    schema_version: Literal[1] = 1
    kind: Literal["offset"] = "offset"
    partition: int
    applied_offset: int


ChangelogValue = Annotated[StoredArticle | OffsetMark, Field(discriminator="kind")]
_CHANGELOG: TypeAdapter[Any] = TypeAdapter(ChangelogValue)
BUNDLE: TypeAdapter[ArticleBundle] = TypeAdapter(ArticleBundle)


def article_key(article_id: str) -> str:
    return f"article:{article_id}"


def offset_key(partition: int) -> str:
    return f"offset:{partition}"


def encode(value: StoredArticle | OffsetMark) -> bytes:
    return value.model_dump_json().encode("utf-8")


def decode_changelog(value: bytes) -> StoredArticle | OffsetMark:
    """Parse one changelog value; raises ValueError (pydantic's ValidationError) when it is not one."""
    result: StoredArticle | OffsetMark = _CHANGELOG.validate_python(json.loads(value))
    return result


class RestoredState:
    """The latest value of each changelog key, as read from the changelog (tombstones applied)."""

    def __init__(self) -> None:
        self.articles: dict[str, StoredArticle] = {}
        self.applied_offset = -1
        self.records_read = 0
        self.end_offset = 0  # the changelog offset read up to (exclusive)

    def apply(self, key: str, value: bytes | None) -> None:
        self.records_read += 1
        if key.startswith("article:"):
            article_id = key.removeprefix("article:")
            if value is None:
                self.articles.pop(article_id, None)
                return
            stored = decode_changelog(value)
            if not isinstance(stored, StoredArticle):
                raise ValueError(f"changelog key {key!r} holds a {stored.kind!r} record")
            self.articles[article_id] = stored
            self.applied_offset = max(self.applied_offset, stored.applied_offset)
        elif key.startswith("offset:"):
            if value is None:
                return
            mark = decode_changelog(value)
            if not isinstance(mark, OffsetMark):
                raise ValueError(f"changelog key {key!r} holds a {mark.kind!r} record")
            self.applied_offset = max(self.applied_offset, mark.applied_offset)
        else:
            raise ValueError(f"unknown changelog key {key!r}")
