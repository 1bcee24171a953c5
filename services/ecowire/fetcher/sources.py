"""Configured sources (RSS/Atom feeds and listing pages) and reading their items.

The sources file (YAML, `ECOWIRE_FETCH_SOURCES_FILE`; example: deploy/sources.example.yaml):

    defaults: {interval: 30m, jitter: 0.1, timezone: "+08:00"}
    sources:
      - name: mee-news                     # [a-z0-9_.-], the key of its state
        kind: feed                         # feed (RSS/Atom) | listing (an HTML page of links)
        url: https://rsshub.example.org/gov/mee/ywdt
        source: 生态环境部                   # metadata.source of its documents
        interval: 15m                      # seconds, or 90s / 15m / 2h / 1d
      - name: cenews-list
        kind: listing
        url: https://www.cenews.com.cn/news.html
        link_pattern: '/news\\.html\\?aid=\\d+'   # which links on the page are articles

Feed dates: a date with an explicit zone (RFC 822 `GMT`/`+0800`, ISO `Z`/`+08:00`) is taken as
written; a naive one (`2024-12-12 16:05:00`, common in feeds of Chinese sites) is in the source's
`timezone` (default +08:00). feedparser's own parsed dates are not used: it reads naive times
as UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser
import lxml.html
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ecowire_schemas.common import stable_id

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$", re.I)
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?$", re.I)
_CN_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2}))?)?"
)
_TAGS = re.compile(r"<[^>]+>")
_DATE_LABEL = re.compile(r"[\s\[\]()（）【】:：|/·-]+")
_SPACE = re.compile(r"\s+")
MIN_INTERVAL_S = 30.0
MAX_PAGES = 20
_NEXT_TEXT = re.compile(r"^\s*(?:下一页|下页|后一页|next(?:\s+page)?|›|»|>)\s*$", re.I)
# Page counts of the paging script TRS and similar CMSs put on gov.cn listings:
# `createPageHTML(34, 0, "index", "shtml")`, `var countPage = 34`.
_JCMS_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_PAGE_COUNT = re.compile(r"createPageHTML\s*\(\s*['\"]?(\d+)|countPage\s*=\s*['\"]?(\d+)")


def parse_duration(value: Any) -> float:
    """Seconds from a number or a string like `90`, `90s`, `15m`, `2h`, `1d`."""
    if isinstance(value, int | float):
        return float(value)
    m = _DURATION.match(str(value))
    if not m:
        raise ValueError(f"not a duration: {value!r} (use seconds or 90s / 15m / 2h / 1d)")
    return float(m.group(1)) * _UNITS[m.group(2).lower() if m.group(2) else None]


def parse_tz(value: str) -> tzinfo:
    """A fixed offset like `+08:00`, `UTC+8`, `-0500`, or `UTC`/`Z`."""
    v = value.strip()
    if v.upper() in ("UTC", "GMT", "Z"):
        return UTC
    m = _OFFSET.match(v)
    if not m:
        raise ValueError(f"not a UTC offset: {value!r} (write e.g. +08:00)")
    sign = -1 if m.group(1) == "-" else 1
    delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0))
    if delta > timedelta(hours=14):
        raise ValueError(f"offset out of range: {value!r}")
    return timezone(sign * delta)


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    kind: Literal["feed", "listing"] = "feed"
    url: str
    source: str | None = Field(default=None, description="metadata.source of the documents")
    interval_s: float = Field(default=1800.0, alias="interval")
    jitter: float = Field(default=0.1, ge=0, le=0.5, description="± share of the interval, randomised")
    timezone: str = "+08:00"
    enabled: bool = True
    backfill: bool = Field(default=True, description="Publish the items present at the first poll")
    inline: Literal["auto", "always", "never"] = Field(
        default="auto", description="Publish an item's own content instead of fetching its link"
    )
    min_inline_chars: int = Field(default=200, ge=0, description="auto: content this long (text) is the article")
    link_pattern: str | None = Field(default=None, description="listing: regex an article link must match")
    same_site: bool = Field(default=True, description="listing: only links on the page's own host")
    max_items: int = Field(default=100, ge=1, description="Items read per feed / per listing page")
    max_pages: int = Field(default=1, ge=1, le=MAX_PAGES,
                           description="listing: pages read per poll (the first and the next ones)")
    page_url: str | None = Field(
        default=None,
        description="listing: the URL of the next pages, relative to `url`: `{n}` is 1 for the second page "
                    "(gov.cn's index_1.shtml), `{page}` its page number (2)",
    )
    next_link: str | None = Field(
        default=None, description="listing: regex the text (or title) of the next-page link matches; "
                                  "default 下一页 / 下页 / next / › / »",
    )
    link_date: str | None = Field(
        default=None,
        description="listing: regex with year, month, day groups finding an item's date in its link "
                    "(e.g. t(\\d{4})(\\d{2})(\\d{2})_), when no date stands next to the link",
    )
    robots: bool = Field(
        default=True,
        description="Obey robots.txt for the source's own URL (false for e.g. your own RSSHub with "
                    "DISALLOW_ROBOT=true); the items' links are always fetched under robots.txt",
    )

    @field_validator("interval_s", mode="before")
    @classmethod
    def _interval(cls, v: Any) -> float:
        s = parse_duration(v)
        if s < MIN_INTERVAL_S:
            raise ValueError(f"interval {v!r} is below the {MIN_INTERVAL_S:g}s minimum")
        return s

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        parse_tz(v)
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if urlsplit(v).scheme not in ("http", "https"):
            raise ValueError(f"source url must be http(s): {v!r}")
        return v

    @model_validator(mode="after")
    def _listing_needs_pattern(self) -> SourceConfig:
        if self.kind == "listing" and not self.link_pattern:
            raise ValueError(f"listing source {self.name!r} needs a link_pattern")
        for pattern in (self.link_pattern, self.next_link, self.link_date):
            if pattern:
                re.compile(pattern)
        if self.link_date and re.compile(self.link_date).groups < 3:
            raise ValueError(f"source {self.name!r}: link_date needs three groups (year, month, day)")
        if self.kind == "feed" and (self.max_pages > 1 or self.page_url or self.next_link):
            raise ValueError(f"feed source {self.name!r}: max_pages / page_url / next_link are for listings")
        if self.page_url and "{n}" not in self.page_url and "{page}" not in self.page_url:
            raise ValueError(f"source {self.name!r}: page_url needs {{n}} or {{page}}")
        return self

    @property
    def tz(self) -> tzinfo:
        return parse_tz(self.timezone)


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: dict[str, Any] = Field(default_factory=dict)
    sources: list[SourceConfig] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _apply_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("sources"), list):
            defaults = data.get("defaults") or {}
            data = {**data, "sources": [{**defaults, **s} if isinstance(s, dict) else s for s in data["sources"]]}
        return data

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesFile:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate source names: {dupes}")
        return self


class SourcesFileError(ValueError):
    pass


def load_sources(path: Path | str, include_disabled: bool = False) -> list[SourceConfig]:
    """The enabled sources of a sources file (all of them with `include_disabled`); raises
    `SourcesFileError` saying what is wrong."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text("utf-8")) or {}
        return [s for s in SourcesFile.model_validate(data).sources if s.enabled or include_disabled]
    except (OSError, yaml.YAMLError, ValidationError) as e:
        raise SourcesFileError(f"sources file {p}: {e}") from e


