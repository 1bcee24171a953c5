"""The FastStream app around `Stage`s: subscribe, run the stage, ack; /metrics, /health, /asyncapi.

    app = build_app(stage)       # an AsgiFastStream; `serve(stage)` runs it under uvicorn
    app = build_app([a, b], routes=[...], fallback=api)   # several stages in one service

Every service runs on this one runtime. A stage with partition hooks (`Stage.partitions`, see
core/partitions.py) gets a rebalance listener, its records gated on partition readiness and
explicit per-partition commits; the aggregator's two steps are such stages.

A stage without partition hooks runs its batches through a `Pipeline` (core/pipeline.py): up to
one per worker process in flight, committed in the order read.

SIGTERM: uvicorn runs the lifespan shutdown; the batches in flight get up to `graceful_timeout_s`
to finish, and are committed (or not, and redelivered); then the broker stops fetching. A step
still running in the stage's worker process when that wait ends is abandoned (the worker is
killed) and its input, not committed, is read again by whoever holds the partition.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.asgi import AsgiFastStream, make_ping_asgi
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import make_asgi_app

from . import channels, metrics
from .clients import BrokerUnreachable, start_client
from .lag import watch_lag
from .logs import configure_logging, get_logger
from .partitions import Partitions
from .pipeline import Pipeline, produce_failed
from .polling import long_poll
from .producer import KafkaProducer
from .records import InRecord, from_consumer_record
from .settings import Settings, get_settings
from .stage import Stage, StageRunner
from .worker import WorkerStopped

log = get_logger("ecowire.app")


def make_broker(settings: Settings, stage_name: str) -> KafkaBroker:
    return KafkaBroker(
        settings.bootstrap_servers,
        client_id=f"ecowire-{stage_name}",
        acks="all",
        enable_idempotence=True,
        max_request_size=settings.max_message_bytes,
        linger_ms=0,
        graceful_timeout=settings.graceful_timeout_s,
        middlewares=[KafkaPrometheusMiddleware(registry=metrics.registry, app_name=f"ecowire-{stage_name}")],
    )


async def parse_safely(records: Any, original: Callable[[Any], Awaitable[Any]]) -> Any:
    """FastStream's parser decodes every header as UTF-8 and raises on anything else, before our
    handler runs (the batch was then skipped by the next commit, with no dead letter). Headers
    that are not UTF-8 reach the handler with replacement characters instead, and the stage
    dead-letters the record with reason `invalid_header`."""
    batch = records if isinstance(records, tuple) else (records,)
    if any(isinstance(v, bytes | bytearray) and not _is_utf8(v) for r in batch for _, v in (r.headers or ())):
        batch = tuple(_replace_bad_headers(r) for r in batch)
        records = batch if isinstance(records, tuple) else batch[0]
    return await original(records)


def _replace_bad_headers(record: Any) -> Any:
    safe = [(k, bytes(v).decode("utf-8", "replace").encode() if isinstance(v, bytes | bytearray) else v)
            for k, v in record.headers or ()]
    return dataclasses.replace(record, headers=safe)


async def raw_body(msg: KafkaMessage, original: Callable[[Any], Awaitable[Any]]) -> Any:
    """No decoding in FastStream: its JSON decoder recurses (a 20,000-deep array raised
    RecursionError before our handler). The stage decodes the bytes itself (`records.decode`)."""
    return msg.body


def _is_utf8(value: bytes | bytearray) -> bool:
    try:
        bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]
Hook = Callable[[], Awaitable[None]]


class _App(AsgiFastStream):
    """AsgiFastStream whose unmatched paths go to a service's own ASGI app (e.g. the aggregator's
    query API, whose /articles/{id} no exact route can match) instead of a plain 404."""

    fallback: ASGIApp | None = None

    async def not_found(self, scope: Any, receive: Any, send: Any) -> None:
        if self.fallback is not None and scope.get("type") == "http":
            await self.fallback(scope, receive, send)
            return
        await super().not_found(scope, receive, send)


def build_app(
    stages: Stage | Sequence[Stage],
    settings: Settings | None = None,
    *,
    routes: Sequence[tuple[str, ASGIApp]] = (),
    fallback: ASGIApp | None = None,
    on_startup: Sequence[Hook] = (),
    after_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
) -> AsgiFastStream:
    """One service: each stage subscribed to its input topic (its own consumer group when several
    run in one process), with /metrics, /health and /asyncapi; `routes` add (or replace) exact
    paths, `fallback` serves every other path; the hooks run around the broker's start and stop."""
    settings = settings or get_settings()
    stages = [stages] if isinstance(stages, Stage) else list(stages)
    name = stages[0].name  # the service: its client id, port and app name
    broker = make_broker(settings, name)
    # What the stages produce goes through a producer of the runtime's own (core/producer.py);
    # the broker's serves FastStream's declared publishers.
    producer = KafkaProducer(settings, f"ecowire-{name}-producer")
    runners: list[StageRunner] = []
    pipelines: list[Pipeline] = []
    subscribers: list[Any] = []
    for stage in stages:
        # Series exist from the first scrape, so rate() sees the first burst of work.
        metrics.init_stage(stage.name)
        runner = StageRunner(stage, producer, settings.topic("dlq"), settings.max_message_bytes,
                             settings.time_budget_s, settings.workers)
        runners.append(runner)
        pipeline = None
        if stage.partitions is None:
            pipeline = Pipeline(runner, in_flight_batches(stage, settings), settings.publish_retry_backoff_s,
                                settings.graceful_timeout_s)
            pipelines.append(pipeline)
        subscribers.append(_subscribe(broker, settings, stage, runner, pipeline))
    channels.declare_publishers(broker, settings, name, tuple(dict.fromkeys(o for s in stages for o in s.outputs)),
                                reads=tuple(s.input_base for s in stages))

    lag_task: asyncio.Task[None] | None = None

    async def start_workers() -> None:
        for runner in runners:
            await runner.start()  # the worker processes load their models before the first input

    async def start_lag_monitor() -> None:
        nonlocal lag_task
        lag_task = asyncio.create_task(watch_lag(name, lambda: [getattr(s, "consumer", None) for s in subscribers]))

    async def stop_workers() -> None:
        for stage, runner in zip(stages, runners, strict=True):
            runner.close()
            if stage.partitions is not None:
                stage.partitions.close()

    async def finish_batches() -> None:
        for pipeline in pipelines:  # before the consumers stop: they commit what finished
            await pipeline.close()

    async def stop_lag_monitor() -> None:
        if lag_task is not None:
            lag_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lag_task

    default_routes: list[tuple[str, ASGIApp]] = [
        ("/metrics", make_asgi_app(metrics.registry)),
        ("/health", make_ping_asgi(broker, timeout=5.0)),
    ]
    replaced = {path for path, _ in routes}
    app = _App(
        broker,
        asgi_routes=[*routes, *((p, a) for p, a in default_routes if p not in replaced)],
        on_startup=[*on_startup, producer.start, start_workers],
        after_startup=[start_lag_monitor, *after_startup],
        on_shutdown=[*on_shutdown, finish_batches, stop_lag_monitor],
        after_shutdown=[stop_workers, producer.stop],
        asyncapi_path="/asyncapi",
    )
    app.fallback = fallback
    return app


