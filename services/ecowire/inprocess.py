"""The whole pipeline in-process, no broker: bytes → raw → articles → facts.

Used by `ecowire extract`, the evaluation and the benchmarks; the same stage functions the
services run, so what it prints is what the facts topic would carry.
"""

from __future__ import annotations

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


def run_raw(raw: RawDocument) -> list[tuple[Article, list[Fact]]]:
    return [(article, extract(article)) for article in normalize(raw)]


def extract_file(
    path: Path, published_at: str | None = None, source: str | None = None
) -> list[tuple[Article, list[Fact]]]:
    """Facts of every article in one file; `published_at` resolves relative dates when the text has none."""
    return run_raw(raw_for_file(path, SourceMeta(published_at=published_at, source=source)))


def extract_record(rec: CorpusRecord) -> list[tuple[Article, list[Fact]]]:
    """Facts of one corpus record (`ecowire eval --set dev`, the corpus benchmark)."""
    return [(article, extract(article)) for article in corpus_articles(rec)]
