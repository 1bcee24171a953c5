"""The extractor service: articles.v1 → facts.v1 (the facts, then one extraction record)."""

from __future__ import annotations

from ecowire_schemas import Article, ExtractionRecord

from ..core import metrics
from ..core.app import serve
from ..core.records import InRecord, OutRecord
from ..core.settings import get_settings
from ..core.stage import Stage
from . import EXTRACTOR_VERSION, extract


def extraction_record(article: Article, fact_ids: list[str]) -> ExtractionRecord:
    return ExtractionRecord(
        article_id=article.article_id,
        doc_id=article.doc_id,
        extractor_version=EXTRACTOR_VERSION,
        title=article.title,
        published_at=article.published_at,
        source=article.source,
        url=article.url,
        content_hash=article.content_hash,
        minhash=article.minhash,
        text_length=len(article.text),
        fact_ids=fact_ids,
        ingested_at=article.ingested_at,
    )


def handle(article: Article, record: InRecord) -> list[OutRecord]:
    facts = extract(article)
    topic = get_settings().topic("facts")
    out = [OutRecord(topic, article.article_id, f, "fact", article.ingested_at) for f in facts]
    # Last, on the same partition: tells the aggregator the article is complete.
    closing = extraction_record(article, [f.fact_id for f in facts])
    out.append(OutRecord(topic, article.article_id, closing, "extraction", article.ingested_at))
    for f in facts:
        metrics.FACTS.labels(f.type).inc()
    return out


stage = Stage("extractor", "articles", Article, handle)


def main() -> None:
    serve(stage)


if __name__ == "__main__":
    main()
