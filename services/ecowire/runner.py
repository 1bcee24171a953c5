"""`ecowire run`: the local broker plus the four services in the foreground; Ctrl-C stops all."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .core.settings import LOCAL_BOOTSTRAP, Settings
from .core.topics_admin import ensure_topics

STAGES = ("fetcher", "normalizer", "extractor", "aggregator")
ROOT = Path(__file__).resolve().parents[2]
KAFKA_SCRIPT = ROOT / "deploy" / "kafka" / "kafka.sh"


def say(msg: str) -> None:
    print(f"ecowire run: {msg}", file=sys.stderr, flush=True)


def broker_answers(hostport: str) -> bool:
    """Whether something accepts TCP connections at the first host:port of a bootstrap list."""
    host, port = hostport.split(",")[0].rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1.0):
            return True
    except OSError:
        return False


def start_local_broker(settings: Settings) -> bool:
    """Start deploy/kafka when the bootstrap is the local default and nothing answers there.
    Returns True when this call started it (so it is ours to stop)."""
    if broker_answers(settings.bootstrap_servers):
        say(f"using the broker at {settings.bootstrap_servers}")
        return False
    if settings.bootstrap_servers != LOCAL_BOOTSTRAP:
        raise SystemExit(f"ecowire run: no broker answers at {settings.bootstrap_servers}")
    say("starting the local Kafka broker (deploy/kafka/kafka.sh; the first run fetches the jars)")
    subprocess.run([str(KAFKA_SCRIPT), "start"], check=True)
    return True


def start_services(settings: Settings, log_dir: Path) -> dict[str, subprocess.Popen[bytes]]:
    log_dir.mkdir(parents=True, exist_ok=True)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    for stage in STAGES:
        env = {**os.environ, **settings.to_env(), "ECOWIRE_HTTP_PORT": str(settings.port_for(stage))}
        log = open(log_dir / f"{stage}.log", "ab")  # noqa: SIM115 - owned by the child for its life
        procs[stage] = subprocess.Popen([sys.executable, "-m", f"ecowire.{stage}"], env=env,
                                        stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    for stage, proc in procs.items():
        url = f"http://127.0.0.1:{settings.port_for(stage)}/health"
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"ecowire run: {stage} exited ({proc.returncode}); see {log_dir}/{stage}.log")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=1.0).is_success:  # FastStream's ping answers 204
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"ecowire run: {stage} not healthy; see {log_dir}/{stage}.log")
            time.sleep(0.3)
        say(f"{stage:10} up  (pid {proc.pid}, http://127.0.0.1:{settings.port_for(stage)}/metrics)")
    return procs


def stop_services(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for stage, proc in procs.items():
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            say(f"{stage} did not stop on SIGTERM within 30s; killing")
            proc.kill()


async def publish_and_show(settings: Settings, seeds: Path | None, follow: bool, timeout_s: float) -> int:
    """Publish the seeds, then print one line per article result as it arrives.

    Without `follow`, returns once every published document has results and none came for 3 s.
    Results are read from the start of the (compacted) topic: seeds published again are replays
    that add no new result, so their earlier results are shown; other documents show when new.
    """
    from aiokafka import AIOKafkaConsumer

    from ecowire_schemas import SourceMeta

    from .cli import publish_requests
    from .files import ingest_requests

    consumer = AIOKafkaConsumer(settings.topic("results"), bootstrap_servers=settings.bootstrap_servers,
                                group_id=None, auto_offset_reset="earliest" if seeds else "latest",
                                enable_auto_commit=False, max_partition_fetch_bytes=settings.max_message_bytes)
    await consumer.start()  # before publishing: no result can slip past
    since_ms = time.time() * 1000
    doc_ids: set[str] = set()
    if seeds is not None:
        doc_ids = set(await publish_requests(settings, list(ingest_requests([str(seeds)], SourceMeta()))))
        say(f"published {len(doc_ids)} document(s) from {seeds}; results as they arrive (Ctrl-C stops):")
    else:
        say("waiting for documents on the ingest topic (Ctrl-C stops)")
    seen_docs: set[str] = set()
    seen: set[str] = set()
    deadline = time.monotonic() + timeout_s
    last_new = time.monotonic()
    try:
        while follow or time.monotonic() < deadline:
            if not follow and doc_ids <= seen_docs and time.monotonic() - last_new > 3:
                break
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for r in records:
                    if r.value is None:  # tombstone of an aggregate
                        continue
                    v = json.loads(r.value)
                    if v.get("type") != "article" or v["article_id"] in seen:
                        continue
                    if v["doc_id"] not in doc_ids and r.timestamp < since_ms:
                        continue  # an older document's result
                    seen.add(v["article_id"])
                    seen_docs.add(v["doc_id"])
                    last_new = time.monotonic()
                    counts = " ".join(f"{k}={n}" for k, n in sorted(v.get("fact_counts", {}).items()))
                    print(f"{v['published_at'] or '?':10}  {v['status']:14} {(v['title'] or '')[:40]:40}  {counts}",
                          flush=True)
    finally:
        await consumer.stop()
    return len(seen)


# One machine, services restarted by hand: quick group timings unless the environment sets them.
LOCAL_TIMINGS = {"session_timeout_ms": 10_000, "heartbeat_interval_ms": 1_000}


def run_pipeline(settings: Settings, seeds: Path | None, follow: bool, timeout_s: float) -> int:
    quick = {k: v for k, v in LOCAL_TIMINGS.items() if k not in settings.model_fields_set}
    settings = settings.model_copy(update=quick)
    started_broker = start_local_broker(settings)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        created = asyncio.run(ensure_topics(settings))
        say(f"topics ready ({len(created)} created)")
        procs = start_services(settings, ROOT / ".ecowire-logs")
        n = asyncio.run(publish_and_show(settings, seeds, follow, timeout_s))
        say(f"{n} article result(s)")
        return 0 if follow or seeds is None or n > 0 else 1
    except KeyboardInterrupt:
        say("stopping")
        return 0
    finally:
        stop_services(procs)
        if started_broker:
            subprocess.run([str(KAFKA_SCRIPT), "stop"], check=False)
