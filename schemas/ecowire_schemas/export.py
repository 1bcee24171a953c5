"""JSON Schema export of every topic model, and the compatibility check against released files.

`python -m ecowire_schemas.export` rewrites `schemas/json/`; the tests fail when the committed
files and the models drift apart, and when a change would break a consumer of a released
version (see `breaking_changes`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .topics import TOPICS

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "json"
# Frozen copies of the schemas as released: a later model may only change compatibly.
RELEASED_DIR = Path(__file__).resolve().parent.parent / "released"


def schema_file(base: str, version: int) -> str:
    return f"{base}.v{version}.schema.json"


def current_schemas() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for spec in TOPICS:
        if spec.model is None:
            continue
        schema = spec.adapter().json_schema(mode="serialization")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://ecowire.dev/schemas/{schema_file(spec.base, spec.version)}"
        schema.setdefault("description", spec.description)
        out[schema_file(spec.base, spec.version)] = schema
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / name for name in current_schemas()]
    for path, schema in zip(written, current_schemas().values(), strict=True):
        path.write_text(render(schema), encoding="utf-8")
    return written


# ---------------------------------------------------------------- compatibility

def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        ref = schema["$ref"]
        assert ref.startswith("#/$defs/"), ref
        schema = root["$defs"][ref.split("/")[-1]]
    return schema


def _type_sig(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """A comparable summary of a property's type: its JSON types, or the referenced definition."""
    if "$ref" in schema:
        return ("ref", schema["$ref"].split("/")[-1])
    if "anyOf" in schema:
        return ("anyOf", tuple(sorted(str(_type_sig(s, root)) for s in schema["anyOf"])))
    if "oneOf" in schema:
        return ("oneOf", tuple(sorted(str(_type_sig(s, root)) for s in schema["oneOf"])))
    if "const" in schema:
        return ("const", json.dumps(schema["const"]))
    if "enum" in schema:
        return ("enum", tuple(sorted(json.dumps(v) for v in schema["enum"])))
    t = schema.get("type")
    if t == "array":
        return ("array", _type_sig(schema.get("items", {}), root))
    return ("type", t if isinstance(t, str) else tuple(sorted(t or [])))


def _objects(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    objs = {k: v for k, v in schema.get("$defs", {}).items() if v.get("type") == "object"}
    if schema.get("type") == "object":
        objs["<root>"] = schema
    return objs


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in `new` would break a consumer (or producer) written against `old`.

    Breaking: an object or property removed, a property's type changed, a property that was
    optional becoming required, a new required property, a value dropped from an enum/union.
    Adding optional properties, new definitions and new enum values a consumer may ignore are
    not flagged here as breaking for reading, except enums (which consumers may switch on).
    """
    problems: list[str] = []
    old_objs, new_objs = _objects(old), _objects(new)
    for name, o in old_objs.items():
        n = new_objs.get(name)
        if n is None:
            problems.append(f"{name}: definition removed")
            continue
        o_props, n_props = o.get("properties", {}), n.get("properties", {})
        o_req, n_req = set(o.get("required", [])), set(n.get("required", []))
        for prop, o_schema in o_props.items():
            if prop not in n_props:
                problems.append(f"{name}.{prop}: removed")
                continue
            if _type_sig(o_schema, old) != _type_sig(n_props[prop], new):
                problems.append(
                    f"{name}.{prop}: type changed {_type_sig(o_schema, old)} -> {_type_sig(n_props[prop], new)}"
                )
        problems.extend(
            f"{name}.{prop}: now required" if prop in o_props else f"{name}.{prop}: new required field"
            for prop in sorted(n_req - o_req)
        )
    o_union = _type_sig(old, old) if ("oneOf" in old or "anyOf" in old) else None
    n_union = _type_sig(new, new) if ("oneOf" in new or "anyOf" in new) else None
    if o_union and n_union and not set(o_union[1]) <= set(n_union[1]):
        problems.append(f"<root>: union members removed: {sorted(set(o_union[1]) - set(n_union[1]))}")
    return problems


def released() -> dict[str, dict[str, dict[str, Any]]]:
    """{release: {file name: schema}} for every frozen release under schemas/released/."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for d in sorted(p for p in RELEASED_DIR.glob("*") if p.is_dir()):
        out[d.name] = {f.name: json.loads(f.read_text("utf-8")) for f in sorted(d.glob("*.schema.json"))}
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--release":
        # Freeze the current schemas as a release (once per release; never rewrite one).
        target = RELEASED_DIR / argv[1]
        if target.exists():
            print(f"release {argv[1]} exists already", file=sys.stderr)
            return 1
        for p in write(target):
            print(p)
        return 0
    if argv and argv[0] == "--check":
        stale = [n for n, s in current_schemas().items()
                 if not (SCHEMA_DIR / n).exists() or (SCHEMA_DIR / n).read_text("utf-8") != render(s)]
        for n in stale:
            print(f"stale: schemas/json/{n}")
        return 1 if stale else 0
    for p in write():
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
