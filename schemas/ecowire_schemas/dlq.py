"""dlq.v1: a message a stage could not process.

The record value is the ORIGINAL bytes, untouched, so it can be inspected and replayed (unless the
original would not fit in a record: then its first bytes, with its size and SHA-256 in headers); the
record key is the original key; everything about the failure travels in headers (names in `common`).
`DeadLetter` is the typed view of those headers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from .common import (
    H_DLQ_ERROR_CLASS,
    H_DLQ_ERROR_MESSAGE,
    H_DLQ_FAILED_AT,
    H_DLQ_ORIGINAL_SHA256,
    H_DLQ_ORIGINAL_SIZE,
    H_DLQ_REASON,
    H_DLQ_SOURCE_OFFSET,
    H_DLQ_SOURCE_PARTITION,
    H_DLQ_SOURCE_TOPIC,
    H_DLQ_STAGE,
    H_SCHEMA_VERSION,
    Contract,
)

Stage = Literal["fetcher", "normalizer", "extractor", "aggregator"]


class DeadLetter(Contract):
    schema_version: Literal[1] = 1
    stage: Stage
    reason: str = Field(description="Short machine-readable reason, e.g. malformed_json, too_large")
    error_class: str
    error_message: str = Field(max_length=2000)
    source_topic: str
    source_partition: int
    source_offset: int
    failed_at: datetime
    # Set when the original was too large to travel whole (the value is then its first bytes): its
    # size and SHA-256; the original itself stays at source_topic/partition/offset.
    original_size: int | None = Field(default=None, ge=0)
    original_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    def to_headers(self) -> dict[str, str]:
        bounded = {H_DLQ_ORIGINAL_SIZE: str(self.original_size), H_DLQ_ORIGINAL_SHA256: self.original_sha256 or ""}
        return ({} if self.original_size is None else bounded) | {
            H_SCHEMA_VERSION: str(self.schema_version),
            H_DLQ_STAGE: self.stage,
            H_DLQ_REASON: self.reason,
            H_DLQ_ERROR_CLASS: self.error_class,
            H_DLQ_ERROR_MESSAGE: self.error_message,
            H_DLQ_SOURCE_TOPIC: self.source_topic,
            H_DLQ_SOURCE_PARTITION: str(self.source_partition),
            H_DLQ_SOURCE_OFFSET: str(self.source_offset),
            H_DLQ_FAILED_AT: self.failed_at.isoformat(),
        }

    @classmethod
    def from_headers(cls, headers: dict[str, str]) -> DeadLetter:
        return cls(
            stage=headers[H_DLQ_STAGE],
            reason=headers[H_DLQ_REASON],
            error_class=headers[H_DLQ_ERROR_CLASS],
            error_message=headers[H_DLQ_ERROR_MESSAGE],
            source_topic=headers[H_DLQ_SOURCE_TOPIC],
            source_partition=int(headers[H_DLQ_SOURCE_PARTITION]),
            source_offset=int(headers[H_DLQ_SOURCE_OFFSET]),
            failed_at=datetime.fromisoformat(headers[H_DLQ_FAILED_AT]),
            original_size=int(headers[H_DLQ_ORIGINAL_SIZE]) if H_DLQ_ORIGINAL_SIZE in headers else None,
            original_sha256=headers.get(H_DLQ_ORIGINAL_SHA256),
        )
