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
