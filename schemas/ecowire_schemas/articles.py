"""articles.v1: one clean article, the extractor's input."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from .common import Contract


class OffsetSegment(Contract):
    """`length` characters from `start` in the article text come from `orig_start` of the raw text.

    Characters the normalizer rewrote (Traditional → Simplified, width folding) keep their
    position; joined layout breaks and removed debris are the gaps between segments.
    """

    start: int = Field(ge=0)
    orig_start: int = Field(ge=0)
    length: int = Field(ge=0)


class Article(Contract):
    schema_version: Literal[1] = 1
    article_id: str = Field(description="Deterministic: doc_id, position in the document, content hash")
    doc_id: str
    index: int = Field(ge=0, description="Position of the article in its document (listing pages hold many)")
    title: str | None
    text: str = Field(description="Normalized text: the title line, a blank line, the body")
    body_start: int = Field(ge=0, description="Offset of the body in `text`")
    published_at: str | None = Field(description="ISO date (or datetime) of publication, null when unknown")
    published_at_source: str | None = Field(
        default=None, description="Where the date came from (publisher, meta, text, url), or why it is null"
    )
    source: str | None = None
    byline: str | None = None
    url: str | None = None
    language: str = "zh-Hans"
    original_script: Literal["simplified", "traditional", "mixed", "unknown"] = "unknown"
    content_hash: str = Field(description="SHA-256 of the normalized body (exact duplicates)")
    minhash: list[int] = Field(default_factory=list, description="MinHash signature of the body shingles")
    offsets: list[OffsetSegment] = Field(default_factory=list, description="Map back to the raw text")
    flags: list[str] = Field(default_factory=list, description="e.g. truncated, navigation_only, no_date")
    ingested_at: datetime
