"""Articles for extractor tests, built the way the normalizer builds them (title, blank line, body)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import opencc

from ecowire_schemas import Article

SEEDS = Path(__file__).resolve().parents[3] / "seeds"
_T2S = opencc.OpenCC("t2s")


def make_article(body: str, title: str = "标题", published_at: str | None = "2024-11-22",
                 article_id: str = "a1") -> Article:
    text = f"{title}\n\n{body}"
    return Article(article_id=article_id, doc_id="d1", index=0, title=title, text=text,
                   body_start=len(title) + 2, published_at=published_at, content_hash="h",
                   ingested_at=datetime(2024, 11, 22, tzinfo=UTC))


def seed_article(stem: str, published_at: str | None) -> Article:
    """A seed file as one article (title = first non-empty line), Traditional folded to Simplified."""
    raw = _T2S.convert((SEEDS / f"{stem}.txt").read_text("utf-8"))
    lines = [ln.strip() for ln in raw.splitlines()]
    title = next(ln for ln in lines if ln)
    body = raw[raw.index(title) + len(title):].strip()
    return make_article(body, title=title, published_at=published_at, article_id=stem)


def by_type(facts: list, fact_type: str) -> list:
    return [f for f in facts if f.type == fact_type]
