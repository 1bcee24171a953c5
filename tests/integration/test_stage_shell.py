"""The shared stage shell against the real broker: manual ack, dead letters, redelivery."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from faststream import TestApp

from ecowire.core.app import build_app
from ecowire.core.records import InRecord, OutRecord, Reject
from ecowire.core.settings import Settings
from ecowire.core.stage import Stage
from ecowire_schemas import IngestRequest
from tests.support import consume, header, produce

pytestmark = pytest.mark.kafka


def echo_stage(settings: Settings) -> Stage:
    def handle(req: IngestRequest, record: InRecord) -> list[OutRecord]:
        if req.content == "poison":
            raise Reject("poison", "this content is refused on purpose")
        if req.content == "bug":
            raise RuntimeError("a bug this input triggers")
        return [OutRecord(settings.topic("raw"), req.effective_doc_id(), req)]

    return Stage("fetcher", "ingest", IngestRequest, handle)


async def test_bad_messages_are_dead_lettered_and_the_next_good_one_flows(kafka_settings: Settings) -> None:
    s = kafka_settings
    good = [IngestRequest(content=f"doc {i}") for i in range(3)]
    records = [
        (b"k0", good[0].model_dump_json().encode(), {}),
        (b"k1", b"{malformed json", {}),
        (b"k2", b"\x00\xff\xfe binary junk", {}),
        (b"k3", json.dumps({"schema_version": 9, "content": "x"}).encode(), {}),
        (b"k4", IngestRequest(content="poison").model_dump_json().encode(), {}),
        (b"k5", IngestRequest(content="bug").model_dump_json().encode(), {}),
        # both once failed inside FastStream before the handler, and were committed with no dead letter
        (b"k8", b"[" * 20_000 + b"]" * 20_000, {}),
        (b"k9", good[1].model_dump_json().encode(), {"schema-version": b"\xff\xfe"}),
        (b"k6", good[1].model_dump_json().encode(), {}),
        (b"k7", good[2].model_dump_json().encode(), {}),
    ]
    # One partition key for all: they share a partition, so the good ones after the bad prove
    # that a poison message does not block it.
    await produce(s.bootstrap_servers, s.topic("ingest"), [(b"same", v, h) for _, v, h in records])
    app = build_app(echo_stage(s), s)
    async with TestApp(app):
        out = await consume(s.bootstrap_servers, s.topic("raw"), until=3, timeout=60)
        dlq = await consume(s.bootstrap_servers, s.topic("dlq"), until=7, timeout=60)
    assert sorted(json.loads(r.value)["content"] for r in out) == ["doc 0", "doc 1", "doc 2"]
    # ecowire's headers only, the same on every replay (FastStream's publish added a random correlation_id)
    assert all([k for k, _ in r.headers] == ["schema-version"] for r in out)
    reasons = [header(r, "dlq-reason") for r in dlq]
    assert reasons == ["malformed_json", "malformed_json", "unsupported_schema_version", "poison", "stage_error",
                       "json_too_deep", "invalid_header"]
    assert dlq[0].value == b"{malformed json"  # the original bytes, untouched
    assert all(header(r, "dlq-stage") == "fetcher" for r in dlq)
    assert all(header(r, "dlq-source-topic") == s.topic("ingest") for r in dlq)
    offsets = [int(header(r, "dlq-source-offset") or -1) for r in dlq]
    assert offsets == sorted(offsets) and len(set(offsets)) == 7
    assert header(dlq[4], "dlq-error-class") == "RuntimeError"


async def test_commits_only_after_processing(kafka_settings: Settings) -> None:
    """A second app in the same group resumes after the last committed input, nothing skipped."""
    s = kafka_settings
    first = [IngestRequest(content=f"a{i}") for i in range(5)]
    await produce(s.bootstrap_servers, s.topic("ingest"), [(b"k", r.model_dump_json().encode(), {}) for r in first])
    async with TestApp(build_app(echo_stage(s), s)):
        await consume(s.bootstrap_servers, s.topic("raw"), until=5, timeout=60)
        await asyncio.sleep(0.5)
    second = [IngestRequest(content=f"b{i}") for i in range(3)]
    await produce(s.bootstrap_servers, s.topic("ingest"), [(b"k", r.model_dump_json().encode(), {}) for r in second])
    async with TestApp(build_app(echo_stage(s), s)):
        out = await consume(s.bootstrap_servers, s.topic("raw"), until=8, timeout=60, idle=2.0)
    contents = [json.loads(r.value)["content"] for r in out]
    # Each exactly once: nothing skipped, nothing processed twice across the restart.
    assert sorted(contents) == sorted([f"a{i}" for i in range(5)] + [f"b{i}" for i in range(3)])


def spin_on_slow(req: IngestRequest) -> str:
    """The stage's work step (run in its worker process): endless CPU work on "slow"."""
    while req.content == "slow":
        pass
    return req.content or ""


