"""normalize(raw) → articles: the stage's one entry point, plain data in and out."""

from __future__ import annotations

import logging
from functools import lru_cache

from ecowire_schemas import Article, RawDocument, stable_id

from ..core.budget import MAX_ARTICLE_CHARS
from . import checks, dates, fields
from .config import NormalizerConfig
from .errors import NormalizeError
from .fingerprint import content_hash, minhash
from .fold import Script, detect_script, fold, fold_chars
from .html import HtmlDoc, extract, is_html
from .items import Item, Parts, parse_item, split_items
from .layout import classify, is_body_like, split_lines
from .mapped import Mapped

log = logging.getLogger(__name__)

_SCRIPT_SAMPLE = 20_000
_SHORT_BODY = 50


@lru_cache(maxsize=1)
def _default_config() -> NormalizerConfig:
    return NormalizerConfig.from_env()


def normalize(raw: RawDocument, config: NormalizerConfig | None = None) -> list[Article]:
    """One raw document → its clean articles (a listing page gives one per item).

    Raises NormalizeError (→ dead letter) for empty, binary, oversized, hopelessly garbled or
    navigation-only input.
    """
    cfg = config or _default_config()
    garbled = checks.check(raw.text, cfg)
    doc_flags: set[str] = {"mojibake"} if garbled else set()

    page: HtmlDoc | None = None
    if is_html(raw):
        page = extract(raw)
        doc_flags |= page.flags - {"no_main_text"}
        body = page.body
    else:
        body = Mapped.of(raw.text)
    if not body.text.strip():
        raise NormalizeError("no_text", "no main text found")

    sample = raw.text[:_SCRIPT_SAMPLE] if page is None else body.text[:_SCRIPT_SAMPLE]
    script = detect_script(sample, fold_chars(sample))
    items = _listing_page(page) if page is not None else None
    if items is None:
        lines = split_lines(fold(body))
        classify(lines)
        items = split_items(lines)
    listing = len(items) > 1

    meta = raw.metadata
    known_title = None
    if not listing:
        known_title = meta.title or (page.title if page else None)
    articles: list[Article] = []
    for item in items:
        if not _has_content(item):
            continue
        parts = parse_item(item, fold_chars(known_title) if known_title else None)
        if not parts.paragraphs:
            continue
        art = _article(raw, len(articles), parts, page, listing, script, doc_flags, item, cfg, known_title)
        if len(art.text) > MAX_ARTICLE_CHARS:
            raise NormalizeError("too_large", f"an article of {len(art.text)} characters, over the "
                                              f"{MAX_ARTICLE_CHARS}-character cap (core/budget.py)")
        articles.append(art)
    if not articles:
        raise NormalizeError("navigation_only", "no article text: only links, menus and short lines")
    return articles


def _listing_page(page: HtmlDoc) -> list[Item] | None:
    """A listing page's items from its whole visible text: trafilatura keeps one "main" block and
    drops the other entries' headlines and dates."""
    if page.visible is None:
        return None
    lines = split_lines(fold(page.visible))
    classify(lines)
    items = split_items(lines, strict=True)
    return items if len(items) > 1 else None


def _has_content(item: Item) -> bool:
    return any(ln.kind == "text" and is_body_like(ln.text) for ln in item.lines)


def _article(
    raw: RawDocument, index: int, parts: Parts, page: HtmlDoc | None, listing: bool, script: Script,
    doc_flags: set[str], item: Item, cfg: NormalizerConfig, known_title: str | None,
) -> Article:
    meta = raw.metadata
    flags = set(doc_flags) | parts.flags
    source = parts.source

    # Title: a line of the text (cleaned of column prefix / media suffix), else the publisher's or
    # the page's title.
    title_m: Mapped | None = None
    if parts.title is not None:
        ct = fields.clean_title(parts.title.text)
        title_m = parts.title[ct.start : ct.start + len(ct.text)]
        source = source or ct.source
    elif known_title:
        title_m = _title_mapped(known_title, raw.text, page)
    if title_m is not None and not title_m.text:
        title_m = None

    # Date: the publisher's word wins, then the listing, the page's meta, the text, the URL.
    date, date_src = None, None
    candidates: list[tuple[str | None, str]] = []
    if not listing:
        candidates.append((dates.normalize_iso(meta.published_at), "publisher"))
    candidates.append((item.date, "listing"))
    if page is not None and not listing:
        candidates.append((page.date, page.date_source or "meta"))
    candidates.append((parts.date, parts.date_source or "text"))
    if not listing:
        candidates.append((dates.url_date(meta.url), "url"))
    for value, how in candidates:
        if value:
            date, date_src = value, how
            break
    if date is None:
        flags.add("no_date")
        date_src = "none:year_unknown" if parts.year_unknown else "none:no_date_found"

    if listing:
        source = source or meta.source or (page.source if page else None)
    else:
        source = meta.source or source or (page.source if page else None) or (page.site if page else None)
    byline = parts.byline or (page.byline if page is not None and not listing else None)

    body = Mapped.join("\n\n", parts.paragraphs)
    if title_m is not None:
        text_m = title_m + Mapped.inserted("\n\n") + body
        body_start = len(title_m) + 2
    else:
        flags.add("no_title")
        text_m = body
        body_start = 0
    if listing:
        flags.add("listing_item")
    if len(body.text) < _SHORT_BODY:
        flags.add("short_text")
    chash = content_hash(body.text)
    return Article(
        article_id=stable_id(raw.doc_id, index, chash),
        doc_id=raw.doc_id,
        index=index,
        title=title_m.text if title_m is not None else None,
        text=text_m.text,
        body_start=body_start,
        published_at=date,
        published_at_source=date_src,
        source=source,
        byline=byline,
        url=meta.url or (page.url if page else None),
        language="zh-Hans",
        original_script=script,
        content_hash=chash,
        minhash=minhash(body.text, cfg.num_perm, cfg.shingle, cfg.minhash_seed),
        offsets=text_m.segments(),
        flags=sorted(flags),
        ingested_at=raw.ingested_at,
    )


def _title_mapped(title: str, raw_text: str, page: HtmlDoc | None) -> Mapped:
    """The known title, mapped to the raw text where it occurs verbatim."""
    t = " ".join(title.split())
    pos = page.title_pos if page is not None and page.title == title else raw_text.find(t)
    if pos is not None and pos >= 0 and raw_text[pos : pos + len(t)] == t:
        return fold(Mapped.of(t, pos))
    return Mapped.inserted(fold_chars(t))
