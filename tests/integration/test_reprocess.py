"""`ecowire reprocess` on the real broker: the seeds through the pipeline with an emulated older
extractor, then reprocessed by the current one, end where a fresh run of the current extractor
does, key by key on the results topic; the aggregator counts no article twice and no reprocessed
record reaches the latency histograms."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ecowire.cli import publish_requests
from ecowire.core.settings import Settings
from ecowire.core.topics_admin import ensure_topics
from ecowire.extractor import EXTRACTOR_VERSION
from ecowire.files import request_for_file
from ecowire.reprocess import parse_since, reprocess
from ecowire_schemas.common import H_INGESTED_AT, H_REPROCESS
from ecowire_schemas.topics import BY_BASE
from tests.integration.test_pipeline import expected_article_ids
from tests.support import SEEDS, Service, comparable_results, consume, header, unique_settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

STAGES = ("fetcher", "normalizer", "extractor", "aggregator")
OLD = "extractor-0.9.0-emulated"


async def latest_results(settings: Settings) -> dict[str, dict[str, Any]]:
    """The compacted results topic as a consumer sees it: the latest value per key."""
    latest: dict[str, dict[str, Any]] = {}
    for r in await consume(settings.bootstrap_servers, settings.topic("results"), timeout=3):
        key = r.key.decode()
        if r.value is None:
            latest.pop(key, None)  # a tombstone: the aggregate went away
        else:
            latest[key] = json.loads(r.value)
    return latest


async def settled_results(settings: Settings, want: set[str], timeout: float = 240) -> dict[str, dict[str, Any]]:  # noqa: ASYNC109
    """The results once every wanted article has one and two reads a second apart agree."""
    deadline = time.monotonic() + timeout
    previous: dict[str, dict[str, Any]] | None = None
    while time.monotonic() < deadline:
        latest = await latest_results(settings)
        if want <= {v["article_id"] for v in latest.values() if v.get("type") == "article"} and latest == previous:
            return latest
        previous = latest
        await asyncio.sleep(1)
    raise TimeoutError(f"results did not settle: {len(previous or {})} keys")


def start(settings: Settings, logs: Path, env: dict[str, dict[str, str]] | None = None) -> dict[str, Service]:
    services = {s: Service(s, settings, logs, extra_env=(env or {}).get(s, {})).start() for s in STAGES}
    for svc in services.values():
        svc.wait_healthy()
    return services


def metric(svc: Service, name: str, labels: str = "") -> float:
    """A sample's value; `labels` as the exposition writes them (sorted by name)."""
    text = svc.metrics_text()
    m = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.MULTILINE)
    assert m, f"no sample {name}{labels} on {svc.stage}'s /metrics"
    return float(m.group(1))


def versions(latest: dict[str, dict[str, Any]]) -> set[str]:
    return {f["extractor_version"] for v in latest.values() if v.get("type") == "article" for f in v["facts"]}


