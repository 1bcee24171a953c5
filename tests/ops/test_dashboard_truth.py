"""The dashboard tells the truth.

The four services run as processes against the real broker (topics of their own), a real
Prometheus (Debian's package) scrapes them every second with the project's rules loaded, and the
test publishes the seed documents, one of them again under another id (a duplicate), and one
malformed message (a dead letter). Then every query of every panel of the committed dashboard
runs against Prometheus: each must return data, and the panels' numbers must agree with what
the test sent and with what the topics hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer

from ecowire.cli import publish_requests
from ecowire.core.settings import Settings
from ecowire.core.topics_admin import ensure_topics
from ecowire.files import request_for_file
from tests.ops.prom import Prometheus, promtool
from tests.ops.promql import substitute
from tests.ops.test_dashboard import DASHBOARD, panels
from tests.support import SEEDS, Service, consume, header, produce, unique_settings

pytestmark = [pytest.mark.kafka, pytest.mark.prometheus, pytest.mark.slow]

STAGES = ("fetcher", "normalizer", "extractor", "aggregator")
# Grafana would pick $__rate_interval from the scrape interval and the zoom; the test uses a window
# that spans the whole run so every rate and quantile covers what the test sent.
RATE_INTERVAL = "10m"
RANGE = "15m"
MALFORMED = b'{"schema_version": 1, "url": '  # truncated JSON


@dataclass
class Run:
    settings: Settings
    services: dict[str, Service]
    prometheus: Prometheus
    sent: int  # messages put on the ingest topic
    started: float  # unix time before publishing
    topics: dict[str, list[Any]]  # what each topic held once the pipeline was done


def _by_key_latest(records: list[Any]) -> dict[str, dict[str, Any]]:
    """A compacted topic's content: the latest value per key."""
    out: dict[str, dict[str, Any]] = {}
    for r in records:
        if r.value is None:  # a tombstone: the aggregate is gone
            out.pop(r.key.decode(), None)
        else:
            out[r.key.decode()] = json.loads(r.value)
    return out


async def _settled(run_settings: Settings, prom: Prometheus, docs: int, limit_s: float = 300) -> dict[str, Any]:
    """Wait until every stage consumed everything, results stopped changing, and Prometheus saw it."""
    s = run_settings
    deadline = time.monotonic() + limit_s
    last: tuple[int, ...] = ()
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        fetched = await asyncio.to_thread(prom.value, 'sum(ecowire_messages_total{stage="fetcher"})') or 0
        lag = await asyncio.to_thread(prom.value, "sum(ecowire_consumer_lag)")
        topics = {name: await consume(s.bootstrap_servers, s.topic(name), timeout=2)
                  for name in ("raw", "articles", "facts", "results", "dlq")}
        counts = (int(fetched), *(len(v) for v in topics.values()))
        if counts != last:
            last, stable_since = counts, time.monotonic()
        # Done: the fetcher finished every message, no stage has lag, and nothing moved for 8 s
        # (two lag-monitor rounds and many scrapes).
        if fetched >= docs and lag == 0 and time.monotonic() - stable_since > 8:
            return topics
        await asyncio.sleep(1.0)
    raise AssertionError(f"pipeline did not settle: fetched/raw/articles/facts/results/dlq = {last}")


