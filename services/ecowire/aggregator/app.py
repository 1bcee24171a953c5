"""The aggregator service: facts.v1 → results.v1, as two stages on the core runtime (core/app.py).

1. assemble (group `<prefix>aggregator-assemble`, facts.v1): gather each article's facts until
   its extraction record arrives and publish the article as one bundle to the ONE partition of
   `aggregator-bundles`. Its partition hooks commit facts.v1 only up to the first fact of the
   oldest article still open (open articles are read again after a crash or a rebalance).
2. aggregate (group `<prefix>aggregator`, aggregator-bundles): apply each bundle to the state of
   its partition and return the results (wave 0) and the changelog records (wave 1, core/store.py):
   results acknowledged → changelog acknowledged → input committed. Its hooks restore the state
   from partition p of `aggregator-state` before anything of bundles partition p is handled, and
   position the input at the last applied offset + 1.

Any failure while applying (the bundle is dead-lettered, its offset marked) or producing discards
the in-memory state and restores it from the changelog, so memory never runs ahead of what is
durable. The query API (http.py) is served on the same port as /health, /metrics and /asyncapi.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from faststream.asgi import AsgiFastStream
from prometheus_client import make_asgi_app

from ecowire_schemas.facts import ExtractionRecord, FactsRecord
from ecowire_schemas.topics import TOPICS

from ..core import metrics
from ..core.app import build_app, serve
from ..core.changelog import read_to_end
from ..core.logs import get_logger
from ..core.partitions import Partitions
from ..core.records import InRecord, OutRecord
from ..core.settings import Settings, get_settings
from ..core.stage import Stage
from ..core.store import ChangelogStore
from ..core.topics_admin import ensure_topics
from .assemble import Assembler
from .heap import Freezer
from .hooks import AggregateHooks, AssembleHooks, StateLoader, observe_state
from .http import make_app, state_history
from .logic import AggregatorState, Update
from .state import ArticleBundle, OffsetMark, RestoredState, encode, offset_key
from .topics import BUNDLES, INTERNAL, STATE
from .view import ResultsView

STAGE = "aggregator"
log = get_logger("ecowire.aggregator")


class Aggregator:
    """The two stages, their partition hooks and state, the read model, and their wiring."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        p = settings.topic_prefix
        self.results_topic = settings.topic("results")
        self.bundles_topic = BUNDLES.name(p)
        self.state_topic = STATE.name(p)
        self.assembler = Assembler()
        self.store: ChangelogStore[AggregatorState] = ChangelogStore(
            settings, self.state_topic, StateLoader, client_id=f"ecowire-{STAGE}-restore")
        self.assembling = Partitions(f"{STAGE}-assemble", AssembleHooks(self.assembler))
        self.freezer = Freezer()
        self.aggregating = Partitions(STAGE, AggregateHooks(self.store, self.freezer))
        self.view = ResultsView()
        self.running = False
        self._view_task: asyncio.Task[None] | None = None
        self.stages = (
            Stage(STAGE, "facts", FactsRecord, self.assemble, outputs=("aggregator-bundles",),
                  group=f"{STAGE}-assemble", partitions=self.assembling),
            # Bundles in batches: after a failed apply (`aggregating.lose`) the runtime leaves the
            # batch's later bundles of that partition unhandled and uncommitted; they are read
            # again once the state is restored from the changelog.
            Stage(STAGE, "aggregator-bundles", ArticleBundle, self.aggregate, outputs=("results", "aggregator-state"),
                  partitions=self.aggregating, rejected=self.mark_consumed),
        )

    # ------------------------------------------------------------------ step 1: assemble

    async def assemble(self, item: Any, record: InRecord) -> list[OutRecord]:
        if not isinstance(item, ExtractionRecord):
            self.assembler.add_fact(record.partition, record.offset, item)
            return []
        bundle = self.assembler.close(record.topic, record.partition, record.offset, item)
        if bundle.missing_fact_ids:
            log.warning("facts_missing", article_id=item.article_id, missing=len(bundle.missing_fact_ids),
                        listed=len(item.fact_ids), partition=record.partition, offset=record.offset)
        return [OutRecord(self.bundles_topic, item.article_id, bundle, ingested_at=item.ingested_at, partition=0)]

    # ------------------------------------------------------------------ step 2: aggregate

    async def aggregate(self, bundle: ArticleBundle, record: InRecord) -> list[OutRecord]:
        p = record.partition
        state = self.store.get(p)
        if state is None:  # the gate hands out only restored partitions
            raise RuntimeError(f"bundles partition {p} handled without its state")
        if record.offset <= state.applied_offset:
            return []  # applied before the restart: a replay never counts twice
        try:
            update = state.apply(bundle, record.offset, datetime.now(UTC))
        except Exception:
            # A bug this bundle triggers; the state may be half-changed. The runtime dead-letters
            # the bundle and marks its offset (`mark_consumed`); then the state is restored.
            log.exception("apply_failed", partition=p, offset=record.offset)
            self.aggregating.lose(p)
            raise
        out = [OutRecord(self.results_topic, r.key, r.value, record_type=r.kind, schema_version=1,
                         ingested_at=getattr(r.value, "ingested_at", None)) for r in update.results]

        def observe(_: Any) -> None:  # once everything was acknowledged
            self._observe(update, state)

        return out + [self.store.put(p, key, value, then=observe if i == 0 else None)
                      for i, (key, value) in enumerate(update.changelog)]

    def mark_consumed(self, record: InRecord, reason: str) -> list[OutRecord]:
        """A dead-lettered bundle counts as consumed: its offset is marked in the changelog, so no
        restore replays it. When it failed after `apply` (a bug, results the broker never takes,
        the budget) the in-memory state may hold it: that state is restored from the changelog."""
        p, offset = record.partition, record.offset
        if reason in ("output_too_large", "timeout", "stage_error"):
            self.aggregating.lose(p)  # memory may hold the bundle; the changelog never will

        def applied(_: Any) -> None:
            state = self.store.get(p)
            if state is not None:
                state.applied_offset = max(state.applied_offset, offset)

        mark = OffsetMark(partition=p, applied_offset=offset)
        return [self.store.put(p, offset_key(p), encode(mark), then=applied)]

    def _observe(self, update: Update, state: AggregatorState) -> None:
        observe_state(state)
        for out in update.results:
            if out.kind != "article":
                metrics.AGGREGATES.labels(out.kind).inc()
        new = update.new_article
        if new is not None:
            self.freezer.grew()
            now = datetime.now(UTC)
            metrics.END_TO_END_SECONDS.observe(max(0.0, (now - new.ingested_at).total_seconds()))
            metrics.LAST_RESULT_TIMESTAMP.set(now.timestamp())
            found = state.duplicate_found(new.article_id)
            if found is not None:
                metrics.DUPLICATES.labels(found).inc()

    # ------------------------------------------------------------------ service

    def app(self) -> AsgiFastStream:
        api = make_app(self.view, self.health, make_asgi_app(metrics.registry),  # answers /health too
                       history=state_history(self.store.values))
        return build_app(self.stages, self.settings, routes=[("/health", api)], fallback=api,
                         on_startup=[self.start], after_startup=[self.started], on_shutdown=[self.stop])

    async def start(self) -> None:
        topics = (*(t for t in TOPICS if t.base in ("facts", "results", "dlq")), *INTERNAL)
        await ensure_topics(self.settings, topics)
        await self._check_partitions()
        metrics.init_stage(STAGE, (self.bundles_topic, self.results_topic))

    async def started(self) -> None:
        self._view_task = asyncio.create_task(self._follow_results(), name="results-view")
        self.running = True
        log.info("aggregator_started", bundles=self.bundles_topic, state=self.state_topic, results=self.results_topic)

    async def stop(self) -> None:
        self.running = False
        if self._view_task is not None:
            self._view_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._view_task

    def health(self) -> tuple[bool, dict[str, Any]]:
        return self.running, {
            "running": self.running,
            "ready_partitions": sorted(self.aggregating.ready),
            "restoring_partitions": sorted(self.aggregating.preparing),
            "state_keys": {str(p): s.key_count() for p, s in self.store.values.items()},
            "open_articles": self.assembler.open_count(),
            "results_view": self.view.counts(),
            "results_view_invalid": self.view.invalid,  # values dropped on first read (logged)
        }

    async def _check_partitions(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.bootstrap_servers, client_id="ecowire-admin")
        await admin.start()
        try:
            described = await admin.describe_topics([self.bundles_topic, self.state_topic])
        finally:
            await admin.close()
        counts = {d["topic"]: len(d.get("partitions", [])) for d in described}
        bundles, state = counts.get(self.bundles_topic, 0), counts.get(self.state_topic, 0)
        if bundles != 1:
            raise RuntimeError(f"{self.bundles_topic} has {bundles} partitions; the aggregator needs exactly 1")
        if state < bundles:
            raise RuntimeError(f"{self.state_topic} has {state} partitions, fewer than {self.bundles_topic}")

    async def _follow_results(self) -> None:
        """Tail the compacted results topic into the read model behind the query endpoints."""
        s = self.settings
        consumer = AIOKafkaConsumer(self.results_topic, bootstrap_servers=s.bootstrap_servers, group_id=None,
                                    client_id=f"ecowire-{STAGE}-view", enable_auto_commit=False,
                                    auto_offset_reset="earliest", max_partition_fetch_bytes=s.max_message_bytes,
                                    fetch_max_bytes=s.max_message_bytes * 2)
        await consumer.start()
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=500, max_records=1000)
                for records in batch.values():
                    for r in records:
                        try:
                            self.view.apply(r.key.decode("utf-8") if r.key else "", r.value)
                        except ValueError as e:  # a key that is not UTF-8 (values are checked on read)
                            log.warning("results_view_skipped", offset=r.offset, partition=r.partition,
                                        error=str(e)[:300])
        finally:
            await consumer.stop()


async def read_changelog(settings: Settings, topic: str, partition: int) -> RestoredState:
    """The latest record of every key on one changelog partition, read up to its current end."""
    restored = RestoredState()
    ends = await read_to_end(settings, topic, restored.apply, [partition], client_id=f"ecowire-{STAGE}-restore")
    restored.end_offset = ends[partition]
    return restored


def main() -> None:
    settings = get_settings()
    aggregator = Aggregator(settings)
    serve(aggregator.stages, settings, build=lambda _: aggregator.app())


if __name__ == "__main__":
    main()