# --- dates -------------------------------------------------------------------------------------


def parse_feed_date(value: str | None, default_tz: tzinfo) -> datetime | None:
    """A feed's date string as an aware datetime; naive times are in `default_tz`."""
    if not value or not value.strip():
        return None
    s = value.strip()
    dt: datetime | None = None
    try:
        dt = parsedate_to_datetime(s)  # RFC 822 / RFC 2822 (RSS pubDate); naive for "-0000"
    except (TypeError, ValueError, IndexError):
        dt = None
    if dt is None:
        try:
            dt = datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
        except ValueError:
            dt = None
    if dt is None:
        m = _CN_DATE.search(s)
        if not m:
            return None
        y, mo, d, h, mi, sec = (int(g) if g else 0 for g in m.groups())
        try:
            dt = datetime(y, mo, d, h, mi, sec)
        except ValueError:
            return None
        rest = s[m.end():].strip()
        if rest:
            try:
                return dt.replace(tzinfo=parse_tz(rest))
            except ValueError:
                pass  # trailing words, not a zone: the default applies
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    return dt


# --- items -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceItem:
    key: str  # identity within the source: guid, else link, else title + date
    link: str | None
    title: str | None
    published: str | None  # ISO 8601 (date or aware datetime), as SourceMeta.published_at wants
    content_html: str | None  # the item's own content (content:encoded / description), if any


