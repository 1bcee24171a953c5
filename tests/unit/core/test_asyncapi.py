"""Each service's AsyncAPI document is true: the topic it reads with that topic's record schema,
and every topic it writes (the dead-letter topic included) with theirs."""

from __future__ import annotations

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


async def test_the_aggregator_serves_its_channels() -> None:
    """The aggregator runs its own consumers; its document is declared, and served like the others'."""
    import json

    from ecowire.core.channels import asyncapi_document, with_asyncapi

    document = asyncapi_document("aggregator", SETTINGS, reads=("facts", "aggregator-bundles"),
                                 writes=("aggregator-bundles", "results", "aggregator-state"))

    async def fallback(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = with_asyncapi(fallback, document)
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    await app({"type": "http", "path": "/asyncapi.json", "method": "GET", "query_string": b"", "headers": []},
              receive, send)
    doc = json.loads(sent[1]["body"])
    actions = {op["channel"]["$ref"].rsplit("/", 1)[1]: op["action"] for op in doc["operations"].values()}
    assert actions["aggregator:doc.facts.v1"] == "receive"
    assert actions["aggregator:doc.results.v1"] == "send"
    assert actions["aggregator:doc.aggregator-bundles.v1:send"] == "send"
    assert "article_id" in json.dumps(_payload(doc, "aggregator:doc.aggregator-bundles.v1"))
