"""The fetcher service: ingest.v1 -> raw.v1, plus the source poller in the same process.

    python -m ecowire.fetcher        (or the `ecowire-fetcher` container)

Startup (before the broker starts consuming): read the state topic to its end and keep following
it (`StateFollower`: the validators and seen items peers write reach this replica as they are
written), open the HTTP client, start the poller's producer and, when a sources file is configured and
ECOWIRE_FETCH_POLL_SOURCES is on, join the poller lease (`leader.PollerLease`): replicas share the
ingest work through the stage's consumer group, and exactly one of them polls the sources.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from faststream.asgi import AsgiFastStream

from ecowire.core.app import build_app, serve
from ecowire.core.logs import get_logger
from ecowire.core.producer import KafkaProducer
from ecowire.core.records import InRecord, OutRecord, ingested_at
from ecowire.core.settings import Settings, get_settings
from ecowire.core.stage import Stage
from ecowire_schemas.ingest import IngestRequest

from .http import HttpFetcher
from .leader import PollerLease
from .logic import FetchContext, RecordRef, fetch_request
from .poller import SourcePoller
from .settings import FetchSettings
from .sources import load_sources
from .state import StateFollower, StateStore, StateValue, encode_value, load_state, load_state_at

log = get_logger("ecowire.fetcher")


class FetcherRuntime:
    """What the handler and the poller share, created on startup and closed on shutdown."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self.fetch_settings: FetchSettings | None = None
        self.ctx: FetchContext | None = None
        self.producer: KafkaProducer | None = None
        self.poller: SourcePoller | None = None
        self.lease: PollerLease | None = None
        self.follower: StateFollower | None = None

    def configure(self, settings: Settings, fetch_settings: FetchSettings) -> None:
        self.settings = settings
        self.fetch_settings = fetch_settings

    async def start(self, **_run_options: Any) -> None:
        settings = self.settings or get_settings()
        fs = self.fetch_settings or FetchSettings()
        self.settings, self.fetch_settings = settings, fs
        sources = load_sources(fs.sources_file) if fs.sources_file and fs.poll_sources else []
        entries, offsets = await load_state_at(settings, fs.state_load_timeout_s)
        self.producer = KafkaProducer(settings, "ecowire-fetcher-poller", linger_ms=5)
        await self.producer.start()
        state = StateStore(entries, writer=self._write_state)
        self.follower = StateFollower(settings, state, offsets)
        await self.follower.start()
        fetcher = HttpFetcher(fs)
        self.ctx = FetchContext(fetcher, state, settings.max_message_bytes)
        if sources:
            self.poller = SourcePoller(sources, fetcher, state, self._publish, settings,
                                       seen_ttl=timedelta(days=fs.seen_ttl_days),
                                       validators_ttl=timedelta(days=fs.validators_ttl_days))
            self.lease = PollerLease(settings, self._start_polling, self._stop_polling)
            await self.lease.start()
        log.info("fetcher_ready", state_keys=len(entries), sources=len(sources),
                 allow_hosts=fs.allow_hosts, robots=fs.respect_robots)

    async def _start_polling(self) -> None:
        """This replica holds the lease: catch up with what the previous poller recorded, then poll."""
        assert self.poller is not None and self.settings is not None and self.fetch_settings is not None
        latest = await load_state(self.settings, self.fetch_settings.state_load_timeout_s)
        self.poller.state.entries.update(latest)
        self.poller.start()

    async def _stop_polling(self) -> None:
        if self.poller is not None:
            await self.poller.stop()

    async def stop_polling(self, **_: Any) -> None:
        """Shutdown, first part: leave the poller lease (another replica takes over) and stop polling."""
        if self.lease is not None:
            await self.lease.stop()
            self.lease = None
        if self.poller is not None:
            await self.poller.stop()
            self.poller = None

    async def stop(self, **_: Any) -> None:
        """Shutdown, last part (after the broker drained the message in flight): close the clients."""
        await self.stop_polling()
        if self.follower is not None:
            await self.follower.stop()
            self.follower = None
        if self.ctx is not None:
            await self.ctx.fetcher.aclose()
            self.ctx = None
        if self.producer is not None:
            await self.producer.stop()
            self.producer = None

    async def _send(self, topic: str, key: str, value: bytes | None, headers: dict[str, str]) -> Any:
        assert self.producer is not None, "fetcher runtime not started"
        return await self.producer.send(topic, value, key.encode("utf-8"), headers)

    async def _write_state(self, key: str, value: StateValue | None) -> None:
        assert self.settings is not None
        await (await self._send(self.settings.topic("fetcher-state"), key, encode_value(value),
                                {"schema-version": "1"}))

    async def _publish(self, records: list[OutRecord]) -> None:
        pending = [await self._send(r.topic, r.key, r.encode(), r.headers()) for r in records]
        await asyncio.gather(*pending)

    async def handle(self, req: IngestRequest, record: InRecord) -> list[OutRecord]:
        """The stage handler: one ingest request -> its raw document (+ its validators' state)."""
        if self.ctx is None or self.settings is None:
            raise RuntimeError("fetcher runtime not started")
        out = await fetch_request(req, self.ctx, RecordRef(record.topic, record.partition, record.offset))
        records: list[OutRecord] = []
        if out.document is not None:
            t0 = ingested_at(record) or req.submitted_at or out.document.ingested_at
            records.append(OutRecord(self.settings.topic("raw"), out.document.doc_id, out.document, ingested_at=t0))
        else:
            log.info("not_modified", doc_id=req.effective_doc_id(), url=req.url)
        records += [OutRecord(self.settings.topic("fetcher-state"), k, v) for k, v in out.state]
        return records


runtime = FetcherRuntime()
stage = Stage("fetcher", "ingest", IngestRequest, runtime.handle, outputs=("raw", "fetcher-state"))


def build_fetcher_app(settings: Settings | None = None, fetch_settings: FetchSettings | None = None) -> AsgiFastStream:
    settings = settings or get_settings()
    runtime.configure(settings, fetch_settings or FetchSettings())
    app = build_app(stage, settings)
    app.on_startup(runtime.start)
    app.on_shutdown(runtime.stop_polling)
    # The HTTP client must outlive the message in flight, which the broker drains after on_shutdown.
    app.after_shutdown(runtime.stop)
    return app


def main() -> None:
    serve(stage, build=build_fetcher_app)
