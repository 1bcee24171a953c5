"""The aggregator's apply cost against the number of articles held, and its restore time.

    .venv/bin/python benchmarks/aggregator_bench.py [--sizes 1000,10000,50000,200000] [--samples 1000]
                                                    [--out FILE]

One `AggregatorState` is fed the synthetic corpus (`ecowire.aggregator.synthetic.iter_corpus`:
distinct articles plus exact republications and truncated copies; 10 people, 48 series, 96
targets and 100 (kind, date) event groups collect every fact, so the hot aggregates grow with the
corpus). When the state holds each size, the next `--samples` bundles are timed one by one around
`apply`: wall time (`perf_counter`) and the thread's CPU time (`thread_time`, which a machine
shared with other work does not inflate): p50 and p99. Also: the largest result record published so far
(JSON bytes), the process RSS, the most LSH candidates one query compared. At the largest size the
state is restored from its changelog — in process: the latest record of every changelog key (what
the compacted topic holds) replayed through `RestoredState.apply` then `AggregatorState.restore`,
the same code the service runs after reading the topic (broker read time is not included; see
docs/aggregator.md for the broker-read figures).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from ecowire.aggregator.logic import AggregatorState
from ecowire.aggregator.state import ArticleBundle, RestoredState
from ecowire.aggregator.synthetic import iter_corpus

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 5, 1, tzinfo=UTC)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def run(sizes: list[int], samples: int) -> tuple[list[dict[str, float]], dict[str, float]]:
    state = AggregatorState()
    changelog: dict[str, bytes] = {}  # the latest record per key: what the compacted topic keeps
    stream = iter_corpus(10**8, seed=1)
    offset = 0
    biggest = {"aggregate": 0, "article": 0}
    candidates = 0

    def apply_one() -> tuple[float, float]:
        nonlocal offset, candidates
        a = next(stream)
        bundle = ArticleBundle(record=a.record, facts=a.facts, source_topic="facts", source_partition=0,
                               source_offset=offset)
        t, c = time.perf_counter(), time.thread_time()
        update = state.apply(bundle, offset, NOW)
        elapsed = (time.perf_counter() - t, time.thread_time() - c)
        offset += 1
        candidates = max(candidates, state.dedup.last_query_size())
        for r in update.results:
            if r.value is not None:
                kind = "article" if r.kind == "article" else "aggregate"
                biggest[kind] = max(biggest[kind], len(r.value.model_dump_json().encode("utf-8")))
        changelog.update(update.changelog)
        return elapsed

    rows = []
    started = time.perf_counter()
    for size in sizes:
        while len(state.articles) < size:
            apply_one()
        held = len(state.articles)
        measured = [apply_one() for _ in range(samples)]
        times, cpu = [m[0] for m in measured], [m[1] for m in measured]
        rows.append({
            "held": held, "p50_ms": 1000 * statistics.median(times), "p99_ms": 1000 * pct(times, 0.99),
            "cpu_p50_ms": 1000 * statistics.median(cpu), "cpu_p99_ms": 1000 * pct(cpu, 0.99),
            "max_ms": 1000 * max(times), "load": os.getloadavg()[0], "max_aggregate_bytes": biggest["aggregate"],
            "max_article_bytes": biggest["article"], "rss_mb": rss_mb(), "candidates": candidates,
            "aggregates": sum(state.entries.values()), "elapsed_s": time.perf_counter() - started,
        })
        print(rows[-1], flush=True)

    gc.collect()
    t = time.perf_counter()
    restored = RestoredState()
    for key, value in changelog.items():
        restored.apply(key, value)
    decoded = time.perf_counter() - t
    again = AggregatorState.restore(0, restored)
    total = time.perf_counter() - t
    if again.published != state.published or again.applied_offset != state.applied_offset:
        raise AssertionError("the restored state differs from the state it was restored from")
    restore = {"articles": len(again.articles), "records": len(changelog),
               "bytes": sum(len(v) for v in changelog.values()), "decode_s": decoded,
               "rebuild_s": total - decoded, "total_s": total, "rss_mb": rss_mb()}
    print(restore, flush=True)
    return rows, restore


def report(rows: list[dict[str, float]], restore: dict[str, float], samples: int) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Aggregator: apply cost and record size against articles held",
        "",
        f"Measured {when} on {platform.machine()} / Python {platform.python_version()}, one process on a "
        "2-core machine; `benchmarks/aggregator_bench.py`. One state fed the synthetic corpus (distinct "
        "articles + exact and truncated copies; 10 people, 48 series, 96 targets and 100 event groups "
        f"collect every fact). At each size the next {samples} bundles are timed one by one.",
        "",
        "| articles held | apply p50 (CPU) | apply p99 (CPU) | p50 / p99 / max (wall) | largest aggregate "
        "record | largest article record | RSS | most LSH candidates | aggregates | load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [f"| {r['held']:,.0f} | {r['cpu_p50_ms']:.2f} ms | {r['cpu_p99_ms']:.2f} ms "
              f"| {r['p50_ms']:.2f} / {r['p99_ms']:.2f} / {r['max_ms']:.0f} ms "
              f"| {r['max_aggregate_bytes']:,.0f} B | {r['max_article_bytes']:,.0f} B | {r['rss_mb']:,.0f} MB "
              f"| {r['candidates']:.0f} | {r['aggregates']:,.0f} | {r['load']:.1f} |" for r in rows]
    first, last = rows[0], rows[-1]
    lines += [
        "",
        f"p99 at {last['held']:,.0f} / p99 at {first['held']:,.0f}, CPU time: "
        f"**{last['cpu_p99_ms'] / first['cpu_p99_ms']:.2f}×** (p50 {last['cpu_p50_ms'] / first['cpu_p50_ms']:.2f}×; "
        f"wall time p99 {last['p99_ms'] / first['p99_ms']:.2f}×, p50 {last['p50_ms'] / first['p50_ms']:.2f}×, "
        "on 2 cores shared with other work: load average in the table). "
        f"Largest record published: {max(last['max_aggregate_bytes'], last['max_article_bytes']):,.0f} bytes "
        "(limit 65,536).",
        "",
        f"Restore at {restore['articles']:,.0f} articles, in process (the latest record of each of "
        f"{restore['records']:,.0f} changelog keys, {restore['bytes'] / 1e6:,.0f} MB, replayed through "
        "`RestoredState.apply` and `AggregatorState.restore`; reading them from the broker is not "
        f"included): decode {restore['decode_s']:.1f} s + rebuild {restore['rebuild_s']:.1f} s = "
        f"**{restore['total_s']:.1f} s**; the restored state publishes exactly what the original did "
        "(checked).",
        "",
        "Before (the same corpus, recomputing every touched aggregate from all its facts and comparing "
        "each new article with every LSH candidate): 3.6 ms per apply at 2k articles held, 6.5 ms at "
        "4k, 17 ms at 6k, 27 ms at 12k, and records growing with every source.",
        "",
        "Reproduce: `.venv/bin/python benchmarks/aggregator_bench.py` (about 20 minutes at 200k).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000,50000,200000")
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "aggregator.md")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows, restore = run(sizes, args.samples)
    args.out.write_text(report(rows, restore, args.samples), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