def in_flight_batches(stage: Stage, settings: Settings) -> int:
    """Batches of a stateless stage in flight at once: one per worker process (the workers share
    one queue, so they compute the next batch while the last is produced); one without workers.
    One more with a single worker only made smaller batches: 5 % more CPU in the normalizer."""
    return settings.workers if stage.work is not None else 1


def _subscribe(broker: KafkaBroker, settings: Settings, stage: Stage, runner: StageRunner,
               pipeline: Pipeline | None) -> Any:
    topic = settings.topic(stage.input_base)
    gate = stage.partitions
    subscriber = long_poll(broker.subscriber(
        topic,
        title=f"{stage.name}:{topic}",
        description=channels.spec(stage.input_base).description,
        group_id=settings.group_id(stage.group_name()),
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=settings.heartbeat_interval_ms,
        max_poll_interval_ms=settings.max_poll_interval_ms,
        max_partition_fetch_bytes=settings.max_message_bytes,
        fetch_max_bytes=settings.max_message_bytes * 2,
        # What the consumer has, up to a bound; with light traffic a batch is one record, at once.
        batch=True,
        max_records=stage.max_records or settings.batch_max_records,
        batch_timeout_ms=settings.poll_wait_ms,
        parser=parse_safely,
        decoder=raw_body,
        listener=gate if gate is not None else pipeline,
    ))
    if gate is not None:
        gate.bind(topic, lambda: getattr(subscriber, "consumer", None), settings.publish_retry_backoff_s)

    async def handle(body: Any) -> None:
        # Before any await: which partitions were ready when this batch was fetched.
        snapshot = gate.snapshot() if gate is not None else {}
        # The message from the context, not from a `msg: KafkaMessage` parameter: fast_depends
        # resolves such a parameter with a synchronous call it hands to a thread, a thread hop
        # per batch (a tenth of the aggregator's CPU in a burst, with its futex wake-ups). Read
        # at call time: the application replaces the broker's context when it takes the broker.
        msg: KafkaMessage | None = broker.context.get_local("message")
        if msg is None:
            raise RuntimeError(f"{stage.name}: no message in FastStream's context")
        raw = msg.raw_message
        records = [from_consumer_record(r) for r in (raw if isinstance(raw, tuple) else (raw,))]
        if not records:
            return
        if gate is not None:
            await process_partitioned(stage, runner, gate, snapshot, records, msg.consumer, settings)
        elif pipeline is not None:
            # Committed by the pipeline, in the order read, once every output was acknowledged.
            await pipeline.submit(records, msg.consumer)

    subscriber(channels.documented_handler(stage.input_base, handle))
    return subscriber  # the object, whose `consumer` the lag monitor reads (not the decorated handler)


