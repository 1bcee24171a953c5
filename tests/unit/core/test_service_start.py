"""A service started while no broker answers exits (code 3) instead of living on without one:
FastStream, failing to start its broker, stopped uvicorn but never returned."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support import free_port


def test_a_service_without_a_broker_exits_with_a_clear_error() -> None:
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}", "ECOWIRE_HTTP_PORT": str(free_port()),
           "ECOWIRE_BROKER_WAIT_S": "2"}
    done = subprocess.run([sys.executable, "-m", "ecowire.normalizer"], env=env, capture_output=True, timeout=120,
                          check=False)
    assert done.returncode == 3, done.stderr[-2000:]
    out = done.stdout + done.stderr
    assert b"broker_unreachable_exiting" in out
    assert b"broker_not_ready_waiting" in out  # it waited its broker_wait_s first
