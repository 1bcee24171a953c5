"""The Helm chart (deploy/helm/ecowire), offline: there is no cluster here, so nothing is installed.

`helm lint` and `helm template` with the default values and with ci/scaled-values.yaml; every
rendered manifest validated against the Kubernetes schemas (kubernetes-validate, strict: unknown
fields fail) and the custom resources against the CRDs vendored in deploy/helm/crds-schemas (an
unknown field fails there too: an API server would silently prune it); and what the manifests
say checked against the code, as tests/unit/test_compose.py does for compose: commands, ports,
probes, metrics paths, environment names and values, topics, consumer groups, the alert rules and
the dashboard.

Helm is the pinned version, built from the Go module proxy by deploy/helm/install.sh (cached in
~/.cache/ecowire); `make test` runs the script first. Without Go the tests skip, saying so (and
fail under CI, where a skip would hide them).
"""

from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from ecowire.cli import build_parser
from ecowire.core.settings import DEFAULT_PORTS, Settings
from ecowire.fetcher.settings import FetchSettings
from ecowire.fetcher.sources import load_sources
from ecowire_schemas.topics import TOPICS
from tests.support import ROOT

HELM_DIR = ROOT / "deploy" / "helm"
CHART = HELM_DIR / "ecowire"
SCHEMAS = HELM_DIR / "crds-schemas"
STAGES = ("fetcher", "normalizer", "extractor", "aggregator")
AUTOSCALED = ("normalizer", "extractor")
# The Kubernetes versions the manifests must be valid for: the chart's minimum (Chart.yaml
# kubeVersion) and the newest kubernetes-validate ships.
KUBE_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
VALUES = {"default": None, "scaled": CHART / "ci" / "scaled-values.yaml"}


# ------------------------------------------------------------------ helm

@pytest.fixture(scope="module")
def helm() -> str:
    pinned = (HELM_DIR / "HELM_VERSION").read_text("utf-8").strip()
    r = subprocess.run([str(HELM_DIR / "install.sh")], capture_output=True, text=True, timeout=1800, check=False)
    if r.returncode != 0:
        why = f"Helm {pinned} could not be installed by deploy/helm/install.sh: {r.stderr.strip()[-800:]}"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    path = r.stdout.strip().splitlines()[-1]
    version = subprocess.run([path, "version", "--template", "{{.Version}}"], capture_output=True, text=True,
                             check=True, timeout=60).stdout.strip()
    assert version == pinned
    return path


def run_helm(helm: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([helm, *args], capture_output=True, text=True, timeout=300, check=False)


def template(helm: str, values: Path | None = None, *sets: str, chart: Path = CHART) -> list[dict[str, Any]]:
    args = ["template", "rel", str(chart), "--namespace", "ecowire", "--kube-version", KUBE_VERSIONS[-1]]
    if values is not None:
        args += ["-f", str(values)]
    for s in sets:
        args += ["--set", s]
    r = run_helm(helm, *args)
    assert r.returncode == 0, r.stderr
    return [d for d in yaml.safe_load_all(r.stdout) if d]


@pytest.fixture(scope="module", params=list(VALUES))
def rendered(request: pytest.FixtureRequest, helm: str) -> list[dict[str, Any]]:
    return template(helm, VALUES[request.param])


@pytest.fixture(scope="module")
def default(helm: str) -> list[dict[str, Any]]:
    return template(helm)


@pytest.fixture(scope="module")
def scaled(helm: str) -> list[dict[str, Any]]:
    return template(helm, VALUES["scaled"])


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def by_stage(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["labels"]["app.kubernetes.io/component"]: d for d in of_kind(docs, kind)
            if d["metadata"]["labels"].get("app.kubernetes.io/component") in STAGES}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def pod_containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = workload["spec"]["template"]["spec"]
    return [*spec["containers"], *spec.get("initContainers", [])]


def env(c: dict[str, Any]) -> dict[str, str]:
    pairs = [(e["name"], e["value"]) for e in c["env"]]
    assert len(pairs) == len(dict(pairs)), f"duplicate environment names in {c['name']}"
    return dict(pairs)


def values_of(name: str) -> dict[str, Any]:
    base: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text("utf-8"))
    path = VALUES[name]
    if path is not None:
        merge(base, yaml.safe_load(path.read_text("utf-8")))
    return base


