"""End-to-end benchmark on the real corpus: the four services as processes on the real broker.

    .venv/bin/python benchmarks/pipeline_bench.py [--rates 5,10,20,40] [--seconds 20] [--burst 1000]
        [--bursts 3] [--scale 600] [--extractor-workers 1] [--out benchmarks/results/pipeline.md]

Documents are the articles of `../shared/corpus` (inline text requests, as `ecowire eval` sends
them). Every phase runs on topics of its own, with services started for it:
- sustained: documents published at a steady rate for `--seconds`; latency per article is its
  result's `completed_at - ingested_at` (both stamped by the services), p50/p95/p99;
- burst: `--burst` documents published at once, `--bursts` times (the host's speed varies by
  about 15 % between runs); documents/s from the first publish to the last result, and CPU
  seconds per article of each service (its process and its worker processes, read from /proc)
  next to the CPU of its stage function run in this process on the same documents;
- scale-out: `--scale` normalized articles put on articles.v1 at once when the extractors are
  ready, drained by one replica, by two replicas, and by one replica of two worker processes (the
  other stages idle); articles/s of each, from the put to the last extraction record.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from ecowire import corpus
from ecowire.cli import publish_requests
from ecowire.core.settings import Settings
from ecowire.core.topics_admin import ensure_topics
from ecowire.extractor import extract
from ecowire.fetcher.logic import inline_document
from ecowire.normalizer import normalize
from ecowire.runner import KAFKA_SCRIPT, start_local_broker
from ecowire_schemas import Article, IngestRequest

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("fetcher", "normalizer", "extractor", "aggregator")
TICK = os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


# ------------------------------------------------------------------ processes and their CPU


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its live descendants (a stage's worker process)."""
    stats = {int(p.name): _stat(int(p.name)) for p in Path("/proc").iterdir() if p.name.isdigit()}
    family, total = {pid}, 0.0
    changed = True
    while changed:
        changed = False
        for child, st in stats.items():
            if st is not None and st[0] in family and child not in family:
                family.add(child)
                changed = True
    for p in family:
        st = stats.get(p)
        total += st[1] if st else 0.0
    return total


@dataclass
class Service:
    stage: str
    proc: subprocess.Popen[bytes]
    port: int

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)


# Environment of one stage's processes beyond the settings (`--extractor-workers`).
STAGE_ENV: dict[str, dict[str, str]] = {}


def broker_cpu() -> float | None:
    """CPU seconds of the local broker (deploy/kafka/kafka.sh's pid file), None when not found."""
    pidfile = ROOT / ".kafka-data" / "kafka.pid"
    try:
        return cpu_seconds(int(pidfile.read_text().strip()))
    except (FileNotFoundError, ValueError):
        return None


