"""docker-compose.yml is valid Compose and agrees with the code (no Docker engine runs here)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from ecowire.core.settings import DEFAULT_PORTS
from tests.support import ROOT

STAGES = ("fetcher", "normalizer", "extractor", "aggregator")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))  # type: ignore[no-any-return]


def test_compose_file_validates_against_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads((ROOT / "deploy" / "compose" / "compose-spec.json").read_text("utf-8"))
    jsonschema.Draft201909Validator(schema).validate(compose)


def test_each_service_runs_its_console_script_on_its_port(compose: dict[str, Any]) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    for stage in STAGES:
        svc = compose["services"][stage]
        command = svc["command"][0]
        assert command == f"ecowire-{stage}"
        assert scripts[command] == f"ecowire.{stage}.app:main"
        port = DEFAULT_PORTS[stage]
        assert svc["environment"]["ECOWIRE_HTTP_PORT"] == str(port)
        assert svc["ports"] == [f"{port}:{port}"]
        assert svc["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"


def test_prometheus_scrapes_every_service_where_compose_serves_it(compose: dict[str, Any]) -> None:
    prom = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text("utf-8"))
    targets = {t for job in prom["scrape_configs"] for sc in job.get("static_configs", []) for t in sc["targets"]}
    for stage in STAGES:
        assert f"{stage}:{DEFAULT_PORTS[stage]}" in targets


def test_mounted_host_paths_exist(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        for vol in svc.get("volumes", []):
            host = vol.split(":")[0]
            if host.startswith("."):
                assert (ROOT / host).exists(), f"{name} mounts missing {host}"


def test_topics_are_created_by_a_one_shot_job_before_services_start(compose: dict[str, Any]) -> None:
    assert compose["services"]["topics"]["command"] == ["ecowire", "topics", "create"]
    kafka_env = compose["services"]["kafka"]["environment"]
    assert kafka_env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    for stage in STAGES:
        dep = compose["services"][stage]["depends_on"]["topics"]
        assert dep["condition"] == "service_completed_successfully"


def test_dockerfile_installs_the_package() -> None:
    text = Path(ROOT / "Dockerfile").read_text("utf-8")
    assert "pip install" in text and "COPY services" in text and "COPY schemas" in text
    assert "-r requirements.lock" in text  # the locked versions, not pyproject's ranges


def test_base_images_are_pinned_by_digest() -> None:
    text = Path(ROOT / "Dockerfile").read_text("utf-8")
    bases = re.findall(r"^FROM\s+(\S+)", text, flags=re.M)
    assert bases and all(re.search(r"@sha256:[0-9a-f]{64}$", b) for b in bases), bases


def test_every_service_has_a_healthcheck_that_asks_its_own_health_endpoint() -> None:
    import os
    import subprocess
    import sys

    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    for name in ("fetcher", "normalizer", "extractor", "aggregator"):
        assert doc["services"][name]["healthcheck"]["test"][-1] == "ecowire.core.healthcheck", name
    assert "HEALTHCHECK" in (ROOT / "Dockerfile").read_text("utf-8")
    # the probe itself: nothing listens on this port, so it reports unhealthy; without a port it is the CLI
    env = {**os.environ, "ECOWIRE_HTTP_PORT": "1"}
    probe = [sys.executable, "-m", "ecowire.core.healthcheck"]
    assert subprocess.run(probe, env=env, capture_output=True, timeout=30, check=False).returncode == 1
    env.pop("ECOWIRE_HTTP_PORT")
    assert subprocess.run(probe, env=env, capture_output=True, timeout=30, check=False).returncode == 0


@pytest.mark.parametrize(("status", "code"), [(204, 0), (200, 0), (503, 1)])
def test_the_probe_accepts_any_2xx(status: int, code: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """FastStream's /health answers 204: the probe once took that for unhealthy, forever."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from ecowire.core import healthcheck

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the http.server API
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("ECOWIRE_HTTP_PORT", str(server.server_port))
        assert healthcheck.main() == code
    finally:
        server.shutdown()


def test_the_fetcher_polls_the_real_sources_unless_told_not_to(compose: dict[str, Any],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from ecowire.fetcher.settings import FetchSettings
    from ecowire.fetcher.sources import load_sources

    for name in ("fetcher", "cli"):
        svc = compose["services"][name]
        path = svc["environment"]["ECOWIRE_FETCH_SOURCES_FILE"]
        assert f"./deploy/sources.yaml:{path}:ro" in svc["volumes"], name
    env = compose["services"]["fetcher"]["environment"]
    # ${ECOWIRE_POLL_SOURCES:-true}: on unless the variable says otherwise.
    m = re.fullmatch(r"\$\{ECOWIRE_POLL_SOURCES:-(\w+)\}", env["ECOWIRE_FETCH_POLL_SOURCES"])
    assert m and m.group(1) == "true"
    for value, polls in (("true", True), ("false", False)):
        monkeypatch.setenv("ECOWIRE_FETCH_POLL_SOURCES", value)
        monkeypatch.setenv("ECOWIRE_FETCH_SOURCES_FILE", str(ROOT / "deploy" / "sources.yaml"))
        fs = FetchSettings()
        assert fs.poll_sources is polls and fs.sources_file is not None
    assert len(load_sources(ROOT / "deploy" / "sources.yaml")) >= 15


def test_the_extractor_runs_two_model_processes_unless_told_otherwise(compose: dict[str, Any],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from ecowire.core.settings import Settings

    workers = compose["services"]["extractor"]["environment"]["ECOWIRE_WORKERS"]
    m = re.fullmatch(r"\$\{ECOWIRE_EXTRACTOR_WORKERS:-(\d+)\}", workers)
    assert m, "the extractor's workers come from ECOWIRE_EXTRACTOR_WORKERS"
    monkeypatch.setenv("ECOWIRE_WORKERS", m.group(1))
    assert Settings().workers == 2
    assert all("ECOWIRE_WORKERS" not in compose["services"][s]["environment"] for s in STAGES if s != "extractor")
