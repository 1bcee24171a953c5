"""The Grafana dashboard as code: current, schema-valid, well-formed, reading only real series."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml

from ecowire.core.metrics import known_series_names
from tests.ops.promql import metric_names
from tests.support import ROOT

GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "ecowire.json"
RULES = ROOT / "deploy" / "prometheus" / "rules"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ecowire_dashboard", GRAFANA / "dashboard.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text("utf-8"))
    return data


def panels(d: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for p in d["panels"]:
        yield p
        yield from p.get("panels", [])


def queries(d: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for p in panels(d):
        for t in p.get("targets", []):
            yield p["title"], t["expr"]


def recorded_names() -> set[str]:
    out: set[str] = set()
    for f in RULES.glob("*.rules.yml"):
        for g in yaml.safe_load(f.read_text("utf-8"))["groups"]:
            out |= {r["record"] for r in g["rules"] if "record" in r}
    return out


def test_committed_json_is_what_the_generator_builds() -> None:
    assert DASHBOARD.read_text("utf-8") == load_generator().render(), (
        "deploy/grafana/dashboards/ecowire.json is stale: run python deploy/grafana/dashboard.py"
    )


def test_dashboard_matches_its_schema(dashboard: dict[str, Any]) -> None:
    schema = json.loads((GRAFANA / "dashboard.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(dashboard)


def test_the_schema_rejects_a_panel_without_datasource(dashboard: dict[str, Any]) -> None:
    schema = json.loads((GRAFANA / "dashboard.schema.json").read_text("utf-8"))
    broken = json.loads(json.dumps(dashboard))
    victim = next(p for p in broken["panels"] if p["type"] != "row")
    del victim["datasource"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_ids_unique_and_every_panel_on_the_provisioned_datasource(dashboard: dict[str, Any]) -> None:
    ids = [p["id"] for p in panels(dashboard)]
    assert len(ids) == len(set(ids))
    provisioned = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text("utf-8"))
    uids = {ds["uid"] for ds in provisioned["datasources"]}
    for p in panels(dashboard):
        if p["type"] == "row":
            continue
        assert p["datasource"]["uid"] in uids, p["title"]
        for t in p["targets"]:
            assert t["datasource"]["uid"] in uids, p["title"]
        assert len({t["refId"] for t in p["targets"]}) == len(p["targets"]), p["title"]


def test_titles_unique_and_panels_do_not_overlap(dashboard: dict[str, Any]) -> None:
    titles = [p["title"] for p in panels(dashboard)]
    assert len(titles) == len(set(titles))
    cells: dict[tuple[int, int], str] = {}
    for p in panels(dashboard):
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']} overlaps {cells.get((x, y))}"
                cells[(x, y)] = p["title"]


def test_every_query_reads_series_that_exist(dashboard: dict[str, Any]) -> None:
    known = known_series_names() | recorded_names() | {"up"}
    for title, expr in queries(dashboard):
        names = metric_names(expr)
        assert names, f"{title}: {expr} selects no series"
        assert names <= known, f"{title}: unknown series {names - known}"


def test_the_issue_s_views_are_there(dashboard: dict[str, Any]) -> None:
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    assert rows[0] == "Pipeline overview" and rows[-1] == "Product"
    assert {f"Stage: {s}" for s in ("fetcher", "normalizer", "extractor", "aggregator")} <= set(rows)
    titles = {p["title"] for p in panels(dashboard)}
    assert {"Rates in and out per stage", "Consumer lag per stage", "End-to-end latency",
            "Errors and dead letters per stage", "Facts by type", "Duplicates found", "Targets registered",
            "Events registered"} <= titles


def test_ops_doc_answers_for_every_panel(dashboard: dict[str, Any]) -> None:
    ops = (ROOT / "docs" / "operations.md").read_text("utf-8")
    for p in panels(dashboard):
        if p["type"] == "row":
            assert f"### {p['title'].removeprefix('Stage: ')}" in ops or p["title"].startswith("Stage: ")
            continue
        assert f"**{p['title']}**" in ops, f"docs/operations.md does not describe panel {p['title']!r}"


def test_provisioning_points_at_the_dashboard_folder() -> None:
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "ecowire.yml").read_text("utf-8"))
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    volumes = compose["services"]["grafana"]["volumes"]
    assert "./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro" in volumes
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in volumes
