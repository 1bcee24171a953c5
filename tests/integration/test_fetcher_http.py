"""The fetcher against real HTTP servers on 127.0.0.1: charsets, retries, caps, safety, robots,
conditional GET, politeness, and the dead letter + metric of every failure (no broker needed)."""

from __future__ import annotations

import asyncio
import base64
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from ecowire.core import metrics
from ecowire.core.records import InRecord, Reject
from ecowire.core.settings import Settings
from ecowire.core.stage import Stage, StageRunner
from ecowire.fetcher.app import FetcherRuntime
from ecowire.fetcher.http import HttpFetcher
from ecowire.fetcher.logic import FetchContext, RecordRef, fetch_request
from ecowire.fetcher.settings import FetchSettings
from ecowire.fetcher.state import StateStore
from ecowire_schemas.common import H_DLQ_REASON
from ecowire_schemas.ingest import IngestRequest
from tests.support import SEEDS
from tests.unit.fetcher.localhttp import LocalServer, Reply, Seen, stream_bytes

SIMPLIFIED = (SEEDS / "001_c89da7afd5c4699d.txt").read_text("utf-8")[:1500]
TRADITIONAL = (SEEDS / "002_83f491876b27a32f.txt").read_text("utf-8")[:1500]
MB = 1024 * 1024


def fast_settings(**over: Any) -> FetchSettings:
    base: dict[str, Any] = {
        "allow_hosts": ["127.0.0.1"], "per_host_interval_s": 0.0, "per_host_concurrency": 4,
        "backoff_base_s": 0.01, "backoff_max_s": 0.05, "read_timeout_s": 0.5, "connect_timeout_s": 1.0,
        "max_body_bytes": 1 * MB, "max_retries": 3, "deadline_s": 20.0,
    }
    base.update(over)
    return FetchSettings(**base)


def fetch_count(outcome: str) -> float:
    return metrics.registry.get_sample_value("ecowire_fetch_total", {"outcome": outcome}) or 0.0


def dead_letters(reason: str) -> float:
    return metrics.registry.get_sample_value("ecowire_dead_letters_total",
                                             {"stage": "fetcher", "reason": reason}) or 0.0


Route = Callable[[Seen], Reply]


def routes(table: dict[str, Route | Reply], robots: str | None = None) -> Callable[[Seen], Reply]:
    def handle(req: Seen) -> Reply:
        if req.path == "/robots.txt":
            return Reply(200, robots.encode()) if robots is not None else Reply(404, b"no")
        r = table.get(req.path)
        if r is None:
            return Reply(404, b"not here")
        return r if isinstance(r, Reply) else r(req)
    return handle


async def fetch(url: str, settings: FetchSettings | None = None, state: StateStore | None = None,
                ref: RecordRef | None = None) -> Any:
    async with HttpFetcher(settings or fast_settings()) as f:
        return await fetch_request(IngestRequest(url=url), FetchContext(f, state or StateStore()), ref)


async def rejected(url: str, settings: FetchSettings | None = None) -> Reject:
    with pytest.raises(Reject) as info:
        await fetch(url, settings)
    return info.value


# --- charsets ---------------------------------------------------------------------------------


