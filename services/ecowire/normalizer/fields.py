"""Article fields written in the text itself: source lines (`来源:深圳晚报`), bylines (`◆申生`,
`记者 章轲`, a closing `(吴洁 黄沁)`), info lines (`发布时间：… 来源：… 作者：…`), news leads
(`【谷腾环保网讯】`, `新华社北京12月12日电`), and title clean-up (site suffixes, column prefixes)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import dates

_NAME = r"[\u4e00-\u9fff·]{2,4}"
_NAMES = rf"{_NAME}(?:[\s、,，]+{_NAME})*"

_SOURCE_LINE = re.compile(
    r"^[(（]?\s*(?:本文来源|来源|文章来源|稿件来源|信息来源|新闻来源|稿源|出处|来源于)\s*[:：]\s*"
    r"(?P<s>[^\s【\[|丨)）]{2,30})\s*[)）]?\s*$"
)
_SOURCE_FIELD = re.compile(
    r"(?<!图片)(?<!照片)(?:来源|文章来源|稿件来源|信息来源|稿源)\s*[:：]\s*(?P<s>[^\s【\[|丨：:)）]{2,30})"
)
_AUTHOR_FIELD = re.compile(rf"(?:作者|记者|撰稿|撰文|文\s*[/|丨])\s*[:：]?\s*(?P<n>{_NAMES})(?=\s|$|[|丨【])")
_INFO_LABELS = re.compile(
    r"发布时间|发布日期|发表时间|时间\s*[:：]|日期\s*[:：]|来源\s*[:：]|作者\s*[:：]|记者|编辑\s*[:：]"
    r"|浏览|字体|字号|点击"
)
_WECHAT_HEAD = re.compile(
    r"^原创\s+(?:(?P<author>\S{1,12})\s+)?(?P<account>\S{2,20})\s+(?:19|20)\d{2}年\d{1,2}月\d{1,2}日"
)
_INFO_GLUE = re.compile(
    r"发布时间|发布日期|发表时间|时间|日期|浏览次数|浏览|点击|字体|字号|编辑|[:：【】\[\]()（）|丨大中小]"
)
_BYLINE = re.compile(
    rf"^(?:[◆◇●■▲★☆▌|]\s*(?P<a>{_NAMES})"
    rf"|(?:作者|文|撰文|本报记者|记者|通讯员|本刊记者)\s*[:：/|丨]?\s*(?P<b>{_NAMES})"
    rf"|文\s*[/|丨]\s*(?P<c>{_NAMES}))$"
)
_CLOSING_BYLINE = re.compile(rf"^[(（]\s*(?:(?:本报)?记者\s*)?(?P<n>{_NAMES})\s*[)）]$")
_LEAD_BYLINE = re.compile(rf"[(（]\s*(?:新华社|本报|中新网)?记者\s*(?P<n>{_NAMES})\s*[)）]")
_LEAD_SOURCE = re.compile(
    r"^\s*[【\[]\s*(?P<a>[^】\]]{2,16}?)讯\s*[】\]]"
    r"|^\s*(?P<b>[\u4e00-\u9fff]{2,8}?(?:社|网|报|台))[\u4e00-\u9fff]{0,6}\d{1,2}月\d{1,2}日电"
)
_MEDIA = r"[\u4e00-\u9fff]{2,10}(?:社|报|网|台|新闻|日报|杂志|频道)"
_TITLE_MEDIA_SUFFIX = re.compile(rf"\s*[(（](?P<s>{_MEDIA})[)）]\s*$")
_COLUMN_PREFIX = re.compile(r"^(?:【(?P<a>[^】]{2,16})】|(?P<b>[^|｜丨]{2,8})\s*[|｜丨]\s*)(?=\S)")
_SITE_SUFFIX = re.compile(r"^(?P<head>.{6,}?)\s*(?:[_|｜丨]|\s[-–—]\s|--)\s*(?P<tail>[^_|｜丨]{2,24})$")
# `标题-新华网`: a bare dash only when the tail looks like a site or body name.
_SITE_DASH = re.compile(
    r"^(?P<head>.{6,}?)[-–—](?P<tail>[^-–—]{2,16}(?:网|报|局|部|委|厅|办|政府|中心|频道|新闻|门户|在线|论坛|官网))$"
)


@dataclass(frozen=True)
class Info:
    date: str | None = None
    source: str | None = None
    byline: str | None = None


_ROLES = frozenset({"记者", "通讯员", "实习生", "摄影", "编辑", "本报记者", "特约记者", "见习记者"})


def _names(s: str) -> str:
    return " ".join(n for n in re.split(r"[\s、,，]+", s.strip()) if n and n not in _ROLES)


def source_line(text: str) -> str | None:
    m = _SOURCE_LINE.match(text)
    return m["s"] if m else None


def byline_line(text: str) -> str | None:
    m = _BYLINE.match(text)
    if not m:
        return None
    return _names(m["a"] or m["b"] or m["c"])


def closing_byline(text: str) -> str | None:
    """`(吴洁 黄沁)` closing a newspaper article."""
    m = _CLOSING_BYLINE.match(text)
    return _names(m["n"]) if m else None


def info_line(text: str) -> Info | None:
    """A short line of labelled fields (`发布时间：2024-12-12 来源：生态环境部 作者：X`), or a WeChat
    article's head (`原创 作者 公众号 2024年12月12日 10:00 北京`)."""
    if len(text) > 120:
        return None
    wx = _WECHAT_HEAD.match(text)
    if wx:
        return Info(date=dates.find_date(text), source=wx["account"])
    if not _INFO_LABELS.search(text):
        return None
    date = dates.labelled_date(text) or dates.find_date(text)
    src = _SOURCE_FIELD.search(text)
    author = _AUTHOR_FIELD.search(text)
    if not (date or src or author):
        return None
    # Everything but the fields must be short glue (labels, 【字体：大 中 小】, counters).
    rest = text
    for m in (src, author):
        if m:
            rest = rest.replace(m.group(0), " ")
    rest = re.sub(r"\d[\d\s:：年月日/.\-]*", " ", rest)
    rest = _INFO_GLUE.sub(" ", rest)
    if len(re.sub(r"\s+", "", rest)) > 12:
        return None
    return Info(
        date=date,
        source=src["s"] if src else None,
        byline=_names(author["n"]) if author else None,
    )


