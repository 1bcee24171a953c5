"""A read model of the compacted results topic: the latest value of every result key.

Any aggregator replica (owner of the state or not) and the `ecowire query` command build it by
reading results.v1 from the beginning, so a consumer sees the current aggregates without
replaying the facts.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from ecowire_schemas.common import Contract
from ecowire_schemas.results import Result

_RESULT: TypeAdapter[Any] = TypeAdapter(Result)

# The query endpoints and the fields their filters may name (substring match, case-insensitive).
QUERIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "events": ("event", ("kind", "date", "name", "location", "participants", "organizations")),
    "series": ("series", ("subject", "indicator", "unit")),
    "targets": ("target", ("actor", "indicator", "deadline")),
    "people": ("person", ("name",)),
    "articles": ("article", ("status", "source", "title", "cluster_id", "published_at")),
}


class ResultsView:
    def __init__(self) -> None:
        self.results: dict[str, Contract] = {}
        self.records_read = 0

    def apply(self, key: str, value: bytes | None) -> None:
        """One results-topic record: a value replaces the key's result, a tombstone removes it.
        Raises ValueError (pydantic's ValidationError) for a value that is not a result."""
        self.records_read += 1
        if value is None:
            self.results.pop(key, None)
            return
        self.results[key] = _RESULT.validate_python(json.loads(value))

    def get(self, kind: str, ident: str) -> Contract | None:
        return self.results.get(f"{kind}:{ident}")

    def query(self, endpoint: str, filters: dict[str, str], limit: int | None = None) -> list[Contract]:
        """Results of one endpoint whose fields contain every filter value."""
        if endpoint not in QUERIES:
            raise KeyError(endpoint)
        kind, fields = QUERIES[endpoint]
        unknown = set(filters) - set(fields)
        if unknown:
            raise ValueError(f"unknown filter(s) {sorted(unknown)} for {endpoint}; use {list(fields)}")
        out = [
            v for k, v in sorted(self.results.items())
            if k.startswith(kind + ":") and all(_matches(getattr(v, f, None), n) for f, n in filters.items())
        ]
        return out[:limit] if limit is not None else out

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for k in self.results:
            kind = k.split(":", 1)[0]
            out[kind] = out.get(kind, 0) + 1
        return out


def _matches(value: Any, needle: str) -> bool:
    n = needle.casefold()
    if isinstance(value, list):
        return any(n in str(v).casefold() for v in value)
    return value is not None and n in str(value).casefold()
