"""The time budget in a real extractor service: an article that overruns it is dead-lettered as
`timeout` and the next one on its partition flows; /health answers all the while; SIGTERM stops
the service within its graceful timeout even while a step is computing."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import httpx
import pytest

from ecowire.core.settings import Settings
from ecowire.fetcher.logic import inline_document
from ecowire.normalizer import normalize
from ecowire.shapes import long_line
from ecowire_schemas import Article, IngestRequest
from tests.support import Service, consume, header, produce

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def article(content: str) -> Article:
    (a,) = normalize(inline_document(IngestRequest(content=content)))
    return a


async def health_latencies(port: int, until: asyncio.Event) -> list[float]:
    """Seconds /health took to answer, every 0.2 s until `until` is set (inf: no answer)."""
    out: list[float] = []
    async with httpx.AsyncClient() as client:
        while not until.is_set():
            t = time.monotonic()
            try:
                ok = (await client.get(f"http://127.0.0.1:{port}/health", timeout=5.0)).is_success
            except httpx.HTTPError:
                ok = False
            out.append(time.monotonic() - t if ok else float("inf"))
            await asyncio.sleep(0.2)
    return out


async def test_an_overrun_is_dead_lettered_and_health_stays_responsive(
    kafka_settings: Settings, service_logs: Path,
) -> None:
    s = kafka_settings.model_copy(update={"time_budget_s": 2.0})
    huge = article(long_line(300_000))  # several seconds of extraction: over the budget
    small = article("生态环境部部长黄润秋3月5日在北京出席全国生态环境保护工作会议。")
    svc = Service("extractor", s, service_logs).start()
    try:
        svc.wait_healthy()
        done = asyncio.Event()
        probe = asyncio.create_task(health_latencies(svc.port, done))
        await produce(s.bootstrap_servers, s.topic("articles"),
                      [(b"same", a.model_dump_json().encode(), {}) for a in (huge, small)])
        dlq = await consume(s.bootstrap_servers, s.topic("dlq"), until=1, timeout=90)
        facts = await consume(s.bootstrap_servers, s.topic("facts"), until=1, timeout=60,
                              predicate=lambda r: header(r, "ecowire-record") == "extraction")
        done.set()
        latencies = await probe
    finally:
        svc.stop()
    assert header(dlq[0], "dlq-reason") == "timeout", svc.log_tail()
    assert json.loads(dlq[0].value)["article_id"] == huge.article_id
    assert [json.loads(r.value)["article_id"] for r in facts] == [small.article_id]
    assert len(latencies) >= 5 and max(latencies) < 2.0, latencies  # answered throughout


async def test_sigterm_stops_the_service_while_a_step_computes(kafka_settings: Settings, service_logs: Path) -> None:
    s = kafka_settings.model_copy(update={"time_budget_s": 300.0, "graceful_timeout_s": 3.0})
    svc = Service("extractor", s, service_logs).start()
    try:
        svc.wait_healthy()
        await produce(s.bootstrap_servers, s.topic("articles"),
                      [(b"k", article(long_line(400_000)).model_dump_json().encode(), {})])
        await asyncio.sleep(4)  # the article is being extracted (it takes far longer than this)
        started = time.monotonic()
        code = svc.kill(signal.SIGTERM, timeout=60)
        took = time.monotonic() - started
    finally:
        svc.stop()
    assert took < 3.0 + 10.0, f"SIGTERM took {took:.1f}s; log: {svc.log_tail()}"  # drain wait + shutdown
    assert code in (0, -signal.SIGTERM), svc.log_tail()  # uvicorn re-raises the signal once it shut down