def start(settings: Settings, stages: Iterable[tuple[str, int]], log_dir: Path,
          stage_env: dict[str, dict[str, str]] | None = None, command: list[str] | None = None) -> list[Service]:
    """Start the stages' services (`command` instead of `python -m ecowire.<stage>`) and wait
    until each answers /health."""
    out = []
    for stage, port in stages:
        env = {**os.environ, **settings.to_env(), "ECOWIRE_HTTP_PORT": str(port), "ECOWIRE_HTTP_HOST": "127.0.0.1",
               "ECOWIRE_FETCH_POLL_SOURCES": "false", **(STAGE_ENV if stage_env is None else stage_env).get(stage, {})}
        log = open(log_dir / f"{stage}-{port}.log", "ab")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(command or [sys.executable, "-m", f"ecowire.{stage}"], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        out.append(Service(stage, proc, port))
    deadline = time.monotonic() + 180
    for svc in out:
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{svc.port}/health", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        else:
            stop(out)  # none left behind holding its port for the next run
            tail = (log_dir / f"{svc.stage}-{svc.port}.log").read_text(errors="replace")[-2000:]
            raise SystemExit(f"{svc.stage} not healthy; its log ends:\n{tail}")
    time.sleep(2)  # group joins settle
    return out


def stop(services: list[Service]) -> None:
    for s in services:
        s.proc.terminate()
    for s in services:
        try:
            s.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            s.proc.kill()


# ------------------------------------------------------------------ topics


def fresh_settings(tag: str) -> Settings:
    run = uuid.uuid4().hex[:6]
    return Settings(topic_prefix=f"bench{run}{tag}.", group_prefix=f"bench{run}{tag}-",
                    session_timeout_ms=10_000, heartbeat_interval_ms=1_000)


async def collect_results(settings: Settings, want: int, timeout_s: float) -> dict[str, dict[str, object]]:
    """Article results (by article id) until `want` arrived or the timeout passed."""
    consumer = AIOKafkaConsumer(settings.topic("results"), bootstrap_servers=settings.bootstrap_servers,
                                group_id=None, auto_offset_reset="earliest", enable_auto_commit=False,
                                max_partition_fetch_bytes=settings.max_message_bytes)
    await consumer.start()
    got: dict[str, dict[str, object]] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while len(got) < want and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                for r in records:
                    if r.value is None:
                        continue
                    v = json.loads(r.value)
                    if v.get("type") == "article":
                        got.setdefault(str(v["article_id"]), v)
    finally:
        await consumer.stop()
    return got


async def count_extractions(settings: Settings, want: int, timeout_s: float) -> float:
    """Seconds until `want` extraction records are on facts.v1."""
    consumer = AIOKafkaConsumer(settings.topic("facts"), bootstrap_servers=settings.bootstrap_servers,
                                group_id=None, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    seen: set[bytes] = set()
    t0 = time.monotonic()
    try:
        while len(seen) < want and time.monotonic() - t0 < timeout_s:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                seen.update(r.key or b"" for r in records
                            if dict(r.headers).get("ecowire-record") == b"extraction")
    finally:
        await consumer.stop()
    return time.monotonic() - t0


async def put_articles(settings: Settings, articles: list[Article]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all",
                                max_request_size=settings.max_message_bytes, linger_ms=5)
    await producer.start()
    try:
        futs = [await producer.send(settings.topic("articles"), a.model_dump_json().encode(),
                                    key=a.article_id.encode(), headers=[("schema-version", b"1")]) for a in articles]
        await asyncio.gather(*futs)
    finally:
        await producer.stop()


async def publish_at_rate(settings: Settings, requests: list[IngestRequest], rate: float) -> None:
    t0 = time.monotonic()
    for i, req in enumerate(requests):
        await asyncio.sleep(max(0.0, t0 + i / rate - time.monotonic()))
        await _publish_one(settings, req)


_PRODUCER: AIOKafkaProducer | None = None


async def _publish_one(settings: Settings, req: IngestRequest) -> None:
    # one producer for the whole run: publish_requests opens a client per call
    global _PRODUCER
    if _PRODUCER is None:
        _PRODUCER = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=0)
        await _PRODUCER.start()
    from ecowire_schemas.common import utcnow

    req = req.model_copy(update={"submitted_at": utcnow()})
    await _PRODUCER.send_and_wait(settings.topic("ingest"), req.model_dump_json(exclude_none=True).encode(),
                                  key=req.effective_doc_id().encode(), headers=[("schema-version", b"1")])


async def _close_producer() -> None:
    global _PRODUCER
    if _PRODUCER is not None:
        await _PRODUCER.stop()
        _PRODUCER = None


def latencies(results: dict[str, dict[str, object]]) -> list[float]:
    return [(datetime.fromisoformat(str(v["completed_at"])) - datetime.fromisoformat(str(v["ingested_at"])))
            .total_seconds() for v in results.values()]


# ------------------------------------------------------------------ phases


def ports(stages: Iterable[str], base: int = 18100) -> list[tuple[str, int]]:
    return [(s, base + i) for i, s in enumerate(stages)]


def sustained(requests: list[IngestRequest], rate: float, seconds: float, logs: Path) -> dict[str, float]:
    settings = fresh_settings(f"r{int(rate)}")
    asyncio.run(ensure_topics(settings))
    services = start(settings, ports(STAGES), logs)
    batch = requests[: int(rate * seconds)]
    try:
        async def run() -> dict[str, dict[str, object]]:
            await publish_at_rate(settings, batch, rate)
            await _close_producer()
            return await collect_results(settings, len(batch), timeout_s=300)

        got = asyncio.run(run())
    finally:
        stop(services)
    lat = latencies(got)
    return {"rate": rate, "docs": len(batch), "results": len(got), "p50": pct(lat, 50), "p95": pct(lat, 95),
            "p99": pct(lat, 99), "max": max(lat)}


def burst(requests: list[IngestRequest], logs: Path) -> dict[str, object]:
    settings = fresh_settings("burst")
    asyncio.run(ensure_topics(settings))
    services = start(settings, ports(STAGES), logs)
    try:
        before = {s.stage: s.cpu() for s in services}
        broker_before, bench_before = broker_cpu(), time.process_time()
        t0 = time.monotonic()
        asyncio.run(publish_requests(settings, requests))
        got = asyncio.run(collect_results(settings, len(requests), timeout_s=900))
        wall = time.monotonic() - t0
        n = max(1, len(got))
        cpu = {s.stage: (s.cpu() - before[s.stage]) / n for s in services}
        broker_after = broker_cpu()
        others = {"benchmark (publish, read results)": (time.process_time() - bench_before) / n}
        if broker_before is not None and broker_after is not None:
            others["broker"] = (broker_after - broker_before) / n
    finally:
        stop(services)
    # The same documents through the stage functions in this process (the normalizer's input is
    # what the fetcher makes of a request; the extractor's, what the normalizer makes).
    raws = [inline_document(r) for r in requests]
    t = time.process_time()
    arts = [a for raw in raws for a in normalize(raw)]
    inproc_norm = (time.process_time() - t) / len(arts)
    t = time.process_time()
    for a in arts:
        extract(a)
    inproc_ext = (time.process_time() - t) / len(arts)
    return {"docs": len(requests), "results": len(got), "wall": wall, "docs_per_s": len(got) / wall,
            "cpu": cpu, "others": others, "inproc": {"normalizer": inproc_norm, "extractor": inproc_ext},
            "lat": latencies(got)}


def mean_of(parts: list[object]) -> dict[str, float]:
    """Key by key mean of the runs' {name: seconds per article}."""
    dicts: list[dict[str, float]] = parts  # type: ignore[assignment]
    return {k: statistics.mean(d[k] for d in dicts) for k in dicts[0]}


def run_cpu(run: dict[str, object]) -> float:
    """CPU seconds per article of one burst: the services, the broker and the benchmark."""
    cpu: dict[str, float] = run["cpu"]  # type: ignore[assignment]
    others: dict[str, float] = run["others"]  # type: ignore[assignment]
    return sum(cpu.values()) + sum(others.values())


# Scale-out layouts, (replicas, worker processes per replica): one replica of one worker is the
# baseline; two replicas scale by partitions (a consumer each), two workers within one replica.
LAYOUTS = ((1, 1), (2, 1), (1, 2))


def scale_out(articles: list[Article], logs: Path) -> dict[tuple[int, int], float]:
    out = {}
    for replicas, workers in LAYOUTS:
        settings = fresh_settings(f"x{replicas}w{workers}")
        asyncio.run(ensure_topics(settings))
        t0 = time.monotonic()
        services = start(settings, ports(["extractor"] * replicas, 18200), logs,
                         {"extractor": {"ECOWIRE_WORKERS": str(workers)}})
        try:
            ready = time.monotonic() - t0
            # Put once every replica is ready, and timed from the put: articles put before (the
            # topic pre-filled) were drained while the replicas reported ready, out of the timing
            # (a replica of two workers "drained" 30 articles at 7,000/s).
            t0 = time.monotonic()
            asyncio.run(put_articles(settings, articles))
            asyncio.run(count_extractions(settings, len(articles), timeout_s=900))
            secs = time.monotonic() - t0
        finally:
            stop(services)
        out[replicas, workers] = len(articles) / secs
        print(f"scale-out: {replicas} replica(s) of {workers} worker(s) drained {len(articles)} in {secs:.1f}s "
              f"(ready after {ready:.0f}s)", flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", default="5,10,20,40")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--burst", type=int, default=1000)
    ap.add_argument("--bursts", type=int, default=3,
                    help="times the burst is run: the host's speed varies by about 15 %% between runs")
    ap.add_argument("--scale", type=int, default=600)
    ap.add_argument("--extractor-workers", type=int, default=1,
                    help="ECOWIRE_WORKERS of the extractor in the sustained and burst phases")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "pipeline.md"))
    args = ap.parse_args()
    STAGE_ENV["extractor"] = {"ECOWIRE_WORKERS": str(args.extractor_workers)}
    records = list(corpus.read())
    requests = [corpus.request(r) for r in records]
    settings = Settings()
    started_broker = start_local_broker(settings)
    rows, lines = [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            logs = Path(tmp)
            rotating = itertools.cycle(range(len(requests)))
            for rate in (float(x) for x in args.rates.split(",") if x):
                batch = [requests[next(rotating)] for _ in range(int(rate * args.seconds))]
                row = sustained(batch, rate, args.seconds, logs)
                print(f"sustained {rate:g}/s: {row}", flush=True)
                rows.append(row)
            runs = []
            for _ in range(args.bursts):
                runs.append(burst(requests[: args.burst], logs))
                r = runs[-1]
                print(f"burst: {r['docs_per_s']:.1f} documents/s, cpu {r['cpu']}, in-process {r['inproc']}", flush=True)
            arts = [a for r in records[: args.scale] for a in corpus.articles(r)]
            scale = scale_out(arts, logs)
    finally:
        if started_broker:
            subprocess.run([str(KAFKA_SCRIPT), "stop"], check=False)
    # The run of median documents/s is the headline; CPU per article is the mean over the runs.
    b = sorted(runs, key=lambda r: float(r["docs_per_s"]))[len(runs) // 2]  # type: ignore[arg-type]
    cpu, inproc, others = (mean_of([r[part] for r in runs]) for part in ("cpu", "inproc", "others"))
    blat: list[float] = b["lat"]  # type: ignore[assignment]
    lines += [
        "# Pipeline benchmark (end to end, four services, real local broker, real corpus)",
        "",
        f"Run: `python benchmarks/pipeline_bench.py --rates {args.rates} --seconds {args.seconds:g} "
        f"--burst {args.burst} --bursts {args.bursts} --scale {args.scale} "
        f"--extractor-workers {args.extractor_workers}` "
        f"on {platform.machine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores shared by the broker, the services and the benchmark; {time.strftime('%Y-%m-%d')}.",
        f"Documents: the articles of `../shared/corpus` ({statistics.mean(len(r.text) for r in records):.0f} "
        "characters on average), published as inline text requests.",
        "",
        "## Sustained rates: ingest → result latency",
        "",
        "| documents/s | documents | results | p50 (s) | p95 (s) | p99 (s) | max (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *(f"| {r['rate']:g} | {r['docs']:.0f} | {r['results']:.0f} | {r['p50']:.2f} | {r['p95']:.2f} | "
          f"{r['p99']:.2f} | {r['max']:.2f} |" for r in rows),
        "",
        f"## Burst of {b['docs']}, run {len(runs)} times",
        "",
        f"Median run: {b['results']} results in {b['wall']:.1f} s: **{b['docs_per_s']:.1f} documents/s**; "
        f"latency p50 {pct(blat, 50):.1f} s, p99 {pct(blat, 99):.1f} s (queueing included). The extractor "
        f"ran {args.extractor_workers} worker process(es) (`ECOWIRE_WORKERS`).",
        "",
        "| run | documents/s | CPU per article, all (ms) | extractor stage function (ms): the host's speed |",
        "|---:|---:|---:|---:|",
        *(f"| {i} | {r['docs_per_s']:.1f} | {run_cpu(r) * 1000:.1f} | {r['inproc']['extractor'] * 1000:.1f} |"  # type: ignore[index]
          for i, r in enumerate(runs, 1)),
        "",
        "CPU per article (ms, mean of the runs): each service's process and its worker processes, next to its "
        "stage function in one process on the same documents.",
        "",
        "| service | service CPU | stage function | ratio |",
        "|---|---:|---:|---:|",
        *(f"| {st} | {cpu[st] * 1000:.1f} | "
          + (f"{inproc[st] * 1000:.1f} | {cpu[st] / inproc[st]:.2f} |" if st in inproc else "— | — |")
          for st in STAGES),
        *(f"| {name} | {v * 1000:.1f} | — | — |" for name, v in others.items()),
        f"| **all** | {(sum(cpu.values()) + sum(others.values())) * 1000:.1f} | — | — |",
        "",
        f"## Scale-out: {len(arts)} articles on articles.v1, drained by extractor replicas",
        "",
        "Other stages idle. The articles are put at once when every replica answers /health (models loaded)",
        "and the drain is timed from the put (a fraction of a second) to the last extraction record.",
        "Replicas split the topic's partitions; workers share one replica's consumer.",
        "",
        "| replicas | workers per replica | articles/s | gain |",
        "|---:|---:|---:|---:|",
        *(f"| {n} | {w} | {v:.1f} | {v / scale[LAYOUTS[0]]:.2f}× |" for (n, w), v in scale.items()),
        "",
    ]
    report = "\n".join(lines)
    Path(args.out).write_text(report, "utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
