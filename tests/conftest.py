"""Fixtures. Broker: KAFKA_BOOTSTRAP_SERVERS when set, else the local broker from deploy/kafka
(started if it is not running), else testcontainers where a Docker engine exists."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ecowire.core.settings import LOCAL_BOOTSTRAP, Settings
from ecowire.core.topics_admin import ensure_topics
from ecowire.runner import broker_answers
from tests.support import ROOT, unique_settings


def _docker_engine() -> bool:
    return shutil.which("docker") is not None and subprocess.run(
        ["docker", "info"], capture_output=True, check=False
    ).returncode == 0


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    env = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if env:
        yield env
        return
    if broker_answers(LOCAL_BOOTSTRAP):
        yield LOCAL_BOOTSTRAP
        return
    script = ROOT / "deploy" / "kafka" / "kafka.sh"
    if shutil.which("java") and (shutil.which("mvn") or os.environ.get("KAFKA_HOME")):
        subprocess.run([str(script), "start"], check=True)
        yield LOCAL_BOOTSTRAP
        return  # left running for the next test session; `make kafka-stop` stops it
    if _docker_engine():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
        return
    pytest.fail("no Kafka broker: set KAFKA_BOOTSTRAP_SERVERS, or install Java 17 + Maven for deploy/kafka")


@pytest.fixture
async def kafka_settings(kafka_bootstrap: str) -> AsyncIterator[Settings]:
    """Settings with their own topic/group prefix, and every declared topic created."""
    settings = unique_settings(kafka_bootstrap)
    await ensure_topics(settings)
    yield settings


@pytest.fixture
def service_logs(tmp_path: Path) -> Path:
    d = tmp_path / "logs"
    d.mkdir()
    return d