async def test_gbk_and_big5_pages_are_decoded_right() -> None:
    gbk_only = "朱镕基与王喆"  # 镕 and 喆 are GBK but not GB2312: a "gb2312" label must read as GB18030
    page_gbk = f"<html><head><meta charset=gb2312><title>t</title></head><body>{gbk_only}{SIMPLIFIED}</body></html>"
    page_big5 = f"<html><body><p>{TRADITIONAL}</p></body></html>"
    handler = routes({
        "/gbk-header": Reply(200, SIMPLIFIED.encode("gbk"), {"content-type": "text/plain; charset=GBK"}),
        "/gbk-meta": Reply(200, page_gbk.encode("gbk"), {"content-type": "text/html"}),
        "/big5-header": Reply(200, page_big5.encode("big5"), {"content-type": "text/html; charset=big5"}),
        "/big5-undeclared": Reply(200, page_big5.encode("big5hkscs"), {"content-type": "text/html"}),
        "/lying-header": Reply(200, page_big5.encode("big5"), {"content-type": "text/html; charset=utf-8"}),
    })
    async with LocalServer(handler) as srv:
        d1 = (await fetch(srv.url("/gbk-header"))).document
        d2 = (await fetch(srv.url("/gbk-meta"))).document
        d3 = (await fetch(srv.url("/big5-header"))).document
        d4 = (await fetch(srv.url("/big5-undeclared"))).document
        d5 = (await fetch(srv.url("/lying-header"))).document
    assert d1.text == SIMPLIFIED and (d1.encoding, d1.encoding_source) == ("gb18030", "declared")
    assert d1.content_type == "text/plain"
    assert gbk_only in d2.text and SIMPLIFIED in d2.text and d2.encoding == "gb18030"
    assert d2.content_type == "text/html"
    assert TRADITIONAL in d3.text and d3.encoding in ("big5hkscs", "cp950") and d3.encoding_source == "declared"
    assert TRADITIONAL in d4.text and d4.encoding_source == "detected"
    assert TRADITIONAL in d5.text and d5.encoding_source == "detected"  # the wrong label was not believed
    assert d1.origin == "url" and d1.fetch is not None and d1.fetch.status == 200
    assert d1.byte_length == len(SIMPLIFIED.encode("gbk"))


async def test_inline_bytes_and_text_pass_through_with_what_was_detected() -> None:
    async with HttpFetcher(fast_settings()) as f:
        ctx = FetchContext(f)
        b5 = await fetch_request(IngestRequest(content_b64=base64.b64encode(TRADITIONAL.encode("big5")).decode()), ctx)
        gb = await fetch_request(IngestRequest(content_b64=base64.b64encode(SIMPLIFIED.encode("gb18030")).decode(),
                                               content_type="text/plain; charset=gbk"), ctx)
        txt = await fetch_request(IngestRequest(content=SIMPLIFIED), ctx)
    assert b5.document is not None and b5.document.text == TRADITIONAL and b5.document.encoding_source == "detected"
    assert gb.document is not None and gb.document.text == SIMPLIFIED
    assert (gb.document.encoding, gb.document.encoding_source) == ("gb18030", "declared")
    assert txt.document is not None and txt.document.encoding_source == "inline-text"
    assert txt.document.origin == "inline" and txt.document.fetch is None


# --- retries ----------------------------------------------------------------------------------


async def test_retries_on_503_then_succeeds() -> None:
    calls = itertools.count()

    def flaky(_: Seen) -> Reply:
        return Reply(503, b"busy") if next(calls) < 2 else Reply(200, b"<p>ok</p>", {"content-type": "text/html"})

    async with LocalServer(routes({"/flaky": flaky})) as srv:
        out = await fetch(srv.url("/flaky"))
        assert srv.paths().count("/flaky") == 3
    assert out.document is not None and out.document.text == "<p>ok</p>"


async def test_persistent_503_gives_up_after_the_retries() -> None:
    before = fetch_count("gave_up")
    async with LocalServer(routes({"/down": Reply(503, b"down")})) as srv:
        e = await rejected(srv.url("/down"), fast_settings(max_retries=2))
        assert srv.paths().count("/down") == 3
    assert e.reason == "http_error" and "503" in e.message
    assert fetch_count("gave_up") == before + 1


async def test_retries_on_a_timeout() -> None:
    calls = itertools.count()

    def slow_first(_: Seen) -> Reply:
        if next(calls) == 0:
            return Reply(200, b"late", delay_s=2.0)
        return Reply(200, b"fast", {"content-type": "text/plain"})

    async with LocalServer(routes({"/slow": slow_first})) as srv:
        out = await fetch(srv.url("/slow"), fast_settings(read_timeout_s=0.3))
        assert srv.paths().count("/slow") == 2
    assert out.document.text == "fast"


