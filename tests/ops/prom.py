"""A real Prometheus (Debian's package: /usr/bin/prometheus) for tests, and promtool."""

from __future__ import annotations

import contextlib
import math
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support import ROOT, free_port

PROM_DIR = ROOT / "deploy" / "prometheus"
RULES_DIR = PROM_DIR / "rules"


def binary(name: str) -> str:
    """Path of prometheus/promtool; fails (not skips) when missing: `make test` installs them."""
    found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if found is None:
        pytest.fail(f"{name} not found: run deploy/prometheus/install.sh (Debian's prometheus package)")
    return found


def promtool(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary("promtool"), *args], input=stdin, capture_output=True, text=True,
                          check=False, cwd=ROOT, timeout=120)


def scrape_config(targets: Mapping[str, int], interval: str = "1s") -> dict[str, Any]:
    """deploy/prometheus/prometheus.local.yml with the test's ports and a short interval; same rules."""
    cfg: dict[str, Any] = yaml.safe_load((PROM_DIR / "prometheus.local.yml").read_text("utf-8"))
    cfg["global"].update({"scrape_interval": interval, "evaluation_interval": interval})
    cfg["rule_files"] = [str(RULES_DIR / "*.rules.yml")]
    job = next(j for j in cfg["scrape_configs"] if j["job_name"] == "ecowire")
    job["static_configs"] = [
        {"targets": [f"127.0.0.1:{port}"], "labels": {"service": service}} for service, port in targets.items()
    ]
    cfg["scrape_configs"] = [job]
    return cfg


@dataclass
class Prometheus:
    workdir: Path
    targets: Mapping[str, int]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Prometheus:
        config = self.workdir / "prometheus.yml"
        config.write_text(yaml.safe_dump(scrape_config(self.targets)), "utf-8")
        log = open(self.workdir / "prometheus.log", "wb")  # noqa: SIM115 - lives as long as the process
        self.proc = subprocess.Popen(
            [binary("prometheus"), f"--config.file={config}", f"--storage.tsdb.path={self.workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--storage.tsdb.retention.time=1h",
             "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited: {self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/-/ready", timeout=1.0).status_code == 200:
                    return self
            time.sleep(0.2)
        raise TimeoutError(f"prometheus not ready: {self.log_tail()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def log_tail(self, n: int = 3000) -> str:
        p = self.workdir / "prometheus.log"
        return p.read_text("utf-8", "replace")[-n:] if p.exists() else ""

    def api(self, path: str, **params: str) -> Any:
        r = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=30.0)
        body = r.json()
        if body.get("status") != "success":
            raise AssertionError(f"{path} {params}: {body}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant vector result of `expr` now: [{"metric": {...}, "value": [ts, "v"]}, ...]."""
        data = self.api("query", query=expr)
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        assert data["resultType"] == "vector", f"{expr}: {data['resultType']}"
        return list(data["result"])

    def value(self, expr: str) -> float | None:
        """The single value of `expr`, or None when it has no sample."""
        result = self.query(expr)
        if not result:
            return None
        assert len(result) == 1, f"{expr}: {len(result)} series"
        return float(result[0]["value"][1])

    def by(self, expr: str, *labels: str) -> dict[tuple[str, ...], float]:
        return {tuple(s["metric"].get(lbl, "") for lbl in labels): float(s["value"][1]) for s in self.query(expr)}

    def wait_for(self, expr: str, want: float, timeout: float = 60.0) -> float | None:
        deadline = time.monotonic() + timeout
        got = self.value(expr)
        while time.monotonic() < deadline and (got is None or not math.isclose(got, want)):
            time.sleep(0.5)
            got = self.value(expr)
        return got
