"""ingest.v1: what publishers put on the ingest topic."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Literal, Self

from pydantic import Field, model_validator

from .common import Contract, SourceMeta, stable_id


class IngestRequest(Contract):
    """A document to process: a URL to fetch, or inline content (text, or base64 bytes).

    Exactly one of `url`, `content`, `content_b64` is set. `doc_id` is optional: when absent it is
    derived from the URL or the content, so publishing the same thing twice yields the same id.
    """

    schema_version: Literal[1] = 1
    doc_id: str | None = Field(default=None, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
    url: str | None = Field(default=None, max_length=4096, description="http(s) URL to fetch")
    content: str | None = Field(default=None, description="Inline document as text (HTML or plain)")
    content_b64: str | None = Field(
        default=None, description="Inline document as base64 bytes in any encoding (UTF-8, GBK, Big5…)"
    )
    content_type: str | None = Field(default=None, description="e.g. text/html, text/plain")
    metadata: SourceMeta = Field(default_factory=SourceMeta)
    submitted_at: datetime | None = Field(
        default=None, description="When the publisher sent it; start of end-to-end latency"
    )

    @model_validator(mode="after")
    def _one_payload(self) -> Self:
        given = [f for f in ("url", "content", "content_b64") if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError(f"exactly one of url, content, content_b64 must be set (got {given or 'none'})")
        if self.url is not None and not self.url.strip():
            raise ValueError("url is empty")
        return self

    def payload_bytes(self) -> bytes | None:
        """The inline content as bytes, or None for a URL request."""
        if self.content is not None:
            return self.content.encode("utf-8")
        if self.content_b64 is not None:
            return base64.b64decode(self.content_b64, validate=True)
        return None

    def effective_doc_id(self) -> str:
        if self.doc_id:
            return self.doc_id
        if self.url is not None:
            return "u-" + stable_id("url", self.url.strip())
        return "c-" + stable_id("content", self.payload_bytes() or b"")
