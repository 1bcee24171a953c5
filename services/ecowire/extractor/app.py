"""The extractor service: articles.v1 → facts.v1 (the facts, then one extraction record)."""

from __future__ import annotations

from ecowire_schemas import Article, ExtractionRecord, Fact
from ecowire_schemas.common import H_REPROCESS

from ..core import metrics
from ..core.app import serve
from ..core.budget import facts_budget_bytes
from ..core.records import InRecord, OutRecord, Reject
from ..core.settings import get_settings
from ..core.stage import Stage
from . import EXTRACTOR_VERSION, extract

WARM_TEXT = "生态环境部部长黄润秋3月5日在北京出席会议，全国碳排放量下降5.2%。"


def active_version() -> str:
    """The version this extractor puts on its facts: its own, or the emulated older one."""
    return get_settings().extractor_run_as or EXTRACTOR_VERSION


def work(article: Article) -> list[Fact]:
    """The stage's step in the worker process: `extract`, or with `ECOWIRE_EXTRACTOR_RUN_AS` an
    emulated older extractor (another version, the rules without the tagger) for reprocessing
    tests and demos."""
    run_as = get_settings().extractor_run_as
    if run_as:
        return extract(article, use_ner=False, version=run_as)
    return extract(article)


def extraction_record(article: Article, fact_ids: list[str], version: str = EXTRACTOR_VERSION) -> ExtractionRecord:
    return ExtractionRecord(
        article_id=article.article_id,
        doc_id=article.doc_id,
        extractor_version=version,
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


def warm() -> None:
    """Load the tagger's model and the lexicons in a new worker process, before its first article."""
    from ..inprocess import extract_bytes

    extract_bytes(WARM_TEXT.encode("utf-8"), published_at="2024-03-06")


def handle(article: Article, record: InRecord, facts: list[Fact]) -> list[OutRecord]:
    """Wraps the facts `extract(article)` found (in the stage's worker process) as records."""
    settings = get_settings()
    topic = settings.topic("facts")
    # A reprocessed article (`ecowire reprocess`) keeps its mark downstream and gets no ingest
    # time header: it is not a fresh ingest and must not count in the latency histograms.
    mark = record.headers.get(H_REPROCESS)
    ingested = None if mark is not None else article.ingested_at
    extra = ((H_REPROCESS, mark),) if mark is not None else ()
    out = [OutRecord(topic, article.article_id, f, "fact", ingested, extra) for f in facts]
    weight = sum(len(o.encode() or b"") for o in out)
    if weight > facts_budget_bytes(settings.max_message_bytes):
        # The aggregator carries all of an article's facts in one bundle: it must fit a message.
        raise Reject("too_large", f"{len(facts)} facts of {weight} bytes, over the facts budget of "
                                  f"{facts_budget_bytes(settings.max_message_bytes)} bytes (core/budget.py)")
    # Last, on the same partition: tells the aggregator the article is complete.
    closing = extraction_record(article, [f.fact_id for f in facts], active_version())
    out.append(OutRecord(topic, article.article_id, closing, "extraction", ingested, extra))
    for f in facts:
        metrics.FACTS.labels(f.type).inc()
    return out


stage = Stage("extractor", "articles", Article, handle, work=work, warm=warm, outputs=("facts",))


def main() -> None:
    serve(stage)


if __name__ == "__main__":
    main()
