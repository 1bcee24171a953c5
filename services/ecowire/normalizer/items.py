"""One document → its articles: listing pages split into items, then each item's header (title,
date, source, byline) separated from its body paragraphs.

Two listing shapes are recognised, both from markers that only listing pages carry:
- marked listings (a ministry news list): items closed by `详情` / `Read More` and/or a date line;
- flattened blog pages: `0 Comment` / `Read More` markers and posts that are a title line followed
  by one long line holding the whole post.
Anything else is one article: a magazine feature's subheadings never split it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import dates, fields
from .layout import Line, ends_sentence, is_body_like, is_title_like, paragraphs
from .mapped import Mapped

_DROP = frozenset({"comment", "more", "footer", "caption"})
_META = frozenset({"date", "source", "info", "byline"})
# A flattened post: the whole post on one line.
MIN_FLAT_POST = 200
# Marked listing items carry a short excerpt or summary, at most this many text lines.
MAX_ITEM_LINES = 3
# Header lines this short beside a headline are menu entries.
MAX_NAV_WORD = 6
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Item:
    lines: list[Line]
    listing: bool = False
    date: str | None = None  # the listing's date for this item


@dataclass
class Parts:
    title: Mapped | None
    title_source: str | None  # "text" when the title line came from the text
    paragraphs: list[Mapped]
    date: str | None = None
    date_source: str | None = None
    source: str | None = None
    byline: str | None = None
    year_unknown: bool = False  # a dateline gave month and day only
    flags: set[str] = field(default_factory=set)


def split_items(lines: list[Line], strict: bool = False) -> list[Item]:
    """The document's items (one item: not a listing). `strict`: every item holding text must look
    like a listing entry (used on a whole HTML page, where a single article may have a sidebar of
    related-post excerpts)."""
    kinds = [ln.kind for ln in lines]
    n_more = kinds.count("more")
    n_marks = n_more + kinds.count("comment") + sum(ln.excerpt for ln in lines)
    if n_more >= 2 or kinds.count("date") >= 3:
        items = _split_marked(lines, strict)
        if items:
            return items
    if n_marks >= 1:
        items = _split_flat_posts(lines)
        if items:
            return items
    return [Item(lines)]


def _split_marked(lines: list[Line], strict: bool = False) -> list[Item] | None:
    """Items start at a title line after a `详情`/date line; a date line goes to the item before it
    unless that one is dated already (then it waits for the next: date-first layouts)."""
    items: list[Item] = []
    cur: Item | None = None
    pending: str | None = None
    prev_kind = "more"  # the start counts as a boundary
    for ln in lines:
        if ln.kind == "date":
            if cur is not None and cur.date is None:
                cur.date = ln.date
            else:
                pending = ln.date
            prev_kind = "date"
            continue
        if ln.kind == "text" and prev_kind in ("more", "date") and is_title_like(ln.text):
            cur = Item([ln], listing=True, date=pending)
            pending = None
            items.append(cur)
        elif cur is not None:
            cur.lines.append(ln)
        else:
            cur = Item([ln], listing=True)
            items.append(cur)
        if ln.kind != "footer":
            prev_kind = ln.kind
    real = [it for it in items if _item_ok(it)]
    if len(real) < 2:
        return None
    if strict and any(not _item_ok(it) and any(ln.kind == "text" and is_body_like(ln.text) for ln in it.lines)
                      for it in items):
        return None
    return items


def _item_ok(it: Item) -> bool:
    texts = [ln for ln in it.lines if ln.kind == "text"]
    return 2 <= len(texts) <= MAX_ITEM_LINES + 1 and any(is_body_like(ln.text) for ln in texts)


def _split_flat_posts(lines: list[Line]) -> list[Item] | None:
    """Every text line is either page preamble (before the first post), a post title, or the one
    long line holding that post; anything else means this is not a page of flattened posts."""
    texts = [i for i, ln in enumerate(lines) if ln.kind == "text"]
    starts: list[int] = []
    k = 0
    while k < len(texts):
        ln = lines[texts[k]]
        nxt = lines[texts[k + 1]] if k + 1 < len(texts) else None
        if is_title_like(ln.text) and nxt is not None and len(nxt.text) >= MIN_FLAT_POST:
            starts.append(texts[k])
            k += 2
        elif not starts and is_title_like(ln.text):
            k += 1
        elif len(starts) >= 2 and sum(len(lines[i].text) for i in texts[k:]) < MIN_FLAT_POST:
            break  # a short tail after the last post (a note, a credit) stays with that post
        else:
            return None
    if len(starts) < 2:
        return None
    ends = [*starts[1:], len(lines)]
    return [Item(lines[s:e], listing=True) for s, e in zip(starts, ends, strict=True)]


def parse_item(item: Item, known_title: str | None = None) -> Parts:
    """Header fields and body paragraphs of one item. `known_title` (from HTML metadata or the
    publisher) removes a repeated title line instead of taking the first line as title."""
    lines = [ln for ln in item.lines if ln.kind not in _DROP]
    flags: set[str] = set()
    if any(ln.kind in _DROP for ln in item.lines):
        flags.add("debris_removed")

    first_body = next(
        (i for i, ln in enumerate(lines) if ln.kind == "text" and is_body_like(ln.text)), len(lines)
    )
    header, body = lines[:first_body], lines[first_body:]
    date = source = byline = None
    head_texts: list[Line] = []
    for ln in header:
        if ln.kind in ("date", "info"):
            date = date or ln.date
            source = source or ln.source
            byline = byline or ln.byline
        elif ln.kind == "source":
            source = source or ln.source
        elif ln.kind == "byline":
            byline = byline or ln.byline
        else:
            head_texts.append(ln)

    # Above the first paragraph, a line of a few characters next to a headline is navigation
    # (`首页`, `新闻`), not article text.
    # So is a short line without a single Han character (`2024 12/12`, `15:30:12`).
    if len(head_texts) > 1 or known_title is not None:
        keep = [ln for ln in head_texts if not _nav_crumb(ln.text)]
        if len(keep) < len(head_texts):
            flags.add("preamble_removed")
            head_texts = keep

    title: Mapped | None = None
    title_source: str | None = None
    if known_title is not None:
        kept = [ln for ln in head_texts if not _same_title(ln.text, known_title)]
        if len(kept) < len(head_texts):
            flags.add("title_line_removed")
        body = kept + body
    elif head_texts and item.listing:
        t = head_texts[-1]  # the line right above the excerpt; earlier ones are page preamble
        if len(head_texts) > 1:
            flags.add("preamble_removed")
        title, title_source = t.m, "text"
    elif head_texts and is_title_like(head_texts[0].text):
        title, title_source = head_texts[0].m, "text"
        body = head_texts[1:] + body
    else:
        body = head_texts + body

    # Closing lines: `(吴洁 黄沁)`, `来源：新华社`, an info line.
    while body:
        last = body[-1]
        if last.kind == "text" and (cb := fields.closing_byline(last.text)):
            byline = byline or cb
        elif last.kind in ("source", "info") or (last.kind == "byline" and len(body) > 1):
            source = source or last.source
            byline = byline or last.byline
        else:
            break
        body = body[:-1]

    paras, pflags = paragraphs(body)
    flags |= pflags
    # An excerpt: cut with `……`, or a `详情`/`Read More` link right after an unfinished sentence.
    linked = any(ln.kind == "more" or "more" in ln.flags for ln in item.lines)
    cut = bool(paras) and (not ends_sentence(paras[-1].text) or paras[-1].text.endswith(("…", "...")))
    if any(ln.excerpt for ln in item.lines) or (linked and cut):
        flags.add("excerpt")
    parts = Parts(title, title_source, paras, date, "text" if date else None, source, byline, flags=flags)
    if paras and (date is None or source is None or byline is None):
        lead = next((p.text for p in paras[:3] if is_body_like(p.text)), paras[0].text)
        _from_lead(parts, lead, " ".join(ln.text for ln in item.lines))
    return parts


def _from_lead(parts: Parts, lead: str, context: str) -> None:
    src, by, md = fields.lead_fields(lead)
    parts.source = parts.source or src
    parts.byline = parts.byline or by
    if parts.date is None and md is not None:
        dt = dates.resolve_year(md, dates.full_dates(context))
        if dt is not None:
            parts.date, parts.date_source = dt.isoformat(), "dateline"
        else:
            parts.year_unknown = True


def _nav_crumb(text: str) -> bool:
    return len(text) <= MAX_NAV_WORD or (len(text) <= 30 and not _HAN.search(text))


def _squash(s: str) -> str:
    return "".join(s.split())


def _same_title(line: str, title: str) -> bool:
    """The page's title line, allowing a site suffix or column prefix on either side."""
    a, b = _squash(line), _squash(title)
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 6 and short in long_ and len(short) >= 0.6 * len(long_)
