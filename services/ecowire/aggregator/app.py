"""The aggregator service: facts.v1 → results.v1, with partition-local state that survives.

Two steps in one process (every replica runs both; consumer groups share the partitions):

1. assemble (group `<prefix>aggregator-assemble`, facts.v1, all partitions): gather each article's
   facts until its extraction record arrives, publish the article as one bundle to the ONE
   partition of `aggregator-bundles`, then commit facts.v1 up to the first fact of the oldest
   article still open on that partition (open articles are re-read after a crash, not stored).
2. aggregate (group `<prefix>aggregator`, aggregator-bundles): apply each bundle to the state of
   its partition, publish the results, write the changelog, then commit. The state of bundles
   partition p lives in memory and on partition p of the compacted `aggregator-state` topic.

Restore before processing: when a bundles partition is assigned, it is paused, its changelog is
read to the end into a fresh state, the partition is positioned at the last applied offset + 1,
and only then marked ready and resumed. aiokafka may hand out records of a partition before the
rebalance listener has finished; records of a partition that was not ready when its batch was
fetched (or whose assignment changed since) are dropped — the seek after the restore reads them
again.

Order per bundle: results acknowledged → changelog acknowledged → input committed. A crash
before the changelog write replays the bundle and republishes the same results (deterministic
values); a crash after it finds the bundle's offset in the restored state and skips it. Any
failure while applying or producing discards the in-memory state and restores it from the
changelog, so memory never runs ahead of what is durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Generator, Iterable
from datetime import UTC, datetime
from typing import Any

import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from prometheus_client import make_asgi_app
from pydantic import TypeAdapter

from ecowire_schemas.common import H_INGESTED_AT, H_RECORD, H_SCHEMA_VERSION
from ecowire_schemas.facts import ExtractionRecord, FactsRecord
from ecowire_schemas.topics import TOPICS

from ..core import metrics
from ..core.changelog import end_offsets, read_to_end
from ..core.channels import asyncapi_document, with_asyncapi
from ..core.lag import watch_lag
from ..core.logs import configure_logging, get_logger
from ..core.records import InRecord, Reject, dead_letter_message, decode, from_consumer_record
from ..core.settings import Settings, get_settings
from ..core.stage import PERMANENT_PRODUCE_ERRORS
from ..core.topics_admin import ensure_topics
from .assemble import Assembler
from .http import make_app, state_history
from .logic import AggregatorState, Update
from .state import OffsetMark, RestoredState, encode, offset_key
from .topics import BUNDLES, INTERNAL, STATE
from .view import ResultsView

STAGE = "aggregator"
log = get_logger("ecowire.aggregator")
_FACTS: TypeAdapter[Any] = TypeAdapter(FactsRecord)
_BUNDLE: TypeAdapter[Any] = BUNDLES.adapter()


def _headers(h: dict[str, str]) -> list[tuple[str, bytes]]:
    return [(k, v.encode("utf-8")) for k, v in h.items()]


class _Listener(ConsumerRebalanceListener):
    def __init__(self, on_revoked: Any, on_assigned: Any) -> None:
        self._revoked, self._assigned = on_revoked, on_assigned

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        await self._revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        await self._assigned(set(assigned))


class AggregatorService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        p = settings.topic_prefix
        self.facts_topic = settings.topic("facts")
        self.results_topic = settings.topic("results")
        self.dlq_topic = settings.topic("dlq")
        self.bundles_topic = BUNDLES.name(p)
        self.state_topic = STATE.name(p)
        self.assembler = Assembler()
        self.states: dict[int, AggregatorState] = {}
        self.ready: set[int] = set()  # bundles partitions restored and positioned
        self.generation: dict[int, int] = {}  # bumped on every assignment of a bundles partition
        self.assemble_generation = 0  # bumped on every rebalance of the facts consumer
        self.restoring: dict[int, asyncio.Task[None]] = {}
        # Changelog offset after this process's last write, per partition; a revoked partition's
        # state is retained with it, and reused on reassignment if nobody wrote since.
        self.changelog_next: dict[int, int] = {}
        self.retained: dict[int, tuple[AggregatorState, int]] = {}
        self.assemble_lock = asyncio.Lock()
        self.aggregate_lock = asyncio.Lock()
        self.view = ResultsView()
        self.stopping = asyncio.Event()
        self.running = False
        self.producer: AIOKafkaProducer | None = None
        self.facts_consumer: AIOKafkaConsumer | None = None
        self.bundles_consumer: AIOKafkaConsumer | None = None

    # ------------------------------------------------------------------ lifecycle

    def _consumer(self, group: str | None, **extra: Any) -> AIOKafkaConsumer:
        s = self.settings
        return AIOKafkaConsumer(
            bootstrap_servers=s.bootstrap_servers, group_id=group, client_id=f"ecowire-{STAGE}",
            enable_auto_commit=False, auto_offset_reset="earliest",
            session_timeout_ms=s.session_timeout_ms, heartbeat_interval_ms=s.heartbeat_interval_ms,
            max_poll_interval_ms=s.max_poll_interval_ms, max_partition_fetch_bytes=s.max_message_bytes,
            fetch_max_bytes=s.max_message_bytes * 2, **extra,
        )

    async def start(self) -> None:
        s = self.settings
        await ensure_topics(s, (*(t for t in TOPICS if t.base in ("facts", "results", "dlq")), *INTERNAL))
        await self._check_partitions()
        metrics.init_stage(STAGE, (self.bundles_topic, self.results_topic))
        self.producer = AIOKafkaProducer(
            bootstrap_servers=s.bootstrap_servers, client_id=f"ecowire-{STAGE}", acks="all",
            enable_idempotence=True, max_request_size=s.max_message_bytes, linger_ms=5,
        )
        await self.producer.start()
        self.facts_consumer = self._consumer(s.group_id(f"{STAGE}-assemble"))
        await self.facts_consumer.start()
        self.facts_consumer.subscribe([self.facts_topic],
                                      listener=_Listener(self._facts_revoked, self._facts_assigned))
        self.bundles_consumer = self._consumer(s.group_id(STAGE))
        await self.bundles_consumer.start()
        self.bundles_consumer.subscribe([self.bundles_topic],
                                        listener=_Listener(self._bundles_revoked, self._bundles_assigned))
        self.running = True
        log.info("aggregator_started", facts=self.facts_topic, bundles=self.bundles_topic, state=self.state_topic,
                 results=self.results_topic)

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

    async def stop(self) -> None:
        """Drain: the record in flight finishes under its lock, then the clients leave their groups."""
        self.running = False
        for task in self.restoring.values():
            task.cancel()
        for consumer, lock in ((self.facts_consumer, self.assemble_lock), (self.bundles_consumer, self.aggregate_lock)):
            if consumer is not None:
                async with lock:
                    pass
                await consumer.stop()
        if self.producer is not None:
            await self.producer.stop()

    def health(self) -> tuple[bool, dict[str, Any]]:
        detail = {
            "running": self.running,
            "ready_partitions": sorted(self.ready),
            "restoring_partitions": sorted(self.restoring),
            "state_keys": {str(p): s.key_count() for p, s in self.states.items()},
            "open_articles": self.assembler.open_count(),
            "results_view": self.view.counts(),
        }
        return self.running, detail

    # ------------------------------------------------------------------ step 1: assemble

    async def _facts_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.assemble_lock:  # waits for the record in flight
            self.assemble_generation += 1
            for tp in revoked:
                self.assembler.drop_partition(tp.partition)

    async def _facts_assigned(self, assigned: set[TopicPartition]) -> None:
        self.assemble_generation += 1
        log.info("facts_partitions_assigned", partitions=sorted(tp.partition for tp in assigned))

    async def assemble_loop(self) -> None:
        consumer = self.facts_consumer
        assert consumer is not None
        while not self.stopping.is_set():
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            generation = self.assemble_generation
            for tp, records in batch.items():
                for r in records:
                    async with self.assemble_lock:
                        if generation != self.assemble_generation or self.stopping.is_set():
                            break  # a rebalance since the fetch: the partition is read again from its commit
                        if not await self._assemble_one(consumer, tp, r):
                            break

    async def _assemble_one(self, consumer: AIOKafkaConsumer, tp: TopicPartition, r: Any) -> bool:
        """Returns False when the rest of this partition's batch must be dropped (it was rewound)."""
        rec = from_consumer_record(r)
        try:
            item = decode(_FACTS, rec)
        except Reject as e:
            if not await self._dead_letter_or_rewind(consumer, tp, rec, e.reason, e):
                return False
            await self._commit(consumer, tp, self.assembler.safe_commit(tp.partition, r.offset + 1))
            return True
        if not isinstance(item, ExtractionRecord):
            self.assembler.add_fact(tp.partition, r.offset, item)
            return True
        bundle = self.assembler.close(tp.topic, tp.partition, r.offset, item)
        if bundle.missing_fact_ids:
            log.warning("facts_missing", article_id=item.article_id, missing=len(bundle.missing_fact_ids),
                        listed=len(item.fact_ids), partition=tp.partition, offset=r.offset)
        headers = {H_SCHEMA_VERSION: "1", H_INGESTED_AT: item.ingested_at.isoformat()}
        try:
            assert self.producer is not None
            fut = await self.producer.send(self.bundles_topic, bundle.model_dump_json().encode("utf-8"),
                                           key=item.article_id.encode("utf-8"), partition=0,
                                           headers=_headers(headers))
            await fut
        except PERMANENT_PRODUCE_ERRORS as e:
            # Never retried as if the broker were down: the article's closing record goes to the
            # dead-letter topic (the extractor's facts budget keeps bundles far below the limit).
            if not await self._dead_letter_or_rewind(consumer, tp, rec, "output_too_large", e):
                return False
        except KafkaError as e:
            await self._rewind_facts(consumer, tp, e)
            return False
        else:
            metrics.PRODUCED.labels(STAGE, self.bundles_topic).inc()
        await self._commit(consumer, tp, self.assembler.safe_commit(tp.partition, r.offset + 1))
        return True

    async def _rewind_facts(self, consumer: AIOKafkaConsumer, tp: TopicPartition, error: BaseException) -> None:
        """Producing failed: forget the partition's open articles and read it again from its commit."""
        metrics.PUBLISH_FAILURES.labels(STAGE).inc()
        log.error("produce_failed_will_retry", step="assemble", error=repr(error), partition=tp.partition)
        self.assembler.drop_partition(tp.partition)
        await asyncio.sleep(self.settings.publish_retry_backoff_s)
        committed = await consumer.committed(tp)
        if committed is None:
            committed = (await consumer.beginning_offsets([tp]))[tp]
        consumer.seek(tp, committed)

    async def _dead_letter_or_rewind(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, rec: InRecord, reason: str, error: BaseException
    ) -> bool:
        try:
            await self._dead_letter(rec, reason, error)
        except KafkaError as e:
            await self._rewind_facts(consumer, tp, e)
            return False
        return True

    async def _dead_letter(self, rec: InRecord, reason: str, error: BaseException) -> None:
        value, letter = dead_letter_message(STAGE, rec, reason, error, self.settings.max_message_bytes)
        log.warning("dead_letter", stage=STAGE, reason=reason, error=letter.error_message, topic=rec.topic,
                    partition=rec.partition, offset=rec.offset, bounded=letter.original_size is not None)
        assert self.producer is not None
        fut = await self.producer.send(self.dlq_topic, value, key=rec.key, headers=_headers(letter.to_headers()))
        await fut
        metrics.DEAD_LETTERS.labels(STAGE, reason).inc()
        metrics.MESSAGES.labels(STAGE, "dead_lettered").inc()

    async def _commit(self, consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> None:
        try:
            await consumer.commit({tp: offset})
        except KafkaError as e:
            # The partition moved to another member during a rebalance: it starts from the last
            # successful commit, and everything after it is applied idempotently.
            log.warning("commit_failed", topic=tp.topic, partition=tp.partition, offset=offset, error=repr(e))

    # ------------------------------------------------------------------ step 2: aggregate

    async def _bundles_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.aggregate_lock:  # waits for the bundle in flight
            for tp in revoked:
                self.ready.discard(tp.partition)
                task = self.restoring.pop(tp.partition, None)
                if task is not None:
                    task.cancel()
                state = self.states.pop(tp.partition, None)
                if state is not None and tp.partition in self.changelog_next:
                    self.retained[tp.partition] = (state, self.changelog_next[tp.partition])
                metrics.STATE_KEYS.labels(str(tp.partition)).set(0)  # held by another member now
                for kind in ("event", "series", "target", "person"):
                    metrics.AGGREGATE_ENTRIES.labels(kind, str(tp.partition)).set(0)
        log.info("bundles_partitions_revoked", partitions=sorted(tp.partition for tp in revoked))

    async def _bundles_assigned(self, assigned: set[TopicPartition]) -> None:
        consumer = self.bundles_consumer
        assert consumer is not None
        for tp in assigned:
            consumer.pause(tp)  # nothing of it is processed before its state is restored
            self._schedule_restore(tp)
        log.info("bundles_partitions_assigned", partitions=sorted(tp.partition for tp in assigned))

    def _discard_state(self, tp: TopicPartition) -> None:
        """The in-memory state can no longer be trusted: restore it from the changelog."""
        assert self.bundles_consumer is not None
        self.bundles_consumer.pause(tp)
        self.states.pop(tp.partition, None)
        self.retained.pop(tp.partition, None)
        self.changelog_next.pop(tp.partition, None)
        self._schedule_restore(tp)

    def _schedule_restore(self, tp: TopicPartition) -> None:
        self.ready.discard(tp.partition)
        self.generation[tp.partition] = self.generation.get(tp.partition, 0) + 1
        old = self.restoring.pop(tp.partition, None)
        if old is not None:
            old.cancel()
        self.restoring[tp.partition] = asyncio.create_task(self._restore(tp))

    async def _restore(self, tp: TopicPartition) -> None:
        """Read the partition's changelog to its end, then position and resume the input."""
        p = tp.partition
        me = asyncio.current_task()
        while True:
            try:
                started = time.perf_counter()
                kept = await self._retained_state(p)
                if kept is not None:
                    state, records_read = kept, 0
                else:
                    restored = await self.read_changelog(p)
                    state = await asyncio.to_thread(AggregatorState.restore, p, restored)
                    records_read = restored.records_read
                    self.changelog_next[p] = restored.end_offset
                elapsed = time.perf_counter() - started
                break
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.exception("restore_failed_will_retry", partition=p, error=repr(e))
                await asyncio.sleep(max(1.0, self.settings.publish_retry_backoff_s))
        consumer = self.bundles_consumer
        assert consumer is not None
        async with self.aggregate_lock:
            if self.restoring.get(p) is not me or tp not in consumer.assignment():
                return  # revoked (or reassigned) meanwhile
            self.states[p] = state
            # Explicit offsets only (see read_changelog); no state: the whole compacted topic.
            start = state.applied_offset + 1 if state.applied_offset >= 0 else (
                await consumer.beginning_offsets([tp]))[tp]
            consumer.seek(tp, start)
            self.generation[p] = self.generation.get(p, 0) + 1
            self.ready.add(p)
            del self.restoring[p]
            consumer.resume(tp)
        metrics.RESTORE_SECONDS.observe(elapsed)
        self._observe_state(state)
        log.info("state_restored", partition=p, articles=state.key_count(), changelog_records=records_read,
                 kept_in_memory=kept is not None, applied_offset=state.applied_offset, seconds=round(elapsed, 3))

    async def _retained_state(self, partition: int) -> AggregatorState | None:
        """The state this process held when the partition was revoked, if the changelog has not
        moved since (nobody else owned the partition meanwhile): a rebalance that gives the
        partition back then costs no restore."""
        retained = self.retained.pop(partition, None)
        if retained is None:
            return None
        state, known_end = retained
        end = await changelog_end(self.settings, self.state_topic, partition)
        if end != known_end:
            log.info("retained_state_stale", partition=partition, known_end=known_end, end=end)
            return None
        return state

    async def read_changelog(self, partition: int) -> RestoredState:
        return await read_changelog(self.settings, self.state_topic, partition)

    async def aggregate_loop(self) -> None:
        consumer = self.bundles_consumer
        assert consumer is not None
        while not self.stopping.is_set():
            batch = await consumer.getmany(timeout_ms=500, max_records=200)
            # Snapshot synchronously after the fetch: only partitions ready before it count.
            seen = {p: self.generation.get(p) for p in self.ready}
            for tp, records in batch.items():
                if tp.partition not in seen:
                    log.debug("records_before_restore_dropped", partition=tp.partition, count=len(records))
                    continue
                for r in records:
                    async with self.aggregate_lock:
                        if (tp.partition not in self.ready or self.generation.get(tp.partition) != seen[tp.partition]
                                or self.stopping.is_set()):
                            break
                        if not await self._aggregate_one(consumer, tp, r):
                            break

    async def _aggregate_one(self, consumer: AIOKafkaConsumer, tp: TopicPartition, r: Any) -> bool:
        state = self.states[tp.partition]
        if r.offset <= state.applied_offset:
            return True  # applied before the restart: a replay never counts twice
        started = time.perf_counter()
        rec = from_consumer_record(r)
        update: Update | None = None
        try:
            try:
                bundle = decode(_BUNDLE, rec)
            except Reject as e:
                await self._dead_letter(rec, e.reason, e)
                await self._skip(state, r.offset)
            else:
                try:
                    update = state.apply(bundle, r.offset, datetime.now(UTC))
                except Exception as e:
                    # A bug this bundle triggers. The state may be half-changed: dead-letter the
                    # bundle, record its offset as applied, and rebuild the state from the changelog.
                    log.exception("apply_failed", partition=tp.partition, offset=r.offset)
                    await self._dead_letter(rec, "stage_error", e)
                    await self._skip(state, r.offset)
                    self._discard_state(tp)
                    return False
                try:
                    await self._publish(update, tp.partition)
                except PERMANENT_PRODUCE_ERRORS as e:
                    # A result the broker will never take: dead-letter the bundle, mark it applied,
                    # and rebuild the state from the changelog, which never saw it (as for a bug).
                    await self._dead_letter(rec, "output_too_large", e)
                    await self._skip(state, r.offset)
                    self._discard_state(tp)
                    return False
        except KafkaError as e:
            metrics.PUBLISH_FAILURES.labels(STAGE).inc()
            log.error("produce_failed_will_retry", step="aggregate", error=repr(e), partition=tp.partition,
                      offset=r.offset)
            await asyncio.sleep(self.settings.publish_retry_backoff_s)
            self._discard_state(tp)  # memory may be ahead of the changelog: rebuild from it
            return False
        await self._commit(consumer, tp, r.offset + 1)
        self._observe(update, tp.partition, started)
        return True

    async def _skip(self, state: AggregatorState, offset: int) -> None:
        assert self.producer is not None
        mark = OffsetMark(partition=state.partition, applied_offset=offset)
        fut = await self.producer.send(self.state_topic, encode(mark), key=offset_key(state.partition).encode(),
                                       partition=state.partition)
        self._wrote_changelog(state.partition, [await fut])
        state.applied_offset = offset

    async def _publish(self, update: Update, partition: int) -> None:
        assert self.producer is not None
        pending = []
        for out in update.results:
            headers = {H_SCHEMA_VERSION: "1", H_RECORD: out.kind}
            ingested = getattr(out.value, "ingested_at", None)
            if ingested is not None:
                headers[H_INGESTED_AT] = ingested.isoformat()
            value = out.value.model_dump_json().encode("utf-8") if out.value is not None else None
            pending.append(await self.producer.send(self.results_topic, value, key=out.key.encode("utf-8"),
                                                    headers=_headers(headers)))
        await asyncio.gather(*pending)
        # Only after the results are acknowledged: the changelog says "applied".
        pending = [
            await self.producer.send(self.state_topic, value, key=key.encode("utf-8"), partition=partition)
            for key, value in update.changelog
        ]
        self._wrote_changelog(partition, await asyncio.gather(*pending))

    def _wrote_changelog(self, partition: int, acks: Iterable[Any]) -> None:
        if partition in self.changelog_next:
            self.changelog_next[partition] = max(self.changelog_next[partition], *(m.offset + 1 for m in acks))

    @staticmethod
    def _observe_state(state: AggregatorState) -> None:
        metrics.STATE_KEYS.labels(str(state.partition)).set(state.key_count())
        for kind in ("event", "series", "target", "person"):
            metrics.AGGREGATE_ENTRIES.labels(kind, str(state.partition)).set(state.entries[kind])

    def _observe(self, update: Update | None, partition: int, started: float) -> None:
        metrics.MESSAGES.labels(STAGE, "ok").inc()
        metrics.PROCESSING_SECONDS.labels(STAGE).observe(time.perf_counter() - started)
        state = self.states.get(partition)
        if state is not None:
            self._observe_state(state)
        if update is None:
            return
        if update.results:
            metrics.PRODUCED.labels(STAGE, self.results_topic).inc(len(update.results))
        for out in update.results:
            if out.kind != "article":
                metrics.AGGREGATES.labels(out.kind).inc()
        new = update.new_article
        if new is not None:
            now = datetime.now(UTC)
            metrics.END_TO_END_SECONDS.observe(max(0.0, (now - new.ingested_at).total_seconds()))
            metrics.STAGE_LATENCY_SECONDS.labels(STAGE).observe(max(0.0, (now - new.ingested_at).total_seconds()))
            metrics.LAST_RESULT_TIMESTAMP.set(now.timestamp())
            found = state.duplicate_found(new.article_id) if state is not None else None
            if found is not None:
                metrics.DUPLICATES.labels(found).inc()

    # ------------------------------------------------------------------ results view + lag

    async def view_loop(self) -> None:
        """Tail the compacted results topic into the read model behind the query endpoints."""
        consumer = self._consumer(None)
        await consumer.start()
        try:
            consumer.subscribe([self.results_topic])
            while not self.stopping.is_set():
                batch = await consumer.getmany(timeout_ms=500, max_records=1000)
                for records in batch.values():
                    for r in records:
                        try:
                            self.view.apply(r.key.decode("utf-8") if r.key else "", r.value)
                        except ValueError as e:
                            log.warning("results_view_skipped", offset=r.offset, partition=r.partition,
                                        error=str(e)[:300])
        finally:
            await consumer.stop()

    async def lag_loop(self) -> None:
        await watch_lag(STAGE, lambda: (self.facts_consumer, self.bundles_consumer))


async def changelog_end(settings: Settings, topic: str, partition: int) -> int:
    return (await end_offsets(settings, topic, [partition]))[partition]


async def read_changelog(settings: Settings, topic: str, partition: int) -> RestoredState:
    """The latest record of every key on one changelog partition, read up to its current end."""
    restored = RestoredState()
    ends = await read_to_end(settings, topic, restored.apply, [partition], client_id=f"ecowire-{STAGE}-restore")
    restored.end_offset = ends[partition]
    return restored


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the service drains on SIGTERM itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def run(settings: Settings) -> None:
    service = AggregatorService(settings)
    loop = asyncio.get_running_loop()

    def _stop() -> None:
        log.info("stopping", reason="signal")
        service.stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _stop)
    await service.start()
    app = with_asyncapi(make_app(service.view, service.health, make_asgi_app(metrics.registry),
                                 history=state_history(service.states)),
                        asyncapi_document(STAGE, settings, reads=("facts", "aggregator-bundles"),
                                          writes=("aggregator-bundles", "results", "aggregator-state")))
    server = _Server(uvicorn.Config(app, host=settings.http_host, port=settings.port_for(STAGE),
                                    log_level="warning", lifespan="off", access_log=False))
    tasks = [
        asyncio.create_task(service.assemble_loop(), name="assemble"),
        asyncio.create_task(service.aggregate_loop(), name="aggregate"),
        asyncio.create_task(service.view_loop(), name="view"),
        asyncio.create_task(service.lag_loop(), name="lag"),
        asyncio.create_task(server.serve(), name="http"),
    ]
    stop_wait = asyncio.create_task(service.stopping.wait())
    done, _ = await asyncio.wait([*tasks, stop_wait], return_when=asyncio.FIRST_COMPLETED)
    failed = [t for t in done if t is not stop_wait and not t.cancelled() and t.exception() is not None]
    for t in failed:
        log.error("task_failed", task=t.get_name(), error=repr(t.exception()))
    service.stopping.set()
    server.should_exit = True
    for t in tasks:
        if t.get_name() in ("lag", "view"):
            t.cancel()
    await asyncio.wait(tasks, timeout=settings.graceful_timeout_s)
    await service.stop()
    log.info("aggregator_stopped")
    if failed:
        raise SystemExit(1)


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format)
    log.info("service_starting", stage=STAGE, bootstrap=settings.bootstrap_servers, port=settings.port_for(STAGE))
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
