"""One size budget from ingest to results (core/budget.py): the largest document the fetcher
accepts fits raw.v1, its articles fit articles.v1 or are refused as too_large, and the facts of
the largest accepted article fit the aggregator's bundle, or the extractor refuses them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ecowire.aggregator.assemble import Assembler
from ecowire.core.budget import MAX_ARTICLE_CHARS, facts_budget_bytes
from ecowire.core.records import InRecord, Reject
from ecowire.core.settings import Settings, get_settings
from ecowire.extractor import extract
from ecowire.extractor.app import extraction_record, handle
from ecowire.fetcher.logic import ENVELOPE_BYTES, FetchContext, _check_size, inline_document
from ecowire.normalizer import NormalizeError, normalize
from ecowire.shapes import real_text
from ecowire_schemas import Article, IngestRequest

LIMIT = Settings().max_message_bytes
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def test_the_largest_document_the_fetcher_accepts_ends_as_articles_or_too_large() -> None:
    # Chinese text is three bytes a character: the largest inline document that still fits raw.v1
    content = real_text((LIMIT - ENVELOPE_BYTES) // 3 - 2_000)
    raw = inline_document(IngestRequest(content=content))
    _check_size(raw, FetchContext(None, None, LIMIT))  # type: ignore[arg-type]  # accepted: no Reject
    with pytest.raises(NormalizeError) as e:
        normalize(raw)
    assert e.value.reason == "too_large"  # one article of ~2.7M characters: over the article cap


def test_the_largest_accepted_article_fits_every_later_topic() -> None:
    raw = inline_document(IngestRequest(content=real_text(MAX_ARTICLE_CHARS - 2_000)))
    (article,) = normalize(raw)
    assert len(article.text) <= MAX_ARTICLE_CHARS
    assert len(article.model_dump_json().encode()) < LIMIT  # articles.v1
    facts = extract(article, use_ner=False)  # the rules' facts: the model adds names, not weight
    out = handle(article, InRecord(b""), facts)  # within the facts budget (the next test: over it)
    assert sum(len(o.encode()) for o in out[:-1]) <= facts_budget_bytes(LIMIT)
    assembler = Assembler()
    for offset, f in enumerate(facts):
        assembler.add_fact(0, offset, f)
    bundle = assembler.close("facts", 0, len(facts), extraction_record(article, [f.fact_id for f in facts]))
    assert len(bundle.model_dump_json().encode()) < LIMIT  # the aggregator's bundle


def test_facts_over_the_budget_are_refused_as_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOWIRE_MAX_MESSAGE_BYTES", str(64 * 1024))
    get_settings.cache_clear()
    try:
        raw = inline_document(IngestRequest(content=real_text(20_000)))
        (article,) = normalize(raw)
        facts = extract(article, use_ner=False)
        with pytest.raises(Reject) as e:
            handle(article, InRecord(b""), facts)
    finally:
        get_settings.cache_clear()
    assert e.value.reason == "too_large" and "facts budget" in e.value.message


def test_a_small_article_passes() -> None:
    article = Article(article_id="a", doc_id="d", index=0, title=None, text="生态环境部部长黄润秋出席会议。",
                      body_start=0, published_at="2025-01-01", content_hash="0" * 64, ingested_at=T0)
    out = handle(article, InRecord(b""), extract(article, use_ner=False))
    assert out[-1].record_type == "extraction"
