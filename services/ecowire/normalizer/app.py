"""The normalizer service: raw.v1 → articles.v1 (one raw document may hold several articles)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ecowire_schemas import Article, RawDocument

from ..core import metrics
from ..core.app import serve
from ..core.records import InRecord, OutRecord, Reject
from ..core.settings import get_settings
from ..core.stage import Stage
from . import NormalizeError, normalize


@dataclass(frozen=True, slots=True)
class Normalized:
    """One article as the worker process hands it back: already JSON. Encoding it there spreads
    that CPU over the workers, and pickling bytes is a copy: an `Article` model took 117 µs to
    pickle and unpickle (its 64-integer minhash and its offsets), in the service's event loop."""

    article_id: str
    flagged: bool
    schema_version: int
    value: bytes

    @classmethod
    def of(cls, article: Article) -> Normalized:
        return cls(article.article_id, bool(article.flags), article.schema_version,
                   article.model_dump_json().encode("utf-8"))


def work(raw: RawDocument) -> list[Normalized] | NormalizeError:
    """The stage's pure step, run in its worker process. A rejection is returned, not raised,
    so that the service counts it before dead-lettering it."""
    try:
        return [Normalized.of(a) for a in normalize(raw)]
    except NormalizeError as e:
        return e


_WARM_HTML = ("<html><head><title>生态环境部召开新闻发布会</title></head><body><article><h1>生态环境部召开新闻发布会"
              "</h1><p>2024年3月6日，生态环境部召开例行新闻发布会，介绍全国碳排放权交易市场建设进展。</p>"
              "<p>全国地级及以上城市细颗粒物平均浓度为30微克/立方米，同比下降3.2%。</p></article></body></html>")


def warm_document() -> RawDocument:
    html = _WARM_HTML.encode("utf-8")
    return RawDocument(doc_id="warm", text=_WARM_HTML, content_type="text/html", encoding="utf-8",
                       byte_length=len(html), ingested_at=datetime.now(UTC))


def warm() -> None:
    """Run one page through the HTML path in a new worker process as it starts. The child then
    imports the normalizer (trafilatura, lxml: about 0.8 s) at service start; without it, the
    first input paid for that (0.8 ms per article of a 1,000-document burst)."""
    normalize(warm_document())


def handle(raw: RawDocument, record: InRecord, articles: list[Normalized] | NormalizeError) -> list[OutRecord]:
    if isinstance(articles, NormalizeError):
        metrics.ARTICLES.labels("rejected").inc()
        raise Reject(articles.reason, articles.message) from articles
    metrics.ARTICLES.labels("split" if len(articles) > 1 else "single").inc()
    for a in articles:
        metrics.ARTICLES.labels("flagged" if a.flagged else "article").inc()
    out_topic = get_settings().topic("articles")
    return [OutRecord(out_topic, a.article_id, a.value, schema_version=a.schema_version, ingested_at=raw.ingested_at)
            for a in articles]


stage = Stage("normalizer", "raw", RawDocument, handle, work=work, warm=warm, outputs=("articles",))


def main() -> None:
    serve(stage)


if __name__ == "__main__":
    main()
