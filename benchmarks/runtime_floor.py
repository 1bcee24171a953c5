"""What the stage runtime costs per record with no work at all, next to the normalizer.

    .venv/bin/python benchmarks/runtime_floor.py [--records 2000] [--runs 3] [--out benchmarks/results/runtime_floor.md]

The corpus's documents, as the fetcher makes them (raw.v1 records), are put on the raw topic at
once; a service reads them all and writes one record per input. Services, alternating run by run
on the same records (the host's speed drifts):
- the normalizer (`python -m ecowire.normalizer`, one worker process);
- the null stage through a worker process (`null_stage.py worker`), the normalizer's shape;
- the null stage's handler in the service process (`null_stage.py inline`).
CPU per record is the service's process and its worker processes, from /proc, from the put to
the last output; next to it, `normalize()` on the same documents in this process. The gap
between the null stage and zero is what no stage can go below on this runtime.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pipeline_bench as pb  # the benchmarks' shared helpers

from ecowire import corpus
from ecowire.core.records import OutRecord
from ecowire.core.settings import Settings
from ecowire.core.topics_admin import ensure_topics
from ecowire.fetcher.logic import inline_document
from ecowire.normalizer import normalize
from ecowire.runner import KAFKA_SCRIPT, start_local_broker
from ecowire_schemas import RawDocument

HERE = Path(__file__).resolve().parent
SERVICES = {
    "normalizer": [sys.executable, "-m", "ecowire.normalizer"],
    "null stage, worker process": [sys.executable, str(HERE / "null_stage.py"), "worker"],
    "null stage, in the service": [sys.executable, str(HERE / "null_stage.py"), "inline"],
}
PORT = 18390


async def put(settings: Settings, raws: list[RawDocument]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, linger_ms=5,
                                max_request_size=settings.max_message_bytes)
    await producer.start()
    try:
        topic = settings.topic("raw")
        sent = []
        for raw in raws:
            out = OutRecord(topic, raw.doc_id, raw, ingested_at=raw.ingested_at)
            sent.append(await producer.send(topic, out.encode(), key=raw.doc_id.encode(),
                                            headers=[(k, v.encode()) for k, v in out.headers().items()]))
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def count(settings: Settings, want: int, timeout_s: float = 600) -> int:
    consumer = AIOKafkaConsumer(settings.topic("articles"), bootstrap_servers=settings.bootstrap_servers,
                                group_id=None, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    n, deadline = 0, time.monotonic() + timeout_s
    try:
        while n < want and time.monotonic() < deadline:
            n += sum(len(rs) for rs in (await consumer.getmany(timeout_ms=200)).values())
    finally:
        await consumer.stop()
    return n


def run_service(name: str, raws: list[RawDocument], outputs: int, logs: Path) -> float:
    """CPU seconds per input record of one fresh service draining `raws`."""
    settings = pb.fresh_settings("floor")
    asyncio.run(ensure_topics(settings))
    (svc,) = pb.start(settings, [("normalizer", PORT)], logs, {}, command=SERVICES[name])
    try:
        before = svc.cpu()
        asyncio.run(put(settings, raws))
        got = asyncio.run(count(settings, outputs))
        if got < outputs:
            raise SystemExit(f"{name}: {got} of {outputs} outputs")
        return (svc.cpu() - before) / len(raws)
    finally:
        pb.stop([svc])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=str(HERE / "results" / "runtime_floor.md"))
    args = ap.parse_args()
    docs = [corpus.request(r) for r in corpus.read()]
    raws = [inline_document(r) for r in itertools.islice(itertools.cycle(docs), args.records)]
    articles = sum(len(normalize(r)) for r in raws)
    t = time.process_time()
    for r in raws:
        normalize(r)
    stage_fn = (time.process_time() - t) / len(raws)
    started = start_local_broker(Settings())
    per: dict[str, list[float]] = {name: [] for name in SERVICES}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.runs):
                for name in SERVICES:
                    want = articles if name == "normalizer" else len(raws)
                    per[name].append(run_service(name, raws, want, Path(tmp)))
                    print(f"{name}: {per[name][-1] * 1000:.3f} ms per record", flush=True)
    finally:
        if started:
            subprocess.run([str(KAFKA_SCRIPT), "stop"], check=False)
    floor = statistics.median(per["null stage, worker process"])
    lines = [
        "# The runtime's own cost per record",
        "",
        f"Run: `python benchmarks/runtime_floor.py --records {args.records} --runs {args.runs}` on "
        f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} cores shared by the broker, "
        f"the service and the benchmark; {time.strftime('%Y-%m-%d')}.",
        f"Records: {len(raws)} raw.v1 documents made from `../shared/corpus` as the fetcher makes them "
        f"({statistics.mean(len(r.text or '') for r in raws):.0f} characters on average; {articles} articles).",
        "",
        "CPU per input record (ms): the service's process and its worker processes, runs alternating.",
        "",
        "| service | " + " | ".join(f"run {i + 1}" for i in range(args.runs)) + " | median |",
        "|---|" + "---:|" * (args.runs + 1),
        *(f"| {name} | " + " | ".join(f"{v * 1000:.3f}" for v in vals) + f" | {statistics.median(vals) * 1000:.3f} |"
          for name, vals in per.items()),
        "| `normalize()` in this process | " + " | ".join("—" for _ in range(args.runs))
        + f" | {stage_fn * 1000:.3f} |",
        "",
        f"At 1.25× its stage function the normalizer's shell may cost {stage_fn * 250:.3f} ms per record; "
        f"the runtime alone, with no work, costs {floor * 1000:.3f} ms "
        f"({floor / stage_fn + 1:.2f}× the stage function is the least a service doing this work can cost).",
        "",
    ]
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
