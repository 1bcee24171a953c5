"""raw.v1: a fetched or inline document, decoded to text, with how it was obtained."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from .common import Contract, SourceMeta


class FetchInfo(Contract):
    """How the bytes were obtained (absent for inline content)."""

    url: str
    final_url: str = Field(description="URL after redirects")
    status: int
    etag: str | None = None
    last_modified: str | None = None
    redirects: int = 0
    elapsed_ms: float | None = None


class RawDocument(Contract):
    schema_version: Literal[1] = 1
    doc_id: str
    text: str = Field(description="The document decoded to text (HTML or plain)")
    content_type: str = Field(description="text/html or text/plain (detected when not given)")
    encoding: str = Field(description="Charset the bytes were decoded from, e.g. utf-8, gb18030, big5")
    encoding_source: Literal["declared", "detected", "inline-text", "bom"] = "detected"
    byte_length: int = Field(ge=0)
    metadata: SourceMeta = Field(default_factory=SourceMeta)
    fetch: FetchInfo | None = None
    origin: Literal["inline", "url", "feed"] = "inline"
    ingested_at: datetime = Field(description="When the fetcher accepted the request (UTC)")
