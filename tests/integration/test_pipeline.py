"""The whole pipeline: four services as separate processes on the real broker."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecowire.cli import publish_requests
from ecowire.core.settings import Settings
from ecowire.files import request_for_file
from ecowire.inprocess import raw_for_file
from ecowire.normalizer import normalize
from ecowire_schemas import IngestRequest, SourceMeta
from tests.support import SEEDS, Service, consume, header, produce

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

STAGES = ("fetcher", "normalizer", "extractor", "aggregator")


@pytest.fixture
def pipeline(kafka_settings: Settings, service_logs: Path) -> Iterator[dict[str, Service]]:
    services = {s: Service(s, kafka_settings, service_logs).start() for s in STAGES}
    try:
        for svc in services.values():
            svc.wait_healthy()
        yield services
    finally:
        for svc in services.values():
            svc.stop()


def expected_article_ids(paths: list[Path]) -> set[str]:
    """What the services must produce, computed in-process by the same stage functions."""
    ids: set[str] = set()
    for p in paths:
        ids |= {a.article_id for a in normalize(raw_for_file(p))}
    return ids


def article_results(records: list) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    by_id: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for r in records:
        if r.value is None:  # a tombstone on the compacted topic: an aggregate that went away
            continue
        v = json.loads(r.value)
        if v.get("type") == "article":
            by_id.setdefault(v["article_id"], []).append(v)
    return by_id


async def wait_for_articles(
    settings: Settings, want: set[str], timeout: float = 240  # noqa: ASYNC109
) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    got: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    while time.monotonic() < deadline:
        got = article_results(await consume(settings.bootstrap_servers, settings.topic("results"), timeout=3))
        if want <= set(got):
            return got
        await asyncio.sleep(1)
    return got


async def test_seeds_flow_through_all_four_services(kafka_settings: Settings, pipeline: dict[str, Service]) -> None:
    s = kafka_settings
    seeds = sorted(SEEDS.glob("*.txt"))
    want = expected_article_ids(seeds)
    assert len(want) == 15
    started = time.monotonic()
    await publish_requests(s, [request_for_file(p) for p in seeds])
    got = await wait_for_articles(s, want)
    elapsed = time.monotonic() - started
    assert set(got) == want, f"missing: {want - set(got)}"
    print(f"\n5 seeds → 15 article results in {elapsed:.1f}s")
    for results in got.values():
        r = results[-1]
        assert r["content_hash"] and r["cluster_id"]
        assert r["fact_counts"] == _count_types(r["facts"])
    # The facts topic carries each article's facts, then its extraction record.
    facts = await consume(s.bootstrap_servers, s.topic("facts"), timeout=5)
    closing = [json.loads(r.value) for r in facts if header(r, "ecowire-record") == "extraction"]
    assert {c["article_id"] for c in closing} == want
    assert sum(len(c["fact_ids"]) for c in closing) == sum(1 for r in facts if header(r, "ecowire-record") == "fact")


def _count_types(facts: list[dict]) -> dict[str, int]:  # type: ignore[type-arg]
    counts: dict[str, int] = {}
    for f in facts:
        counts[f["type"]] = counts.get(f["type"], 0) + 1
    return counts


async def test_malformed_ingest_is_dead_lettered_while_the_next_good_one_flows(
    kafka_settings: Settings, pipeline: dict[str, Service]
) -> None:
    s = kafka_settings
    seed = SEEDS / "004_911120dd2951dd3b.txt"
    good = request_for_file(seed)
    await produce(s.bootstrap_servers, s.topic("ingest"), [
        (b"doc", b'{"schema_version": 1, "url": ', {}),  # truncated JSON
        (b"doc", good.model_dump_json().encode(), {"schema-version": "1"}),
    ])
    want = expected_article_ids([seed])
    got = await wait_for_articles(s, want, timeout=120)
    assert want <= set(got)
    dlq = await consume(s.bootstrap_servers, s.topic("dlq"), until=1, timeout=30)
    assert len(dlq) == 1
    assert header(dlq[0], "dlq-stage") == "fetcher"
    assert header(dlq[0], "dlq-reason") == "malformed_json"
    assert dlq[0].value == b'{"schema_version": 1, "url": '


async def test_a_service_killed_mid_stream_loses_nothing(
    kafka_settings: Settings, pipeline: dict[str, Service]
) -> None:
    """SIGKILL the extractor while documents flow; after a restart every article has a result,
    each article id once in the set of results (replays may repeat a record, never lose one)."""
    s = kafka_settings
    seeds = sorted(SEEDS.glob("*.txt"))
    # Distinct documents: each seed with a line of its own appended, four rounds.
    reqs: list[IngestRequest] = []
    paths: list[Path] = []
    tmp = pipeline["extractor"].log_dir.parent / "docs"
    tmp.mkdir()
    for round_ in range(4):
        for p in seeds:
            copy = tmp / f"{round_}-{p.name}"
            copy.write_bytes(p.read_bytes() + f"\n\n第{round_}轮转载。\n".encode())
            paths.append(copy)
            reqs.append(request_for_file(copy, SourceMeta(source=f"round-{round_}")))
    want = expected_article_ids(paths)
    await publish_requests(s, reqs)
    # Kill once some results exist and before all do.
    deadline = time.monotonic() + 120
    n = 0
    while time.monotonic() < deadline:
        n = len(article_results(await consume(s.bootstrap_servers, s.topic("results"), timeout=1)))
        if n >= 3:
            break
    assert 0 < n < len(want), f"not mid-stream: {n} of {len(want)} results at kill time"
    extractor = pipeline["extractor"]
    assert extractor.kill(signal.SIGKILL) == -signal.SIGKILL
    extractor.start().wait_healthy()
    got = await wait_for_articles(s, want, timeout=300)
    assert set(got) == want, f"lost {len(want - set(got))} of {len(want)}"
