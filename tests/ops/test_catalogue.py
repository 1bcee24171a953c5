"""The metrics catalogue: Prometheus naming conventions, bounded labels, the generated docs page."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase

from ecowire.core import metrics, metrics_doc
from tests.ops.prom import promtool

# Labels whose values come from fixed vocabularies. A new label must be added here deliberately,
# after checking that its values cannot grow with the data (ids, URLs, titles, error messages).
BOUNDED_LABELS = {"stage", "outcome", "reason", "topic", "partition", "type", "kind"}


def _sample_value(label: str) -> str:
    return {"partition": "0", "topic": "ecowire.raw.v1"}.get(label, "x")


def _clone(m: MetricWrapperBase, registry: CollectorRegistry) -> MetricWrapperBase:
    """The same family in a registry of its own, with one child, so the process-wide one is untouched."""
    name, doc, labels = str(m._name), str(m._documentation), list(m._labelnames)
    kind = metrics.metric_type(m)
    clone: MetricWrapperBase
    if kind == "counter":
        clone = Counter(name, doc, labels, registry=registry)
    elif kind == "gauge":
        clone = Gauge(name, doc, labels, registry=registry)
    else:
        clone = Histogram(name, doc, labels, registry=registry, buckets=m._upper_bounds[:-1])  # type: ignore[attr-defined]
    if labels:
        clone.labels(*[_sample_value(lbl) for lbl in labels])
    return clone


@pytest.mark.prometheus
def test_promtool_check_metrics_passes_on_the_whole_catalogue() -> None:
    registry = CollectorRegistry()
    for m in metrics.CATALOGUE:
        _clone(m, registry)
    text = generate_latest(registry).decode()
    r = promtool("check", "metrics", stdin=text)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (r.stdout + r.stderr).strip() == "", r.stdout + r.stderr  # no lint warnings either


@pytest.mark.prometheus
def test_promtool_check_metrics_does_flag_a_bad_name() -> None:
    registry = CollectorRegistry()
    Counter("ecowire_bad_milliseconds", "a counter in ms", registry=registry).inc()
    r = promtool("check", "metrics", stdin=generate_latest(registry).decode())
    assert r.returncode != 0


def test_catalogue_lists_every_metric_of_the_module_once() -> None:
    declared = [v for v in vars(metrics).values() if isinstance(v, MetricWrapperBase)]
    assert set(map(id, declared)) == set(map(id, metrics.CATALOGUE))
    names = [metrics.metric_name(m) for m in metrics.CATALOGUE]
    assert len(names) == len(set(names))


def test_names_follow_conventions_and_labels_are_bounded() -> None:
    for m in metrics.CATALOGUE:
        name = metrics.metric_name(m)
        assert name.startswith("ecowire_"), name
        assert str(m._documentation).strip(), name
        assert set(m._labelnames) <= BOUNDED_LABELS, f"{name}: {set(m._labelnames) - BOUNDED_LABELS}"
        if metrics.metric_type(m) == "histogram":
            # a unit suffix: time in seconds, or a count of records (batch sizes)
            assert name.endswith(("_seconds", "_records")), f"{name}: a histogram's name ends with its unit"


def test_the_issue_s_metrics_are_in_the_catalogue() -> None:
    names = {metrics.metric_name(m): set(m._labelnames) for m in metrics.CATALOGUE}
    assert {"stage", "topic", "partition"} <= names["ecowire_consumer_lag"]
    assert "ecowire_end_to_end_latency_seconds" in names
    assert "ecowire_last_result_timestamp_seconds" in names
    assert names["ecowire_facts_total"] == {"type"}
    assert names["ecowire_articles_total"] == {"outcome"}
    assert names["ecowire_dead_letters_total"] == {"stage", "reason"}
    assert names["ecowire_fetch_total"] == {"outcome"}
    assert "ecowire_aggregator_state_keys" in names
    assert "ecowire_aggregator_restore_seconds" in names


def test_docs_page_is_current() -> None:
    assert metrics_doc.DOC_PATH.exists(), "run: python -m ecowire.core.metrics_doc"
    assert metrics_doc.DOC_PATH.read_text("utf-8") == metrics_doc.render(), (
        "docs/metrics.md is stale: run python -m ecowire.core.metrics_doc"
    )
    for m in metrics.CATALOGUE:
        assert f"`{metrics.metric_name(m)}`" in metrics_doc.render()


def test_init_stage_creates_the_stage_s_series_at_zero() -> None:
    from prometheus_client import REGISTRY

    def sample(name: str, labels: dict[str, str]) -> float | None:
        return REGISTRY.get_sample_value(name, labels)

    before = sample("ecowire_facts_total", {"type": "target"}) or 0.0
    metrics.init_stage("extractor", output_topics=["ecowire.facts.v1"])
    for outcome in ("ok", "dead_lettered"):
        assert sample("ecowire_messages_total", {"stage": "extractor", "outcome": outcome}) is not None
    for reason in metrics.SHELL_REASONS:
        assert sample("ecowire_dead_letters_total", {"stage": "extractor", "reason": reason}) is not None
    assert sample("ecowire_records_produced_total", {"stage": "extractor", "topic": "ecowire.facts.v1"}) is not None
    assert sample("ecowire_processing_seconds_count", {"stage": "extractor"}) is not None
    for t in metrics.FACT_TYPES:
        assert sample("ecowire_facts_total", {"type": t}) is not None
    # Creating a series never changes a count.
    assert sample("ecowire_facts_total", {"type": "target"}) == before


def test_known_label_values_belong_to_one_label_metrics_of_the_catalogue() -> None:
    for stage, known in metrics.KNOWN_LABELS.items():
        assert stage in {"fetcher", "normalizer", "extractor", "aggregator"}
        for metric, values in known.items():
            assert metric in metrics.CATALOGUE
            assert len(metric._labelnames) == 1 and values
