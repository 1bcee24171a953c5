"""Fetcher settings from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecowire.fetcher.settings import FetchSettings


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOWIRE_FETCH_ALLOW_HOSTS", "127.0.0.1, RSSHub.internal ,*.corp.example")
    monkeypatch.setenv("ECOWIRE_FETCH_MAX_RETRIES", "5")
    monkeypatch.setenv("ECOWIRE_SOURCES_FILE", "/config/sources.yaml")  # the compose file's name
    s = FetchSettings()
    assert s.allow_hosts == ["127.0.0.1", "rsshub.internal", "*.corp.example"]
    assert s.max_retries == 5 and s.sources_file == Path("/config/sources.yaml")
    monkeypatch.setenv("ECOWIRE_FETCH_SOURCES_FILE", "/etc/ecowire/sources.yaml")
    assert FetchSettings().sources_file == Path("/etc/ecowire/sources.yaml")


def test_defaults_are_polite_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ECOWIRE_FETCH_ALLOW_HOSTS", "ECOWIRE_SOURCES_FILE", "ECOWIRE_FETCH_SOURCES_FILE"):
        monkeypatch.delenv(name, raising=False)
    s = FetchSettings()
    assert s.allow_hosts == [] and s.respect_robots and s.sources_file is None
    assert s.max_body_bytes * 1.5 < 8 * 1024 * 1024  # GBK → UTF-8 JSON still fits a message
    assert "ecowire-fetcher" in s.user_agent and s.per_host_interval_s >= 1.0
