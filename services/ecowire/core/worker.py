"""A child process that runs a stage's pure, CPU-bound step under a time budget.

Why a process: a thread cannot be stopped, and pure-Python work holds the GIL, so heartbeats,
`/health` and SIGTERM would wait for it. A child can be killed when it overruns its budget; the
service's event loop stays free the whole time.

Why our own (a hundred lines) rather than a library: `concurrent.futures.ProcessPoolExecutor`
cannot cancel a running task (killing one of its workers breaks the whole pool), loky has no
per-task timeout either, and pebble, which has one, is LGPL.

    worker = BudgetedWorker(budget_s=60, warm=load_models)
    result = await worker.run(extract, article)   # BudgetExceeded / WorkerDied / the step's own error

`WorkerPool` runs several such children side by side (`Settings.workers`), so one service can use
more than one core for a CPU-bound step; each input keeps its own budget and its own outcome.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

from .logs import get_logger

log = get_logger("ecowire.worker")

A = TypeVar("A")
R = TypeVar("R")

# spawn, not fork: the service holds threads and sockets (Kafka client, uvicorn) a fork would copy.
_CONTEXT = multiprocessing.get_context("spawn")


class BudgetExceeded(Exception):
    """The step ran past its budget; the child was killed."""


class WorkerDied(Exception):
    """The child ended while working on an input (killed by the OS, out of memory, a crash)."""


class WorkerStopped(Exception):
    """The worker was closed while a step ran (shutdown): the input was not processed."""


def _serve(conn: Connection, warm: Callable[[], None] | None) -> None:
    """The child's loop: receive (function, [arguments]), send back one ("ok", result, None) or
    ("error", exception, traceback) per argument, in order, as each is done."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    if warm is not None:
        warm()
    conn.send(("ready", None, None))
    while True:
        try:
            fn, args = conn.recv()
        except EOFError:  # the parent closed its end: nothing more to do
            return
        for arg in args:
            try:
                reply: tuple[str, Any, str | None] = ("ok", fn(arg), None)
            except Exception as e:  # noqa: BLE001 - sent to the parent, which raises or logs it there
                reply = ("error", e, traceback.format_exc())
            try:
                conn.send(reply)
            except Exception as e:  # noqa: BLE001 - a result or error that cannot be pickled
                conn.send(("error", RuntimeError(f"the step's {reply[0]} could not be sent back: {e!r}"), reply[2]))