async def process_partitioned(stage: Stage, runner: StageRunner, gate: Partitions, snapshot: Mapping[int, int],
                              records: Sequence[InRecord], consumer: Any, settings: Settings) -> None:
    """One batch of a stage with partition hooks: only records of partitions that were ready when
    the batch was fetched, and are still assigned to this member, are processed; each partition
    is committed where its hooks allow. A produce failure resets the batch's partitions (their
    state may be ahead of what is durable) instead of rewinding them to the batch."""
    async with gate.lock:  # a revocation waits for this batch
        todo = [r for r in records if gate.current(r.partition, snapshot)]
        if len(todo) < len(records):
            log.debug("records_not_ready_dropped", stage=stage.name, topic=records[0].topic,
                      count=len(records) - len(todo))
        if not todo:
            return
        try:
            produced = await runner.process_batch(todo)
        except WorkerStopped:
            log.info("stopping_batch_not_committed", stage=stage.name, records=len(todo))
            return
        except Exception as e:  # noqa: BLE001 - counted, logged, and the partitions are read again
            await produce_failed(stage.name, todo, e, settings.publish_retry_backoff_s)
            await gate.reset(frozenset(r.partition for r in todo))
            return
        ends: dict[int, int] = {}
        for r, out in zip(todo, produced, strict=True):
            if out is not None:  # None: left for after the partition's restore, never committed
                ends[r.partition] = max(ends.get(r.partition, 0), r.offset + 1)
        offsets = {TopicPartition(todo[0].topic, p): gate.hooks.commit_offset(p, end) for p, end in ends.items()}
        try:
            if offsets:  # aiokafka commits everything consumed when handed no offsets
                await consumer.commit(offsets)
        except KafkaError as e:
            # The partition moved to another member during a rebalance: it starts from the last
            # successful commit, and everything after it is applied idempotently.
            log.warning("commit_failed", stage=stage.name, topic=todo[0].topic, offsets=sorted(
                (tp.partition, o) for tp, o in offsets.items()), error=repr(e))
        await gate.settle()


async def _reach_broker(settings: Settings) -> None:
    """Return once the broker answers; raise BrokerUnreachable after `broker_wait_s` of trying."""
    deadline = time.monotonic() + settings.broker_wait_s
    delay = 0.5
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id="ecowire-preflight")
        try:
            await start_client(admin, settings.bootstrap_servers)
        except BrokerUnreachable as e:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("broker_not_ready_waiting", error=str(e), retry_in_s=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
            continue
        await admin.close()
        return


def serve(
    stages: Stage | Sequence[Stage],
    settings: Settings | None = None,
    build: Callable[[Settings], AsgiFastStream] | None = None,
) -> None:
    """Run one service (one stage, or several sharing a process) in the foreground until
    SIGINT/SIGTERM.

    `build` makes the app from the settings when a service needs more than `build_app` (hooks of
    its own, like the fetcher's source poller)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    stages = [stages] if isinstance(stages, Stage) else list(stages)
    stage = stages[0]
    app = build(settings) if build is not None else build_app(stages, settings)
    log.info("service_starting", stage=stage.name, bootstrap=settings.bootstrap_servers,
             input=[settings.topic(s.input_base) for s in stages], port=settings.port_for(stage.name))
    try:
        asyncio.run(_reach_broker(settings))
    except BrokerUnreachable as e:
        # FastStream, failing to start its broker, shuts uvicorn down but never returns: a service
        # started while the broker is down would stay alive and useless. Exit, so that whatever
        # supervises it (compose, Kubernetes) starts it again.
        log.error("broker_unreachable_exiting", stage=stage.name, error=str(e))
        raise SystemExit(3) from e
    asyncio.run(app.run(run_extra_options={"host": settings.http_host, "port": settings.port_for(stage.name)}))
