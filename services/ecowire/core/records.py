"""Plain-data records in and out of a stage, their decoding, and dead-letter construction.

No Kafka client here: a stage's shell turns broker messages into `InRecord`s and `OutRecord`s
into produce calls; everything in between is testable without a broker.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from ecowire_schemas.common import H_INGESTED_AT, H_RECORD, H_SCHEMA_VERSION
from ecowire_schemas.dlq import DeadLetter


@dataclass(frozen=True)
class InRecord:
    """A consumed record as plain data."""

    value: bytes
    key: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    topic: str = ""
    partition: int = 0
    offset: int = 0
    timestamp_ms: int | None = None


@dataclass(frozen=True)
class OutRecord:
    """A record to produce: a contract model (or raw bytes, or None for a tombstone), its key and topic.

    Stateful stages also need: raw `bytes` values (a changelog store encodes its own values), `None`
    (a tombstone on a compacted topic), an explicit `partition` (a changelog partition backs the
    input partition of the same number, whatever the key hashes to), `wave` (waves are produced in
    order, each acknowledged before the next is sent: results before the changelog that says they
    were applied) and `on_ack` (called with the broker's record metadata once the whole batch was
    acknowledged, before the input is committed)."""

    topic: str
    key: str
    value: BaseModel | bytes | None
    record_type: str | None = None  # the ecowire-record header, where a topic carries several kinds
    ingested_at: datetime | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()  # e.g. the reprocess mark, carried on
    partition: int | None = None
    wave: int = 0
    # schema-version header for a bytes value or a tombstone (a model carries its own); None: no header
    schema_version: int | None = None
    on_ack: Callable[[Any], None] | None = field(default=None, compare=False)

    @cached_property
    def encoded(self) -> bytes | None:
        if self.value is None or isinstance(self.value, bytes):
            return self.value
        return self.value.model_dump_json().encode("utf-8")

    def encode(self) -> bytes | None:
        """The value as JSON, encoded once (a size check and the producer both need it)."""
        return self.encoded

    def headers(self) -> dict[str, str]:
        h: dict[str, str] = {}
        version = getattr(self.value, "schema_version", 1) if isinstance(self.value, BaseModel) else self.schema_version
        if version is not None:
            h[H_SCHEMA_VERSION] = str(version)
        if self.record_type:
            h[H_RECORD] = self.record_type
        if self.ingested_at is not None:
            h[H_INGESTED_AT] = self.ingested_at.isoformat()
        h.update(self.extra_headers)
        return h


class Reject(Exception):
    """The input cannot be processed, now or ever: it goes to the dead-letter topic.

    `reason` is a short machine-readable word (it becomes a metric label, so keep the vocabulary
    small): malformed_json, unsupported_schema_version, invalid_schema, empty, binary, too_large,
    unreachable, refused, ...
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __reduce__(self) -> tuple[type[Reject], tuple[str, str]]:
        # raised in a worker process and re-raised in the service: must survive pickling
        return (Reject, (self.reason, self.message))


def from_consumer_record(raw: Any) -> InRecord:
    """An aiokafka ConsumerRecord (or anything shaped like one) as plain data."""
    return InRecord(value=raw.value or b"", key=raw.key, headers=decode_headers(raw.headers), topic=raw.topic,
                    partition=raw.partition, offset=raw.offset, timestamp_ms=raw.timestamp)


def decode_headers(raw: Any) -> dict[str, str]:
    """Kafka headers (a sequence of (str, bytes)) as a dict; undecodable values are replaced."""
    out: dict[str, str] = {}
    for k, v in raw or ():
        out[k] = v.decode("utf-8", "replace") if isinstance(v, bytes | bytearray) else str(v)
    return out


def decode(adapter: TypeAdapter[Any], record: InRecord, expected_version: int = 1) -> Any:
    """Parse a record's JSON value into its contract model, or raise `Reject` saying why."""
    header_version = record.headers.get(H_SCHEMA_VERSION)
    if header_version is not None and "\ufffd" in header_version:
        raise Reject("invalid_header", f"header {H_SCHEMA_VERSION} is not UTF-8 text: {header_version!r}")
    if header_version is not None and header_version != str(expected_version):
        raise Reject(
            "unsupported_schema_version",
            f"header {H_SCHEMA_VERSION}={header_version!r}, this stage reads version {expected_version}",
        )
    if not record.value:
        raise Reject("empty", "record value is empty")
    try:
        text = record.value.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Reject("malformed_json", f"value is not UTF-8 JSON: {e}") from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise Reject("malformed_json", f"value is not JSON: {e}") from e
    except ValueError as e:  # an integer of more than 4,300 digits (Python's int conversion limit)
        raise Reject("malformed_json", f"value is not JSON ecowire reads: {e}") from e
    except RecursionError as e:  # [[[[…]]]] 20,000 deep: no contract nests like that
        raise Reject("json_too_deep", "value nests deeper than the JSON parser's recursion limit") from e
    if _SURROGATE_ESCAPE.search(text):
        try:
            data = _mend_surrogates(data)
        except RecursionError as e:
            raise Reject("json_too_deep", "value nests deeper than the recursion limit") from e
    if not isinstance(data, dict):
        raise Reject("invalid_schema", f"expected a JSON object, got {type(data).__name__}")
    version = data.get("schema_version", expected_version)
    if version != expected_version or isinstance(version, bool):  # JSON true == 1 in Python
        raise Reject(
            "unsupported_schema_version", f"schema_version={version!r}, this stage reads {expected_version}"
        )
    try:
        return adapter.validate_python(data)
    except ValidationError as e:
        raise Reject("invalid_schema", _short(str(e))) from e


# JSON may escape half of a surrogate pair ("\ud800"); Python then holds a string no encoder takes.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _mend_surrogates(value: Any) -> Any:
    """Pairs become their character, a lone half becomes U+FFFD (as any decoder would make it)."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [_mend_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_mend_surrogates(k): _mend_surrogates(v) for k, v in value.items()}
    return value


def dead_letter(stage: str, record: InRecord, reason: str, error: BaseException) -> DeadLetter:
    return DeadLetter(
        stage=stage,
        reason=reason,
        error_class=type(error).__name__,
        error_message=_short(str(error) or repr(error)),
        source_topic=record.topic,
        source_partition=record.partition,
        source_offset=record.offset,
        failed_at=datetime.now(UTC),
    )


# A dead letter keeps the original whole up to the message size less this room for its headers;
# beyond, it carries this much of it.
DLQ_HEADROOM = 64 * 1024
DLQ_PREFIX_BYTES = 64 * 1024


def dead_letter_message(stage: str, record: InRecord, reason: str, error: BaseException,
                        max_message_bytes: int) -> tuple[bytes, DeadLetter]:
    """The value and the headers' model of a record's dead letter. An original too large to
    travel whole is cut to a bounded prefix, with its size and hash; it stays where
    dlq-source-topic/partition/offset say."""
    letter = dead_letter(stage, record, reason, error)
    value = record.value
    if len(value) + len(record.key or b"") > max_message_bytes - DLQ_HEADROOM:
        letter = letter.model_copy(update={"original_size": len(value),
                                           "original_sha256": hashlib.sha256(value).hexdigest()})
        value = value[:DLQ_PREFIX_BYTES]
    return value, letter


def ingested_at(record: InRecord) -> datetime | None:
    raw = record.headers.get(H_INGESTED_AT)
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None  # a foreign producer's bad header only costs the latency metric


def _short(s: str, limit: int = 1900) -> str:
    return s if len(s) <= limit else s[: limit - 1] + "…"