async def test_an_input_over_the_time_budget_is_dead_lettered_and_the_partition_goes_on(
    kafka_settings: Settings,
) -> None:
    s = kafka_settings.model_copy(update={"time_budget_s": 5.0})  # generous: CI machines are busy

    def wrap(req: IngestRequest, record: InRecord, worked: str) -> list[OutRecord]:
        return [OutRecord(s.topic("raw"), req.effective_doc_id(), IngestRequest(content=worked.upper()))]

    stage = Stage("normalizer", "ingest", IngestRequest, wrap, work=spin_on_slow)
    docs = ["before", "slow", "after"]
    await produce(s.bootstrap_servers, s.topic("ingest"),
                  [(b"same", IngestRequest(content=d).model_dump_json().encode(), {}) for d in docs])
    async with TestApp(build_app(stage, s)):
        out = await consume(s.bootstrap_servers, s.topic("raw"), until=2, timeout=60)
        dlq = await consume(s.bootstrap_servers, s.topic("dlq"), until=1, timeout=60)
    assert [json.loads(r.value)["content"] for r in out] == ["BEFORE", "AFTER"]
    assert header(dlq[0], "dlq-reason") == "timeout"
    assert json.loads(dlq[0].value)["content"] == "slow"


async def test_an_output_the_producer_refuses_is_dead_lettered_and_the_partition_goes_on(
    kafka_settings: Settings,
) -> None:
    """The runtime's producer (aiokafka) refuses a record over `max_message_bytes` before sending:
    the input becomes a dead letter `output_too_large` and the next input flows."""
    s = kafka_settings.model_copy(update={"max_message_bytes": 64 * 1024})

    def inflate(req: IngestRequest, record: InRecord) -> list[OutRecord]:
        size = 100 * 1024 if req.content == "inflate" else 10
        return [OutRecord(s.topic("raw"), req.effective_doc_id(), b"x" * size, schema_version=1)]

    docs = ["before", "inflate", "after"]
    await produce(s.bootstrap_servers, s.topic("ingest"),
                  [(b"same", IngestRequest(content=d).model_dump_json().encode(), {}) for d in docs])
    async with TestApp(build_app(Stage("fetcher", "ingest", IngestRequest, inflate), s)):
        out = await consume(s.bootstrap_servers, s.topic("raw"), until=2, timeout=60)
        dlq = await consume(s.bootstrap_servers, s.topic("dlq"), until=1, timeout=60)
    assert [r.value for r in out] == [b"x" * 10, b"x" * 10]
    assert header(dlq[0], "dlq-reason") == "output_too_large"
    assert header(dlq[0], "dlq-error-class") == "MessageSizeTooLargeError"
    assert json.loads(dlq[0].value)["content"] == "inflate"


def held_until_released(req: IngestRequest) -> str:
    """The stage's work step: "slow|DIR" marks DIR/started and waits (up to 60 s) for
    DIR/released; anything else returns at once."""
    content = req.content or ""
    if content.startswith("slow|"):
        directory = Path(content.split("|", 1)[1])
        (directory / "started").touch()
        end = time.monotonic() + 60
        while not (directory / "released").exists() and time.monotonic() < end:
            time.sleep(0.01)
        return "slow"
    return content


async def committed_total(settings: Settings, group: str) -> int:
    """How many inputs of the group's topics are committed (the sum of its committed offsets)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        return sum(max(0, m.offset) for m in (await admin.list_consumer_group_offsets(group)).values())
    finally:
        await admin.close()


async def committed_reaches(settings: Settings, group: str, want: int, timeout_s: float = 30.0) -> int:
    """The group's committed count once it is `want`, or what it is after `timeout_s`."""
    for _ in range(int(timeout_s / 0.2)):
        if (n := await committed_total(settings, group)) == want:
            return n
        await asyncio.sleep(0.2)
    return await committed_total(settings, group)


