"""HTML pages: main text with trafilatura, located back in the raw HTML, plus what the page says
about itself (meta tags, <h1>, <title> without the site suffix, the `发布时间：… 来源：…` line).

trafilatura's own date guess is not used: it is wrong for `发布时间：2024年12月12日` pages.
"""

from __future__ import annotations

import html as htmllib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import trafilatura

from ecowire_schemas import RawDocument

from . import dates, fields
from .layout import is_body_like
from .mapped import WS_CODES, WS_RUN, Mapped

log = logging.getLogger(__name__)

_TOKEN = re.compile(
    r"<!--.*?-->|<(script|style|noscript|template|svg|head|select|button)\b[^>]*>.*?</\1\s*>"
    r"|<!\[CDATA\[.*?\]\]>|<[!?/]?[a-zA-Z][^>]*>|&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});",
    re.S | re.I,
)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z0-9]+)")
_BLOCK = frozenset({
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "table",
    "section", "article", "header", "footer", "nav", "aside", "blockquote", "pre", "hr", "dd", "dt", "dl",
    "figure", "figcaption", "form", "title", "main", "center",
})
_HTML_START = re.compile(r"^\s*(?:<!doctype\s+html|<html|<head|<body|<\?xml|<!--)", re.I)
_DATE_META = (
    "pubdate", "publishdate", "publish_date", "publishtime", "article:published_time",
    "og:article:published_time", "datepublished", "dc.date.issued", "dc.date", "firstpublishedtime",
    "og:release_date", "date", "created",
)
_SOURCE_META = ("contentsource", "source", "article:source", "og:article:source")
_SITE_META = ("sitename", "og:site_name", "site_name", "application-name")
_NEWLINE = re.compile(r"\n")
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@dataclass
class HtmlDoc:
    body: Mapped  # main text, one paragraph per line, mapped into raw.text
    visible: Mapped | None = None  # the whole page's visible lines (for listing pages)
    title: str | None = None
    title_pos: int | None = None  # where the title text starts in raw.text, if found verbatim
    title_source: str | None = None
    date: str | None = None
    date_source: str | None = None
    source: str | None = None
    site: str | None = None
    byline: str | None = None
    url: str | None = None
    flags: set[str] = field(default_factory=set)


def is_html(raw: RawDocument) -> bool:
    ct = raw.content_type.lower()
    if "html" in ct or "xml" in ct:
        return True
    return bool(_HTML_START.match(raw.text[:2000]))


def visible_text(src: str) -> Mapped:
    """The page's visible text with positions into `src`; block tags become line breaks, entities
    are decoded (as inserted characters: they are not 1:1 with the source)."""
    texts: list[str] = []
    pos: list[int] = []
    last = 0
    for m in _TOKEN.finditer(src):
        if m.start() > last:
            texts.append(src[last : m.start()])
            pos.extend(range(last, m.start()))
        tok = m.group(0)
        if tok.startswith("&"):
            ch = htmllib.unescape(tok)
            if ch == "\xa0":
                ch = " "
            texts.append(ch)
            pos.extend([-1] * len(ch))
        elif tok.startswith("<") and not tok.startswith("<!"):
            name = _TAG_NAME.match(tok)
            if name and name.group(1).lower() in _BLOCK:
                texts.append("\n")
                pos.append(-1)
        last = m.end()
    texts.append(src[last:])
    pos.extend(range(last, len(src)))
    return Mapped.from_lists(texts, pos)


class _Locator:
    """Finds extracted paragraphs in the visible text, ignoring whitespace differences."""

    def __init__(self, vis: Mapped) -> None:
        self.vis = vis
        cps = np.frombuffer(vis.text.encode("utf-32-le"), dtype=np.uint32)
        self.idx = np.flatnonzero(~np.isin(cps, WS_CODES))
        self.squashed = WS_RUN.sub("", vis.text)
        self.cursor = 0

    def find(self, piece: str) -> Mapped | None:
        key = WS_RUN.sub("", piece)
        if not key:
            return None
        k = self.squashed.find(key, self.cursor)
        if k < 0:
            k = self.squashed.find(key)
            if k < 0:
                return None
        else:
            self.cursor = k + len(key)
        a, b = int(self.idx[k]), int(self.idx[k + len(key) - 1]) + 1
        return _tidy_spaces(self.vis[a:b])


def _tidy_spaces(m: Mapped) -> Mapped:
    """Whitespace runs inside a located paragraph: a line break where the page had a block
    boundary, gone where a source line wraps between CJK characters, else one space (kept if it
    is a plain space of the source, else inserted)."""
    t = m.text
    pieces: list[Mapped] = []
    last = 0
    for run in WS_RUN.finditer(t):
        i, j = run.span()
        pieces.append(m[last:i])
        last = j
        left, right = t[i - 1] if i else "", t[j] if j < len(t) else ""
        if not left or not right:
            continue
        if any(t[k] == "\n" and m.pos[k] < 0 for k in range(i, j)):
            # A block boundary of the page (<p>, <br>, <div>): keep it as a line break, even when
            # the extractor flattened the paragraphs into one.
            pieces.append(Mapped.inserted("\n"))
        elif "\n" in run.group(0) and _CJK.match(left) and _CJK.match(right):
            continue
        elif run.group(0) == " " and m.pos[i] >= 0:
            pieces.append(m[i:j])
        else:
            pieces.append(Mapped.inserted(" "))
    pieces.append(m[last:])
    return Mapped.join("", pieces)


