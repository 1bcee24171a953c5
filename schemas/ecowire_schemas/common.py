"""Pieces every contract shares: header names, the base model, id hashing."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

# Kafka header names. `schema-version` repeats the model's `schema_version` so a consumer can route
# a message without parsing it; `ecowire-ingested-at` carries the ingest time through every stage
# for end-to-end latency.
H_SCHEMA_VERSION = "schema-version"
H_INGESTED_AT = "ecowire-ingested-at"
H_RECORD = "ecowire-record"  # on facts.v1: "fact" or "extraction"; on results.v1: the result kind
# On a record `ecowire reprocess` re-published onto articles.v1 (value: the run's start time, ISO)
# and on the extractor's outputs for it. Such records carry no `ecowire-ingested-at`: they are
# not fresh ingests and must not count in the ingest → result latency.
H_REPROCESS = "ecowire-reprocess"

# Dead-letter headers (values are UTF-8 strings).
H_DLQ_STAGE = "dlq-stage"
H_DLQ_ERROR_CLASS = "dlq-error-class"
H_DLQ_ERROR_MESSAGE = "dlq-error-message"
H_DLQ_REASON = "dlq-reason"
H_DLQ_SOURCE_TOPIC = "dlq-source-topic"
H_DLQ_SOURCE_PARTITION = "dlq-source-partition"
H_DLQ_SOURCE_OFFSET = "dlq-source-offset"
H_DLQ_FAILED_AT = "dlq-failed-at"
H_DLQ_ORIGINAL_SIZE = "dlq-original-size"
H_DLQ_ORIGINAL_SHA256 = "dlq-original-sha256"


class Contract(BaseModel):
    """Base of every topic model.

    Unknown fields are ignored on read (a newer minor producer may add optional fields) and
    models are frozen: a message is a value.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


def stable_id(*parts: object, length: int = 16) -> str:
    """A deterministic id: the first `length` hex digits of SHA-256 over the parts.

    Parts are joined with a unit separator so ("a", "bc") and ("ab", "c") differ.
    """
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8"))
    return h.hexdigest()[:length]


def utcnow() -> datetime:
    return datetime.now(UTC)


class SourceMeta(Contract):
    """What a publisher may say about a document; every field optional."""

    source: str | None = Field(default=None, description="Publisher or site name, e.g. 生态环境部")
    url: str | None = Field(default=None, description="Canonical URL of the document")
    published_at: str | None = Field(
        default=None, description="ISO date or datetime given by the publisher (wins over detection)"
    )
    title: str | None = None
    language: str | None = Field(default=None, description="BCP 47 tag if known, e.g. zh-Hans, zh-Hant")
