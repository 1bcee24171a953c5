"""Settings come from the environment and travel to child processes unchanged."""

from __future__ import annotations

import pytest

from ecowire.core.settings import Settings


def test_environment_configures_a_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("ECOWIRE_TOPIC_PREFIX", "prod.")
    monkeypatch.setenv("ECOWIRE_HTTP_PORT", "9100")
    s = Settings()
    assert s.bootstrap_servers == "kafka:9092"
    assert s.topic("facts") == "prod.facts.v1"
    assert s.port_for("extractor") == 9100
    assert s.group_id("extractor") == "ecowire-extractor"


def test_default_ports_differ_per_service() -> None:
    s = Settings()
    assert len({s.port_for(x) for x in ("fetcher", "normalizer", "extractor", "aggregator")}) == 4


def test_to_env_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Settings(bootstrap_servers="b:1", topic_prefix="t1.", partitions=7, session_timeout_ms=1234)
    for k, v in original.to_env().items():
        monkeypatch.setenv(k, v)
    assert Settings() == original