def merge(into: dict[str, Any], over: dict[str, Any]) -> None:
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            merge(into[k], v)
        else:
            into[k] = v


def test_helm_is_the_pinned_version_and_the_installer_caches_it(helm: str) -> None:
    if not os.environ.get("ECOWIRE_HELM_DIR"):
        assert Path(helm).parent.name == "helm-" + (HELM_DIR / "HELM_VERSION").read_text("utf-8").strip()
    again = subprocess.run([str(HELM_DIR / "install.sh")], capture_output=True, text=True, timeout=60, check=True)
    assert again.stdout.strip() == helm and "building" not in again.stderr


@pytest.mark.parametrize("name", list(VALUES))
def test_helm_lint_passes(helm: str, name: str) -> None:
    args = ["lint", "--strict", str(CHART)]
    if VALUES[name] is not None:
        args += ["-f", str(VALUES[name])]
    r = run_helm(helm, *args)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_chart_refuses_more_autoscaled_replicas_than_partitions(helm: str) -> None:
    r = run_helm(helm, "template", "rel", str(CHART), "-f", str(VALUES["scaled"]),
                 "--set", "autoscaling.extractor.maxReplicas=9")
    assert r.returncode != 0 and "exceeds kafka.partitions" in r.stderr


def test_values_schema_refuses_unknown_keys_and_bad_values(helm: str) -> None:
    for bad in ("autoscaling.extractor.maxReplica=3", "kafka.partitions=0", "extractor.replica=2",
                "image.digest=latest"):
        r = run_helm(helm, "template", "rel", str(CHART), "--set", bad)
        assert r.returncode != 0 and "schema" in r.stderr, bad


def test_the_chart_needs_a_bootstrap_without_strimzi(helm: str) -> None:
    r = run_helm(helm, "template", "rel", str(CHART), "--set", "kafka.bootstrapServers=")
    assert r.returncode != 0 and "kafka.bootstrapServers is required" in r.stderr


# ------------------------------------------------------------------ schemas

