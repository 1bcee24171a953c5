"""The committed JSON Schema files are the models' exports, and changes stay compatible."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from ecowire_schemas import TOPICS, IngestRequest, QuantityFact
from ecowire_schemas.export import SCHEMA_DIR, breaking_changes, current_schemas, released, render


def test_committed_schema_files_match_the_models() -> None:
    stale = [name for name, schema in current_schemas().items()
             if not (SCHEMA_DIR / name).exists() or (SCHEMA_DIR / name).read_text("utf-8") != render(schema)]
    assert not stale, f"run `python -m ecowire_schemas.export` and commit: {stale}"


def test_every_topic_with_a_model_has_a_schema_file() -> None:
    names = {p.name for p in SCHEMA_DIR.glob("*.schema.json")}
    expected = {f"{t.base}.v{t.version}.schema.json" for t in TOPICS if t.model is not None}
    assert names == expected


RELEASES = released()


def test_there_is_a_released_version_to_stay_compatible_with() -> None:
    assert RELEASES, "schemas/released/ holds no release"


@pytest.mark.parametrize(
    ("release", "name"), [(r, n) for r, files in sorted(RELEASES.items()) for n in sorted(files)]
)
def test_no_breaking_change_against_a_released_schema(release: str, name: str) -> None:
    current = current_schemas()
    assert name in current, f"{name} of release {release} was removed: a breaking change needs a new topic version"
    assert breaking_changes(RELEASES[release][name], current[name]) == []


def _ingest() -> dict[str, Any]:
    return copy.deepcopy(current_schemas()["ingest.v1.schema.json"])


def test_compat_check_flags_a_new_required_field() -> None:
    new = _ingest()
    new["properties"]["priority"] = {"type": "integer"}
    new.setdefault("required", []).append("priority")
    assert any("priority: new required field" in p for p in breaking_changes(_ingest(), new))


def test_compat_check_flags_a_removed_field() -> None:
    new = _ingest()
    del new["properties"]["url"]
    assert any("url: removed" in p for p in breaking_changes(_ingest(), new))


def test_compat_check_flags_a_retyped_field() -> None:
    new = _ingest()
    new["properties"]["content_type"] = {"type": "integer"}
    assert any("content_type: type changed" in p for p in breaking_changes(_ingest(), new))


def test_compat_check_flags_an_optional_field_made_required() -> None:
    new = _ingest()
    new.setdefault("required", []).append("url")
    assert any("url: now required" in p for p in breaking_changes(_ingest(), new))


def test_compat_check_accepts_a_new_optional_field() -> None:
    new = _ingest()
    new["properties"]["priority"] = {"type": "integer", "default": 0}
    assert breaking_changes(_ingest(), new) == []


def test_model_output_validates_against_its_schema_file() -> None:
    schema = json.loads((SCHEMA_DIR / "ingest.v1.schema.json").read_text("utf-8"))
    doc = json.loads(IngestRequest(url="https://www.mee.gov.cn/x.shtml").model_dump_json())
    jsonschema.validate(doc, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**doc, "schema_version": 2}, schema)


def test_ingest_request_needs_exactly_one_payload() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        IngestRequest()
    with pytest.raises(ValueError, match="exactly one"):
        IngestRequest(url="https://a.example/x", content="text")


def test_ids_are_deterministic() -> None:
    a = IngestRequest(content="同一篇文章").effective_doc_id()
    assert a == IngestRequest(content="同一篇文章").effective_doc_id()
    assert a != IngestRequest(content="另一篇文章").effective_doc_id()


def test_fact_models_round_trip_through_json() -> None:
    q = QuantityFact(fact_id="f1", article_id="a1", extractor_version="1", surface="约418万千瓦时",
                     evidence={"start": 0, "end": 8, "text": "约418万千瓦时"}, value=4.18e6, unit="kWh",
                     qualifier="approx")
    assert QuantityFact.model_validate_json(q.model_dump_json()) == q
