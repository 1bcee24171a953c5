"""The normalizer service: raw.v1 → articles.v1 (one raw document may hold several articles)."""

from __future__ import annotations

from ecowire_schemas import Article, RawDocument

from ..core import metrics
from ..core.app import serve
from ..core.records import InRecord, OutRecord, Reject
from ..core.settings import get_settings
from ..core.stage import Stage
from . import NormalizeError, normalize


def handle(raw: RawDocument, record: InRecord) -> list[OutRecord]:
    try:
        articles: list[Article] = normalize(raw)
    except NormalizeError as e:
        metrics.ARTICLES.labels("rejected").inc()
        raise Reject(e.reason, str(e)) from e
    metrics.ARTICLES.labels("split" if len(articles) > 1 else "single").inc()
    for a in articles:
        metrics.ARTICLES.labels("flagged" if a.flags else "article").inc()
    out_topic = get_settings().topic("articles")
    return [OutRecord(out_topic, a.article_id, a, ingested_at=raw.ingested_at) for a in articles]


stage = Stage("normalizer", "raw", RawDocument, handle)


def main() -> None:
    serve(stage)


if __name__ == "__main__":
    main()