async def _healthy(svc: Service, limit_s: float = 120) -> None:
    """/health answers 2xx (FastStream's ping answers 204 No Content, the aggregator 200)."""
    deadline = time.monotonic() + limit_s
    async with httpx.AsyncClient(timeout=1.0) as client:
        while time.monotonic() < deadline:
            assert svc.proc is not None
            if svc.proc.poll() is not None:
                raise RuntimeError(f"{svc.stage} exited with {svc.proc.returncode}: {svc.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"http://127.0.0.1:{svc.port}/health")).is_success:
                    return
            await asyncio.sleep(0.3)
    raise TimeoutError(f"{svc.stage} not healthy within {limit_s}s: {svc.log_tail()}")


async def _visible(settings: Settings, topics: set[str], limit_s: float = 30) -> None:
    """Wait until the broker's metadata lists freshly created topics: services that look their
    topics up once at start-up must find them."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers)
    await consumer.start()
    try:
        deadline = time.monotonic() + limit_s
        while not topics <= await consumer.topics():
            assert time.monotonic() < deadline, f"topics not in metadata: {topics - await consumer.topics()}"
            await asyncio.sleep(0.2)
    finally:
        await consumer.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def run(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Run]:
    settings = unique_settings(kafka_bootstrap)
    created = await ensure_topics(settings)
    await _visible(settings, set(created))
    logs: Path = tmp_path_factory.mktemp("logs")
    services = {s: Service(s, settings, logs) for s in STAGES}
    prom = Prometheus(tmp_path_factory.mktemp("prometheus"), {s: svc.port for s, svc in services.items()})
    try:
        for svc in services.values():
            svc.start()
        for svc in services.values():
            await _healthy(svc)
        await asyncio.to_thread(prom.start)
        # Prometheus must have seen every service before the documents flow: rate() counts from a
        # series' first scrape, and the services create their series at zero when they start.
        up = await asyncio.to_thread(prom.wait_for, 'sum(up{job="ecowire"})', len(STAGES), 60)
        assert up == len(STAGES), f"Prometheus reaches {up} of {len(STAGES)} services"
        await asyncio.sleep(2.5)
        seeds = sorted(SEEDS.glob("*.txt"))
        requests = [request_for_file(p) for p in seeds]
        # The same document again under an id of its own: the aggregator must call it a duplicate.
        requests.append(requests[-1].model_copy(update={"doc_id": "dashboard-truth-duplicate"}))
        started = time.time()
        await publish_requests(settings, requests)
        await produce(settings.bootstrap_servers, settings.topic("ingest"), [(b"bad", MALFORMED, {})])
        sent = len(requests) + 1
        topics = await _settled(settings, prom, sent)
        yield Run(settings, services, prom, sent, started, topics)
    finally:
        prom.stop()
        for svc in services.values():
            svc.stop()


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text("utf-8"))
    return data


def panel(title: str) -> dict[str, Any]:
    return next(p for p in panels(dashboard()) if p["title"] == title)


def expr(title: str, ref: str = "A") -> str:
    t = next(t for t in panel(title)["targets"] if t["refId"] == ref)
    return substitute(t["expr"], RATE_INTERVAL, RANGE)


# ------------------------------------------------------------------ every panel returns data


def test_every_panel_query_returns_finite_data(run: Run) -> None:
    empty, not_finite = [], []
    n = 0
    for p in panels(dashboard()):
        for t in p.get("targets", []):
            n += 1
            result = run.prometheus.query(substitute(t["expr"], RATE_INTERVAL, RANGE))
            if not result:
                empty.append(f"{p['title']} [{t['refId']}]: {t['expr']}")
            elif not all(math.isfinite(float(s["value"][1])) for s in result):
                not_finite.append(f"{p['title']} [{t['refId']}]: {[s['value'][1] for s in result]}")
    assert n > 40
    assert not empty, "panels without data:\n" + "\n".join(empty)
    assert not not_finite, "panels with NaN/Inf:\n" + "\n".join(not_finite)


def test_rules_evaluate_without_errors_on_real_data(run: Run) -> None:
    groups = run.prometheus.api("rules")["groups"]
    assert {g["name"] for g in groups} == {"ecowire.stages", "ecowire.results"}
    for g in groups:
        for rule in g["rules"]:
            assert rule["health"] == "ok", f"{rule['name']}: {rule.get('lastError')}"


def test_promtool_check_metrics_passes_on_every_service_scrape(run: Run) -> None:
    for stage, svc in run.services.items():
        text = svc.metrics_text()
        assert "ecowire_messages_total" in text, stage
        assert "faststream_received_messages_total" in text, stage  # every service runs on FastStream
        r = promtool("check", "metrics", stdin=text)
        assert r.returncode == 0, f"{stage}: {r.stdout}{r.stderr}"


# ------------------------------------------------------------------ the numbers agree


def test_overview_counts_agree_with_what_was_sent_and_the_topics(run: Run) -> None:
    prom, topics = run.prometheus, run.topics
    assert prom.value(expr("Documents ingested")) == run.sent
    assert prom.value(expr("Services up")) == len(STAGES)
    assert prom.value(expr("Total consumer lag")) == 0
    assert prom.value(expr("Articles produced")) == len(topics["articles"])
    facts = [r for r in topics["facts"] if header(r, "ecowire-record") == "fact"]
    assert facts, "the seeds yield facts"
    assert prom.value(expr("Facts produced")) == len(facts)
    articles = {k: v for k, v in _by_key_latest(topics["results"]).items() if v.get("type") == "article"}
    assert articles
    assert prom.value(expr("Article results")) == len(articles)
    age = prom.value(expr("Result freshness"))
    assert age is not None and 0 <= age <= time.time() - run.started


def test_dead_letters_agree_with_the_dead_letter_topic(run: Run) -> None:
    dlq = run.topics["dlq"]
    on_topic = Counter((header(r, "dlq-stage"), header(r, "dlq-reason")) for r in dlq)
    assert on_topic[("fetcher", "malformed_json")] == 1, on_topic
    assert any(r.value == MALFORMED for r in dlq)
    assert run.prometheus.value(expr("Dead letters")) == len(dlq)
    shown = run.prometheus.by(expr("Dead letters by stage and reason"), "stage", "reason")
    assert shown == {k: float(v) for k, v in on_topic.items()}
    # The overview's error panel shows the same dead letters as a rate, and zeros, not gaps, for
    # the error kinds that never happened.
    rates = run.prometheus.by(expr("Errors and dead letters per stage", "A"), "stage", "reason")
    assert rates[("fetcher", "malformed_json")] > 0
    assert set(run.prometheus.by(expr("Errors and dead letters per stage", "C"), "stage")) == {
        (s,) for s in STAGES}


def test_facts_by_type_agree_with_the_facts_topic(run: Run) -> None:
    on_topic = Counter(json.loads(r.value)["type"] for r in run.topics["facts"]
                       if header(r, "ecowire-record") == "fact")
    shown = _nonzero(run.prometheus.by(expr("Facts by type"), "type"))
    assert shown == {(t,): float(n) for t, n in on_topic.items()}
    per_minute = _nonzero(run.prometheus.by(expr("Facts per minute by type"), "type"))
    assert set(per_minute) == set(shown)


def test_stage_rows_agree(run: Run) -> None:
    prom, topics = run.prometheus, run.topics
    docs = run.sent - 1  # the malformed one never reached the fetch step
    fetches = _nonzero(prom.by(expr("fetcher: fetch outcomes since start"), "outcome"))
    assert fetches == {("inline",): float(docs)}
    outcomes = {k[0]: v for k, v in prom.by(expr("normalizer: outcomes since start"), "outcome").items()}
    assert outcomes.get("single", 0) + outcomes.get("split", 0) + outcomes.get("rejected", 0) == len(topics["raw"])
    assert outcomes.get("article", 0) + outcomes.get("flagged", 0) == len(topics["articles"])
    assert outcomes.get("split", 0) >= 1  # the listing page (seed 001) is split into its items
    rates = prom.by(expr("Rates in and out per stage", "A"), "stage")
    assert set(rates) == {(s,) for s in STAGES} and all(v > 0 for v in rates.values())
    for stage in STAGES:
        ok = prom.by(expr(f"{stage}: messages by outcome"), "outcome")
        assert ok[("ok",)] > 0, stage
        lag = prom.by(expr(f"{stage}: consumer lag by partition"), "topic", "partition")
        assert lag and all(v == 0 for v in lag.values()), (stage, lag)
        # The aggregator also consumes its internal bundles topic.
        assert run.settings.topic(_input(stage)) in {k[0] for k in lag}, (stage, lag)
    restores = prom.value(expr("aggregator: partition restores"))
    assert restores is not None and restores >= 1


def _nonzero(values: dict[tuple[str, ...], float]) -> dict[tuple[str, ...], float]:
    """Series created at zero when a service starts (known label values) and still zero."""
    return {k: v for k, v in values.items() if v != 0}


def _input(stage: str) -> str:
    return {"fetcher": "ingest", "normalizer": "raw", "extractor": "articles", "aggregator": "facts"}[stage]


def test_latency_panels_are_plausible(run: Run) -> None:
    elapsed = time.time() - run.started
    p95 = run.prometheus.by(expr("End-to-end latency", "B"))
    assert len(p95) == 1
    (value,) = p95.values()
    assert 0 < value <= max(elapsed, 0.01) * 1.5 + 5  # interpolated inside a bucket: allow its width
    stage_p95 = run.prometheus.by(expr("Stage latency p95"), "stage")
    assert {k[0] for k in stage_p95} >= {"normalizer", "extractor"}


def test_product_view_agrees_with_the_results_topic(run: Run) -> None:
    results = _by_key_latest(run.topics["results"])
    by_type = Counter(v.get("type") for v in results.values())
    duplicates = sum(1 for v in results.values() if v.get("type") == "article" and v["status"] != "original")
    assert duplicates >= 1, "the test published one document twice"
    prom = run.prometheus
    assert prom.value(expr("Duplicates found")) == duplicates
    assert prom.value(expr("Targets registered")) == by_type["target"]
    assert prom.value(expr("Events registered")) == by_type["event"]
    assert prom.value(expr("Indicator series")) == by_type["series"]
