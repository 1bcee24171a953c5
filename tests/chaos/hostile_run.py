"""Part 2: hostile inputs, each followed by a good article, through the four services.

Topics of this part have ONE partition, so the good article queues behind its hostile input in
every stage: its delay is the head-of-line cost of the hostile one. Each pair is published after
the previous good article came out (or after `pair_timeout_s`), so delays do not add up.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.errors import KafkaError

from ecowire import corpus
from ecowire.core.settings import Settings
from ecowire.core.topics_admin import ensure_topics
from tests.support import unique_settings

from .broker import Broker
from .hostile import Hostile, Targets, catalogue, good_request
from .kafka_io import Reader, Rec, producer
from .services import Crash, Supervisor
from .trap import Hit, HitLog, bind_with_retry

URL_CATEGORIES = frozenset({"scheme", "address", "redirect"})
STALL_MARK = "produce_failed_will_retry"  # the stage shell's log event when a produce fails and is retried


@dataclass
class Outcome:
    item: Hostile
    published_at: float = 0.0  # wall clock
    publish_error: str | None = None
    ingest_offset: int | None = None
    dead_letters: list[tuple[str, str, str]] = field(default_factory=list)  # (stage, reason, error message)
    articles: int = 0  # article results of the hostile document
    good_delay_s: float | None = None  # the good article behind it: publish → its result
    good_dead_letter: str | None = None
    crashes: list[Crash] = field(default_factory=list)
    stalls: list[tuple[str, str]] = field(default_factory=list)  # (stage, evidence); restarted by the suite
    trap_hits: list[Hit] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.publish_error:
            return "publish_refused"
        if self.dead_letters and self.articles:
            return "partly"
        if self.dead_letters:
            return "dead_letter"
        if self.articles:
            return "processed"
        return "no_trace"

    @property
    def reasons(self) -> str:
        if self.publish_error:
            return self.publish_error
        return ", ".join(sorted({f"{s}/{r}" for s, r, _ in self.dead_letters})) or "-"

    def problems(self, budget_s: float) -> list[str]:
        """What breaks the done-when conditions for this input."""
        out = []
        if self.crashes:
            out.append(f"{', '.join(f'{c.kind} of {c.stage}' for c in self.crashes)}")
        if self.stalls:
            out.append(f"{', '.join(st for st, _ in self.stalls)} stalled (retrying a produce forever; "
                       "restarted by the suite)")
        if self.trap_hits:
            out.append(f"{len(self.trap_hits)} trap hit(s)")
        if self.kind == "no_trace":
            out.append("neither dead-lettered nor processed")
        if self.item.category in URL_CATEGORIES and self.articles:
            out.append("a private/forbidden URL was fetched")
        if self.item.expect == "publish_refused" and self.kind != "publish_refused":
            out.append("the broker accepted it")
        if self.good_delay_s is None:
            out.append("the good article behind it never came out")
        elif self.good_delay_s > budget_s:
            out.append(f"good article delayed {self.good_delay_s:.1f} s > {budget_s:.0f} s")
        if self.good_dead_letter:
            out.append(f"good article dead-lettered ({self.good_dead_letter})")
        return out

    def remarks(self) -> list[str]:
        """Departures from the expectation that are not unsafe (findings all the same)."""
        out = []
        if self.item.expect == "dead_letter" and self.articles and self.item.category not in URL_CATEGORIES:
            out.append("accepted although invalid")
        if any(r == "stage_error" for _, r, _ in self.dead_letters):
            out.append("a bug: generic stage_error")
        return out


@dataclass
class HostileResult:
    outcomes: list[Outcome]
    trap_hits: list[Hit]
    redirector_hits: int
    crashes: list[Crash]
    unattributed: list[str]
    budget_s: float
    wall_s: float
    partitions: int = 1

    def by_kind(self) -> Counter[str]:
        return Counter(o.kind for o in self.outcomes)

    def by_reason(self) -> Counter[str]:
        return Counter(f"{s}/{r}" for o in self.outcomes for s, r, _ in o.dead_letters)

    @property
    def max_delay(self) -> float | None:
        delays = [o.good_delay_s for o in self.outcomes if o.good_delay_s is not None]
        return max(delays) if delays else None

    @property
    def ok(self) -> bool:
        return not self.trap_hits and not self.crashes and not any(o.problems(self.budget_s) for o in self.outcomes)


def _fetch_env(allowed: str) -> dict[str, str]:
    # Only the redirector is allowed; short timeouts so unresolvable names cost seconds, not minutes.
    return {"ECOWIRE_FETCH_ALLOW_HOSTS": allowed, "ECOWIRE_FETCH_CONNECT_TIMEOUT_S": "2",
            "ECOWIRE_FETCH_READ_TIMEOUT_S": "5", "ECOWIRE_FETCH_DEADLINE_S": "15", "ECOWIRE_FETCH_MAX_RETRIES": "1",
            "ECOWIRE_FETCH_BACKOFF_BASE_S": "0.2", "ECOWIRE_FETCH_PER_HOST_INTERVAL_S": "0",
            "ECOWIRE_FETCH_POLL_SOURCES": "false"}


def _doc_id_of(rec: Rec) -> str | None:
    """The document a dead letter or result belongs to: its doc_id field, else its key."""
    try:
        v = rec.json()
    except (ValueError, UnicodeDecodeError, RecursionError):  # dead letters hold any bytes at all
        v = None
    if isinstance(v, dict):
        for cand in (v, v.get("record"), v.get("article")):
            if isinstance(cand, dict) and isinstance(cand.get("doc_id"), str):
                return str(cand["doc_id"])
    return rec.key


async def run_hostile(broker: Broker, log_dir: Path, base_port: int, seed: int = 11, limit: int = 0,
                      every: int = 1, budget_s: float = 30.0, pair_timeout_s: float = 60.0) -> HostileResult:
    hits = HitLog()
    with bind_with_retry("trap", ["127.0.0.1", "127.0.0.2", "::1"], hits) as trap, \
            bind_with_retry("redirector", ["127.0.0.5"], hits, redirect=True) as redirector:
        redirect_host = f"127.0.0.5:{redirector.port}"
        items = catalogue(Targets(trap.port, redirect_host), seed)[::every]
        if limit:
            items = items[:limit]
        tag = uuid.uuid4().hex[:6]
        settings = unique_settings(broker.bootstrap, topic_prefix=f"chaos{tag}hostile.",
                                   group_prefix=f"chaos{tag}hostile-", partitions=1)
        await ensure_topics(settings)
        sup = Supervisor(settings, log_dir / "hostile", base_port, extra_env={"fetcher": _fetch_env("127.0.0.5")})
        print(f"chaos: part 2: {len(items)} hostile inputs; trap on port {trap.port}, redirector {redirect_host}",
              flush=True)
        await asyncio.to_thread(sup.start)
        t0 = time.monotonic()
        try:
            outcomes = await _pairs(settings, sup, items, seed, pair_timeout_s)
        finally:
            await asyncio.to_thread(sup.stop)
        wall = time.monotonic() - t0
        all_hits = hits.snapshot()
        trap_hits = [h for h in all_hits if h.listener == "trap"]
        for o, nxt in zip(outcomes, [*outcomes[1:], None], strict=True):
            end = nxt.published_at if nxt else float("inf")
            o.trap_hits = [h for h in trap_hits if o.published_at <= h.at < end]
        return HostileResult(outcomes, trap_hits, sum(1 for h in all_hits if h.listener == "redirector"),
                             sup.crashes, [], budget_s, wall)


async def _pairs(settings: Settings, sup: Supervisor, items: list[Hostile], seed: int,
                 pair_timeout_s: float) -> list[Outcome]:
    # Good articles of ordinary length, so none is itself an edge case.
    records = [r for r in corpus.read() if 300 <= len(r.text) <= 5000]
    goods = random.Random(seed + 1).sample(records, len(items))
    results_t, dlq_t, ingest_t = settings.topic("results"), settings.topic("dlq"), settings.topic("ingest")
    outcomes = [Outcome(item) for item in items]
    good_pub: dict[str, float] = {}
    prod = producer(settings, idempotent=False)
    await prod.start()
    try:
        async with Reader(settings, [results_t, dlq_t]) as reader:
            done_docs: set[str] = set()
            scanned = scanned_dlq = 0
            for i, (o, rec) in enumerate(zip(outcomes, goods, strict=True)):
                h = o.item
                o.published_at = time.time()
                try:
                    fut = await prod.send(ingest_t, h.value, key=h.key, headers=list(h.headers))
                    o.ingest_offset = (await fut).offset
                except KafkaError as e:
                    o.publish_error = f"{type(e).__name__}"
                    print(f"chaos: the broker refused {h.name}: {type(e).__name__}", flush=True)
                good_id = f"g{i:03d}"
                value = good_request(good_id, rec.text, rec.title, rec.published_at, rec.url)
                good_pub[good_id] = time.time()
                await (await prod.send(ingest_t, value, key=good_id.encode(), headers=[("schema-version", b"1")]))
                crashes_before = len(sup.crashes)
                deadline = time.monotonic() + pair_timeout_s
                give_up = time.monotonic() + 3 * pair_timeout_s
                while good_id not in done_docs and time.monotonic() < give_up:
                    if time.monotonic() > deadline:
                        # Slow, or stuck? A service retrying one produce forever never recovers by
                        # itself: record it and restart it, as an operator would, so the run goes on.
                        for stage, evidence in await asyncio.to_thread(sup.stalled, STALL_MARK):
                            print(f"chaos: STALL {stage} behind {h.name}: {evidence[:160]}; restarting", flush=True)
                            o.stalls.append((stage, evidence))
                            await asyncio.to_thread(sup.restart, stage)
                        deadline = time.monotonic() + pair_timeout_s
                    await asyncio.sleep(0.1)
                    reader.check()
                    new = reader.records[results_t][scanned:]
                    scanned += len(new)
                    done_docs |= {v["doc_id"] for r in new if (v := r.json()) and v.get("type") == "article"}
                    new_dlq = reader.records[dlq_t][scanned_dlq:]
                    scanned_dlq += len(new_dlq)
                    done_docs |= {d for r in new_dlq if (d := _doc_id_of(r)) and d.startswith("g")}
                    await asyncio.to_thread(sup.check)
                o.crashes = sup.crashes[crashes_before:]
                status = "ok" if good_id in done_docs else f"not out after {3 * pair_timeout_s:.0f} s"
                print(f"chaos: {i + 1:3}/{len(items)} {h.category:15} {h.name:32} good: {status}", flush=True)
            # Let the last inputs drain before reading what came out.
            while time.monotonic() - reader.last_new < 10.0:
                await asyncio.sleep(0.5)
                await asyncio.to_thread(sup.check)
            _attribute(outcomes, reader.records[results_t], reader.records[dlq_t], good_pub)
    finally:
        await prod.stop()
    return outcomes


def _attribute(outcomes: list[Outcome], results: list[Rec], dlq: list[Rec], good_pub: dict[str, float]) -> None:
    by_doc = {d: o for o in outcomes for d in o.item.doc_ids}
    by_offset = {o.ingest_offset: o for o in outcomes if o.ingest_offset is not None}
    first_result: dict[str, float] = {}
    for r in results:
        v: Any = r.json()
        if not v or v.get("type") != "article":
            continue
        doc = v["doc_id"]
        if doc in good_pub:
            first_result.setdefault(doc, r.timestamp_ms / 1000)
        elif doc in by_doc:
            by_doc[doc].articles += 1
        else:
            _by_time(outcomes, r.timestamp_ms / 1000).articles += 1  # a derived doc_id (doc_id_empty)
    for r in dlq:
        stage, reason = r.header("dlq-stage") or "?", r.header("dlq-reason") or "?"
        msg = r.header("dlq-error-message") or ""
        doc = _doc_id_of(r)
        if doc in good_pub:
            idx = int(doc[1:])
            outcomes[idx].good_dead_letter = f"{stage}/{reason}: {msg[:120]}"
            continue
        o = by_doc.get(doc or "")
        if o is None and stage == "fetcher":
            o = by_offset.get(int(r.header("dlq-source-offset") or -1))
        if o is None:
            o = _by_time(outcomes, r.timestamp_ms / 1000)
        o.dead_letters.append((stage, reason, msg))
    for i, o in enumerate(outcomes):
        doc = f"g{i:03d}"
        if doc in first_result:
            o.good_delay_s = max(0.0, first_result[doc] - good_pub[doc])


def _by_time(outcomes: list[Outcome], at: float) -> Outcome:
    """The last input published before `at` (for records whose ids say nothing)."""
    chosen = outcomes[0]
    for o in outcomes:
        if o.published_at <= at:
            chosen = o
    return chosen


def dump(result: HostileResult, path: Path) -> None:
    """Every outcome as JSON lines (kept with --keep, for the defect reports)."""
    with path.open("w", encoding="utf-8") as fh:
        for o in result.outcomes:
            fh.write(json.dumps({"name": o.item.name, "category": o.item.category, "kind": o.kind,
                                 "reasons": o.reasons, "dead_letters": o.dead_letters, "articles": o.articles,
                                 "good_delay_s": o.good_delay_s, "problems": o.problems(result.budget_s),
                                 "remarks": o.remarks()}, ensure_ascii=False) + "\n")