def _metas(tree: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in tree.iter("meta"):
        key = (m.get("name") or m.get("property") or m.get("itemprop") or "").strip().lower()
        content = (m.get("content") or "").strip()
        if key and content and key not in out:
            out[key] = content
    return out


def _text_of(tree: Any, tag: str) -> str | None:
    for el in tree.iter(tag):
        t = " ".join("".join(el.itertext()).split())
        if 4 <= len(t) <= 120:
            return t
    return None


def extract(raw: RawDocument) -> HtmlDoc:
    src = raw.text
    tree = trafilatura.load_html(src)
    metas = _metas(tree) if tree is not None else {}
    h1 = _text_of(tree, "h1") if tree is not None else None
    page_title = _text_of(tree, "title") if tree is not None else None
    site = next((metas[k] for k in _SITE_META if k in metas), None)

    url = raw.metadata.url or (raw.fetch.final_url if raw.fetch else None)
    if not url and tree is not None:
        for link in tree.iter("link"):
            if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
                url = link.get("href")
                break
        url = url or metas.get("og:url")

    doc = HtmlDoc(body=Mapped.inserted(""), url=url, site=site)
    # Title: the CMS field, then og:title, <h1>, <title> without its site suffix.
    for cand, how in ((metas.get("articletitle"), "meta"), (metas.get("og:title"), "meta"),
                      (h1, "h1"), (page_title, "title")):
        if cand:
            doc.title = fields.strip_site_suffix(cand, site) if how != "h1" else cand
            doc.title_source = how
            break
    if doc.title:
        p = src.find(doc.title)
        doc.title_pos = p if p >= 0 else None

    for k in _DATE_META:
        if k in metas and (d := dates.normalize_iso(metas[k])):
            doc.date, doc.date_source = d, "meta"
            break
    doc.source = next((metas[k] for k in _SOURCE_META if k in metas and len(metas[k]) <= 30), None)
    author = metas.get("author")
    if author and 2 <= len(author) <= 20 and not author.startswith("http"):
        doc.byline = author

    vis = visible_text(src)
    text = _main_text(tree, url)
    loc = _Locator(vis)
    lines: list[Mapped] = []
    # Lines of the page: block boundaries only (a newline in the HTML source is just a space).
    vis_lines = [ln for ln in (x.strip() for x in _tidy_spaces(vis).split(_NEWLINE)) if ln.text]
    doc.visible = Mapped.join("\n", vis_lines)
    if text is None:
        # No main text found: keep the visible lines from the first to the last paragraph-like
        # one (menus above and link lists below are not the article).
        doc.flags.add("no_main_text")
        paras = [i for i, ln in enumerate(vis_lines) if is_body_like(ln.text)]
        lines = vis_lines[paras[0] : paras[-1] + 1] if paras else []
    else:
        for para in text.splitlines():
            if not para.strip():
                continue
            found = loc.find(para)
            if found is None:
                found = _locate_pieces(loc, para)
                if found is None:
                    doc.flags.add("offsets_partial")
                    found = Mapped.inserted(" ".join(para.split()))
            lines.append(found)
    doc.body = Mapped.join("\n", [ln for ln in lines if ln.text])
    _header_fields(doc, vis, lines)
    if doc.date is None and (d := dates.url_date(url)):
        doc.date, doc.date_source = d, "url"
    return doc


def _main_text(tree: Any, url: str | None) -> str | None:
    if tree is None:
        return None
    res = trafilatura.bare_extraction(
        tree, url=url, fast=True, include_comments=False, include_tables=True, include_images=False,
        with_metadata=False, deduplicate=False,
    )
    if res is None:
        return None
    text = res.get("text") if isinstance(res, dict) else getattr(res, "text", None)
    return text or None


def _locate_pieces(loc: _Locator, para: str) -> Mapped | None:
    """A paragraph trafilatura rewrote (table cells joined with `|`): locate its pieces."""
    pieces = [p for p in re.split(r"\s*\|\s*|\s{2,}", para) if p.strip()]
    found = [loc.find(p) for p in pieces]
    if len(pieces) < 2 or any(f is None for f in found):
        return None
    return Mapped.join(" ", [f for f in found if f is not None])


def _header_fields(doc: HtmlDoc, vis: Mapped, lines: list[Mapped]) -> None:
    """The `发布时间：… 来源：… 作者：…` line: between the title and the main text."""
    first = next(
        (ln.pos[0] for ln in lines if len(ln.pos) and ln.pos[0] >= 0 and is_body_like(ln.text)),
        next((ln.pos[0] for ln in lines if len(ln.pos) and ln.pos[0] >= 0), None),
    )
    if first is None:
        return
    after = np.flatnonzero(vis.pos >= first)
    end = int(after[0]) if len(after) else len(vis.pos)
    region = vis.text[max(0, end - 800) : end]
    for line in reversed(region.splitlines()):
        t = " ".join(line.split())
        if not t:
            continue
        info = fields.info_line(t)
        src = fields.source_line(t)
        by = fields.byline_line(t)
        if info is not None:
            if info.date and doc.date is None:
                doc.date, doc.date_source = info.date, "text"
            doc.source = doc.source or info.source
            doc.byline = doc.byline or info.byline
        elif (d := dates.labelled_date(t)) and doc.date is None:
            doc.date, doc.date_source = d, "text"
        if src:
            doc.source = doc.source or src
        if by:
            doc.byline = doc.byline or by
