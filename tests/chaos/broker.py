"""A Kafka broker of the suite's own (deploy/kafka/kafka.sh on other ports, a temp data dir).

The shared broker on 19092 belongs to other people's tests: this module only ever signals the
PID that kafka.sh wrote into *our* data dir, after checking that the process is the java
running *our* server.properties.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from ecowire.runner import KAFKA_SCRIPT


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class Broker:
    data_dir: Path
    port: int = 29092
    controller_port: int = 29093
    events: list[tuple[str, float]] = field(default_factory=list)  # (what, monotonic time)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        return {**os.environ, "KAFKA_PORT": str(self.port), "KAFKA_CONTROLLER_PORT": str(self.controller_port)}

    def _script(self, action: str) -> None:
        subprocess.run([str(KAFKA_SCRIPT), action, str(self.data_dir)], env=self._env(), check=True)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0):
                return True
        except OSError:
            return False

    def pid(self) -> int | None:
        """The java PID of our broker, or None; verified against /proc so a stale or reused PID
        (or another data dir's broker) is never signalled."""
        pidfile = self.data_dir / "kafka.pid"
        if not pidfile.exists():
            return None
        pid = int(pidfile.read_text().strip())
        if not alive(pid):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            return None
        ours = str(self.data_dir / "server.properties").encode()
        if ours not in cmdline or b"kafka.Kafka" not in cmdline:
            raise RuntimeError(f"pid {pid} in {pidfile} is not our broker: {cmdline[:3]!r}…")
        return pid

    def start(self) -> float:
        """Start (or restart) and wait until it serves; returns the seconds it took."""
        if self.port == 19092 or self.controller_port == 19093:
            raise ValueError("the suite never runs on the shared broker's ports")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # kafka.sh start would reuse whatever answers on the port: make sure it is not someone else.
        if self.pid() is None and self.answers():
            raise RuntimeError(f"something else answers on 127.0.0.1:{self.port}; pick another --kafka-port")
        t0 = time.monotonic()
        self._script("start")
        self.events.append(("ready", time.monotonic()))
        return time.monotonic() - t0

    def stop(self) -> float:
        """Clean stop (SIGTERM, kafka.sh waits for the exit); returns the seconds it took."""
        t0 = time.monotonic()
        self.events.append(("stop", t0))
        self._script("stop")
        return time.monotonic() - t0

    def sigkill(self) -> None:
        pid = self.pid()
        if pid is None:
            raise RuntimeError("broker not running; nothing to SIGKILL")
        self.events.append(("sigkill", time.monotonic()))
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)  # the port is free only once the process is gone
        # A zombie (no reaper in a container) still passes kafka.sh's `kill -0`: forget the pid.
        (self.data_dir / "kafka.pid").unlink(missing_ok=True)

    def shutdown(self) -> None:
        """End of the suite: stop our broker if it still runs."""
        if self.pid() is not None:
            self._script("stop")
