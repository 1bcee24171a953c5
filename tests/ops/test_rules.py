"""Prometheus configuration and rules: promtool checks them and runs their unit tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ops.prom import PROM_DIR, RULES_DIR, promtool
from tests.ops.promql import metric_names
from tests.support import ROOT

RULE_FILES = sorted(RULES_DIR.glob("*.rules.yml"))
TEST_FILES = sorted((PROM_DIR / "tests").glob("*.test.yml"))


def groups() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for f in RULE_FILES:
        out += yaml.safe_load(f.read_text("utf-8"))["groups"]
    return out


def alerts() -> list[dict[str, Any]]:
    return [r for g in groups() for r in g["rules"] if "alert" in r]


@pytest.mark.prometheus
@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus.local.yml"])
def test_scrape_configs_are_valid(config: str) -> None:
    r = promtool("check", "config", str(PROM_DIR / config))
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.prometheus
def test_rules_are_valid() -> None:
    assert RULE_FILES
    r = promtool("check", "rules", *map(str, RULE_FILES))
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.prometheus
def test_rule_unit_tests_pass() -> None:
    assert TEST_FILES
    r = promtool("test", "rules", *map(str, TEST_FILES))
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.prometheus
def test_a_broken_rule_fails_its_unit_test(tmp_path: Path) -> None:
    """The unit tests can fail: the same tests against rules whose thresholds were loosened."""
    rules = tmp_path / "rules"
    rules.mkdir()
    for f in RULE_FILES:
        text = f.read_text("utf-8").replace("> 0.05", "> 0.5").replace("vector(60)", "vector(600)")
        (rules / f.name).write_text(text, "utf-8")
    tests = tmp_path / "tests"
    tests.mkdir()
    for f in TEST_FILES:
        (tests / f.name).write_text(f.read_text("utf-8"), "utf-8")
    r = promtool("test", "rules", *map(str, sorted(tests.glob("*.yml"))))
    assert r.returncode != 0
    for name in ("EcowireDeadLetterRatioHigh", "EcowireErrorRatioHigh", "EcowireEndToEndLatencyHigh"):
        assert name in r.stdout + r.stderr


def test_every_alert_is_tested_firing_and_not_firing() -> None:
    firing: set[str] = set()
    silent: set[str] = set()
    for f in TEST_FILES:
        for case in yaml.safe_load(f.read_text("utf-8"))["tests"]:
            for t in case.get("alert_rule_test", []):
                (firing if t.get("exp_alerts") else silent).add(t["alertname"])
    names = {a["alert"] for a in alerts()}
    assert names, "no alerts"
    assert names - firing == set(), "alerts never tested firing"
    assert names - silent == set(), "alerts never tested staying silent"


def test_the_alerts_the_issue_asks_for_exist() -> None:
    names = {a["alert"] for a in alerts()}
    assert {"EcowireStageStalled", "EcowireDeadLetterRatioHigh", "EcowireErrorRatioHigh",
            "EcowireEndToEndLatencyHigh", "EcowireResultsStale", "EcowireServiceDown"} <= names


def test_alerts_read_recording_rules_of_their_own_group() -> None:
    """Rules of one group run in order in one evaluation; across groups they may lag a round."""
    all_records = {r["record"] for g in groups() for r in g["rules"] if "record" in r}
    for g in groups():
        own: set[str] = set()
        for rule in g["rules"]:
            used = {n for n in metric_names(rule["expr"]) if ":" in n}
            assert used <= own, f"{g['name']}: {rule.get('alert') or rule.get('record')} reads {used - own}"
            assert used <= all_records
            if "record" in rule:
                own.add(rule["record"])


def test_every_alert_has_severity_summary_and_a_documented_runbook() -> None:
    ops = (ROOT / "docs" / "operations.md").read_text("utf-8")
    for a in alerts():
        assert a["labels"]["severity"] in {"warning", "critical"}
        assert a["annotations"]["summary"] and a["annotations"]["description"]
        anchor = a["annotations"]["runbook"].split("#", 1)[1]
        assert anchor == a["alert"].lower()
        assert f"### {a['alert']}" in ops, f"docs/operations.md has no section for {a['alert']}"


def test_rules_read_only_known_series() -> None:
    from ecowire.core.metrics import known_series_names

    known = known_series_names() | {"up"}
    for g in groups():
        for rule in g["rules"]:
            raw = {n for n in metric_names(rule["expr"]) if ":" not in n}
            assert raw <= known, f"{rule.get('alert') or rule.get('record')}: unknown {raw - known}"
