"""End-to-end benchmark: documents/s and ingest→result latency percentiles through the four
services running as separate processes on the real local broker.

    python benchmarks/pipeline_bench.py [--rounds 8] [--out benchmarks/results/pipeline.md]

Each round publishes every seed once with a line of its own appended (distinct documents), all at
once; latency per article is `completed_at - ingested_at` of its result (both stamped by the
services), throughput is documents over the wall time from the first publish to the last result.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from ecowire.cli import publish_requests
from ecowire.core.settings import Settings
from ecowire.core.topics_admin import ensure_topics
from ecowire.files import request_for_file
from ecowire.inprocess import raw_for_file
from ecowire.normalizer import normalize
from ecowire.runner import KAFKA_SCRIPT, start_local_broker, start_services, stop_services

ROOT = Path(__file__).resolve().parents[1]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def collect(settings: Settings, want: set[str], timeout_s: float) -> dict[str, dict[str, object]]:
    consumer = AIOKafkaConsumer(settings.topic("results"), bootstrap_servers=settings.bootstrap_servers,
                                group_id=None, auto_offset_reset="earliest", enable_auto_commit=False,
                                max_partition_fetch_bytes=settings.max_message_bytes)
    await consumer.start()
    got: dict[str, dict[str, object]] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while not want <= set(got) and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    if r.value is None:  # tombstone of an aggregate
                        continue
                    v = json.loads(r.value)
                    if v.get("type") == "article" and v["article_id"] not in got:
                        got[v["article_id"]] = v
    finally:
        await consumer.stop()
    return got


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "pipeline.md"))
    args = ap.parse_args()
    tag = uuid.uuid4().hex[:6]
    settings = Settings(topic_prefix=f"bench{tag}.", group_prefix=f"bench{tag}-")
    started_broker = start_local_broker(settings)
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for r in range(args.rounds):
            for p in seeds:
                copy = Path(tmp) / f"{r}-{p.name}"
                copy.write_bytes(p.read_bytes() + f"\n\n基准第{r}轮。\n".encode())
                paths.append(copy)
        want = {a.article_id for p in paths for a in normalize(raw_for_file(p))}
        chars = sum(len(p.read_text("utf-8")) for p in paths)
        asyncio.run(ensure_topics(settings))
        procs = start_services(settings, Path(tmp) / "logs")
        try:
            # Unloaded: one seed at a time, each waited for (how long a document takes alone).
            single: list[tuple[str, float]] = []
            for p in seeds:
                ids = {a.article_id for a in normalize(raw_for_file(p))}
                t_one = time.monotonic()
                asyncio.run(publish_requests(settings, [request_for_file(p)]))
                asyncio.run(collect(settings, ids, timeout_s=120))
                single.append((p.name, time.monotonic() - t_one))
            t0 = time.monotonic()
            asyncio.run(publish_requests(settings, [request_for_file(p) for p in paths]))
            got = asyncio.run(collect(settings, want, timeout_s=600))
            wall = time.monotonic() - t0
        finally:
            stop_services(procs)
            if started_broker:
                subprocess.run([str(KAFKA_SCRIPT), "stop"], check=False)
    if not want <= set(got):
        print(f"only {len(got)} of {len(want)} results arrived", file=sys.stderr)
        return 1
    lat = [(datetime.fromisoformat(str(v["completed_at"])) - datetime.fromisoformat(str(v["ingested_at"])))
           .total_seconds() for v in got.values()]
    row = (f"| {len(paths)} | {len(want)} | {chars} | {wall:.1f} | {len(paths) / wall:.2f} | "
           f"{len(want) / wall:.2f} | {chars / wall:,.0f} |")
    lat_row = " | ".join(f"{x:.2f}" for x in (pct(lat, 50), pct(lat, 90), pct(lat, 95), pct(lat, 99), max(lat),
                                              statistics.mean(lat)))
    single_rows = "\n".join(f"| {name} | {secs:.2f} |" for name, secs in single)
    report = f"""# Pipeline benchmark (end to end, four services, real local broker)

Run: `python benchmarks/pipeline_bench.py --rounds {args.rounds}` on {platform.machine()}, {platform.python_version()},
2 cores shared by the broker, the four services and the benchmark; {time.strftime('%Y-%m-%d')}.

| documents | articles | chars | wall (s) | documents/s | articles/s | chars/s |
|---:|---:|---:|---:|---:|---:|---:|
{row}

One seed at a time on an idle pipeline, publish → all its article results read back (s):

| seed | s |
|---|---:|
{single_rows}

All documents published at once: ingest → result latency per article (includes queueing):

| p50 (s) | p90 (s) | p95 (s) | p99 (s) | max (s) | mean (s) |
|---:|---:|---:|---:|---:|---:|
| {lat_row} |
"""
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(report, "utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
