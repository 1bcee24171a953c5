"""The whole pipeline in-process, no broker: bytes → raw → articles → facts.

Used by `ecowire extract`, the evaluation and the benchmarks; the same stage functions the
services run, so what it prints is what the facts topic would carry.
"""

from __future__ import annotations

import base64
from pathlib import Path

from ecowire_schemas import Article, Fact, RawDocument, SourceMeta

from .corpus import CorpusRecord
from .corpus import articles as corpus_articles
from .extractor import extract
from .fetcher.logic import inline_document
from .files import request_for_file
from .normalizer import normalize


def raw_for_file(path: Path, meta: SourceMeta | None = None) -> RawDocument:
    return inline_document(request_for_file(path, meta))


def run_raw(raw: RawDocument, fallback_date: str | None = None) -> list[tuple[Article, list[Fact]]]:
    """Normalize and extract; `fallback_date` dates the articles the document leaves undated (the
    date a page states wins over it, unlike a publisher's `metadata.published_at`)."""
    out = []
    for article in normalize(raw):
        if article.published_at is None and fallback_date is not None:
            article = article.model_copy(update={"published_at": fallback_date, "published_at_source": "fallback"})
        out.append((article, extract(article)))
    return out


def extract_file(
    path: Path, published_at: str | None = None, source: str | None = None
) -> list[tuple[Article, list[Fact]]]:
    """Facts of every article in one file; `published_at` dates the articles whose text states no date."""
    return run_raw(raw_for_file(path, SourceMeta(source=source)), fallback_date=published_at)


def extract_record(rec: CorpusRecord) -> list[tuple[Article, list[Fact]]]:
    """Facts of one corpus record (`ecowire eval --set dev`, the corpus benchmark)."""
    return [(article, extract(article)) for article in corpus_articles(rec)]


def extract_bytes(data: bytes, published_at: str | None = None,
                  source: str | None = None) -> list[tuple[Article, list[Fact]]]:
    """Facts of a document given as bytes (`ecowire extract -` reads standard input)."""
    from ecowire_schemas import IngestRequest

    req = IngestRequest(content_b64=base64.b64encode(data).decode("ascii"), metadata=SourceMeta(source=source))
    return run_raw(inline_document(req), fallback_date=published_at)