async def test_a_long_input_holds_neither_the_next_batches_nor_the_commit_order(
    kafka_settings: Settings, tmp_path: Path,
) -> None:
    """Two workers: the batches read while one input is held go to the other worker and are
    produced, except the one that shares its key (produced after it); nothing past the held
    input is committed until it was produced, then everything is."""
    s = kafka_settings.model_copy(update={"workers": 2, "time_budget_s": 60.0})

    def wrap(req: IngestRequest, record: InRecord, worked: str) -> list[OutRecord]:
        return [OutRecord(s.topic("raw"), req.effective_doc_id(), IngestRequest(content=worked.upper()))]

    def put(*docs: tuple[bytes, str]) -> Awaitable[None]:
        return produce(s.bootstrap_servers, s.topic("ingest"),
                       [(k, IngestRequest(content=d).model_dump_json().encode(), {}) for k, d in docs])

    def contents(records: list[Any]) -> list[str]:
        return [json.loads(r.value)["content"] for r in records]

    stage = Stage("normalizer", "ingest", IngestRequest, wrap, work=held_until_released)
    group = s.group_id("normalizer")
    async with TestApp(build_app(stage, s)):
        await put((b"w", "warm"))
        await consume(s.bootstrap_servers, s.topic("raw"), until=1, timeout=60)  # assigned and flowing
        await put((b"k", f"slow|{tmp_path}"))
        for _ in range(600):  # the held input is on a worker: what comes next is another batch
            if (tmp_path / "started").exists():
                break
            await asyncio.sleep(0.05)
        await put(*[(f"f{i}".encode(), f"fast{i}") for i in range(4)], (b"k", "same-key"))
        early = await consume(s.bootstrap_servers, s.topic("raw"), until=5, timeout=60)
        held = await consume(s.bootstrap_servers, s.topic("raw"), timeout=1.5)  # all there is, a while later
        during = await committed_total(s, group)
        (tmp_path / "released").touch()
        out = await consume(s.bootstrap_servers, s.topic("raw"), until=7, timeout=60)
        after = await committed_reaches(s, group, 7)
    assert (tmp_path / "started").exists()
    assert sorted(contents(early)) == ["FAST0", "FAST1", "FAST2", "FAST3", "WARM"]
    assert during == 1, "only the input before the held one may be committed while it is held"
    assert sorted(contents(held)) == ["FAST0", "FAST1", "FAST2", "FAST3", "WARM"], "the same key waits"
    # Outputs are keyed by document, so they are on different partitions: their order is their time.
    produced_at = {json.loads(r.value)["content"]: r.timestamp for r in out}
    assert produced_at["SLOW"] <= produced_at["SAME-KEY"]
    assert after == 7


def sleep_a_little(req: IngestRequest) -> str:
    """The stage's work step: 30 ms per input, so that batches are in flight when the group moves."""
    time.sleep(0.03)
    return req.content or ""


async def test_a_rebalance_while_batches_are_in_flight_loses_nothing(kafka_settings: Settings) -> None:
    """A second member joins while the first has batches in flight on two workers: every input
    has its output and the group ends committed at the end of the topic."""
    s = kafka_settings.model_copy(update={"workers": 2, "time_budget_s": 30.0, "batch_max_records": 5})

    def wrap(req: IngestRequest, record: InRecord, worked: str) -> list[OutRecord]:
        return [OutRecord(s.topic("raw"), req.effective_doc_id(), IngestRequest(content=worked.upper()))]

    stage = Stage("normalizer", "ingest", IngestRequest, wrap, work=sleep_a_little)
    docs = [f"doc{i}" for i in range(400)]
    await produce(s.bootstrap_servers, s.topic("ingest"),
                  [(d.encode(), IngestRequest(content=d).model_dump_json().encode(), {}) for d in docs])
    async with TestApp(build_app(stage, s)):
        first = await consume(s.bootstrap_servers, s.topic("raw"), until=10, timeout=60)
        assert len(first) < len(docs), "the first member finished before the second joined"
        async with TestApp(build_app(stage, s)):
            want, got = {d.upper() for d in docs}, set()
            deadline = time.monotonic() + 120
            while got != want and time.monotonic() < deadline:  # replays may repeat an output
                got = {json.loads(r.value)["content"]
                       for r in await consume(s.bootstrap_servers, s.topic("raw"), until=len(docs), timeout=3)}
            committed = await committed_reaches(s, s.group_id("normalizer"), len(docs))
    assert got == want
    assert committed == len(docs)