def lead_fields(text: str) -> tuple[str | None, str | None, tuple[int, int] | None]:
    """(source, byline, dateline month-day) from a news lead: `【谷腾环保网讯】获悉,1月28日,…`
    (source only), `新华社北京12月12日电（记者 X）`, `本报讯（记者 章轲）`."""
    head = text[:80]
    b = _LEAD_BYLINE.search(head[:40])
    byline = _names(b["n"]) if b else None
    m = _LEAD_SOURCE.search(head)
    if not m:
        return None, byline, None
    src = m["a"] or m["b"]
    if src in {"本报", "本刊", "本网"}:
        src = None
    # Only a wire dateline (`北京12月12日电`) dates the report; the date after `【X讯】获悉,` is
    # the event's (the day a notice was issued), not the article's.
    md = dates.month_day(m.group(0)) if m["b"] else None
    return src, byline, md


@dataclass(frozen=True)
class Title:
    text: str
    start: int  # offset of the cleaned title inside the original title string
    source: str | None = None


def clean_title(title: str) -> Title:
    """Drop a column prefix (`媒体纵览 | `, `【IUCN报告系列】`) and a trailing `(新华社)`, which becomes
    the source. Returns the kept slice's position so the caller can keep the offset map."""
    start, end = 0, len(title)
    source = None
    m = _TITLE_MEDIA_SUFFIX.search(title)
    if m and m.start() >= 6:
        source = m["s"]
        end = m.start()
    p = _COLUMN_PREFIX.match(title[:end])
    if p and end - p.end() >= 6:
        start = p.end()
    while start < end and title[start].isspace():
        start += 1
    return Title(title[start:end], start, source)


def strip_site_suffix(title: str, site: str | None = None) -> str:
    """`深圳召开碳达峰推进会_深圳市生态环境局` → `深圳召开碳达峰推进会` (HTML <title> only)."""
    t = title.strip()
    if site and t.endswith(site) and len(t) > len(site) + 4:
        t = t[: -len(site)].rstrip(" _-–—|｜丨")
        return t
    for _ in range(2):  # `标题_栏目_网站`
        m = _SITE_SUFFIX.match(t) or _SITE_DASH.match(t)
        if not m:
            break
        t = m["head"].strip()
    return t
