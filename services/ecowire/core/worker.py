"""A child process that runs a stage's pure, CPU-bound step under a time budget.

Why a process: a thread cannot be stopped, and pure-Python work holds the GIL, so heartbeats,
`/health` and SIGTERM would wait for it. A child can be killed when it overruns its budget; the
service's event loop stays free the whole time.

Why our own (a hundred lines) rather than a library: `concurrent.futures.ProcessPoolExecutor`
cannot cancel a running task (killing one of its workers breaks the whole pool), loky has no
per-task timeout either, and pebble, which has one, is LGPL.

    worker = BudgetedWorker(budget_s=60, warm=load_models)
    result = await worker.run(extract, article)   # BudgetExceeded / WorkerDied / the step's own error
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

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
    """The child's loop: receive (function, argument), send back ("ok", result) or ("error", exc)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    if warm is not None:
        warm()
    conn.send(("ready", None))
    while True:
        try:
            fn, arg = conn.recv()
        except EOFError:  # the parent closed its end: nothing more to do
            return
        try:
            reply: tuple[str, Any] = ("ok", fn(arg))
        except Exception as e:  # noqa: BLE001 - sent to the parent, which raises it there
            reply = ("error", e)
        try:
            conn.send(reply)
        except Exception as e:  # noqa: BLE001 - a result or error that cannot be pickled
            conn.send(("error", RuntimeError(f"the step's {reply[0]} could not be sent back: {e!r}")))


class BudgetedWorker:
    """One child process; one step at a time (a stage handles one input at a time)."""

    def __init__(self, budget_s: float, warm: Callable[[], None] | None = None,
                 start_timeout_s: float = 300.0) -> None:
        self.budget_s = budget_s
        self.warm = warm  # run once in each new child before its first step (models, lexicons)
        self.start_timeout_s = start_timeout_s
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        self._interrupt: asyncio.Event | None = None  # set by close(): ends the wait for a step
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
        async with self._lock:
            if self._closed:
                raise WorkerStopped("the worker is closed")
            await self._ensure_started()
            conn = self._conn
            assert conn is not None
            try:
                await asyncio.to_thread(conn.send, (fn, arg))  # a large input is written off the loop
                started = time.monotonic()
                self._interrupt = asyncio.Event()
                if not await _readable(conn, self.budget_s, self._interrupt):
                    if self._closed:
                        raise WorkerStopped("the worker was closed while working")
                    self._kill("budget")
                    raise BudgetExceeded(f"still working after the {self.budget_s:g}s time budget; abandoned")
                status, value = await asyncio.to_thread(conn.recv)
            except (EOFError, OSError) as e:
                self._kill("died")
                if self._closed:
                    raise WorkerStopped("the worker was closed while working") from e
                raise WorkerDied(f"the worker process ended while working ({e!r})") from e
            except asyncio.CancelledError:
                self._kill("cancelled")  # the caller gave up (shutdown): the child's work is moot
                raise
            finally:
                self._interrupt = None
            log.debug("worker_step", seconds=round(time.monotonic() - started, 4))
            if status == "error":
                raise value
            return value

    def close(self) -> None:
        """Stop the child (shutdown). A step in flight ends with `WorkerStopped`."""
        self._closed = True
        if self._interrupt is not None:
            self._interrupt.set()
        self._kill("closed")

    async def _ensure_started(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        parent, child = _CONTEXT.Pipe(duplex=True)
        proc = _CONTEXT.Process(target=_serve, args=(child, self.warm), name="ecowire-worker", daemon=True)
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        if not await _readable(parent, self.start_timeout_s):
            self._kill("start_timeout")
            raise WorkerDied(f"the worker did not start within {self.start_timeout_s:g}s")
        try:
            parent.recv()  # ("ready", None)
        except EOFError as e:
            self._kill("start_failed")
            raise WorkerDied(f"the worker failed while starting (exit code {proc.exitcode})") from e
        log.info("worker_started", pid=proc.pid, restarts=self.restarts)

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


async def _readable(conn: Connection, timeout_s: float, interrupt: asyncio.Event | None = None) -> bool:
    """Whether `conn` has data (or EOF) within `timeout_s`, waiting on the event loop, not a thread:
    a cancelled wait leaves nothing behind to block the shutdown. False also when interrupted."""
    if conn.poll(0):
        return True
    loop = asyncio.get_running_loop()
    ready = asyncio.Event()
    fd = conn.fileno()
    loop.add_reader(fd, ready.set)
    waits = [asyncio.ensure_future(ready.wait())]
    if interrupt is not None:
        waits.append(asyncio.ensure_future(interrupt.wait()))
    try:
        await asyncio.wait(waits, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        loop.remove_reader(fd)
        for w in waits:
            w.cancel()
    return ready.is_set()
