"""The budgeted worker process: results and errors come back, an overrun or a crash is abandoned
and the next step runs in a fresh child, and the event loop stays free while a step computes."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from ecowire.core.records import InRecord, OutRecord, Reject
from ecowire.core.stage import Stage, StageRunner
from ecowire.core.worker import BudgetedWorker, BudgetExceeded, WorkerDied, WorkerPool, WorkerStopped
from ecowire_schemas import DeadLetter, IngestRequest

from .test_stage_runner import SizeCheckingProducer


# Steps run in the child, which imports them by name: module level.
def double(n: int) -> int:
    return 2 * n


def reject(reason: str) -> None:
    raise Reject(reason, f"rejected as {reason}")


def spin(seconds: float) -> int:
    """Pure-Python CPU work (holds the GIL of its process) for `seconds`."""
    end, n = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        n += 1
    return n


def die(code: int) -> None:
    os._exit(code)


def pid(_: object) -> int:
    return os.getpid()


async def test_results_and_errors_come_back() -> None:
    worker = BudgetedWorker(budget_s=30)
    try:
        assert await worker.run(double, 21) == 42
        with pytest.raises(Reject) as caught:
            await worker.run(reject, "navigation_only")
        assert caught.value.reason == "navigation_only"  # the reason survives the trip between processes
        assert await worker.run(double, 1) == 2  # an error does not cost the child
        assert worker.restarts == 0
    finally:
        worker.close()


async def test_an_overrun_is_abandoned_and_the_next_step_runs_in_a_fresh_child() -> None:
    worker = BudgetedWorker(budget_s=3)  # generous: trivial steps must pass on a busy machine
    try:
        first = await worker.run(pid, None)
        started = time.monotonic()
        with pytest.raises(BudgetExceeded):
            await worker.run(spin, 60.0)
        assert time.monotonic() - started < 20  # abandoned at the budget, not after the minute
        assert worker.restarts == 1
        assert await worker.run(pid, None) != first
        assert await worker.run(double, 4) == 8
    finally:
        worker.close()


async def test_a_crash_while_working_is_reported_and_survived() -> None:
    worker = BudgetedWorker(budget_s=30)
    try:
        with pytest.raises(WorkerDied):
            await worker.run(die, 9)
        assert await worker.run(double, 5) == 10
    finally:
        worker.close()


async def test_the_event_loop_stays_free_while_a_step_computes() -> None:
    """Heartbeats, /health and SIGTERM need the loop: count its turns during 1.5 s of CPU work."""
    worker = BudgetedWorker(budget_s=30)
    await worker.start()
    turns = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal turns
        while not done.is_set():
            await asyncio.sleep(0.01)
            turns += 1

    task = asyncio.create_task(ticker())
    try:
        assert await worker.run(spin, 1.5) > 0
    finally:
        done.set()
        await task
        worker.close()
    assert turns >= 30  # ~150 turns when free; a loop held by the step would manage a handful


async def test_closing_during_a_step_stops_it_without_a_verdict() -> None:
    worker = BudgetedWorker(budget_s=30)
    await worker.start()
    step = asyncio.create_task(worker.run(spin, 30.0))
    await asyncio.sleep(0.3)
    worker.close()
    with pytest.raises(WorkerStopped):
        await step


def _ingest(content: str, offset: int) -> InRecord:
    return InRecord(value=IngestRequest(content=content).model_dump_json().encode(), key=b"k",
                    topic="ingest", partition=0, offset=offset)


def slow_on_demand(req: IngestRequest) -> str:
    if req.content == "slow":
        spin(60.0)
    return (req.content or "").upper()


def wrap(req: IngestRequest, record: InRecord, worked: str) -> list[OutRecord]:
    return [OutRecord("out", "k", IngestRequest(content=worked))]


async def test_the_runner_dead_letters_an_overrun_as_timeout_and_goes_on() -> None:
    producer = SizeCheckingProducer()
    runner = StageRunner(Stage("normalizer", "ingest", IngestRequest, wrap, work=slow_on_demand),
                         producer, "dlq", time_budget_s=3)
    await runner.start()
    try:
        assert await runner.process(_ingest("slow", 1)) == []
        out = await runner.process(_ingest("next", 2))
    finally:
        runner.close()
    topic, _, headers = producer.sent[0]
    letter = DeadLetter.from_headers(headers)
    assert (topic, letter.reason, letter.source_offset) == ("dlq", "timeout", 1)
    assert "time budget" in letter.error_message
    assert [o.value.content for o in out] == ["NEXT"]  # type: ignore[attr-defined]


async def test_an_async_handler_is_held_to_the_budget_too() -> None:
    async def hang(req: IngestRequest, record: InRecord) -> list[OutRecord]:
        await asyncio.sleep(3600)
        return []

    producer = SizeCheckingProducer()
    runner = StageRunner(Stage("fetcher", "ingest", IngestRequest, hang), producer, "dlq", time_budget_s=0.2)
    assert await runner.process(_ingest("x", 3)) == []
    assert DeadLetter.from_headers(producer.sent[0][2]).reason == "timeout"


def step(arg: tuple[str, float]) -> str:
    kind, n = arg
    if kind == "spin":
        spin(n)
    elif kind == "die":
        die(3)
    elif kind == "reject":
        reject("empty")
    return f"{kind}:{n:g}"


async def test_a_batch_goes_on_past_an_overrun_a_crash_and_an_error() -> None:
    worker = BudgetedWorker(budget_s=3)
    try:
        outcomes = await worker.run_many(step, [("a", 1), ("spin", 60), ("b", 2), ("die", 0), ("reject", 0), ("c", 3)])
    finally:
        worker.close()
    kinds = [type(o.error).__name__ if o.error else o.value for o in outcomes]
    assert kinds == ["a:1", "BudgetExceeded", "b:2", "WorkerDied", "Reject", "c:3"]
    assert worker.restarts == 2


async def test_each_step_of_a_batch_has_the_whole_budget() -> None:
    # Four steps of 1 s under a 2.5 s budget: the batch takes 4 s, none of its steps overruns.
    worker = BudgetedWorker(budget_s=2.5)
    try:
        outcomes = await worker.run_many(spin, [1.0] * 4)
    finally:
        worker.close()
    assert [o.error for o in outcomes] == [None] * 4 and all(o.value for o in outcomes)
    assert worker.restarts == 0


def pid_after(arg: tuple[str, float]) -> tuple[int, str]:
    """The child's pid with the step's result: which worker of a pool ran which input."""
    return os.getpid(), step(arg)


async def test_a_pool_runs_a_batch_in_several_children_and_keeps_its_order() -> None:
    pool = WorkerPool(2, budget_s=3)
    try:
        await pool.start()
        assert len(set(pool.pids)) == 2
        args = [("a", 1), ("spin", 60), ("b", 2), ("die", 0), ("reject", 0), ("c", 3), ("d", 4)]
        outcomes = await pool.run_many(pid_after, args)
    finally:
        pool.close()
    kinds = [type(o.error).__name__ if o.error else o.value[1] for o in outcomes]  # type: ignore[index]
    assert kinds == ["a:1", "BudgetExceeded", "b:2", "WorkerDied", "Reject", "c:3", "d:4"]
    ran_by = {o.value[0] for o in outcomes if o.value is not None}
    assert len(ran_by) >= 2  # both children worked on the batch
    assert pool.restarts == 2  # the overrun and the crash each cost only their own child


def rendezvous(arg: tuple[str, str]) -> bool:
    """Leave a mark in a directory and wait (up to 20 s) for the other step's: True only when
    both steps ran at the same time."""
    directory, me = arg
    open(os.path.join(directory, me), "w").close()
    end = time.monotonic() + 20
    while time.monotonic() < end:
        if len(os.listdir(directory)) == 2:
            return True
        time.sleep(0.01)
    return False


async def test_a_pool_runs_its_workers_at_once(tmp_path: os.PathLike[str]) -> None:
    """Each of two steps waits for the other to have started: only two children at once pass."""
    pool = WorkerPool(2, budget_s=60)
    try:
        outcomes = await pool.run_many(rendezvous, [(str(tmp_path), "a"), (str(tmp_path), "b")])
    finally:
        pool.close()
    assert [o.value for o in outcomes] == [True, True]


def pid_after_spin(seconds: float) -> int:
    spin(seconds)
    return os.getpid()


async def test_a_batch_that_comes_while_a_worker_is_busy_goes_to_the_free_one() -> None:
    """Two batches in flight: the second (two quick inputs) does not wait behind the first's long
    input, and the free worker runs both of its inputs, not one of them behind the long one."""
    pool = WorkerPool(2, budget_s=30)
    try:
        await pool.start()
        long = asyncio.ensure_future(pool.run_many(pid_after_spin, [3.0]))
        await asyncio.sleep(0.3)
        quick = await pool.run_many(pid_after_spin, [0.0, 0.0])
        assert not long.done(), "the quick batch waited for the long input"
        (busy,) = await long
    finally:
        pool.close()
    ran_by = {o.value for o in quick}
    assert len(ran_by) == 1 and busy not in ran_by


async def test_a_pool_closed_while_working_raises_worker_stopped() -> None:
    pool = WorkerPool(2, budget_s=30)
    await pool.start()
    run = asyncio.ensure_future(pool.run_many(spin, [30.0, 30.0]))
    await asyncio.sleep(0.5)
    pool.close()
    with pytest.raises(WorkerStopped):
        await asyncio.wait_for(run, 10)
    assert pool.pids == []


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ValueError):
        WorkerPool(0, budget_s=1)
