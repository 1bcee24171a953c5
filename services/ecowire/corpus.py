"""The shared corpus of real articles (`../shared/corpus/articles.jsonl`) as pipeline input.

Used by the development gold (`ecowire eval --set dev`), the extractor benchmark (`--corpus`)
and the tests. The texts stay where they are: the project keeps only ids, offsets and short
surfaces. Each record becomes an inline text request with the page's title, date and URL as
publisher metadata, so it runs through the same normalizer and extractor as anything published.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from ecowire_schemas import Article, IngestRequest, SourceMeta

REPO = Path(__file__).resolve().parents[2]
CORPUS_ENV = "ECOWIRE_CORPUS"

# The publishers of the corpus, by host: the `source` a reader of the page would name.
PUBLISHERS = {
    "www.cnemission.com": "广州碳排放权交易所",
    "www.hbets.cn": "湖北碳排放权交易中心",
    "www.mee.gov.cn": "生态环境部",
}


@dataclass(frozen=True, slots=True)
class CorpusRecord:
    doc_id: str
    title: str | None
    url: str | None
    published_at: str | None
    text: str

    @property
    def host(self) -> str:
        return (self.url or "").split("/")[2] if (self.url or "").count("/") >= 2 else ""


def default_path() -> Path:
    """`$ECOWIRE_CORPUS`, else `shared/corpus/articles.jsonl` beside the repository."""
    env = os.environ.get(CORPUS_ENV)
    return Path(env) if env else REPO.parent / "shared" / "corpus" / "articles.jsonl"


def read(path: Path | None = None, ids: Collection[str] | None = None) -> Iterator[CorpusRecord]:
    """Records of the corpus file, in file order; only `ids` when given."""
    p = path or default_path()
    with p.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{p}:{n}: not JSON: {e}") from e
            if ids is None or r["doc_id"] in ids:
                yield CorpusRecord(r["doc_id"], r.get("title"), r.get("url"), r.get("published_at"), r["text"])


def request(rec: CorpusRecord) -> IngestRequest:
    meta = SourceMeta(title=rec.title, published_at=rec.published_at, url=rec.url,
                      source=PUBLISHERS.get(rec.host))
    return IngestRequest(doc_id=rec.doc_id, content=rec.text, content_type="text/plain", metadata=meta)


def articles(rec: CorpusRecord) -> list[Article]:
    """The normalizer's articles of one record (one, for every corpus page seen so far)."""
    from .fetcher.logic import inline_document
    from .normalizer import normalize

    return normalize(inline_document(request(rec)))
