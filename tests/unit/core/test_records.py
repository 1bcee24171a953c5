"""Decoding input records: every kind of bad input has its own reason."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from ecowire.core.records import InRecord, OutRecord, Reject, dead_letter, decode, ingested_at
from ecowire_schemas import DeadLetter, IngestRequest

ADAPTER = TypeAdapter(IngestRequest)


def reason_for(value: bytes, headers: dict[str, str] | None = None) -> str:
    with pytest.raises(Reject) as e:
        decode(ADAPTER, InRecord(value=value, headers=headers or {}))
    return e.value.reason


@pytest.mark.parametrize(
    ("value", "headers", "reason"),
    [
        (b"", None, "empty"),
        (b"{not json", None, "malformed_json"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", None, "malformed_json"),
        (b'[1, 2]', None, "invalid_schema"),
        (b'{"schema_version": 2, "url": "https://a.example"}', None, "unsupported_schema_version"),
        (b'{"url": "https://a.example"}', {"schema-version": "3"}, "unsupported_schema_version"),
        (b'{"schema_version": 1}', None, "invalid_schema"),
        (b'{"schema_version": 1, "url": 5}', None, "invalid_schema"),
        (b"[" * 20_000 + b"]" * 20_000, None, "json_too_deep"),
        (b'{"url": "https://a.example"}', {"schema-version": "\ufffd\ufffd"}, "invalid_header"),
    ],
)
def test_bad_inputs_are_rejected_with_a_reason(value: bytes, headers: dict[str, str] | None, reason: str) -> None:
    assert reason_for(value, headers) == reason


def test_a_good_record_decodes() -> None:
    req = decode(ADAPTER, InRecord(value=b'{"schema_version": 1, "content": "\xe6\x96\x87"}'))
    assert req.content == "文"


def test_dead_letter_headers_round_trip() -> None:
    rec = InRecord(value=b"x", topic="ecowire.ingest.v1", partition=2, offset=41)
    letter = dead_letter("fetcher", rec, "malformed_json", ValueError("bad"))
    back = DeadLetter.from_headers(letter.to_headers())
    assert back == letter
    assert (back.source_topic, back.source_partition, back.source_offset) == ("ecowire.ingest.v1", 2, 41)


def test_out_record_carries_version_kind_and_ingest_time() -> None:
    req = IngestRequest(content="x")
    rec = InRecord(value=b"", headers={"ecowire-ingested-at": "2024-12-12T08:00:00+00:00"})
    t = ingested_at(rec)
    out = OutRecord("t", "k", req, record_type="fact", ingested_at=t)
    assert out.headers() == {"schema-version": "1", "ecowire-record": "fact",
                             "ecowire-ingested-at": "2024-12-12T08:00:00+00:00"}
    assert ingested_at(InRecord(value=b"", headers={"ecowire-ingested-at": "garbage"})) is None


def test_escaped_surrogates_are_mended_not_fatal() -> None:
    """JSON may escape half a surrogate pair; no encoder takes the string Python makes of it."""
    from pydantic import TypeAdapter

    from ecowire.core.records import InRecord, decode
    from ecowire_schemas import IngestRequest

    value = b'{"content": "\\ud800 lone, \\ud83d\\ude00 paired", "metadata": {"title": "\\udfff"}}'
    req = decode(TypeAdapter(IngestRequest), InRecord(value=value))
    assert req.content == "\ufffd lone, \U0001f600 paired"
    assert req.metadata.title == "\ufffd"
    req.model_dump_json().encode("utf-8")  # encodable again


def test_an_integer_past_pythons_digit_limit_is_malformed_json_not_a_stage_error() -> None:
    from pydantic import TypeAdapter

    from ecowire.core.records import InRecord, Reject, decode
    from ecowire_schemas import IngestRequest

    value = b'{"content": "x", "n": ' + b"7" * 5000 + b"}"
    with pytest.raises(Reject) as e:
        decode(TypeAdapter(IngestRequest), InRecord(value=value))
    assert e.value.reason == "malformed_json"


def test_every_topic_takes_what_the_producers_may_send() -> None:
    """A record the client accepts and the broker refuses breaks an idempotent producer's sequence."""
    from ecowire.core.settings import Settings
    from ecowire_schemas.topics import TOPICS

    limit = Settings().max_message_bytes
    for t in TOPICS:
        assert int(t.config().get("max.message.bytes", 1_048_588)) >= limit, t.base


def test_schema_version_true_is_not_version_one() -> None:
    from pydantic import TypeAdapter

    from ecowire.core.records import InRecord, Reject, decode
    from ecowire_schemas import IngestRequest

    with pytest.raises(Reject) as e:
        decode(TypeAdapter(IngestRequest), InRecord(value=b'{"schema_version": true, "content": "x"}'))
    assert e.value.reason == "unsupported_schema_version"