def text_length(html: str) -> int:
    return len(_SPACE.sub("", _TAGS.sub("", html)))


def _entry_date(entry: Any, tz: tzinfo) -> str | None:
    for field_name in ("published", "updated", "created", "dc_date", "date"):
        raw = entry.get(field_name)
        if isinstance(raw, str) and raw.strip():
            dt = parse_feed_date(raw, tz)
            if dt is not None:
                return dt.isoformat()
    return None


def _entry_content(entry: Any) -> str | None:
    best: str | None = None
    for c in entry.get("content") or []:
        value = c.get("value") if isinstance(c, dict) else None
        if value and (best is None or len(value) > len(best)):
            best = value
    summary = entry.get("summary")
    if isinstance(summary, str) and summary.strip() and (best is None or len(summary) > len(best)):
        best = summary
    return best


class FeedError(ValueError):
    pass


def parse_feed(body: bytes, base_url: str, tz: tzinfo, content_type: str | None = None,
               max_items: int = 100) -> tuple[list[SourceItem], str]:
    """Items of an RSS/Atom document (newest first, as feeds list them) and the feed's encoding."""
    headers = {"content-location": base_url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False)
    if not parsed.entries:
        if parsed.bozo:
            raise FeedError(f"not a readable feed: {parsed.get('bozo_exception')!r}")
        if not parsed.get("version") and not parsed.feed:
            raise FeedError("not a feed (no RSS/Atom/RDF root)")
    items: list[SourceItem] = []
    keys: set[str] = set()
    for entry in parsed.entries[:max_items]:
        link = entry.get("link")
        link = urljoin(base_url, link.strip()) if isinstance(link, str) and link.strip() else None
        title = (entry.get("title") or "").strip() or None
        published = _entry_date(entry, tz)
        key = (entry.get("id") or "").strip() or link or f"{title}|{published}"
        if key in keys or key == "None|None":
            continue
        keys.add(key)
        items.append(SourceItem(key, link, title, published, _entry_content(entry)))
    return items, str(parsed.get("encoding") or "utf-8")


def unwrap_records(html: str) -> str:
    """A listing with its JCMS datastore unwrapped: Hanweb JCMS pages (many provincial sites: the
    `/art/2024/12/12/art_1201912_58938.html` links) carry their list items as CDATA records inside
    `<script type="text/xml"><datastore>…`, which an HTML parser reads as script text, not links."""
    records = _JCMS_RECORD.findall(html or "")
    if not records:
        return html
    block = "<div class='ecowire-records'>" + "".join(records) + "</div>"
    at = html.lower().rfind("</body>")
    return html[:at] + block + html[at:] if at >= 0 else html + block


def parse_listing(html: str, base_url: str, source: SourceConfig) -> list[SourceItem]:
    """Article links of a listing page (page order), with the anchor text as title and a date
    found next to the link (in the same list item / row / block), else in the link (`link_date`)."""
    pattern = re.compile(source.link_pattern or ".")
    doc = lxml.html.document_fromstring(unwrap_records(html) or "<html></html>", base_url=base_url)
    host = urlsplit(base_url).hostname
    items: list[SourceItem] = []
    seen: set[str] = set()
    for a in doc.iter("a"):
        href = a.get("href")
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        link = urldefrag(urljoin(base_url, href.strip())).url
        if link in seen or not pattern.search(link) or urlsplit(link).scheme not in ("http", "https"):
            continue
        if source.same_site and urlsplit(link).hostname != host:
            continue
        seen.add(link)
        title = _SPACE.sub(" ", a.text_content()).strip() or (a.get("title") or "").strip() or None
        published = _date_near(a, source.tz) or _date_in_link(link, source.link_date)
        items.append(SourceItem(link, link, title, published, None))
        if len(items) >= source.max_items:
            break
    return items


