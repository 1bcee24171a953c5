"""An ingest request in, a raw document out: plain logic, no Kafka.

    outcome = await fetch_request(req, ctx)   # raises Reject(reason, message) when the document is lost

Inline content is decoded (text passes through; base64 bytes get charset detection) and handed
on. A URL is fetched with `HttpFetcher`; its ETag / Last-Modified are remembered per (doc_id,
URL) so the next request for the same document is a conditional GET. A 304 (not modified)
publishes nothing: the document was published when it was first fetched, nothing downstream
would change, and it is not a failure (no dead letter); it is counted as
`ecowire_fetch_total{outcome="not_modified"}` and the ingest record is committed.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ecowire.core import metrics
from ecowire.core.records import Reject
from ecowire_schemas.common import SourceMeta, utcnow
from ecowire_schemas.ingest import IngestRequest
from ecowire_schemas.raw import FetchInfo, RawDocument

from .decode import decode_bytes, sniff_content_type
from .http import FetchError, HttpFetcher, Validators
from .state import StateStore, StateValue, UrlValidators, validators_key

# Room for the JSON envelope around the text when checking the output against the message cap.
ENVELOPE_BYTES = 64 * 1024


@dataclass(frozen=True)
class RecordRef:
    """Where an ingest request came from (topic, partition, offset)."""

    topic: str = ""
    partition: int = -1
    offset: int = -1


@dataclass
class FetchContext:
    fetcher: HttpFetcher
    state: StateStore = field(default_factory=StateStore)
    max_message_bytes: int = 8 * 1024 * 1024
    now: Callable[[], datetime] = utcnow


@dataclass(frozen=True)
class FetchOutcome:
    document: RawDocument | None  # None: not modified since it was last published
    state: list[tuple[str, StateValue]] = field(default_factory=list)  # to persist with the document


async def fetch_request(req: IngestRequest, ctx: FetchContext, ref: RecordRef | None = None) -> FetchOutcome:
    """Turn one ingest request into a raw document (or nothing, when not modified)."""
    received = ctx.now()
    doc_id = req.effective_doc_id()
    if req.url is None:
        doc = inline_document(req, received)
        metrics.FETCHES.labels("inline").inc()
        _check_size(doc, ctx)
        return FetchOutcome(doc)

    url = req.url.strip()
    key = validators_key(doc_id, url)
    ref = ref or RecordRef()
    validators = _usable_validators(ctx.state.get(key), ref)
    try:
        res = await ctx.fetcher.fetch(url, validators)
    except FetchError as e:
        raise Reject(e.reason, e.message) from e
    if res.not_modified:
        return FetchOutcome(None)
    if not res.body:
        raise Reject("empty", f"{res.final_url} answered {res.status} with an empty body")
    decoded = decode_bytes(res.body, res.content_type)
    meta = req.metadata if req.metadata.url else req.metadata.model_copy(update={"url": res.final_url})
    doc = RawDocument(
        doc_id=doc_id,
        text=decoded.text,
        content_type=sniff_content_type(res.content_type or req.content_type, decoded.text),
        encoding=decoded.encoding,
        encoding_source=decoded.source,
        byte_length=len(res.body),
        metadata=meta,
        fetch=FetchInfo(
            url=url,
            final_url=res.final_url,
            status=res.status,
            etag=res.etag,
            last_modified=res.last_modified,
            redirects=res.redirects,
            elapsed_ms=round(res.elapsed_ms, 1),
        ),
        origin="url",
        ingested_at=received,
    )
    _check_size(doc, ctx)
    state: list[tuple[str, StateValue]] = []
    if res.validators:
        entry = UrlValidators(
            url=url, doc_id=doc_id, etag=res.etag, last_modified=res.last_modified,
            source_topic=ref.topic, source_partition=ref.partition, source_offset=ref.offset, at=received,
        )
        ctx.state.remember(key, entry)
        state.append((key, entry))
    return FetchOutcome(doc, state)


def _usable_validators(stored: StateValue | None, ref: RecordRef) -> Validators | None:
    if not isinstance(stored, UrlValidators):
        return None
    if ref.offset >= 0 and (stored.source_topic, stored.source_partition, stored.source_offset) == (
        ref.topic, ref.partition, ref.offset,
    ):
        # This very record stored them, so its document may never have been confirmed: refetch.
        return None
    return Validators(stored.etag, stored.last_modified) or None


def inline_document(req: IngestRequest, received: datetime | None = None) -> RawDocument:
    """The raw document of an inline request (text passes through, bytes are decoded); no I/O.

    Raises `Reject` (binary, undecodable, empty, invalid_schema). `ecowire extract` uses it too.
    """
    if req.content is None and req.content_b64 is None:
        raise ValueError("inline_document needs content or content_b64, not a URL")
    if req.content is not None:
        text = req.content
        encoding, source, length = "utf-8", "inline-text", len(text.encode("utf-8"))
    else:
        try:
            data = req.payload_bytes() or b""
        except (binascii.Error, ValueError) as e:
            raise Reject("invalid_schema", f"content_b64 is not valid base64: {e}") from e
        decoded = decode_bytes(data, req.content_type)
        text, encoding, source, length = decoded.text, decoded.encoding, decoded.source, len(data)
    if not text.strip():
        raise Reject("empty", "inline content is empty")
    meta: SourceMeta = req.metadata
    return RawDocument(
        doc_id=req.effective_doc_id(),
        text=text,
        content_type=sniff_content_type(req.content_type, text),
        encoding=encoding,
        encoding_source=source,
        byte_length=length,
        metadata=meta,
        origin="inline",
        ingested_at=received or utcnow(),
    )


def _check_size(doc: RawDocument, ctx: FetchContext) -> None:
    size = len(doc.model_dump_json().encode("utf-8"))
    if size > ctx.max_message_bytes - ENVELOPE_BYTES:
        raise Reject("too_large", f"the raw document would be {size} bytes, over the {ctx.max_message_bytes}-byte "
                                  "message limit")
