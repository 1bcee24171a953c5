"""Chinese publication dates: 2024年12月12日, 二〇二四年十二月十二日, 2024-11-22, 2024/11/22 10:30,
`发布时间：…` labels, gov URLs `…/t20241212_….shtml`.

Only complete dates become a publication date. A month and day without a year (`12月14日`) get a
year only from a dated context the caller passes in; otherwise the date stays unknown.
"""

from __future__ import annotations

import re
from datetime import date

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}

_NUM = r"[0-9〇零○Ｏ一二三四五六七八九十]"
_YMD = re.compile(
    rf"(?P<y>(?:19|20)\d{{2}}|[一二][〇零○Ｏ一二三四五六七八九]{{3}})\s*(?:年|[-/.])\s*"
    rf"(?P<m>{_NUM}{{1,2}})\s*(?:月|[-/.])\s*(?P<d>{_NUM}{{1,3}})(?!\d)\s*日?"
    r"(?:\s*(?P<H>[0-2]?\d)[:：](?P<M>[0-5]\d)(?:[:：](?P<S>[0-5]\d))?)?"
)
# A line that is only a date (listing pages, the line under a newspaper title).
_DATE_LINE = re.compile(rf"^[\[(【（]?\s*{_YMD.pattern}\s*(?:(?:星期|周)[一二三四五六日天])?\s*[\])】）]?$")
_LABELLED = re.compile(
    r"(?:发布时间|发布日期|发表时间|发文日期|成文日期|更新时间|发稿时间|时间|日期|发布于|Published)\s*[:：]?\s*"
    + _YMD.pattern
)
_URL_DATE = re.compile(
    r"(?:/t|/|_)(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?=[_/.\d])"
    r"|/(?P<y2>(?:19|20)\d{2})[-/](?P<m2>[01]?\d)[-/](?P<d2>[0-3]?\d)(?=/)"
)
_MONTH_DAY = re.compile(r"(?<![\d年])(?P<m>1[0-2]|0?[1-9])月(?P<d>3[01]|[12]\d|0?[1-9])日")


def _cn_int(s: str) -> int | None:
    """Arabic or Chinese numerals (一九 → 19, 十二 → 12, 二十一 → 21)."""
    if s.isdigit():
        return int(s)
    if "十" in s:
        tens, _, ones = s.partition("十")
        t = _CN_DIGITS.get(tens, -1) if tens else 1
        o = _CN_DIGITS.get(ones, -1) if ones else 0
        return None if t < 0 or o < 0 else t * 10 + o
    n = 0
    for ch in s:
        if ch not in _CN_DIGITS:
            return None
        n = n * 10 + _CN_DIGITS[ch]
    return n


def _valid(y: int | None, m: int | None, d: int | None) -> date | None:
    if y is None or m is None or d is None:
        return None
    try:
        dt = date(y, m, d)
    except ValueError:
        return None
    return dt if 1990 <= y <= 2100 else None


def _iso(match: re.Match[str]) -> str | None:
    dt = _valid(_cn_int(match["y"]), _cn_int(match["m"]), _cn_int(match["d"]))
    if dt is None:
        return None
    if match["H"] is not None and int(match["H"]) < 24:
        sec = match["S"] or "00"
        return f"{dt.isoformat()}T{int(match['H']):02d}:{match['M']}:{sec}"
    return dt.isoformat()


def find_date(text: str) -> str | None:
    """The first complete date in `text` (ISO), or None."""
    for m in _YMD.finditer(text):
        iso = _iso(m)
        if iso:
            return iso
    return None


def date_line(line: str) -> str | None:
    """ISO date if the whole line is a date, e.g. `2024-11-22` or `2024年12月12日 10:30`."""
    m = _DATE_LINE.match(line.strip())
    return _iso(m) if m else None


def labelled_date(text: str) -> str | None:
    """A date after a label such as `发布时间：`."""
    for m in _LABELLED.finditer(text):
        iso = _iso(m)
        if iso:
            return iso
    return None


def url_date(url: str | None) -> str | None:
    """Dates in URL paths: `/t20241212_123.shtml`, `/2024-12/12/`, `/20241212/`."""
    if not url:
        return None
    for m in _URL_DATE.finditer(url):
        y, mo, d = (m["y"], m["m"], m["d"]) if m["y"] else (m["y2"], m["m2"], m["d2"])
        dt = _valid(int(y), int(mo), int(d))
        if dt:
            return dt.isoformat()
    return None


def normalize_iso(value: str | None) -> str | None:
    """A publisher-given date as ISO, accepting the Chinese forms too; None if unreadable."""
    if not value:
        return None
    v = value.strip()
    m = re.match(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?))?", v)
    if m and _valid(*(int(x) for x in m.group(1).split("-"))):
        if m.group(2):
            t = m.group(2) if len(m.group(2)) == 8 else m.group(2) + ":00"
            return f"{m.group(1)}T{t}"
        return m.group(1)
    return find_date(v)


def full_dates(text: str) -> list[date]:
    out: list[date] = []
    for m in _YMD.finditer(text):
        dt = _valid(_cn_int(m["y"]), _cn_int(m["m"]), _cn_int(m["d"]))
        if dt:
            out.append(dt)
    return out


def month_day(text: str) -> tuple[int, int] | None:
    m = _MONTH_DAY.search(text)
    return (int(m["m"]), int(m["d"])) if m else None


def resolve_year(md: tuple[int, int], context: list[date]) -> date | None:
    """Give `月日` a year only when the dated context names exactly one year; a month-day before
    that context date rolls into the next year (a January report on a December notice)."""
    years = {d.year for d in context}
    if len(years) != 1:
        return None
    ref = max(context)
    dt = _valid(ref.year, *md)
    if dt is None:
        return None
    if dt < ref and (ref - dt).days > 180:
        return _valid(ref.year + 1, *md)
    return dt
