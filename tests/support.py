"""Test helpers for talking to a real broker and running services as real processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from ecowire.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unique_settings(bootstrap: str, **overrides: Any) -> Settings:
    """Settings with a topic prefix and group prefix of their own: tests never share state."""
    tag = uuid.uuid4().hex[:8]
    base: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "topic_prefix": f"t{tag}.",
        "group_prefix": f"t{tag}-",
        "partitions": 3,
        "session_timeout_ms": 6000,
        "heartbeat_interval_ms": 500,
        "publish_retry_backoff_s": 0.2,
    }
    base.update(overrides)
    return Settings(**base)


@dataclass
class Service:
    """One ecowire service running as a separate process (`python -m ecowire.<stage>`)."""

    stage: str
    settings: Settings
    log_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> Service:
        env = {**os.environ, **self.settings.to_env(), "ECOWIRE_HTTP_PORT": str(self.port),
               "ECOWIRE_HTTP_HOST": "127.0.0.1", **self.extra_env}
        self.starts += 1
        log = open(self.log_dir / f"{self.stage}-{self.port}-{self.starts}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", f"ecowire.{self.stage}"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        return self

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.stage} exited with {self.proc.returncode}; log: {self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1.0).is_success:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"{self.stage} not healthy within {timeout}s; log: {self.log_tail()}")

    def metrics_text(self) -> str:
        return httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5.0).text

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 30.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.kill(signal.SIGTERM)

    def log_tail(self, n: int = 4000) -> str:
        logs = sorted(self.log_dir.glob(f"{self.stage}-{self.port}-*.log"))
        return "".join(p.read_text("utf-8", "replace")[-n:] for p in logs[-1:])


async def produce(bootstrap: str, topic: str,
                  records: Iterable[tuple[bytes | None, bytes, dict[str, str] | dict[str, bytes]]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=8 * 1024 * 1024)
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value, key=key, headers=[(k, v if isinstance(v, bytes) else v.encode())
                                                                for k, v in headers.items()])
            for key, value, headers in records
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def consume(
    bootstrap: str, topic: str, *, until: int | None = None, timeout: float = 60.0,  # noqa: ASYNC109
    idle: float | None = None, predicate: Any = None,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read a topic from the beginning (no group) until `until` records matched `predicate`, or for
    `idle` seconds without a new record after the count was reached, or until `timeout`."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
        enable_auto_commit=False, fetch_max_bytes=16 * 1024 * 1024, max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    await consumer.start()
    out: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + timeout
    last_new = time.monotonic()
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            for recs in batch.values():
                for r in recs:
                    if predicate is None or predicate(r):
                        out.append(r)
                        last_new = time.monotonic()
            reached = until is None or len(out) >= until
            quiet = idle is None or time.monotonic() - last_new >= idle
            if reached and quiet and (until is not None or idle is not None):
                break
    finally:
        await consumer.stop()
    return out


def header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for k, v in record.headers or ():
        if k == name:
            return v.decode()
    return None


# Fields that say when, not what: they differ between any two runs of the same input.
RUN_TIMES = ("completed_at", "updated_at", "ingested_at")


def comparable_results(latest: dict[str, Any]) -> dict[str, Any]:
    """The results topic's latest value per key (JSON dicts, tombstones removed by the caller)
    without the run's timestamps: what two runs over the same articles must agree on."""
    return {k: {f: v for f, v in value.items() if f not in RUN_TIMES} for k, value in sorted(latest.items())}
