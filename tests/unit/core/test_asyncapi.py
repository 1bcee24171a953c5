"""Each service's AsyncAPI document is true: the topic it reads with that topic's record schema,
and every topic it writes (the dead-letter topic included) with theirs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from faststream.specification import AsyncAPI

from ecowire.core.app import build_app
from ecowire.core.settings import Settings
from ecowire_schemas import Article, DeadLetter, IngestRequest, RawDocument

SETTINGS = Settings(topic_prefix="doc.")


def _document(stage_module: str) -> dict[str, Any]:
    import importlib

    stage = importlib.import_module(f"ecowire.{stage_module}.app").stage
    app = build_app(stage, SETTINGS)
    return AsyncAPI(app.broker, title=stage.name, schema_version="3.0.0").to_specification().to_jsonable()


def _payload(doc: dict[str, Any], channel: str) -> dict[str, Any]:
    (message,) = doc["channels"][channel]["messages"].values()
    ref = doc["components"]["messages"][message["$ref"].rsplit("/", 1)[1]]["payload"]["$ref"]
    return doc["components"]["schemas"][ref.rsplit("/", 1)[1]]


@pytest.mark.parametrize(("stage", "reads", "model", "writes"), [
    ("fetcher", "ingest", IngestRequest, {"raw": RawDocument, "fetcher-state": None}),
    ("normalizer", "raw", RawDocument, {"articles": Article}),
    ("extractor", "articles", Article, {"facts": None}),
])
def test_channels_and_payloads(stage: str, reads: str, model: Any, writes: dict[str, Any]) -> None:
    doc = _document(stage)
    actions = {op["channel"]["$ref"].rsplit("/", 1)[1]: op["action"] for op in doc["operations"].values()}
    inbound = f"{stage}:doc.{reads}.v1"
    assert actions[inbound] == "receive"
    assert set(_payload(doc, inbound)["properties"]) == set(model.model_fields)
    for base, out_model in {**writes, "dlq": DeadLetter}.items():
        channel = f"{stage}:doc.{base}.v1"
        assert actions[channel] == "send", channel
        schema = _payload(doc, channel)
        if out_model is not None:
            assert set(schema["properties"]) == set(out_model.model_fields)
        else:
            assert schema.get("oneOf") or schema.get("anyOf") or schema.get("description"), schema
    assert "$defs" not in str(doc)  # every schema inlined: no reference points nowhere


def test_the_aggregator_channels_are_its_two_stages() -> None:
    """The aggregator runs two stages on the same runtime: both inputs, every output, one DLQ."""
    from ecowire.aggregator.app import Aggregator
    from ecowire.aggregator.state import ArticleBundle

    app = build_app(Aggregator(SETTINGS).stages, SETTINGS)
    doc = AsyncAPI(app.broker, title="aggregator", schema_version="3.0.0").to_specification().to_jsonable()
    actions = {op["channel"]["$ref"].rsplit("/", 1)[1]: op["action"] for op in doc["operations"].values()}
    assert actions == {
        "aggregator:doc.facts.v1": "receive",
        "aggregator:doc.aggregator-bundles.v1": "receive",
        "aggregator:doc.aggregator-bundles.v1:send": "send",
        "aggregator:doc.results.v1": "send",
        "aggregator:doc.aggregator-state.v1": "send",
        "aggregator:doc.dlq.v1": "send",
    }
    facts = json.dumps(_payload(doc, "aggregator:doc.facts.v1"))
    assert "fact_ids" in facts and "article_id" in facts  # the facts union, extraction record included
    for channel in ("aggregator:doc.aggregator-bundles.v1", "aggregator:doc.aggregator-bundles.v1:send"):
        assert set(_payload(doc, channel)["properties"]) == set(ArticleBundle.model_fields)
    results = json.dumps(_payload(doc, "aggregator:doc.results.v1"))
    assert all(f'"{field}"' in results for field in ("duplicate_of", "event_id", "series_id", "target_id", "person_id"))
    assert set(_payload(doc, "aggregator:doc.dlq.v1")["properties"]) == set(DeadLetter.model_fields)
    assert "$defs" not in str(doc)


async def test_asyncapi_is_served_on_the_service_port() -> None:
    """/asyncapi.json comes from the same ASGI app as /health and /metrics (the aggregator's query
    API is its fallback, so the document is not shadowed by it)."""
    from ecowire.aggregator.app import Aggregator

    app = Aggregator(SETTINGS).app()
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    await app({"type": "http", "path": "/asyncapi.json", "method": "GET", "query_string": b"", "headers": []},
              receive, send)
    assert sent[0]["status"] == 200
    doc = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert "aggregator:doc.results.v1" in doc["channels"]
