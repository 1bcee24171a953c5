"""A stage's channels for FastStream's AsyncAPI document: the payload schema of the topic it reads
and of each topic it writes, from the one topic declaration (`ecowire_schemas.topics`).

Handlers take raw records and decode them themselves (so that a bad record becomes a dead letter,
not an error inside FastStream), which leaves FastStream nothing to infer a schema from: the
payload annotation says the schema without validating anything.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import TypeAdapter, WithJsonSchema

from ecowire_schemas.topics import TOPICS, TopicSpec

_BY_BASE = {t.base: t for t in TOPICS}


def spec(base: str) -> TopicSpec:
    return _BY_BASE[base]


def json_schema(base: str) -> dict[str, Any]:
    """The topic's record schema with its definitions inlined (AsyncAPI documents nest schemas,
    where a `#/$defs/...` reference would point nowhere)."""
    t = spec(base)
    if t.model is None:
        return {"title": t.base, "description": f"{t.description} (keys: {t.key})"}
    schema = TypeAdapter(t.model).json_schema()
    defs = schema.pop("$defs", {})

    def inline(x: Any) -> Any:
        if isinstance(x, dict):
            if "$ref" in x:
                return inline(defs[x["$ref"].rsplit("/", 1)[1]])
            return {k: inline(v) for k, v in x.items()}
        if isinstance(x, list):
            return [inline(v) for v in x]
        return x

    out: dict[str, Any] = inline(schema)
    out.setdefault("title", t.base)
    if t.base == "dlq":
        out["description"] = ("The original record's bytes, untouched; the dead letter's fields travel as "
                              "dlq-* headers (this schema).")
    return out


def payload(base: str) -> Any:
    """A handler parameter annotation: any value, documented with the topic's schema."""
    return Annotated[Any, WithJsonSchema(json_schema(base))]


def declare_publishers(broker: Any, settings: Any, stage: str, writes: tuple[str, ...],
                       reads: tuple[str, ...] = ()) -> None:
    """A publish channel for each topic a stage writes, the dead-letter topic included (a topic it
    also reads gets a second channel, named `…:send`)."""
    for base in (*writes, "dlq"):
        title = f"{stage}:{settings.topic(base)}" + (":send" if base in reads else "")
        broker.publisher(settings.topic(base), title=title, description=spec(base).description,
                         schema=payload(base))


def documented_handler(base: str, handle: Any) -> Any:
    """`handle` with its body parameter annotated with the topic's schema (the body itself is not
    used: the stage decodes raw records). Set at run time: the module's annotations are strings."""
    handle.__annotations__ = {**handle.__annotations__, "body": payload(base)}
    return handle


def asyncapi_document(stage: str, settings: Any, reads: tuple[str, ...], writes: tuple[str, ...]) -> Any:
    """The AsyncAPI specification of a service that runs its own consumers (the aggregator): its
    channels declared on a FastStream broker that is never connected."""
    from faststream.kafka import KafkaBroker
    from faststream.specification import AsyncAPI

    broker = KafkaBroker(settings.bootstrap_servers)
    for base in reads:
        async def consume(body: Any) -> None:
            """Read by the service's own consumer loop."""

        broker.subscriber(settings.topic(base), title=f"{stage}:{settings.topic(base)}",
                          description=spec(base).description)(documented_handler(base, consume))
    declare_publishers(broker, settings, stage, writes, reads)
    return AsyncAPI(broker, title=f"ecowire-{stage}", schema_version="3.0.0",
                    description=f"The {stage} service's channels: what it reads and what it writes.")


def with_asyncapi(app: Any, document: Any) -> Any:
    """An ASGI app that also serves `document` at /asyncapi (HTML) and /asyncapi.json, as the
    FastStream services do."""
    import json

    from faststream.asgi.factories.asyncapi.docs import make_asyncapi_asgi

    html = make_asyncapi_asgi(document)
    body = json.dumps(document.to_specification().to_jsonable(), ensure_ascii=False).encode("utf-8")

    async def serve(scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "").rstrip("/") if scope["type"] == "http" else ""
        if path == "/asyncapi.json":
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif path == "/asyncapi":
            await html(scope, receive, send)
        else:
            await app(scope, receive, send)

    return serve
