"""Files and folders as ingest requests (shared by `ecowire publish`, `extract` and `run`)."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from pathlib import Path

from ecowire_schemas import IngestRequest, SourceMeta

MEDIA_BY_SUFFIX = {".txt": "text/plain", ".md": "text/plain", ".html": "text/html", ".htm": "text/html",
                   ".shtml": "text/html", ".xhtml": "text/html"}


def expand(items: Sequence[str | Path]) -> Iterator[Path]:
    """Files as given; folders as their files, sorted, hidden ones left out."""
    for item in items:
        p = Path(item)
        if p.is_dir():
            yield from sorted(c for c in p.rglob("*") if c.is_file() and not c.name.startswith("."))
        else:
            yield p


def request_for_file(path: Path, meta: SourceMeta | None = None) -> IngestRequest:
    """Inline bytes (any charset: the fetcher detects it); the media type from the suffix if known."""
    return IngestRequest(
        content_b64=base64.b64encode(path.read_bytes()).decode("ascii"),
        content_type=MEDIA_BY_SUFFIX.get(path.suffix.lower()),
        metadata=meta or SourceMeta(),
    )


def ingest_requests(items: Sequence[str], meta: SourceMeta) -> Iterator[IngestRequest]:
    """URLs become fetch requests; files and folders become inline documents."""
    for item in items:
        if item.startswith(("http://", "https://")):
            yield IngestRequest(url=item, metadata=meta)
        else:
            for path in expand([item]):
                yield request_for_file(path, meta)