def differing(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


async def test_reprocess_ends_where_a_fresh_run_of_the_current_extractor_does(
    kafka_bootstrap: str, service_logs: Path
) -> None:
    seeds = sorted(SEEDS.glob("*.txt"))
    want = expected_article_ids(seeds)
    fresh, kept = unique_settings(kafka_bootstrap), unique_settings(kafka_bootstrap)
    await ensure_topics(fresh)
    await ensure_topics(kept)
    timings: dict[str, float] = {}

    # 1. A fresh run of the current extractor: what reprocessing must arrive at.
    t0 = time.monotonic()
    services = start(fresh, service_logs)
    try:
        await publish_requests(fresh, [request_for_file(p) for p in seeds])
        expected = comparable_results(await settled_results(fresh, want))
    finally:
        for svc in services.values():
            svc.stop()
    timings["fresh run"] = time.monotonic() - t0
    assert versions(expected) == {EXTRACTOR_VERSION}

    # 2. The same seeds through a pipeline whose extractor is the emulated older one.
    t0 = time.monotonic()
    services = start(kept, service_logs, {"extractor": {"ECOWIRE_EXTRACTOR_RUN_AS": OLD}})
    try:
        await publish_requests(kept, [request_for_file(p) for p in seeds])
        old = comparable_results(await settled_results(kept, want))
        timings["older run"] = time.monotonic() - t0
        assert versions(old) == {OLD}
        changed = differing(old, expected)
        assert changed, "the emulated older extractor must produce other results"
        aggregator = services["aggregator"]
        latency_count = metric(aggregator, "ecowire_end_to_end_latency_seconds_count")
        assert latency_count == len(want)

        # 3. The current extractor replaces the older one; the kept articles are reprocessed.
        for stage in ("fetcher", "normalizer", "extractor"):
            services[stage].stop()
        services["extractor"] = Service("extractor", kept, service_logs).start()
        services["extractor"].wait_healthy()
        dry = await reprocess(kept, dry_run=True)
        assert (dry.replayed, dry.scanned) == (len(want), len(want))
        later = await reprocess(kept, since=parse_since("2100-01-01"), dry_run=True)
        assert later.replayed == 0 and later.scanned == 0  # offsets_for_times: nothing to read
        between = datetime.now(UTC)  # after every original article, before any replayed one
        t0 = time.monotonic()
        report = await reprocess(kept)
        assert report.replayed == len(want)
        after = comparable_results(await settled_results(kept, want))
        timings["reprocess to settled results"] = time.monotonic() - t0

        # Key by key, what a fresh run of the current extractor publishes.
        assert differing(after, expected) == []
        assert len([k for k in after if k.startswith("article:")]) == len(want)
        # Counted once: no new article, no latency sample, in the aggregator ...
        assert metric(aggregator, "ecowire_end_to_end_latency_seconds_count") == latency_count
        assert metric(aggregator, "ecowire_aggregator_state_keys", '{partition="0"}') == len(want)
        # ... and the extractor, which only saw reprocessed articles, took none for an ingest.
        assert metric(services["extractor"], "ecowire_stage_latency_seconds_count", '{stage="extractor"}') == 0
        assert metric(services["extractor"], "ecowire_messages_total",
                      '{outcome="ok",stage="extractor"}') == len(want)
        # The query API answers with the current extractor's facts.
        aid = sorted(want)[0]
        async with httpx.AsyncClient(timeout=5) as client:
            body = (await client.get(f"http://127.0.0.1:{aggregator.port}/articles/{aid}")).json()
        assert {f["extractor_version"] for f in body["facts"]} <= {EXTRACTOR_VERSION}
    finally:
        for svc in services.values():
            svc.stop()

    # The re-published articles and the facts made from them carry the mark and no ingest time.
    articles = await consume(kept.bootstrap_servers, kept.topic("articles"), until=2 * len(want), timeout=30)
    marked = [r for r in articles if header(r, H_REPROCESS)]
    assert len(marked) == len(want) and all(header(r, H_INGESTED_AT) is None for r in marked)
    assert all(header(r, H_INGESTED_AT) for r in articles if not header(r, H_REPROCESS))
    facts = await consume(kept.bootstrap_servers, kept.topic("facts"), timeout=5)
    new_facts = [r for r in facts if json.loads(r.value)["extractor_version"] == EXTRACTOR_VERSION]
    assert new_facts and all(header(r, H_REPROCESS) and header(r, H_INGESTED_AT) is None for r in new_facts)
    # The command itself. The topic now holds each article twice (compaction has not run): a run
    # replays each once; --since selects by ingest time, not by when a record was written.
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "ECOWIRE_TOPIC_PREFIX": kept.topic_prefix}
    for args, line in (
        ([], f"would replay {len(want)} article(s) onto {kept.topic('articles')} ({2 * len(want)} record(s) read "
             f"from 3 partition(s); skipped 0 ingested earlier, {len(want)} repeated, 0 unreadable)"),
        (["--since", between.isoformat()], f"({len(want)} record(s) read from 3 partition(s); skipped "
                                           f"{len(want)} ingested earlier, 0 repeated, 0 unreadable)"),
    ):
        r = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "ecowire", "reprocess", "--dry-run", *args],
                                    capture_output=True, text=True, env=env, timeout=120, check=False)
        assert r.returncode == 0 and line in r.stdout, (args, r.stdout, r.stderr)
    print(f"\n{', '.join(f'{k} {v:.1f}s' for k, v in timings.items())}; {len(changed)} result keys differed "
          f"before reprocessing (older run {len(old)} keys, fresh run {len(expected)})")


async def test_topics_create_warns_when_an_existing_topic_lacks_a_declared_config(kafka_bootstrap: str) -> None:
    settings = unique_settings(kafka_bootstrap)
    articles = BY_BASE["articles"]
    # articles.v1 as releases before compaction declared it: deleted after 7 days
    old_spec = type(articles)(articles.base, articles.version, articles.model, articles.key, articles.description,
                              extra_config=articles.extra_config)
    await ensure_topics(settings, (old_spec,))
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "ECOWIRE_TOPIC_PREFIX": settings.topic_prefix}
    r = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "ecowire", "topics", "create"],
                                capture_output=True, text=True, env=env, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert "created 8 topic(s)" in r.stdout  # every other declared topic; articles.v1 is left as it is
    warnings = [line for line in r.stderr.splitlines() if "topic_config_mismatch" in line]
    assert len(warnings) == 1, r.stderr  # the topics just created match their declaration
    assert settings.topic("articles") in warnings[0] and "warning" in warnings[0]
    assert "'cleanup.policy': 'compact'" in warnings[0] and "'cleanup.policy': 'delete'" in warnings[0]