async def test_no_retry_on_404() -> None:
    before = fetch_count("http_error")
    async with LocalServer(routes({})) as srv:
        e = await rejected(srv.url("/missing"))
        assert srv.paths().count("/missing") == 1
    assert e.reason == "http_error" and "404" in e.message
    assert fetch_count("http_error") == before + 1


async def test_unreachable_host_gives_up() -> None:
    async with LocalServer(routes({})) as srv:
        port = srv.port
    e = await rejected(f"http://127.0.0.1:{port}/gone", fast_settings(max_retries=1))  # server closed
    assert e.reason == "unreachable"


# --- redirects and size caps ------------------------------------------------------------------


async def test_redirect_loop_and_endless_redirects_are_stopped() -> None:
    def endless(req: Seen) -> Reply:
        n = int(req.path.rsplit("/", 1)[1])
        return Reply(302, headers={"location": f"/chain/{n + 1}"})

    table: dict[str, Route | Reply] = {
        "/a": Reply(301, headers={"location": "/b"}),
        "/b": Reply(302, headers={"location": "/a"}),
        **{f"/chain/{i}": endless for i in range(50)},
        "/ok-start": Reply(302, headers={"location": "/ok-end"}),
        "/ok-end": Reply(200, b"landed", {"content-type": "text/plain"}),
    }
    before = fetch_count("redirect_loop")
    async with LocalServer(routes(table)) as srv:
        loop = await rejected(srv.url("/a"))
        chain = await rejected(srv.url("/chain/0"), fast_settings(max_redirects=4))
        assert srv.paths().count("/chain/5") == 0 and srv.paths().count("/chain/4") == 1
        ok = await fetch(srv.url("/ok-start"))
    assert loop.reason == "redirect_loop" and "loop" in loop.message
    assert chain.reason == "redirect_loop"
    assert fetch_count("redirect_loop") == before + 2
    assert ok.document.fetch.redirects == 1 and ok.document.fetch.final_url.endswith("/ok-end")
    assert ok.document.metadata.url == ok.document.fetch.final_url


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_a_50mb_body_is_stopped(declared: bool) -> None:
    total = 50 * MB

    def huge(_: Seen) -> Reply:
        headers = {"content-type": "text/html"} | ({"content-length": str(total)} if declared else {})
        return Reply(200, stream_bytes(total), headers)

    before = fetch_count("too_large")
    async with LocalServer(routes({"/huge": huge})) as srv:
        e = await rejected(srv.url("/huge"))
        await asyncio.sleep(0.1)
        sent = srv.body_bytes_sent
    assert e.reason == "too_large"
    assert sent < 10 * MB, f"the server got {sent} bytes out: the fetcher kept reading"
    assert fetch_count("too_large") == before + 1


# --- safety -----------------------------------------------------------------------------------


async def test_loopback_refused_unless_allowed_also_after_a_redirect() -> None:
    before = fetch_count("refused")
    async with LocalServer(routes({"/page": Reply(200, b"hi", {"content-type": "text/plain"})})) as srv:
        refused = await rejected(srv.url("/page"), fast_settings(allow_hosts=[]))
        assert srv.requests == []  # nothing reached the server
        allowed = await fetch(srv.url("/page"))
        by_name = await rejected(srv.url("/page", host="localhost"))  # resolves to loopback, not allowed
        srv.handler = routes({"/go": Reply(302, headers={"location": srv.url("/page", host="localhost")})})
        after_redirect = await rejected(srv.url("/go"))
        paths = srv.paths()
        assert "/page" not in paths[paths.index("/go"):]  # the redirect target was never requested
    assert refused.reason == "refused" and "loopback" in refused.message
    assert allowed.document.text == "hi"
    assert by_name.reason == "refused" and "resolves to" in by_name.message
    assert after_redirect.reason == "refused"
    assert fetch_count("refused") == before + 3


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "gopher://127.0.0.1:70/",
                                 "http://169.254.169.254/latest/meta-data/", "http://[::1]:80/", "http://10.0.0.1/",
                                 "http://0.0.0.0:8080/"])
