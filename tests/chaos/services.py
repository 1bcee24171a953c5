"""The four services as subprocesses of the suite: start, SIGKILL, restart, watch for crashes.

A crash is an exit the suite did not cause. It is recorded with the log's tail and the service
is restarted, so one crash does not end the run (and is not hidden either).
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ecowire.core.settings import Settings
from ecowire.runner import STAGES
from tests.support import Service


@dataclass
class Crash:
    stage: str
    returncode: int | None  # None: alive but not healthy (a hang), killed by the suite
    at: float  # monotonic
    log_tail: str
    broker_up: bool = True  # whether the broker answered when it was noticed

    @property
    def kind(self) -> str:
        return "exit" if self.returncode is not None else "hang"


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0).is_success
    except httpx.HTTPError:
        return False


@dataclass
class Supervisor:
    settings: Settings
    log_dir: Path
    base_port: int = 18001  # fetcher 18001 … aggregator 18004
    extra_env: dict[str, dict[str, str]] = field(default_factory=dict)  # stage → env
    services: dict[str, Service] = field(default_factory=dict)
    kills: list[tuple[str, float]] = field(default_factory=list)
    crashes: list[Crash] = field(default_factory=list)
    # Whether the broker serves, and since when (monotonic); set by the caller.
    broker_up: Callable[[], bool] = lambda: True
    hang_after_s: float = 45.0  # unhealthy this long with the broker up: a hang
    _unhealthy_since: dict[str, float] = field(default_factory=dict)
    _last_probe: float = 0.0

    def start(self, wait: bool = True) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for i, stage in enumerate(STAGES):
            svc = Service(stage, self.settings, self.log_dir, extra_env=self.extra_env.get(stage, {}),
                          port=self.base_port + i)
            self.services[stage] = svc.start()
        if wait:
            for svc in self.services.values():
                svc.wait_healthy(timeout=120)

    def sigkill(self, stage: str) -> None:
        """SIGKILL one service and start it again at once (no wait: the next kill may land while
        it is still starting, restoring or rebalancing, which is part of the test)."""
        svc = self.services[stage]
        assert svc.proc is not None
        if svc.proc.poll() is None:
            svc.proc.send_signal(signal.SIGKILL)
            svc.proc.wait(timeout=30)
        self.kills.append((stage, time.monotonic()))
        self._unhealthy_since.pop(stage, None)
        svc.start()

    def check(self) -> list[Crash]:
        """Record and restart every service that exited without being asked to, or that stayed
        unhealthy for `hang_after_s` while the broker served (what a liveness probe would do)."""
        new: list[Crash] = []
        now = time.monotonic()
        probe = now - self._last_probe >= 2.0  # health probes cost CPU the services need: every 2 s
        if probe:
            self._last_probe = now
        up = self.broker_up() if probe else True
        for stage, svc in self.services.items():
            assert svc.proc is not None
            if svc.proc.poll() is not None:
                new.append(Crash(stage, svc.proc.returncode, now, svc.log_tail(3000), up))
                print(f"chaos: CRASH {stage} exited with {svc.proc.returncode} (broker up: {up}); restarting",
                      flush=True)
                self._unhealthy_since.pop(stage, None)
                svc.start()
                continue
            if not probe:
                continue
            if not up or healthy(svc.port):
                self._unhealthy_since.pop(stage, None)  # a broker outage excuses it
                continue
            since = self._unhealthy_since.setdefault(stage, now)
            if now - since >= self.hang_after_s:
                new.append(Crash(stage, None, now, svc.log_tail(3000), up))
                print(f"chaos: HANG {stage} unhealthy for {now - since:.0f} s with the broker up; SIGKILL and restart",
                      flush=True)
                svc.proc.send_signal(signal.SIGKILL)
                svc.proc.wait(timeout=30)
                self._unhealthy_since.pop(stage, None)
                svc.start()
        self.crashes.extend(new)
        return new

    def stalled(self, mark: str, at_least: int = 5) -> list[tuple[str, str]]:
        """Services whose current log repeats `mark` (e.g. a produce retried forever): (stage, line)."""
        out = []
        for stage, svc in self.services.items():
            lines = [ln for ln in svc.log_tail(50_000).splitlines() if mark in ln]
            if len(lines) >= at_least:
                out.append((stage, f"{len(lines)}× in the last 50 kB of its log: {lines[-1][:300]}"))
        return out

    def restart(self, stage: str) -> None:
        """SIGKILL and start again (a remediation, not part of the kill schedule)."""
        svc = self.services[stage]
        assert svc.proc is not None
        if svc.proc.poll() is None:
            svc.proc.send_signal(signal.SIGKILL)
            svc.proc.wait(timeout=30)
        self._unhealthy_since.pop(stage, None)
        svc.start()

    def all_healthy(self, timeout: float = 120) -> None:
        for svc in self.services.values():
            svc.wait_healthy(timeout=timeout)

    def stop(self) -> None:
        """SIGTERM everything (drain), then SIGKILL what did not stop within 30 s."""
        for svc in self.services.values():
            if svc.proc is not None and svc.proc.poll() is None:
                svc.proc.send_signal(signal.SIGTERM)
        for svc in self.services.values():
            if svc.proc is None:
                continue
            try:
                svc.proc.wait(timeout=30)
            except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired: escalate, and say so
                print(f"chaos: {svc.stage} ignored SIGTERM for 30 s; SIGKILL", flush=True)
                svc.proc.kill()
                svc.proc.wait(timeout=30)


@dataclass(frozen=True)
class Action:
    at_s: float  # seconds after the start of the disturbance
    kind: str  # "sigkill" | "broker_restart" | "broker_sigkill"
    target: str  # the stage to SIGKILL (for broker_restart: during the outage), or "broker"


def plan(rng: random.Random, kills: int, gap_s: tuple[float, float] = (3.0, 6.0),
         broker: bool = True) -> list[Action]:
    """The disturbance schedule: `kills` SIGKILLs spread over the four services (each at least
    kills // 4 times, the rest at random), a random gap between actions, and — when `broker` —
    one clean broker stop/restart a third of the way (with one more service SIGKILLed while the
    broker is down) and one broker SIGKILL two thirds of the way."""
    targets = [STAGES[i % len(STAGES)] for i in range(kills)]
    rng.shuffle(targets)
    kinds: list[tuple[str, str]] = [("sigkill", t) for t in targets]
    if broker:
        # During the clean restart's outage one more service is SIGKILLed and started again while
        # no broker answers (the target), as when a node reboots during a broker maintenance.
        kinds.insert(len(kinds) // 3, ("broker_restart", rng.choice(STAGES)))
        kinds.insert(2 * len(kinds) // 3 + 1, ("broker_sigkill", "broker"))
    out: list[Action] = []
    t = 0.0
    for kind, target in kinds:
        t += rng.uniform(*gap_s)
        out.append(Action(round(t, 2), kind, target))
    return out
