"""The one catalogue of ecowire's own metrics (FastStream's middleware adds `faststream_*`).

Every metric ecowire exports is declared here, with its type, labels and meaning, so dashboards,
alerts and docs have one source (`docs/metrics.md` is generated from this module by
`python -m ecowire.core.metrics_doc`). Label values are bounded: stages, topics, partitions, fact
types, outcomes, kinds and reasons come from fixed vocabularies, never from message content.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

registry: CollectorRegistry = REGISTRY

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

MESSAGES = Counter(
    "ecowire_messages_total",
    "Input messages a stage finished with, by outcome: ok (outputs acknowledged by the broker, "
    "input committed) or dead_lettered (sent to the dead-letter topic, input committed).",
    ["stage", "outcome"],
)
DEAD_LETTERS = Counter(
    "ecowire_dead_letters_total",
    "Messages sent to the dead-letter topic, by stage and reason (malformed_json, invalid_schema, "
    "unsupported_schema_version, empty, timeout, worker_died, output_too_large, stage_error and the "
    "stage's own reasons).",
    ["stage", "reason"],
)
PRODUCED = Counter(
    "ecowire_records_produced_total",
    "Records a stage produced and the broker acknowledged, by target topic.",
    ["stage", "topic"],
)
PUBLISH_FAILURES = Counter(
    "ecowire_publish_failures_total",
    "Produce attempts that failed; the input is not committed and is processed again.",
    ["stage"],
)
PROCESSING_SECONDS = Histogram(
    "ecowire_processing_seconds",
    "Time a stage spends per input message, produce confirmation included (stages work in batches: "
    "each message of a batch counts its share of the batch's time).",
    ["stage"],
    buckets=LATENCY_BUCKETS,
)
BATCH_RECORDS = Histogram(
    "ecowire_batch_records",
    "Input records per batch a stage processed (what its consumer had, up to ECOWIRE_BATCH_MAX_RECORDS): "
    "small under light traffic, large while a backlog drains.",
    ["stage"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
STAGE_LATENCY_SECONDS = Histogram(
    "ecowire_stage_latency_seconds",
    "Time from ingest (header ecowire-ingested-at) until the stage's output was acknowledged.",
    ["stage"],
    buckets=LATENCY_BUCKETS,
)
END_TO_END_SECONDS = Histogram(
    "ecowire_end_to_end_latency_seconds",
    "Time from ingest (header ecowire-ingested-at) until the article's result was acknowledged on "
    "the results topic.",
    buckets=LATENCY_BUCKETS,
)
LAST_RESULT_TIMESTAMP = Gauge(
    "ecowire_last_result_timestamp_seconds",
    "Unix time of the newest article result published; 0 before the first one. "
    "Freshness = time() - this.",
)
CONSUMER_LAG = Gauge(
    "ecowire_consumer_lag",
    "Records not yet consumed by the stage's consumer group (ecowire-<stage>) in a partition this "
    "process is assigned: high watermark - position.",
    ["stage", "topic", "partition"],
)
FACTS = Counter(
    "ecowire_facts_total",
    "Facts produced by the extractor, by fact type (quantity, target, person, organization, "
    "location, document, event).",
    ["type"],
)
ARTICLES = Counter(
    "ecowire_articles_total",
    "Normalizer outcomes. Once per raw document: single (one article), split (a page split into "
    "several articles) or rejected (dead-lettered). Once per article produced: article (clean) or "
    "flagged (carries quality flags).",
    ["outcome"],
)
FETCHES = Counter(
    "ecowire_fetch_total",
    "Fetcher outcomes: fetched, not_modified, inline, gave_up, refused, too_large, http_error.",
    ["outcome"],
)
DUPLICATES = Counter(
    "ecowire_duplicates_total",
    "Articles the aggregator marked as duplicates of one already seen, by kind: exact (same content) "
    "or near (near-duplicate).",
    ["kind"],
)
AGGREGATES = Counter(
    "ecowire_aggregates_updated_total",
    "Aggregate update messages published, by kind (event, series, target, person).",
    ["kind"],
)
AGGREGATE_ENTRIES = Gauge(
    "ecowire_aggregate_entries",
    "Distinct aggregates the aggregator holds (results-topic keys <kind>:<id>), by kind (event, "
    "series, target, person) and partition: the events and targets registered so far.",
    ["kind", "partition"],
)
STATE_KEYS = Gauge(
    "ecowire_aggregator_state_keys",
    "Keys held in the aggregator's local state, by partition.",
    ["partition"],
)
RESTORE_SECONDS = Histogram(
    "ecowire_aggregator_restore_seconds",
    "Time to restore a partition's state from its changelog.",
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60),
)

# Label values each stage knows up front. `init_stage` creates their series at zero when the
# process starts: Prometheus cannot see the first increment of a series that appears already
# incremented (rate() and increase() start from its first scrape), so a burst handled by a fresh
# process would be invisible to every rate panel and alert.
SHELL_REASONS = ("malformed_json", "json_too_deep", "invalid_header", "invalid_schema", "unsupported_schema_version",
                 "empty", "stage_error", "output_too_large", "timeout", "worker_died")
FACT_TYPES = ("quantity", "target", "person", "organization", "location", "document", "event")
KNOWN_LABELS: dict[str, dict[Counter, tuple[str, ...]]] = {
    "fetcher": {FETCHES: ("fetched", "not_modified", "inline", "gave_up", "refused", "too_large", "http_error")},
    "normalizer": {ARTICLES: ("single", "split", "rejected", "article", "flagged")},
    "extractor": {FACTS: FACT_TYPES},
    "aggregator": {DUPLICATES: ("exact", "near"), AGGREGATES: ("event", "series", "target", "person")},
}


def init_stage(stage: str, output_topics: Iterable[str] = (), reasons: Iterable[str] = SHELL_REASONS) -> None:
    """Create a stage's series at zero; call once when the service starts (before consuming)."""
    for outcome in ("ok", "dead_lettered"):
        MESSAGES.labels(stage, outcome)
    for reason in reasons:
        DEAD_LETTERS.labels(stage, reason)
    for topic in output_topics:
        PRODUCED.labels(stage, topic)
    PUBLISH_FAILURES.labels(stage)
    PROCESSING_SECONDS.labels(stage)
    BATCH_RECORDS.labels(stage)
    STAGE_LATENCY_SECONDS.labels(stage)
    for metric, values in KNOWN_LABELS.get(stage, {}).items():
        for value in values:
            metric.labels(value)