def _date_match(node: Any) -> re.Match[str] | None:
    """A date in a node: an element holding only a date (`<span>2024-12-12</span>`,
    `[12-25]`, `发布时间：2024年12月12日`) first, so that a date in an item's summary
    ("2024年12月1日，生态环境部…") does not pass for the item's own; else the first in its text."""
    for el in node.iter():
        if not isinstance(el.tag, str):
            continue  # comments, processing instructions
        text = (el.text_content() or "").strip()
        if len(text) > 40:
            continue
        m = _CN_DATE.search(text)
        if m and len(_DATE_LABEL.sub("", text[:m.start()] + text[m.end():])) <= 6:
            return m
    return _CN_DATE.search(node.text_content() or "")


def _date_near(anchor: Any, tz: tzinfo) -> str | None:
    node = anchor
    for _ in range(3):  # the link, its list item / cell, its row
        m = _date_match(node)
        if m:
            y, mo, d, h, mi, sec = (int(g) if g else 0 for g in m.groups())
            try:
                if m.group(4):
                    return datetime(y, mo, d, h, mi, sec, tzinfo=tz).isoformat()
                return datetime(y, mo, d).date().isoformat()
            except ValueError:
                return None
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html"):
            return None
        if len(parent.findall(".//a")) > 1 and parent.tag not in ("li", "tr", "dd", "dt"):
            return None  # a block holding several links: its date may belong to another one
        node = parent
    return None


def _date_in_link(link: str, pattern: str | None) -> str | None:
    """The date a link carries (`/202412/t20241212_1097979.shtml`), by the source's `link_date`."""
    if not pattern:
        return None
    m = re.search(pattern, link)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except (ValueError, TypeError):
        return None


def page_count(html: str) -> int | None:
    """The number of pages a listing's paging script declares, if it declares one."""
    m = _PAGE_COUNT.search(html or "")
    return int(m.group(1) or m.group(2)) if m else None


def next_page_url(html: str, page_url: str, source: SourceConfig, page: int) -> str | None:
    """The URL of the page after page `page` (1 = the source's own URL), or None: the bound
    (`max_pages`) is reached, the page's paging script says it was the last, or it has no next link.

    With `page_url` the next page's URL is built from the template (gov.cn listings draw their
    paging links with JavaScript, so there is no link to follow); otherwise the link whose text (or
    title) matches `next_link` (default 下一页 / 下页 / next / › / ») on the same host is followed.
    """
    if page >= source.max_pages:
        return None
    total = page_count(html)
    if total is not None and page >= total:
        return None
    if source.page_url:
        rel = source.page_url.replace("{n}", str(page)).replace("{page}", str(page + 1))
        return urljoin(source.url, rel)
    pattern = re.compile(source.next_link) if source.next_link else _NEXT_TEXT
    doc = lxml.html.document_fromstring(html or "<html></html>", base_url=page_url)
    host = urlsplit(page_url).hostname
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        text = _SPACE.sub(" ", a.text_content()).strip()
        if not (pattern.search(text) or pattern.search((a.get("title") or "").strip())):
            continue
        link = urldefrag(urljoin(page_url, href)).url
        parts = urlsplit(link)
        if parts.scheme in ("http", "https") and parts.hostname == host and link != page_url:
            return link
    return None


def item_doc_id(source: str, item: SourceItem) -> str:
    """The same id the item's URL would get as an ingest request, so both paths dedup."""
    if item.link:
        return "u-" + stable_id("url", item.link.strip())
    return "f-" + stable_id(source, item.key)
