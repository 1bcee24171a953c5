"""The FastStream app around a `Stage`: subscribe, run the stage, ack; /metrics and /health.

    app = build_app(stage)       # an AsgiFastStream; `serve(stage)` runs it under uvicorn

SIGTERM: uvicorn runs the lifespan shutdown, the broker stops fetching and waits up to
`graceful_timeout_s` for the message in flight, which is then committed (or not, and redelivered).
A step still running in the stage's worker process when that wait ends is abandoned (the
worker is killed) and its input, not committed, is read again by whoever holds the partition.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from faststream import AckPolicy
from faststream.asgi import AsgiFastStream, make_ping_asgi
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import make_asgi_app

from . import channels, metrics
from .clients import BrokerUnreachable, start_client
from .lag import watch_lag
from .logs import configure_logging, get_logger
from .records import from_consumer_record
from .settings import Settings, get_settings
from .stage import Stage, StageRunner
from .worker import WorkerStopped

log = get_logger("ecowire.app")


class BrokerProducer:
    """`Producer` over a FastStream Kafka broker: no_confirm sends, awaited by the runner."""

    def __init__(self, broker: KafkaBroker) -> None:
        self.broker = broker

    async def send(self, topic: str, value: bytes, key: bytes | None, headers: dict[str, str]) -> Awaitable[Any]:
        return await self.broker.publish(value, topic, key=key, headers=headers, no_confirm=True)


def make_broker(settings: Settings, stage_name: str) -> KafkaBroker:
    return KafkaBroker(
        settings.bootstrap_servers,
        client_id=f"ecowire-{stage_name}",
        acks="all",
        enable_idempotence=True,
        max_request_size=settings.max_message_bytes,
        linger_ms=5,
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


def build_app(stage: Stage, settings: Settings | None = None) -> AsgiFastStream:
    settings = settings or get_settings()
    # Series exist from the first scrape, so rate() sees the first burst of work.
    metrics.init_stage(stage.name)
    broker = make_broker(settings, stage.name)
    runner = StageRunner(stage, BrokerProducer(broker), settings.topic("dlq"), settings.max_message_bytes,
                         settings.time_budget_s)
    subscriber = broker.subscriber(
        settings.topic(stage.input_base),
        title=f"{stage.name}:{settings.topic(stage.input_base)}",
        description=channels.spec(stage.input_base).description,
        group_id=settings.group_id(stage.name),
        ack_policy=AckPolicy.MANUAL,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=settings.heartbeat_interval_ms,
        max_poll_interval_ms=settings.max_poll_interval_ms,
        max_partition_fetch_bytes=settings.max_message_bytes,
        fetch_max_bytes=settings.max_message_bytes * 2,
        # What the consumer has, up to a bound; with light traffic a batch is one record, at once.
        batch=True,
        max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_wait_ms,
        parser=parse_safely,
        decoder=raw_body,
    )

    channels.declare_publishers(broker, settings, stage.name, stage.outputs)

    async def handle(body: Any, msg: KafkaMessage) -> None:
        raw = msg.raw_message
        records = [from_consumer_record(r) for r in (raw if isinstance(raw, tuple) else (raw,))]
        if not records:
            return
        try:
            await runner.process_batch(records)
        except WorkerStopped:
            log.info("stopping_batch_not_committed", stage=stage.name, records=len(records))
            await msg.nack()
            return
        except Exception as e:  # noqa: BLE001 - counted, logged, and the batch is redelivered
            # Producing failed: leave the batch uncommitted, rewind to it, and try again later.
            metrics.PUBLISH_FAILURES.labels(stage.name).inc()
            log.error("produce_failed_will_retry", stage=stage.name, error=repr(e), records=len(records),
                      partition=records[0].partition, offset=records[0].offset)
            await asyncio.sleep(settings.publish_retry_backoff_s)
            await msg.nack()
            return
        await msg.ack()  # one commit for the batch, after every output was acknowledged

    subscriber(channels.documented_handler(stage.input_base, handle))

    lag_task: asyncio.Task[None] | None = None

    async def start_worker() -> None:
        await runner.start()  # the worker process loads its models before the first input

    async def start_lag_monitor() -> None:
        nonlocal lag_task
        lag_task = asyncio.create_task(watch_lag(stage.name, lambda: [getattr(subscriber, "consumer", None)]))

    async def stop_worker() -> None:
        runner.close()

    async def stop_lag_monitor() -> None:
        if lag_task is not None:
            lag_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lag_task

    return AsgiFastStream(
        broker,
        asgi_routes=[
            ("/metrics", make_asgi_app(metrics.registry)),
            ("/health", make_ping_asgi(broker, timeout=5.0)),
        ],
        on_startup=[start_worker],
        after_startup=[start_lag_monitor],
        on_shutdown=[stop_lag_monitor],
        after_shutdown=[stop_worker],
        asyncapi_path="/asyncapi",
    )


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
    stage: Stage,
    settings: Settings | None = None,
    build: Callable[[Settings], AsgiFastStream] | None = None,
) -> None:
    """Run one stage service in the foreground until SIGINT/SIGTERM.

    `build` makes the app from the settings when a stage needs more than `build_app` (hooks of
    its own, like the fetcher's source poller)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    app = build(settings) if build is not None else build_app(stage, settings)
    log.info("service_starting", stage=stage.name, bootstrap=settings.bootstrap_servers,
             input=settings.topic(stage.input_base), port=settings.port_for(stage.name))
    try:
        asyncio.run(_reach_broker(settings))
    except BrokerUnreachable as e:
        # FastStream, failing to start its broker, shuts uvicorn down but never returns: a service
        # started while the broker is down would stay alive and useless. Exit, so that whatever
        # supervises it (compose, Kubernetes) starts it again.
        log.error("broker_unreachable_exiting", stage=stage.name, error=str(e))
        raise SystemExit(3) from e
    asyncio.run(app.run(run_extra_options={"host": settings.http_host, "port": settings.port_for(stage.name)}))