@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the openAPIV3Schema of every vendored CRD version."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for f in sorted(SCHEMAS.glob("*/*.yaml")):
        crd = yaml.safe_load(f.read_text("utf-8"))
        assert crd["kind"] == "CustomResourceDefinition", f
        for v in crd["spec"]["versions"]:
            out[(f"{crd['spec']['group']}/{v['name']}", crd["spec"]["names"]["kind"])] = strict(
                v["schema"]["openAPIV3Schema"])
    return out


def strict(schema: Any) -> Any:
    """The schema with unknown fields refused wherever the CRD lists the fields of an object and does
    not keep unknown ones: a structural schema prunes such fields silently, the test names them."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) if k in ("properties", "items", "additionalProperties", "anyOf", "allOf", "oneOf")
           or isinstance(v, dict | list) else v for k, v in schema.items()}
    if "properties" in out:
        out["properties"] = {k: strict(v) for k, v in schema["properties"].items()}
        if not schema.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in schema:
            out["additionalProperties"] = False
    return out


def validate(doc: dict[str, Any]) -> None:
    schema = crd_schemas().get((doc["apiVersion"], doc["kind"]))
    if schema is not None:
        jsonschema.Draft7Validator(schema).validate(doc)
        return
    for version in KUBE_VERSIONS:
        kubernetes_validate.validate(doc, version, strict=True)


def test_every_rendered_manifest_validates(rendered: list[dict[str, Any]]) -> None:
    assert len(rendered) >= 11
    for doc in rendered:
        try:
            validate(doc)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as e:
            pytest.fail(f"{doc['kind']} {doc['metadata']['name']}: {e.message}")


def test_every_custom_resource_kind_has_its_vendored_crd(scaled: list[dict[str, Any]]) -> None:
    custom = {(d["apiVersion"], d["kind"]) for d in scaled if "." in d["apiVersion"].split("/")[0]
              and not d["apiVersion"].startswith(("apps/", "batch/"))}
    assert custom == {("kafka.strimzi.io/v1", "Kafka"), ("kafka.strimzi.io/v1", "KafkaNodePool"),
                      ("kafka.strimzi.io/v1", "KafkaTopic"), ("keda.sh/v1alpha1", "ScaledObject"),
                      ("monitoring.coreos.com/v1", "ServiceMonitor"), ("monitoring.coreos.com/v1", "PrometheusRule")}
    assert custom <= set(crd_schemas())


def test_validation_fails_on_a_broken_manifest(scaled: list[dict[str, Any]]) -> None:
    """The validators are not vacuous: a misspelt field and a wrong type fail, built-in or custom."""
    deployment = copy.deepcopy(by_stage(scaled, "Deployment")["extractor"])
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
    deployment = copy.deepcopy(by_stage(scaled, "Deployment")["extractor"])
    deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = "45"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
    scaled_object = copy.deepcopy(of_kind(scaled, "ScaledObject")[0])
    scaled_object["spec"]["maxReplicas"] = 4  # the field is maxReplicaCount
    with pytest.raises(jsonschema.ValidationError):
        validate(scaled_object)
    kafka = copy.deepcopy(of_kind(scaled, "Kafka")[0])
    kafka["spec"]["kafka"]["listeners"][0].pop("tls")
    with pytest.raises(jsonschema.ValidationError):
        validate(kafka)
    rule = copy.deepcopy(of_kind(scaled, "PrometheusRule")[0])
    rule["spec"]["groups"][0]["rules"][0]["expression"] = "up"
    with pytest.raises(jsonschema.ValidationError):
        validate(rule)


def test_vendored_schemas_carry_their_licence_and_the_versions_the_chart_names() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text("utf-8"))
    values = values_of("default")
    folders = {p.name for p in SCHEMAS.iterdir() if p.is_dir()}
    named = {f"strimzi-{chart['annotations']['ecowire.io/strimzi-version']}",
             f"keda-{chart['annotations']['ecowire.io/keda-version']}",
             f"prometheus-operator-{chart['annotations']['ecowire.io/prometheus-operator-version']}"}
    assert folders == named
    assert values["kafka"]["strimzi"]["version"] == chart["annotations"]["ecowire.io/strimzi-version"]
    readme = (SCHEMAS / "README.md").read_text("utf-8")
    for folder in folders:
        assert "Apache License" in (SCHEMAS / folder / "LICENSE").read_text("utf-8"), folder
        assert f"`{folder}/`" in readme, f"crds-schemas/README.md does not say where {folder} comes from"


# ------------------------------------------------------------------ against the code

def test_each_stage_runs_its_console_script_on_its_port(rendered: list[dict[str, Any]]) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    deployments, services = by_stage(rendered, "Deployment"), by_stage(rendered, "Service")
    assert set(deployments) == set(services) == set(STAGES)
    for stage in STAGES:
        c = container(deployments[stage])
        assert c["command"] == [f"ecowire-{stage}"] and scripts[f"ecowire-{stage}"] == f"ecowire.{stage}.app:main"
        port = DEFAULT_PORTS[stage]
        assert c["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        e = env(c)
        assert e["ECOWIRE_HTTP_PORT"] == str(port) and e["ECOWIRE_HTTP_HOST"] == "0.0.0.0"
        svc = services[stage]["spec"]
        assert svc["ports"] == [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}]
        assert svc["selector"].items() <= deployments[stage]["spec"]["template"]["metadata"]["labels"].items()


def test_probes_and_metrics_ask_the_paths_the_services_serve(rendered: list[dict[str, Any]]) -> None:
    # the routes in the code: FastStream stages (core/app.py) and the aggregator's own app (aggregator/http.py)
    core = (ROOT / "services" / "ecowire" / "core" / "app.py").read_text("utf-8")
    aggregator = (ROOT / "services" / "ecowire" / "aggregator" / "http.py").read_text("utf-8")
    assert '("/health", ' in core and '("/metrics", ' in core
    assert 'path == "/health"' in aggregator and 'path == "/metrics"' in aggregator
    for stage, d in by_stage(rendered, "Deployment").items():
        c = container(d)
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert c[probe]["httpGet"] == {"path": "/health", "port": "http"}, (stage, probe)
        annotations = d["spec"]["template"]["metadata"].get("annotations") or {}
        if "prometheus.io/scrape" in annotations:
            assert annotations["prometheus.io/port"] == str(DEFAULT_PORTS[stage])
            assert annotations["prometheus.io/path"] == "/metrics"
    for sm in of_kind(rendered, "ServiceMonitor"):
        assert [(e["port"], e["path"]) for e in sm["spec"]["endpoints"]] == [("http", "/metrics")]


def test_startup_probe_outlasts_the_state_loading(rendered: list[dict[str, Any]]) -> None:
    """The fetcher reads its state topic before it serves /health (up to state_load_timeout_s)."""
    c = container(by_stage(rendered, "Deployment")["fetcher"])
    probe = c["startupProbe"]
    assert probe["periodSeconds"] * probe["failureThreshold"] > FetchSettings().state_load_timeout_s


def test_environment_names_are_settings_and_their_values_parse(
    rendered: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_env = {f"ECOWIRE_{n.upper()}" for n in Settings.model_fields} | {"KAFKA_BOOTSTRAP_SERVERS"}
    fetch_env = {f"ECOWIRE_FETCH_{n.upper()}" for n in FetchSettings.model_fields}
    deployments = by_stage(rendered, "Deployment")
    pods = [(s, c) for s, d in deployments.items() for c in pod_containers(d)]
    pods += [("topics", c) for j in of_kind(rendered, "Job") for c in j["spec"]["template"]["spec"]["containers"]]
    for stage, c in pods:
        e = env(c)
        unknown = {n for n in e if n not in settings_env and not (stage == "fetcher" and n in fetch_env)}
        assert not unknown, f"{stage}/{c['name']}: no setting reads {sorted(unknown)}"
        for name in list(os.environ):
            if name.startswith("ECOWIRE_") or name == "KAFKA_BOOTSTRAP_SERVERS":
                monkeypatch.delenv(name)
        for name, value in e.items():
            monkeypatch.setenv(name, value)
        s = Settings()  # raises on a value that does not parse
        assert s.log_format == "json"
        if c["name"] in STAGES:
            assert s.port_for(stage) == DEFAULT_PORTS[stage]
        if stage == "fetcher" and c["name"] == "fetcher":
            FetchSettings()


def test_shutdown_grace_exceeds_the_drain(rendered: list[dict[str, Any]]) -> None:
    code = Settings.model_fields
    values = values_of("default")
    # the chart's defaults are the code's
    assert values["gracefulTimeoutSeconds"] == code["graceful_timeout_s"].default
    assert values["sessionTimeoutMs"] == code["session_timeout_ms"].default
    for stage, d in by_stage(rendered, "Deployment").items():
        drain = float(env(container(d))["ECOWIRE_GRACEFUL_TIMEOUT_S"])
        grace = d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        # the drain, then closing the consumers (leaving the group) and the producer (its last acks)
        assert grace >= math.ceil(drain) + 10, stage


def test_shared_settings_are_the_values(rendered: list[dict[str, Any]], request: pytest.FixtureRequest) -> None:
    values = values_of(request.node.callspec.params["rendered"])
    kafka = values["kafka"]
    cluster = "rel-ecowire-kafka"
    bootstrap = f"{cluster}-kafka-bootstrap:9092" if kafka["strimzi"]["enabled"] else kafka["bootstrapServers"]
    for d in by_stage(rendered, "Deployment").values():
        e = env(container(d))
        assert e["KAFKA_BOOTSTRAP_SERVERS"] == bootstrap
        assert e["ECOWIRE_TOPIC_PREFIX"] == kafka["topicPrefix"] and e["ECOWIRE_GROUP_PREFIX"] == kafka["groupPrefix"]
        assert e["ECOWIRE_PARTITIONS"] == str(kafka["partitions"])
        assert e["ECOWIRE_REPLICATION_FACTOR"] == str(kafka["replicationFactor"])
        for extra in values["extraEnv"]:
            assert e[extra["name"]] == extra["value"]
    if kafka["strimzi"]["enabled"]:
        (k,) = of_kind(rendered, "Kafka")
        assert k["metadata"]["name"] == cluster
        assert {"name": "plain", "port": 9092, "type": "internal", "tls": False} in k["spec"]["kafka"]["listeners"]
        assert k["spec"]["kafka"]["config"]["auto.create.topics.enable"] is False
        (pool,) = of_kind(rendered, "KafkaNodePool")
        assert pool["metadata"]["labels"]["strimzi.io/cluster"] == cluster
        assert pool["spec"]["replicas"] >= kafka["replicationFactor"]
    else:
        assert not of_kind(rendered, "Kafka") and not of_kind(rendered, "KafkaTopic")


def test_image_is_pinned_to_the_release(default: list[dict[str, Any]], scaled: list[dict[str, Any]]) -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text("utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert chart["appVersion"] == project["version"]
    for docs, image in ((default, f"ecowire:{project['version']}"),
                        (scaled, "registry.example.org/ecowire/ecowire@sha256:" + "0" * 64)):
        images = {c["image"] for d in of_kind(docs, "Deployment") + of_kind(docs, "Job") for c in pod_containers(d)}
        assert images == {image}


def test_topics_are_created_by_a_job_running_the_cli(rendered: list[dict[str, Any]]) -> None:
    (job,) = of_kind(rendered, "Job")
    hooks = set(job["metadata"]["annotations"]["helm.sh/hook"].split(","))
    assert hooks == {"post-install", "pre-upgrade"}
    commands = [job["spec"]["template"]["spec"]["containers"][0]["command"]]
    commands += [c["command"] for d in of_kind(rendered, "Deployment")
                 for c in d["spec"]["template"]["spec"].get("initContainers", [])]
    for command in commands:
        assert command[:3] == ["ecowire", "topics", "create"]
        args = build_parser().parse_args(command[1:])  # the CLI takes these arguments
        assert args.action == "create" and args.wait >= 60


def test_topic_declaration_copy_is_current() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("helm_topics", HELM_DIR / "topics.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (CHART / "files" / "topics.yaml").read_text("utf-8") == module.render(), (
        "deploy/helm/ecowire/files/topics.yaml is stale: run python deploy/helm/topics.py")


def test_kafka_topics_match_the_declaration(scaled: list[dict[str, Any]]) -> None:
    kafka = values_of("scaled")["kafka"]
    topics = {t["spec"]["topicName"]: t for t in of_kind(scaled, "KafkaTopic")}
    assert set(topics) == {t.name(kafka["topicPrefix"]) for t in TOPICS}
    for t in TOPICS:
        kt = topics[t.name(kafka["topicPrefix"])]
        assert kt["spec"]["partitions"] == (t.partitions or kafka["partitions"]), t.base
        assert kt["spec"]["replicas"] == kafka["replicationFactor"]
        assert kt["spec"]["config"] == t.config(), t.base
        assert kt["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_autoscaling_follows_the_stages_lag_up_to_the_partition_count(rendered: list[dict[str, Any]]) -> None:
    import ecowire.extractor.app
    import ecowire.normalizer.app

    inputs = {"normalizer": ecowire.normalizer.app.stage.input_base,
              "extractor": ecowire.extractor.app.stage.input_base}
    deployments = by_stage(rendered, "Deployment")
    objects = by_stage(rendered, "ScaledObject")
    assert set(objects) <= set(AUTOSCALED)
    for stage, so in objects.items():
        e = env(container(deployments[stage]))
        s = Settings(topic_prefix=e["ECOWIRE_TOPIC_PREFIX"], group_prefix=e["ECOWIRE_GROUP_PREFIX"])
        partitions = int(e["ECOWIRE_PARTITIONS"])
        assert so["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                "name": deployments[stage]["metadata"]["name"]}
        assert 1 <= so["spec"]["minReplicaCount"] <= so["spec"]["maxReplicaCount"] <= partitions
        (trigger,) = so["spec"]["triggers"]
        meta = trigger["metadata"]
        assert trigger["type"] == "kafka"
        assert meta["consumerGroup"] == s.group_id(stage) and meta["topic"] == s.topic(inputs[stage])
        assert meta["bootstrapServers"] == e["KAFKA_BOOTSTRAP_SERVERS"]
        assert meta["allowIdleConsumers"] == "false" and meta["offsetResetPolicy"] == "earliest"
        assert int(meta["lagThreshold"]) > int(meta["activationLagThreshold"]) > 0
        # KEDA owns the replica count of a scaled Deployment
        assert "replicas" not in deployments[stage]["spec"]
    for stage in set(STAGES) - set(objects):
        assert deployments[stage]["spec"]["replicas"] >= 1
    assert deployments["aggregator"]["spec"].get("replicas") == 1


def test_scaled_values_autoscale_to_the_partition_count(scaled: list[dict[str, Any]]) -> None:
    objects = by_stage(scaled, "ScaledObject")
    assert set(objects) == set(AUTOSCALED)
    assert {so["spec"]["maxReplicaCount"] for so in objects.values()} == {values_of("scaled")["kafka"]["partitions"]}


def test_prometheus_rule_is_the_rules_file(scaled: list[dict[str, Any]]) -> None:
    (rule,) = of_kind(scaled, "PrometheusRule")
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "rules" / "ecowire.rules.yml").read_text("utf-8"))
    assert rule["spec"] == {"groups": rules["groups"]}


def test_service_monitor_labels_what_the_rules_select(scaled: list[dict[str, Any]]) -> None:
    """The rules select up{job="ecowire"} and name stages by `service`: the ServiceMonitor's job
    comes from the Services' label, and `service` is rewritten from the component label."""
    rules = (ROOT / "deploy" / "prometheus" / "rules" / "ecowire.rules.yml").read_text("utf-8")
    assert 'up{job="ecowire"}' in rules and "$labels.service" in rules
    (sm,) = of_kind(scaled, "ServiceMonitor")
    job_label = sm["spec"]["jobLabel"]
    for stage, svc in by_stage(scaled, "Service").items():
        labels = svc["metadata"]["labels"]
        assert labels[job_label] == "ecowire"
        assert sm["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert labels["app.kubernetes.io/component"] == stage
    (endpoint,) = sm["spec"]["endpoints"]
    assert {"sourceLabels": ["__meta_kubernetes_service_label_app_kubernetes_io_component"],
            "targetLabel": "service", "action": "replace"} in endpoint["relabelings"]


def test_dashboard_config_map_is_the_dashboard(rendered: list[dict[str, Any]]) -> None:
    (cm,) = [c for c in of_kind(rendered, "ConfigMap") if "ecowire.json" in c.get("data", {})]
    text = (ROOT / "deploy" / "grafana" / "dashboards" / "ecowire.json").read_text("utf-8")
    assert cm["data"]["ecowire.json"] == text.rstrip("\n")
    assert json.loads(cm["data"]["ecowire.json"]) == json.loads(text)
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"


def test_fetcher_sources_and_allow_list(scaled: list[dict[str, Any]], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    values = values_of("scaled")["fetcher"]
    d = by_stage(scaled, "Deployment")["fetcher"]
    e = env(container(d))
    assert e["ECOWIRE_FETCH_SOURCES_FILE"] == "/config/sources.yaml"
    (mount,) = [m for m in container(d)["volumeMounts"] if m["name"] == "sources"]
    assert mount["mountPath"] == "/config"
    (cm,) = [c for c in of_kind(scaled, "ConfigMap") if "sources.yaml" in c.get("data", {})]
    (volume,) = [v for v in d["spec"]["template"]["spec"]["volumes"] if v["name"] == "sources"]
    assert volume["configMap"]["name"] == cm["metadata"]["name"]
    path = tmp_path / "sources.yaml"
    path.write_text(cm["data"]["sources.yaml"], "utf-8")
    assert [s.name for s in load_sources(path)] == [s["name"] for s in values["sources"]["sources"]]
    monkeypatch.setenv("ECOWIRE_FETCH_ALLOW_HOSTS", e["ECOWIRE_FETCH_ALLOW_HOSTS"])
    assert FetchSettings().allow_hosts == values["allowHosts"]
    assert d["spec"]["replicas"] == values["replicas"] == 2  # one polls (the lease), both fetch


def test_default_fetcher_polls_the_real_sources_and_refuses_private_addresses(
    default: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = by_stage(default, "Deployment")["fetcher"]
    e = env(container(d))
    assert e["ECOWIRE_FETCH_SOURCES_FILE"] == "/config/sources.yaml" and e["ECOWIRE_FETCH_POLL_SOURCES"] == "true"
    assert e["ECOWIRE_FETCH_ALLOW_HOSTS"] == ""  # public source hosts need no exemption
    (cm,) = [c for c in of_kind(default, "ConfigMap") if "sources.yaml" in c.get("data", {})]
    bundled = (ROOT / "deploy" / "sources.yaml").read_text("utf-8")
    assert cm["data"]["sources.yaml"] == bundled
    (volume,) = [v for v in d["spec"]["template"]["spec"]["volumes"] if v["name"] == "sources"]
    assert volume["configMap"]["name"] == cm["metadata"]["name"]
    path = tmp_path / "sources.yaml"
    path.write_text(cm["data"]["sources.yaml"], "utf-8")
    assert load_sources(path) == load_sources(ROOT / "deploy" / "sources.yaml")
    monkeypatch.setenv("ECOWIRE_FETCH_POLL_SOURCES", e["ECOWIRE_FETCH_POLL_SOURCES"])
    assert FetchSettings().poll_sources is True


def test_the_chart_polls_nothing_when_told_not_to(helm: str) -> None:
    off = template(helm, None, "fetcher.pollSources=false")
    assert env(container(by_stage(off, "Deployment")["fetcher"]))["ECOWIRE_FETCH_POLL_SOURCES"] == "false"
    none = template(helm, None, "fetcher.bundledSources=false")
    e = env(container(by_stage(none, "Deployment")["fetcher"]))
    assert "ECOWIRE_FETCH_SOURCES_FILE" not in e
    assert not [c for c in of_kind(none, "ConfigMap") if "sources.yaml" in c.get("data", {})]
    for doc in none:
        validate(doc)


def test_worker_processes_are_a_value_of_the_cpu_bound_stages(helm: str, default: list[dict[str, Any]]) -> None:
    for stage, d in by_stage(default, "Deployment").items():
        assert env(container(d)).get("ECOWIRE_WORKERS") == ("1" if stage in AUTOSCALED else None), stage
    more = by_stage(template(helm, None, "extractor.workers=3"), "Deployment")
    assert env(container(more["extractor"]))["ECOWIRE_WORKERS"] == "3"
    assert env(container(more["normalizer"]))["ECOWIRE_WORKERS"] == "1"
    refused = run_helm(helm, "template", "x", str(CHART), "--set", "extractor.workers=0")
    assert refused.returncode != 0 and "workers" in refused.stderr


def manifests(docs: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for d in docs:
        yield d["kind"], d["metadata"]["name"]


def test_names_are_unique_per_kind(rendered: list[dict[str, Any]]) -> None:
    names = list(manifests(rendered))
    assert len(names) == len(set(names))


def test_a_release_can_run_some_stages_only(helm: str) -> None:
    """A second release beside the first runs only the stages of a new contract major."""
    docs = template(helm, VALUES["scaled"], "fetcher.enabled=false", "normalizer.enabled=false",
                    "aggregator.enabled=false", "kafka.strimzi.enabled=false", "kafka.groupPrefix=next-")
    assert set(by_stage(docs, "Deployment")) == set(by_stage(docs, "Service")) == {"extractor"}
    assert set(by_stage(docs, "ScaledObject")) == {"extractor"}
    assert not [c for c in of_kind(docs, "ConfigMap") if "sources.yaml" in c.get("data", {})]
    assert len(of_kind(docs, "Job")) == 1
    for doc in docs:
        validate(doc)


def test_docs_explain_the_chart_s_numbers() -> None:
    values = values_of("default")
    scaling = (ROOT / "docs" / "scaling.md").read_text("utf-8")
    for stage in AUTOSCALED:
        threshold = values["autoscaling"][stage]["lagThreshold"]
        assert f"| {stage} |" in scaling and f"| {threshold} |" in scaling, f"docs/scaling.md: {stage} {threshold}"
    operations = (ROOT / "docs" / "operations.md").read_text("utf-8")
    assert "No cluster runs where ecowire is developed and tested" in operations
    for heading in ("## Deploying", "### Kubernetes (Helm chart)", "## Scaling", "## Upgrading",
                    "### A contract", "## Replaying from an offset", "## The dead-letter topic", "## Alerts"):
        assert heading in operations, heading
    helm_version = (HELM_DIR / "HELM_VERSION").read_text("utf-8").strip()
    assert f"Helm {helm_version.removeprefix('v')}" in operations


def test_the_packaged_chart_carries_the_linked_files(helm: str, tmp_path: Path) -> None:
    """files/ links to the rules and the dashboard: `helm package` must store their contents."""
    r = run_helm(helm, "package", str(CHART), "-d", str(tmp_path))
    assert r.returncode == 0, r.stderr
    (package,) = tmp_path.glob("ecowire-*.tgz")
    docs = template(helm, None, "prometheusRule.enabled=true", chart=package)
    (rule,) = of_kind(docs, "PrometheusRule")
    assert rule["spec"]["groups"]
    assert any("ecowire.json" in c.get("data", {}) for c in of_kind(docs, "ConfigMap"))
    (sources,) = [c for c in of_kind(docs, "ConfigMap") if "sources.yaml" in c.get("data", {})]
    assert sources["data"]["sources.yaml"] == (ROOT / "deploy" / "sources.yaml").read_text("utf-8")
