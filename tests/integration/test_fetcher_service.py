"""The fetcher service on the real broker: ingest URLs -> raw, dead letters, and the source poller
whose seen-state survives a restart through the compacted fetcher-state topic."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import httpx
import pytest
from faststream import TestApp

from ecowire.core.settings import Settings
from ecowire.fetcher.app import build_fetcher_app, runtime
from ecowire.fetcher.leader import PollerLease
from ecowire.fetcher.settings import FetchSettings
from ecowire.fetcher.state import load_state
from ecowire_schemas.ingest import IngestRequest
from tests.support import Service, consume, header, produce
from tests.unit.fetcher.feeds import Item, item, rss
from tests.unit.fetcher.localhttp import LocalServer, Reply, Seen

pytestmark = pytest.mark.kafka

PAGE = ("<html><head><title>碳市场</title></head>"
        "<body><p>全国碳排放权交易市场扩围至钢铁、水泥、铝冶炼行业。</p></body></html>")


class Site:
    def __init__(self) -> None:
        self.items: list[Item] = []

    def __call__(self, req: Seen) -> Reply:
        if req.path == "/feed":
            return Reply(200, rss(list(reversed(self.items))), {"content-type": "application/rss+xml"})
        if req.path == "/robots.txt":
            return Reply(200, b"User-agent: *\nDisallow: /private\n")
        if req.path.startswith("/article/") or req.path == "/page":
            if req.headers.get("if-none-match") == '"p1"':
                return Reply(304)
            return Reply(200, PAGE.encode("gbk"), {"content-type": "text/html; charset=gbk", "etag": '"p1"'})
        return Reply(404, b"no")


def fetch_settings(sources: Path | None) -> FetchSettings:
    return FetchSettings(allow_hosts=["127.0.0.1"], per_host_interval_s=0, backoff_base_s=0.01, max_retries=1,
                         sources_file=sources, read_timeout_s=2)


async def wait_for(predicate: object, within: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.1)


async def test_feed_gains_two_items_and_none_come_again_after_a_restart(
    kafka_settings: Settings, tmp_path: Path
) -> None:
    s = kafka_settings
    site = Site()
    site.items = [item(i) for i in range(3)] + [item(3, full=False, base="")]  # one item only links
    async with LocalServer(site) as srv:
        site.items[3] = Item(site.items[3].guid, site.items[3].title, srv.url("/article/3"), site.items[3].date)
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            f"sources:\n  - {{name: mee, url: '{srv.url('/feed')}', source: 生态环境部, interval: 30m, jitter: 0}}\n",
            "utf-8")

        async with TestApp(build_fetcher_app(s, fetch_settings(sources))):
            assert runtime.poller is not None and runtime.ctx is not None
            state = runtime.ctx.state
            await wait_for(lambda: (st := state.source_status("mee")) is not None and st.polls == 1)
            site.items += [item(10), item(11)]
            src = runtime.poller.sources[0]
            gained = await runtime.poller.poll_once(src)
            assert gained.published == 2
            # The link-only item went through ingest.v1 and the stage fetched it.
            raw = await consume(s.bootstrap_servers, s.topic("raw"), until=6, timeout=60)

        async with TestApp(build_fetcher_app(s, fetch_settings(sources))):
            assert runtime.poller is not None and runtime.ctx is not None
            assert runtime.ctx.state.seen_count("mee") == 6  # restored from the compacted topic
            again = await runtime.poller.poll_once(runtime.poller.sources[0])
            assert again.published == 0 and again.items == 6

    assert len(raw) == 6
    titles = sorted(json.loads(r.value)["metadata"]["title"] for r in raw)
    assert titles == sorted(it.title for it in site.items)
    origins = sorted(json.loads(r.value)["origin"] for r in raw)
    assert origins == ["feed"] * 5 + ["url"]
    fetched = next(json.loads(r.value) for r in raw if json.loads(r.value)["origin"] == "url")
    assert "碳排放权交易市场" in fetched["text"] and fetched["encoding"] == "gb18030"
    # Nothing more was published after the restart: the raw topic still holds exactly six.
    everything = await consume(s.bootstrap_servers, s.topic("raw"), idle=2.0, timeout=20)
    assert len(everything) == 6
    assert len({r.key for r in everything}) == 6
    restored = await load_state(s)
    status = restored["source:mee"]
    assert getattr(status, "items_published", None) == 6 and getattr(status, "polls", None) == 3


async def test_ingest_urls_become_raw_documents_or_dead_letters(kafka_settings: Settings) -> None:
    s = kafka_settings
    site = Site()
    async with LocalServer(site) as srv:
        ok = IngestRequest(url=srv.url("/page"), metadata={"source": "测试"})
        reqs = [ok, IngestRequest(url=srv.url("/missing")), IngestRequest(url=srv.url("/private")),
                IngestRequest(url="file:///etc/passwd"), ok]  # the last one: not modified since
        await produce(s.bootstrap_servers, s.topic("ingest"),
                      [(r.effective_doc_id().encode(), r.model_dump_json().encode(), {}) for r in reqs])
        async with TestApp(build_fetcher_app(s, fetch_settings(None))):
            dlq = await consume(s.bootstrap_servers, s.topic("dlq"), until=3, timeout=60)
            raw = await consume(s.bootstrap_servers, s.topic("raw"), until=1, idle=3.0, timeout=60)
            await wait_for(lambda: srv.paths().count("/page") == 2)
    assert sorted(header(r, "dlq-reason") or "" for r in dlq) == ["http_error", "refused", "robots_disallowed"]
    assert len(raw) == 1
    doc = json.loads(raw[0].value)
    assert doc["doc_id"] == ok.effective_doc_id() and raw[0].key == ok.effective_doc_id().encode()
    assert doc["metadata"]["source"] == "测试" and doc["fetch"]["etag"] == '"p1"'
    assert header(raw[0], "ecowire-ingested-at") is not None
    conditions = [r.headers.get("if-none-match") for r in srv.requests if r.path == "/page"]
    assert conditions == [None, '"p1"']
    state = await load_state(s)
    assert any(k.startswith("validators:") for k in state)


async def wait_healthy(svc: Service, within: float = 60.0) -> None:
    """/health answers 2xx (FastStream's ping answers 204 No Content)."""
    deadline = asyncio.get_running_loop().time() + within
    async with httpx.AsyncClient() as client:
        while asyncio.get_running_loop().time() < deadline:
            assert svc.proc is not None and svc.proc.poll() is None, svc.log_tail()
            try:
                if (await client.get(f"http://127.0.0.1:{svc.port}/health", timeout=1.0)).is_success:
                    return
            except httpx.HTTPError:
                pass  # not listening yet
            await asyncio.sleep(0.2)
    raise TimeoutError(svc.log_tail())


async def test_the_service_process_starts_fetches_and_reports_metrics(
    kafka_settings: Settings, service_logs: Path
) -> None:
    s = kafka_settings
    site = Site()
    async with LocalServer(site) as srv:
        svc = Service("fetcher", s, service_logs, extra_env={"ECOWIRE_FETCH_ALLOW_HOSTS": "127.0.0.1"}).start()
        try:
            await wait_healthy(svc)
            big5 = "環境部公布空氣品質監測結果"
            reqs = [IngestRequest(url=srv.url("/page")),
                    IngestRequest(content_b64=base64.b64encode(big5.encode("big5")).decode())]
            await produce(s.bootstrap_servers, s.topic("ingest"),
                          [(r.effective_doc_id().encode(), r.model_dump_json().encode(), {}) for r in reqs])
            raw = await consume(s.bootstrap_servers, s.topic("raw"), until=2, timeout=60)
            metrics_text = await asyncio.to_thread(svc.metrics_text)
        finally:
            svc.stop()
    texts = sorted(json.loads(r.value)["text"] for r in raw)
    assert big5 in texts and any("碳排放权" in t for t in texts)
    assert 'ecowire_fetch_total{outcome="fetched"} 1.0' in metrics_text
    assert 'ecowire_fetch_total{outcome="inline"} 1.0' in metrics_text
    # SIGTERM: a clean shutdown (uvicorn re-raises the signal after it, hence -15).
    assert svc.proc is not None and svc.proc.returncode in (0, -15), svc.log_tail()
    assert "Application shutdown complete" in svc.log_tail(20000)


async def test_exactly_one_replica_polls_and_another_takes_over(kafka_settings: Settings) -> None:
    events: list[tuple[str, str]] = []

    def lease(name: str) -> PollerLease:
        async def acquired() -> None:
            events.append((name, "acquired"))

        async def lost() -> None:
            events.append((name, "lost"))

        return PollerLease(kafka_settings, acquired, lost)

    a, b = lease("a"), lease("b")
    await a.start()
    await b.start()
    try:
        await wait_for(lambda: a.held or b.held)
        await asyncio.sleep(3.0)  # let the group settle: still exactly one
        assert a.held != b.held
        holder, other = (a, b) if a.held else (b, a)
        await holder.stop()  # leaves the group: the other one takes over
        await wait_for(lambda: other.held, within=30)
        assert not holder.held
    finally:
        await a.stop()
        await b.stop()
    holder_name = "a" if holder is a else "b"
    assert (holder_name, "lost") in events
    assert events.index((holder_name, "lost")) < len(events) - 1  # the hand-over came after the release


async def test_sigterm_lets_the_fetch_in_flight_finish(kafka_settings: Settings, service_logs: Path) -> None:
    s = kafka_settings

    def slow(req: Seen) -> Reply:
        if req.path == "/robots.txt":
            return Reply(404)
        return Reply(200, PAGE.encode("gbk"), {"content-type": "text/html; charset=gbk"}, delay_s=3.0)

    async with LocalServer(slow) as srv:
        svc = Service("fetcher", s, service_logs, extra_env={"ECOWIRE_FETCH_ALLOW_HOSTS": "127.0.0.1"}).start()
        try:
            await wait_healthy(svc)
            req = IngestRequest(url=srv.url("/slow"))
            await produce(s.bootstrap_servers, s.topic("ingest"),
                          [(req.effective_doc_id().encode(), req.model_dump_json().encode(), {})])
            await wait_for(lambda: "/slow" in srv.paths())
            assert svc.proc is not None
            svc.proc.terminate()  # SIGTERM while the page is still being served
            await asyncio.to_thread(svc.proc.wait, 30)
        finally:
            svc.stop()
    raw = await consume(s.bootstrap_servers, s.topic("raw"), until=1, timeout=20)
    dlq = await consume(s.bootstrap_servers, s.topic("dlq"), idle=1.0, timeout=5)
    assert len(raw) == 1 and dlq == [], svc.log_tail()
    assert "碳排放权" in json.loads(raw[0].value)["text"]
