"""Inline ingest requests to raw documents (no I/O)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from ecowire.core.records import Reject
from ecowire.fetcher.logic import inline_document
from ecowire_schemas.common import SourceMeta
from ecowire_schemas.ingest import IngestRequest
from tests.support import SEEDS

NOW = datetime(2024, 12, 12, 8, 5, tzinfo=UTC)


def test_text_passes_through() -> None:
    req = IngestRequest(content="<p>生态环境部</p>", metadata=SourceMeta(source="生态环境部"))
    doc = inline_document(req, NOW)
    assert (doc.text, doc.encoding, doc.encoding_source, doc.content_type) == (
        "<p>生态环境部</p>", "utf-8", "inline-text", "text/html")
    assert doc.doc_id == req.effective_doc_id() and doc.metadata.source == "生态环境部"
    assert doc.byte_length == len("<p>生态环境部</p>".encode()) and doc.ingested_at == NOW and doc.origin == "inline"


@pytest.mark.parametrize("codec", ["utf-8", "gb18030", "big5hkscs"])
def test_seed_bytes_in_any_charset(codec: str) -> None:
    text = (SEEDS / "002_83f491876b27a32f.txt").read_text("utf-8")
    data = text.encode(codec, errors="ignore")
    doc = inline_document(IngestRequest(content_b64=base64.b64encode(data).decode()), NOW)
    assert doc.text == data.decode(codec) and doc.byte_length == len(data)
    assert doc.encoding_source == "detected" and doc.content_type == "text/plain"


def test_failures_say_why() -> None:
    for req, reason in [
        (IngestRequest(content="   \n"), "empty"),
        (IngestRequest(content_b64=base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\x00").decode()), "binary"),
        (IngestRequest(content_b64="not base64!"), "invalid_schema"),
    ]:
        with pytest.raises(Reject) as e:
            inline_document(req, NOW)
        assert e.value.reason == reason
    with pytest.raises(ValueError):
        inline_document(IngestRequest(url="https://example.org/"))