async def test_unsafe_targets_are_refused_without_a_connection(url: str) -> None:
    e = await rejected(url, fast_settings(allow_hosts=[]))
    assert e.reason == "refused"


# --- robots.txt -------------------------------------------------------------------------------


async def test_robots_txt_is_honoured_and_cached() -> None:
    robots = "User-agent: *\nDisallow: /private\n\nUser-agent: ecowire-fetcher\nDisallow: /no-ecowire\nAllow: /\n"
    page = Reply(200, b"page", {"content-type": "text/plain"})
    before = fetch_count("robots_disallowed")
    async with LocalServer(routes({"/public": page, "/no-ecowire/x": page, "/private": page}, robots)) as srv:
        ok = await fetch(srv.url("/public"))
        e = await rejected(srv.url("/no-ecowire/x"))
        async with HttpFetcher(fast_settings()) as f:  # one fetcher: robots.txt read once
            for _ in range(3):
                await f.fetch(srv.url("/public"))
            robots_reads = srv.paths().count("/robots.txt")
        assert "/no-ecowire/x" not in srv.paths()
    assert ok.document.text == "page"
    assert e.reason == "robots_disallowed"
    assert robots_reads == 3  # two single-use fetchers + one shared by three fetches
    assert fetch_count("robots_disallowed") == before + 1


async def test_robots_txt_server_error_disallows_and_404_allows() -> None:
    def handler(req: Seen) -> Reply:
        if req.path == "/robots.txt":
            return Reply(500, b"oops")
        return Reply(200, b"x", {"content-type": "text/plain"})

    async with LocalServer(handler) as srv:
        e = await rejected(srv.url("/page"), fast_settings(max_retries=0))
        assert "/page" not in srv.paths()
    assert e.reason == "robots_disallowed" and "unavailable" in e.message
    async with LocalServer(routes({"/page": Reply(200, b"x", {"content-type": "text/plain"})})) as srv:
        assert (await fetch(srv.url("/page"))).document.text == "x"  # robots.txt 404: no rules


# --- conditional GET --------------------------------------------------------------------------


async def test_conditional_get_publishes_nothing_when_not_modified() -> None:
    def page(req: Seen) -> Reply:
        if req.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(200, b"<p>v1</p>", {"content-type": "text/html", "etag": '"v1"',
                                         "last-modified": "Thu, 12 Dec 2024 08:05:00 GMT"})

    state = StateStore()
    before = fetch_count("not_modified")
    async with LocalServer(routes({"/doc": page})) as srv:
        first = await fetch(srv.url("/doc"), state=state, ref=RecordRef("ingest", 0, 10))
        again_same_record = await fetch(srv.url("/doc"), state=state, ref=RecordRef("ingest", 0, 10))
        later = await fetch(srv.url("/doc"), state=state, ref=RecordRef("ingest", 0, 11))
        sent = [r.headers.get("if-none-match") for r in srv.requests if r.path == "/doc"]
    assert first.document is not None and first.state and first.state[0][0].startswith("validators:")
    # The record that stored the validators is redelivered (its output unconfirmed): no condition.
    assert again_same_record.document is not None
    assert later.document is None and later.state == []
    assert sent == [None, None, '"v1"']
    assert fetch_count("not_modified") == before + 1


# --- politeness -------------------------------------------------------------------------------


async def test_per_host_concurrency_and_interval_are_enforced() -> None:
    page = Reply(200, b"p", {"content-type": "text/plain"}, delay_s=0.15)
    settings = fast_settings(per_host_concurrency=2, per_host_interval_s=0.1, allow_hosts=["127.0.0.1", "localhost"])
    async with LocalServer(routes({"/p": page})) as srv, HttpFetcher(settings) as f:
        await f.fetch(srv.url("/p"))  # robots.txt and a first page
        srv.requests.clear()
        srv.max_active = 0
        await asyncio.gather(*(f.fetch(srv.url("/p")) for _ in range(6)))
        starts = sorted(r.started for r in srv.requests)
        assert srv.max_active <= 2 and len(starts) == 6
        # Starts 0.1 s apart, and a third waits for a free slot: 0, .1, .2, .3, .4, .5 (without the
        # gap: 0, 0, .15, .15, .3, .3). The server sees arrivals, which jitter under load, so the
        # whole span is checked rather than each gap.
        assert starts[-1] - starts[0] >= 0.45, [round(s - starts[0], 3) for s in starts]
        # Another host name is another host: not held back by the first one's queue.
        srv.requests.clear()
        srv.max_active = 0
        await asyncio.gather(f.fetch(srv.url("/p", host="localhost")), *(f.fetch(srv.url("/p")) for _ in range(2)))
        assert srv.max_active >= 2


