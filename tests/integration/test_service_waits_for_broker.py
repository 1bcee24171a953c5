"""A service started while its broker restarts waits for it (`broker_wait_s`) instead of exiting at
once: the chaos suite restarted an extractor during a broker restart and it died with code 3."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecowire.core.settings import Settings
from tests.support import Service, free_port


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    for s in (src, dst):
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def late_bootstrap(target: str, opens_after_s: float) -> Iterator[str]:
    """A bootstrap address that refuses connections for `opens_after_s`, then forwards to `target`
    (the broker's metadata then points clients at the broker itself)."""
    host, port = target.rsplit(":", 1)
    listen_port = free_port()
    stop = threading.Event()

    def serve() -> None:
        time.sleep(opens_after_s)
        with socket.create_server(("127.0.0.1", listen_port)) as server:
            server.settimeout(0.2)
            while not stop.is_set():
                try:
                    client, _ = server.accept()
                except TimeoutError:
                    continue
                upstream = socket.create_connection((host, int(port)))
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=_pipe, args=(a, b), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listen_port}"
    finally:
        stop.set()
        thread.join(timeout=5)


@pytest.mark.kafka
def test_a_service_started_before_its_broker_waits_and_runs(kafka_settings: Settings, service_logs: Path) -> None:
    with late_bootstrap(kafka_settings.bootstrap_servers, opens_after_s=4.0) as bootstrap:
        settings = kafka_settings.model_copy(update={"bootstrap_servers": bootstrap, "broker_wait_s": 30.0})
        service = Service("normalizer", settings, service_logs).start()
        try:
            service.wait_healthy(timeout=90)
            assert "broker_not_ready_waiting" in service.log_tail(200_000)
        finally:
            service.stop()
