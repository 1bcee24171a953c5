"""The normalizer service: raw.v1 → articles.v1 (one raw document may hold several articles)."""

from __future__ import annotations

from ecowire_schemas import Article, RawDocument

from ..core import metrics
from ..core.app import serve
from ..core.records import InRecord, OutRecord, Reject
from ..core.settings import get_settings
from ..core.stage import Stage
from . import NormalizeError, normalize


def work(raw: RawDocument) -> list[Article] | NormalizeError:
    """The stage's pure step, run in its worker process. A rejection is returned, not raised,
    so that the service counts it before dead-lettering it."""
    try:
        return normalize(raw)
    except NormalizeError as e:
        return e


def handle(raw: RawDocument, record: InRecord, articles: list[Article] | NormalizeError) -> list[OutRecord]:
    if isinstance(articles, NormalizeError):
        metrics.ARTICLES.labels("rejected").inc()
        raise Reject(articles.reason, articles.message) from articles
    metrics.ARTICLES.labels("split" if len(articles) > 1 else "single").inc()
    for a in articles:
        metrics.ARTICLES.labels("flagged" if a.flags else "article").inc()
    out_topic = get_settings().topic("articles")
    return [OutRecord(out_topic, a.article_id, a, ingested_at=raw.ingested_at) for a in articles]


stage = Stage("normalizer", "raw", RawDocument, handle, work=work, outputs=("articles",))


def main() -> None:
    serve(stage)


if __name__ == "__main__":
    main()