# --- dead letters through the stage shell -----------------------------------------------------


class MemoryProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes | None, dict[str, str]]] = []

    async def send(self, topic: str, value: bytes, key: bytes | None, headers: dict[str, str]) -> Awaitable[Any]:
        self.sent.append((topic, value, key, headers))
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        fut.set_result(None)
        return fut


@pytest.fixture
async def runtime() -> AsyncIterator[FetcherRuntime]:
    rt = FetcherRuntime()
    rt.settings = Settings(topic_prefix="unit.")
    fetcher = HttpFetcher(fast_settings(max_retries=1, max_redirects=3))
    rt.ctx = FetchContext(fetcher, StateStore())
    yield rt
    await fetcher.aclose()


async def test_every_lost_document_is_a_dead_letter_with_its_reason(runtime: FetcherRuntime) -> None:
    robots = "User-agent: *\nDisallow: /private\n"
    table: dict[str, Route | Reply] = {
        "/ok": Reply(200, "<p>好</p>".encode("gbk"), {"content-type": "text/html; charset=gbk", "etag": '"e"'}),
        "/a": Reply(302, headers={"location": "/b"}),
        "/b": Reply(302, headers={"location": "/a"}),
        "/huge": Reply(200, stream_bytes(50 * MB), {"content-type": "text/html"}),
        "/down": Reply(503, b"down"),
        "/private": Reply(200, b"secret"),
        "/pdf": Reply(200, b"%PDF-1.4 ...", {"content-type": "application/pdf"}),
        "/empty": Reply(200, b"", {"content-type": "text/html"}),
    }
    producer = MemoryProducer()
    stage_runner = StageRunner(Stage("fetcher", "ingest", IngestRequest, runtime.handle), producer, "unit.dlq.v1")
    async with LocalServer(routes(table, robots)) as srv:
        cases = {
            "/ok": None, "/missing": "http_error", "/a": "redirect_loop", "/huge": "too_large",
            "/down": "http_error", "/private": "robots_disallowed", "/pdf": "binary", "/empty": "empty",
        }
        before = {r: dead_letters(r) for r in set(cases.values()) | {"refused"} if r}
        for offset, path in enumerate(cases):
            req = IngestRequest(url=srv.url(path))
            await stage_runner.process(InRecord(req.model_dump_json().encode(), b"k", {}, "unit.ingest.v1", 0, offset))
        refused = IngestRequest(url=f"http://localhost:{srv.port}/ok")
        await stage_runner.process(InRecord(refused.model_dump_json().encode(), b"k", {}, "unit.ingest.v1", 0, 99))
    by_topic: dict[str, list[Any]] = {}
    for topic, value, key, headers in producer.sent:
        by_topic.setdefault(topic, []).append((value, key, headers))
    raw = by_topic["unit.raw.v1"]
    assert len(raw) == 1 and raw[0][1] == IngestRequest(url=srv.url("/ok")).effective_doc_id().encode()
    assert raw[0][2]["schema-version"] == "1" and "ecowire-ingested-at" in raw[0][2]
    assert len(by_topic["unit.fetcher-state.v1"]) == 1  # the page's ETag, persisted with it
    reasons = [h[H_DLQ_REASON] for _, _, h in by_topic["unit.dlq.v1"]]
    assert reasons == [r for r in cases.values() if r] + ["refused"]
    for r in before:
        assert dead_letters(r) == before[r] + reasons.count(r), r
