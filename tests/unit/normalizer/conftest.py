"""Builders for the normalizer tests: seed documents and HTML pages as RawDocuments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ecowire.normalizer.fold import fold_chars
from ecowire_schemas import Article, RawDocument, SourceMeta

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def make_raw(
    text: str, content_type: str = "text/plain", doc_id: str = "doc", encoding: str = "utf-8",
    meta: SourceMeta | None = None,
) -> RawDocument:
    return RawDocument(
        doc_id=doc_id, text=text, content_type=content_type, encoding=encoding,
        byte_length=len(text.encode("utf-8", "surrogatepass")), metadata=meta or SourceMeta(),
        ingested_at=T0,
    )


def seed_text(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def check_offsets(raw: RawDocument, art: Article) -> None:
    """Every segment maps article text back to the raw characters it came from (folding aside),
    segments do not overlap, and every non-whitespace character of the text is covered unless it
    is an inserted separator or a decoded entity."""
    covered = [False] * len(art.text)
    last_end = 0
    for seg in art.offsets:
        assert seg.start >= last_end, "segments overlap or are unsorted"
        last_end = seg.start + seg.length
        got = art.text[seg.start : seg.start + seg.length]
        src = raw.text[seg.orig_start : seg.orig_start + seg.length]
        assert len(src) == seg.length
        assert got == fold_chars(src), (got[:40], src[:40])
        for i in range(seg.start, seg.start + seg.length):
            covered[i] = True
    assert last_end <= len(art.text)


@pytest.fixture
def raw_of() -> Callable[..., RawDocument]:
    return make_raw