@dataclass(frozen=True, slots=True)
class Outcome(Generic[R]):
    """What one step came to: its value, or the error it raised (or BudgetExceeded, WorkerDied)."""

    value: R | None = None
    error: Exception | None = None
    trace: str | None = None  # the traceback in the child, for the log

    def get(self) -> R:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class BudgetedWorker:
    """One child process, one step at a time; each step of a batch has the whole budget."""

    def __init__(self, budget_s: float, warm: Callable[[], None] | None = None,
                 start_timeout_s: float = 300.0) -> None:
        self.budget_s = budget_s
        self.warm = warm  # run once in each new child before its first step (models, lexicons)
        self.start_timeout_s = start_timeout_s
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        self._waiting: asyncio.Future[bool] | None = None  # resolved False by close(): ends a wait
        self.restarts = 0

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def start(self) -> None:
        """Start the child now (at service startup), so the first input does not wait for it."""
        async with self._lock:
            await self._ensure_started()

    async def run(self, fn: Callable[[A], R], arg: A) -> R:
        """`fn(arg)` in the child, within the budget. `fn` must be a module-level function."""
        (outcome,) = await self.run_many(fn, [arg])
        return outcome.get()

    async def run_many(self, fn: Callable[[A], R], args: Sequence[A]) -> list[Outcome[R]]:
        """`fn` on each argument in the child, in order, each within the budget. A step that
        overruns (or kills the child) is that argument's outcome; the rest go on in a new child.
        Raises `WorkerStopped` only: the worker was closed (shutdown) before all were done."""
        async with self._lock:
            out: list[Outcome[R]] = []
            while len(out) < len(args):
                if self._closed:
                    raise WorkerStopped("the worker is closed")
                await self._ensure_started()
                out.extend(await self._round(fn, args[len(out):]))
            return out

    async def _round(self, fn: Callable[[A], R], args: Sequence[A]) -> list[Outcome[R]]:
        """Steps until all are done or one ended the child (its outcome is the last returned)."""
        conn = self._conn
        assert conn is not None
        out: list[Outcome[R]] = []
        try:
            await asyncio.to_thread(conn.send, (fn, list(args)))  # large inputs are written off the loop
            if not await self._collect(conn, out, len(args), self.budget_s):
                if self._closed:
                    raise WorkerStopped("the worker was closed while working")
                self._kill("budget")
                out.append(Outcome(error=BudgetExceeded(
                    f"still working after the {self.budget_s:g}s time budget; abandoned")))
        except (EOFError, OSError) as e:
            self._kill("died")
            if self._closed:
                raise WorkerStopped("the worker was closed while working") from e
            out.append(Outcome(error=WorkerDied(f"the worker process ended while working ({e!r})")))
        except asyncio.CancelledError:
            self._kill("cancelled")  # the caller gave up (shutdown): the child's work is moot
            raise
        return out

    def close(self) -> None:
        """Stop the child (shutdown). A step in flight ends with `WorkerStopped`."""
        self._closed = True
        if self._waiting is not None and not self._waiting.done():
            self._waiting.set_result(False)
        self._kill("closed")

    async def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        parent, child = _CONTEXT.Pipe(duplex=True)
        proc = _CONTEXT.Process(target=_serve, args=(child, self.warm), name="ecowire-worker", daemon=True)
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        try:
            started = await self._collect(parent, [], 1, self.start_timeout_s)  # ("ready", None, None)
        except (EOFError, OSError) as e:
            self._kill("start_failed")
            raise WorkerDied(f"the worker failed while starting (exit code {proc.exitcode})") from e
        if not started:
            if self._closed:
                raise WorkerStopped("the worker was closed while starting")
            self._kill("start_timeout")
            raise WorkerDied(f"the worker did not start within {self.start_timeout_s:g}s")
        log.info("worker_started", pid=proc.pid, restarts=self.restarts)

    async def _collect(self, conn: Connection, out: list[Outcome[Any]], want: int, timeout_s: float) -> bool:
        """Read the child's replies into `out` until it holds `want`. False when one did not come
        within `timeout_s` of the one before (or of the start), or `close()` ended the wait; raises
        EOFError or OSError when the child is gone.

        Replies are read in the event loop's reader callback as they come, the timer restarting
        at each, so the coroutine wakes once per round, not once per input: per-input waits (an
        Event and tasks under `asyncio.wait`) took 170 µs of the parent's CPU per input, this
        takes 65 (0.8 ms steps, 100 a round).
        On the loop, not a thread: a cancelled wait leaves nothing behind to block the shutdown."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[bool] = loop.create_future()
        timer: asyncio.TimerHandle | None = None

        def settle(ok: bool) -> None:
            if not done.done():
                done.set_result(ok)

        def arm() -> None:
            nonlocal timer
            if timer is not None:
                timer.cancel()
            timer = loop.call_later(timeout_s, settle, False)

        def drain() -> None:
            if done.done():
                return
            before = len(out)
            try:
                while len(out) < want and conn.poll(0):
                    status, value, trace = conn.recv()
                    out.append(Outcome(error=value, trace=trace) if status == "error" else Outcome(value=value))
            except (EOFError, OSError) as e:
                done.set_exception(e)
                return
            if len(out) >= want:
                settle(True)
            elif len(out) > before:
                arm()  # the next input's budget starts now

        drain()  # replies that are already there
        if done.done():
            return done.result()
        arm()
        fd = conn.fileno()
        loop.add_reader(fd, drain)
        self._waiting = done
        try:
            return await done
        finally:
            self._waiting = None
            if timer is not None:
                timer.cancel()
            loop.remove_reader(fd)

    def _kill(self, why: str) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()
        if proc is not None:
            if proc.is_alive():
                proc.kill()
            proc.join(timeout=5)
            if why != "closed":
                self.restarts += 1
                log.warning("worker_killed", pid=proc.pid, why=why, exitcode=proc.exitcode)


@dataclass(slots=True)
class _Item:
    fn: Callable[[Any], Any]
    arg: Any
    future: asyncio.Future[Outcome[Any]]


class WorkerPool:
    """`size` budgeted workers that take their inputs from one queue, in the order they came.

    A worker that is free takes the next inputs of the queue, its share of what is queued (at most
    `chunk` when there are several workers, so that they finish together): a batch that comes
    while one worker is on a long input goes to the others, and a worker never idles while inputs
    wait. Batches in flight at once (`core/pipeline.py`) share the queue. Outcomes come back in
    each batch's input order, whichever worker ran them."""

    def __init__(self, size: int, budget_s: float, warm: Callable[[], None] | None = None, chunk: int = 16) -> None:
        if size < 1:
            raise ValueError(f"a pool needs at least one worker, not {size}")
        self.workers = [BudgetedWorker(budget_s, warm) for _ in range(size)]
        self.chunk = chunk
        self._queue: deque[_Item] = deque()
        self._pumps: list[asyncio.Task[None] | None] = [None] * size

    @property
    def restarts(self) -> int:
        return sum(w.restarts for w in self.workers)

    @property
    def pids(self) -> list[int]:
        return [pid for w in self.workers if (pid := w.pid) is not None]

    async def start(self) -> None:
        await asyncio.gather(*(w.start() for w in self.workers))

    async def run_many(self, fn: Callable[[A], R], args: Sequence[A]) -> list[Outcome[R]]:
        """As `BudgetedWorker.run_many`, over the pool. Raises `WorkerStopped` (shutdown) only."""
        loop = asyncio.get_running_loop()
        items = [_Item(fn, arg, loop.create_future()) for arg in args]
        self._queue.extend(items)
        for k, pump in enumerate(self._pumps):
            if pump is None or pump.done():
                self._pumps[k] = asyncio.create_task(self._pump(self.workers[k]), name="ecowire-worker-pump")
        try:
            return [await it.future for it in items]
        except BaseException:
            # Stopped or cancelled: what of this batch is still queued is moot.
            for it in items:
                if not it.future.done():
                    it.future.cancel()
                elif not it.future.cancelled():
                    it.future.exception()  # retrieved: the first one is what we raise
            self._queue = deque(it for it in self._queue if not it.future.done())
            raise

    async def _pump(self, worker: BudgetedWorker) -> None:
        """One worker's loop: take a share of the queue, run it, hand out the outcomes."""
        while self._queue:
            share = -(-len(self._queue) // len(self.workers))
            if len(self.workers) > 1:
                share = min(share, self.chunk)
            fn = self._queue[0].fn
            take: list[_Item] = []
            while self._queue and len(take) < share and self._queue[0].fn is fn:
                it = self._queue.popleft()
                if not it.future.done():  # not given up by its batch
                    take.append(it)
            if not take:
                continue
            try:
                outcomes = await worker.run_many(fn, [it.arg for it in take])
            except WorkerStopped as e:
                for it in take:
                    if not it.future.done():
                        it.future.set_exception(WorkerStopped(str(e)))
                continue  # the rest of the queue ends the same way, at once
            except BaseException:
                for it in take:
                    if not it.future.done():
                        it.future.cancel()
                raise
            for it, outcome in zip(take, outcomes, strict=True):
                if not it.future.done():
                    it.future.set_result(outcome)

    def close(self) -> None:
        for w in self.workers:
            w.close()
