"""Part 1: the same corpus articles through an undisturbed pipeline and through one whose services
are SIGKILLed at random and whose broker is stopped once and SIGKILLed once; then the two
results topics are compared key by key."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecowire import corpus
from ecowire.core.settings import Settings
from ecowire.core.topics_admin import ensure_topics
from tests.support import unique_settings

from .broker import Broker
from .compare import Diff, Duplicates, compacted, compare, duplicates
from .kafka_io import Reader, publish_until_acked, read_all
from .services import Action, Crash, Supervisor, plan


@dataclass
class BrokerEvent:
    kind: str  # broker_restart | broker_sigkill
    down_at: float  # wall clock, when the stop or SIGKILL began
    stop_s: float  # how long the clean stop took (0 for SIGKILL)
    start_s: float  # how long kafka.sh start took until the broker served
    ready_at: float  # wall clock, when kafka.sh start returned
    first_result_after_s: float | None = None  # recovery: first results record after ready_at

    @property
    def outage_s(self) -> float:
        return self.ready_at - self.down_at


@dataclass
class RunState:
    settings: Settings
    wall_s: float
    state: dict[str, Any]
    fact_ids: list[str]
    doc_ids_with_results: set[str]
    dead_letters: list[tuple[str | None, str | None, str | None]]  # (key, stage, reason)


@dataclass
class FaultsResult:
    articles: int
    seed: int
    baseline: RunState
    run: RunState
    diff: Diff
    dups_baseline: Duplicates
    dups_run: Duplicates
    schedule: list[tuple[float, Action]]  # (seconds after the disturbance began, action), as executed
    kills: Counter[str]
    broker_events: list[BrokerEvent]
    crashes: list[Crash]
    missing_docs: list[str]
    settle_s: float
    publish_attempts: int
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.diff.ok and not self.crashes and self.dups_run.counted_twice == 0


def select_articles(n: int, seed: int) -> list[tuple[bytes, bytes]]:
    """n corpus articles (a seeded sample, in corpus order) as (key, ingest request) pairs."""
    records = list(corpus.read())
    chosen = sorted(random.Random(seed).sample(range(len(records)), min(n, len(records))))
    out = []
    for i in chosen:
        req = corpus.request(records[i])
        out.append((req.effective_doc_id().encode(), req.model_dump_json(exclude_none=True).encode()))
    return out


def _settings(broker: Broker, name: str) -> Settings:
    tag = uuid.uuid4().hex[:6]
    return unique_settings(broker.bootstrap, topic_prefix=f"chaos{tag}{name}.", group_prefix=f"chaos{tag}{name}-",
                           partitions=4)


async def _wait_settled(settings: Settings, doc_ids: set[str], supervisor: Supervisor, quiet_s: float,
                        timeout_s: float) -> float:
    """Wait until every doc_id has an article result or a dead letter and the results topic was
    quiet for `quiet_s`; restarts crashed services meanwhile. Returns the seconds waited."""
    t0 = time.monotonic()
    results, dlq = settings.topic("results"), settings.topic("dlq")
    async with Reader(settings, [results, dlq]) as reader:
        while time.monotonic() - t0 < timeout_s:
            await asyncio.sleep(1.0)
            reader.check()
            await asyncio.to_thread(supervisor.check)
            seen = {v["doc_id"] for r in reader.records[results] if (v := r.json()) and v.get("type") == "article"}
            seen |= {r.key for r in reader.records[dlq] if r.key}
            if doc_ids <= seen and time.monotonic() - reader.last_new >= quiet_s:
                break
        else:
            print(f"chaos: not settled within {timeout_s:.0f} s", flush=True)
    return time.monotonic() - t0


async def _collect(settings: Settings, wall_s: float) -> RunState:
    recs = await read_all(settings, [settings.topic("results"), settings.topic("facts"), settings.topic("dlq")])
    state = compacted((r.key or "", r.value) for r in recs[settings.topic("results")])
    fact_ids = [v["fact_id"] for r in recs[settings.topic("facts")] if (v := r.json()) and "fact_id" in v]
    docs = {v["doc_id"] for v in state.values() if v.get("type") == "article"}
    dlq = [(r.key, r.header("dlq-stage"), r.header("dlq-reason")) for r in recs[settings.topic("dlq")]]
    return RunState(settings, wall_s, state, fact_ids, docs, dlq)


async def baseline_run(broker: Broker, articles: list[tuple[bytes, bytes]], log_dir: Path,
                       base_port: int) -> RunState:
    settings = _settings(broker, "base")
    await ensure_topics(settings)
    sup = Supervisor(settings, log_dir / "baseline", base_port, broker_up=broker.answers)
    await asyncio.to_thread(sup.start)
    try:
        t0 = time.monotonic()
        await publish_until_acked(settings, settings.topic("ingest"), articles)
        await _wait_settled(settings, {k.decode() for k, _ in articles}, sup, quiet_s=8.0, timeout_s=600)
        wall = time.monotonic() - t0
        if sup.crashes:
            raise RuntimeError(f"the undisturbed run crashed: {[c.stage for c in sup.crashes]}")
        return await _collect(settings, wall)
    finally:
        await asyncio.to_thread(sup.stop)


async def _broker_event(broker: Broker, action: Action, outage_s: float, sup: Supervisor) -> BrokerEvent:
    down = time.time()
    if action.kind == "broker_restart":
        stop_s = await asyncio.to_thread(broker.stop)
        if action.target != "broker":
            print(f"chaos: sigkill {action.target} while the broker is down", flush=True)
            await asyncio.to_thread(sup.sigkill, action.target)
    else:
        await asyncio.to_thread(broker.sigkill)
        stop_s = 0.0
    await asyncio.sleep(outage_s)
    start_s = await asyncio.to_thread(broker.start)
    return BrokerEvent(action.kind, down, stop_s, start_s, time.time())


async def disturbed_run(broker: Broker, articles: list[tuple[bytes, bytes]], expected_docs: set[str],
                        log_dir: Path, base_port: int, kills: int, seed: int, gap_s: tuple[float, float],
                        outage_s: float, with_broker: bool = True) -> tuple[RunState, dict[str, Any]]:
    settings = _settings(broker, "run")
    await ensure_topics(settings)
    sup = Supervisor(settings, log_dir / "disturbed", base_port, broker_up=broker.answers)
    await asyncio.to_thread(sup.start)
    executed: list[tuple[float, Action]] = []
    rng = random.Random(seed)
    schedule = plan(rng, kills, gap_s, broker=with_broker)
    events: list[BrokerEvent] = []
    try:
        t0 = time.monotonic()
        # Articles arrive in chunks: one at the start and one right after each action, so every
        # action (the broker's too) hits work in flight. A chunk waits out a broker outage.
        n_chunks = len(schedule) + 1
        size = -(-len(articles) // n_chunks)
        chunks = [articles[i:i + size] for i in range(0, len(articles), size)]
        pubs: list[asyncio.Task[int]] = []

        def publish_next() -> None:
            if chunks:
                pubs.append(asyncio.create_task(publish_until_acked(settings, settings.topic("ingest"),
                                                                    chunks.pop(0))))

        publish_next()
        previous = 0.0
        for action in schedule:
            # The planned gap counts from the end of the previous action (a broker restart takes
            # a while), so actions never bunch up.
            next_at = time.monotonic() + action.at_s - previous
            previous = action.at_s
            while time.monotonic() < next_at:
                await asyncio.to_thread(sup.check)
                await asyncio.sleep(0.3)
            at = time.monotonic() - t0
            executed.append((round(at, 1), action))
            print(f"chaos: t={at:6.1f}s {action.kind} {action.target}", flush=True)
            if action.kind == "sigkill":
                await asyncio.to_thread(sup.sigkill, action.target)
            else:
                events.append(await _broker_event(broker, action, outage_s, sup))
            publish_next()
        while chunks:
            publish_next()
        attempts = sum(await asyncio.gather(*pubs))
        disturb_s = time.monotonic() - t0
        settle = await _wait_settled(settings, expected_docs, sup, quiet_s=10.0, timeout_s=420)
        wall = time.monotonic() - t0
        run = await _collect(settings, wall)
    finally:
        await asyncio.to_thread(sup.stop)
    results = [r for r in (await read_all(settings, [settings.topic("results")]))[settings.topic("results")]]
    for ev in events:
        after = [r.timestamp_ms / 1000 for r in results if r.timestamp_ms / 1000 >= ev.ready_at]
        ev.first_result_after_s = (min(after) - ev.ready_at) if after else None
    extra = {"schedule": executed, "events": events, "kills": Counter(s for s, _ in sup.kills),
             "crashes": sup.crashes, "settle_s": settle, "disturb_s": disturb_s, "publish_attempts": attempts}
    return run, extra


async def run_faults(broker: Broker, n_articles: int, kills: int, seed: int, log_dir: Path, base_port: int,
                     gap_s: tuple[float, float] = (3.0, 6.0), outage_s: float = 4.0) -> FaultsResult:
    articles = select_articles(n_articles, seed)
    print(f"chaos: part 1: {len(articles)} corpus articles, undisturbed run", flush=True)
    base = await baseline_run(broker, articles, log_dir, base_port)
    print(f"chaos: undisturbed: {len(base.state)} result keys, {len(base.doc_ids_with_results)} articles with "
          f"results, {len(base.dead_letters)} dead letters, {base.wall_s:.1f} s", flush=True)
    print(f"chaos: disturbed run: {kills} SIGKILLs, broker stop+restart and SIGKILL", flush=True)
    run, extra = await disturbed_run(broker, articles, base.doc_ids_with_results, log_dir, base_port, kills, seed,
                                     gap_s, outage_s)
    diff = compare(base.state, run.state)
    return FaultsResult(
        articles=len(articles), seed=seed, baseline=base, run=run, diff=diff,
        dups_baseline=duplicates(base.fact_ids, base.state), dups_run=duplicates(run.fact_ids, run.state),
        schedule=extra["schedule"], kills=extra["kills"], broker_events=extra["events"], crashes=extra["crashes"],
        missing_docs=sorted(base.doc_ids_with_results - run.doc_ids_with_results), settle_s=extra["settle_s"],
        publish_attempts=extra["publish_attempts"],
    )