# In the order the docs list them.
CATALOGUE: tuple[MetricWrapperBase, ...] = (
    MESSAGES,
    DEAD_LETTERS,
    PRODUCED,
    PUBLISH_FAILURES,
    PROCESSING_SECONDS,
    BATCH_RECORDS,
    STAGE_LATENCY_SECONDS,
    END_TO_END_SECONDS,
    LAST_RESULT_TIMESTAMP,
    CONSUMER_LAG,
    FACTS,
    ARTICLES,
    FETCHES,
    DUPLICATES,
    AGGREGATES,
    AGGREGATE_ENTRIES,
    STATE_KEYS,
    RESTORE_SECONDS,
)

# What FastStream's KafkaPrometheusMiddleware exports (faststream 0.7); labels app_name
# ("ecowire-<stage>"), broker, handler (the topic), and status / exception_type. Its publish
# metrics are not here: stages produce through core/producer.py, not FastStream.
FASTSTREAM_METRICS: dict[str, str] = {
    "faststream_received_messages_total": "counter",
    "faststream_received_messages_size_bytes": "histogram",
    "faststream_received_messages_in_process": "gauge",
    "faststream_received_processed_messages_total": "counter",
    "faststream_received_processed_messages_duration_seconds": "histogram",
    "faststream_received_processed_messages_exceptions_total": "counter",
}


def metric_type(metric: MetricWrapperBase) -> str:
    return str(metric._type)


def metric_name(metric: MetricWrapperBase) -> str:
    """The exposed family name (a counter's with its `_total`)."""
    name = str(metric._name)
    return f"{name}_total" if metric_type(metric) == "counter" else name


def series_names(name: str, kind: str) -> set[str]:
    """Every sample name a family of this type exposes in the text format."""
    if kind == "counter":
        base = name.removesuffix("_total")
        return {name, f"{base}_created"}
    if kind == "histogram":
        return {f"{name}_bucket", f"{name}_sum", f"{name}_count", f"{name}_created"}
    return {name}


def known_series_names() -> set[str]:
    """Sample names a query may use: ecowire's catalogue and FastStream's middleware."""
    names: set[str] = set()
    for m in CATALOGUE:
        names |= series_names(metric_name(m), metric_type(m))
    for name, kind in FASTSTREAM_METRICS.items():
        names |= series_names(name, kind)
    return names
