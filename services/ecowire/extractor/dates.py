"""Chinese date and period expressions, resolved against the publication date.

The one normaliser of ecowire's time values (the format: `timex.py`, docs/time.md). `find_dates`
scans once with one compiled alternation (ordered so that longer forms win), then reads open
ends and ranges of two points on the spans found, and returns `DateSpan`s whose `value` is ISO:
- a point: 'YYYY-MM-DD' (kind "date"), 'YYYY-MM' ("month"), 'YYYY' ("year");
- an interval 'A/B', both ends included ("range": 今年1月—11月 → '2024-01/2024-11', 上半年,
  2016-2018年, 今年夏天, 上世纪90年代);
- a span counted from the publication date ("span": 近三年 → '2021-11-22/2024-11-22');
- a plan period ("plan": 十四五 → '2021/2025');
- an open start '..B' ("until": 截至11月底 → '..2024-11', 截至目前 → '..2024-11-22');
- an open end 'A..' ("since": 2013年以来, 自2018年起 → '2013..', '2018..').

Dates without a year take the year that puts them nearest the publication date, preferring the
past (news mostly reports what happened): a future date wins only at less than half the distance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from . import timex
from .numbers import fold, parse_number


@dataclass(frozen=True)
class DateSpan:
    start: int
    end: int
    value: str
    kind: str  # date | month | year | range | plan | until | since | span

    @property
    def is_point(self) -> bool:
        return self.kind in ("date", "month", "year")

    @property
    def opening_point(self) -> str | None:
        """The point an expression is or opens with, for what happens then: a point itself, the
        start of an open interval (自2018年1月1日起施行 → '2018-01-01'), else None."""
        if self.is_point:
            return self.value
        return self.value[:-2] if self.kind == "since" else None

    @property
    def last_year(self) -> int:
        """The year the expression ends in (deadline of 到2025年 / 十四五 → 2025)."""
        return timex.last_year(self.value)


PLAN_PERIODS: dict[str, tuple[int, int]] = {
    "十一五": (2006, 2010), "十二五": (2011, 2015), "十三五": (2016, 2020),
    "十四五": (2021, 2025), "十五五": (2026, 2030), "十六五": (2031, 2035),
}  # fmt: skip

_S = r"[ \u00a0]?"  # one optional space (2020 年 12 月)
_AY = r"(?:1[0-9]|20|21)[0-9]{2}"
_CY = r"(?:[零〇○一二三四五六七八九]{3,4}|[一二两]千[零〇○一二三四五六七八九十百]{0,4})"
_M = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]|正)"
_D = r"(?:3[01]|[12][0-9]|0?[1-9]|三十一?|[二]?十[一二三四五六七八九]?|[一二三四五六七八九])"
# A year written out, or two digits when a month follows (18年10月1日): alone, 18年 is a duration.
_Y = rf"(?:{_AY}|{_CY}|(?<![0-9.])[0-9]{{2}}(?={_S}年{_S}{_M}{_S}月))"
_RELY = r"(?:今年|去年|明年|前年|后年|上年|本年|同年)"
_DASH = r"[-—–~～至到]"
_SUBYEAR = (r"(?:上半年|下半年|全年|年初(?!步)|年底|年末|年中(?!秋)|第?[一二三四1-4]季度|前[二两三23]个?季度"
            r"|[一二三四1-4]季度|(?<=年)(?:底|末))")  # 去年底: the year's 年 shared
_CNDIGIT = "零〇○一二三四五六七八九"
_N = r"(?:[1-9][0-9]{0,2}|[一二两三四五六七八九十百]{1,3})"  # a count of units (近三年, 过去10年)
_CENTURY = r"(?:上|本|这个|(?<![0-9])1[0-9]|(?<![0-9])2[01]|十[一二三四五六七八九]|二十一?)"

# Reign eras of the Qing and the Republic: their first year (民国三年 = 1914, 康熙二十年 = 1681).
ERAS: dict[str, int] = {
    "顺治": 1644, "康熙": 1662, "雍正": 1723, "乾隆": 1736, "嘉庆": 1796, "道光": 1821, "咸丰": 1851,
    "同治": 1862, "光绪": 1875, "宣统": 1909, "民国": 1912,
}  # fmt: skip

# (kind-of-pattern, regex). Order matters: at one position the first alternative that matches wins.
_PATTERNS: list[tuple[str, str]] = [
    # 截至目前, and 目前 / 现已 / 至今 alone: up to the publication date (目前，已助力10余项活动)
    ("until_now", r"(?:截至|截止|截止到|截止至)(?:目前|当前|现在|今天|今日|发稿时)|目前|现已|(?<!截)至今(?![年天日])"),
    # 在2007年与2009年之间, 2007年与2009年间; 2010年之后2018年之前 (the last year excluded)
    ("year_between", rf"在?(?P<y1>{_AY}|{_CY}){_S}年{_S}[与和到至]{_S}(?P<y2>{_AY}|{_CY}){_S}年{_S}之?间"),
    ("year_after_before", rf"(?P<y1>{_AY}){_S}年{_S}[之以]后{_S}(?P<y2>{_AY}){_S}年{_S}(?P<excl>[之以]前)"),
    ("year_range", rf"(?P<from>从|自)?(?P<y1>{_AY}|{_CY}){_S}年?{_S}{_DASH}{_S}(?P<y2>{_AY}|{_CY}){_S}年"),
    # 从2016到2018, 从2016-2018: without 年 only after 从, and not a number with a unit (从1500到2000吨)
    ("year_range_from", rf"从(?P<y1>{_AY}){_S}{_DASH}{_S}(?P<y2>{_AY})(?![0-9.%年万亿千百十个元吨米度])"),
    ("day_range", rf"(?P<from>从)?(?:(?P<y>{_Y}){_S}年{_S}|(?P<ry>{_RELY}))?(?P<m>{_M}){_S}月{_S}(?P<d1>{_D}){_S}日?"
                  rf"{_S}{_DASH}{_S}(?:(?P<y2>{_Y}){_S}年{_S})?(?:(?P<m2>{_M}){_S}月{_S})?(?P<d2>{_D}){_S}[日号]"),
    ("month_range", rf"(?P<from>从)?(?:(?P<y>{_AY}){_S}年{_S}|(?P<ry>{_RELY}))?(?P<m1>{_M}){_S}月?份?{_S}{_DASH}{_S}"
                    rf"(?:(?P<y2>{_AY}){_S}年{_S})?(?P<m2>{_M}){_S}月份?"),
    ("ymd_cn", rf"(?:(?P<y>{_Y}){_S}年{_S}|(?P<ry>{_RELY}))(?P<m>{_M}){_S}月{_S}(?P<d>{_D}){_S}[日号]?"),
    ("ymd_num", rf"(?P<y>{_AY})(?P<sep>[-./])(?P<m>1[0-2]|0?[1-9])(?P=sep)(?P<d>3[01]|[12][0-9]|0?[1-9])"
                r"(?![0-9])"),
    ("ymd_space", rf"(?P<y>{_AY}) (?P<m>1[0-2]|0[1-9]) (?P<d>3[01]|[12][0-9]|0[1-9])(?![0-9])"),
    ("dmy_num", r"(?P<d>3[01]|[12][0-9]|0?[1-9])(?P<sep>[-./])(?P<m>1[0-2]|0?[1-9])(?P=sep)"
                rf"(?P<y>{_AY}|[0-9]{{2}})(?![0-9])"),
    ("yy_md", r"(?P<y>[0-9]{2})-(?P<m>1[0-2]|0?[1-9])-(?P<d>3[01]|[12][0-9]|0?[1-9])(?![0-9])"),
    ("ym_sub", rf"(?:(?P<y>{_Y}){_S}年|(?P<ry>{_RELY})){_S}(?P<m>{_M}){_S}月份?(?P<part>底|末|初|上旬|中旬|下旬)?"),
    # 今年前10个月, 前两个月 (news: the first months of the year, not the last ones)
    # (…装料前六个月, 截止日前6个月: months before an event, not of the year)
    ("first_months", rf"(?=[0-9今去明前后上本同])"
                     rf"(?:(?P<y>{_AY}){_S}年|(?P<ry>{_RELY})|(?<![\u4e00-\u9fff])|(?<=[市省区县国]))"
                     r"前(?P<n>1[01]|[1-9]|十一|[一二两三四五六七八九十])个月"),
    # 今年夏天, 2024年冬季, 去年秋冬季 (meteorological seasons; a bare 夏季 is no date)
    ("season", rf"(?=[0-9今去明前后上本同])(?:(?P<y>{_AY}){_S}年|(?P<ry>{_RELY}))(?P<season>秋冬|春|夏|秋|冬)[天季]"),
    # 2024年上半年 / 2023年年底 / 2023年底 (one 年 shared by the year and 年底)
    ("y_sub", rf"(?:(?P<y>{_AY}){_S}年?(?:度)?|(?P<ry>{_RELY}))(?P<sub>{_SUBYEAR})"),
    ("md", rf"(?P<m>{_M}){_S}月{_S}(?P<d>{_D}){_S}[日号]"),
    ("md_cn", r"(?P<m>十[一二]?|[一二三四五六七八九正])月(?P<d>三十一?|二?十[一二三四五六七八九]?|[一二三四五六七八九])"
              r"(?![日号天年月个万亿千百点多余])"),
    ("rel_month_day", rf"(?P<ry>{_RELY})?(?P<rm>本月|上月|下月|这个月|上个月|下个月)"
                      r"(?P<d>[0-9]{1,2}|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九])[日号]"),
    ("rel_month", r"(?=[本上下这])(?P<rm>本月|上月|下月|这个月|上个月|下个月|上一个月|下一个月)"),
    ("rel_quarter", r"(?=[本上下这])(?P<rq>本季度|上季度|下季度|上一季度|下一季度|上个季度|下个季度)"),
    # 近三年来, 过去十年, 未来两天, 今后五年, 上2个月, 后1年: N units counted from the publication date
    # (将近3年 is a duration; 完成后六十日 counts from an event: bare 后 only where a clause starts)
    ("rel_span", rf"(?=[最近过未今此往后上下])"
                 rf"(?P<dir>最近|(?<![将接靠附临])近|过去的?|未来|今后|此后|往后|(?<![\u4e00-\u9fff])后"
                 r"|(?<![以之线网如])[上下])"
                 rf"{_S}(?P<n>{_N}){_S}(?P<unit>个{_S}月|个{_S}季度|季度|年|(?<=[上下].)月(?![0-9一二三四五六七八九十]+[日号])"
                 r"|天|日|周|星期|个星期)"
                 r"(?P<lai>以来|来)?"),
    ("m_only", rf"(?P<m>{_M}){_S}月份?(?P<part>底|末|初|上旬|中旬|下旬)?"),
    # 上半年, 年底: this year's (not 每年年底, 当年年底, 年初步)
    ("sub_only", r"(?P<sub>上半年|下半年|前[二两三23]个?季度|(?:第|(?<![每上下本该这同前0-9]))[一二三四1-4]季度"
                 r"|(?<![每当该年])(?:年底|年末|年初(?!步)))"),
    # 上世纪90年代, 20世纪80年代, 九十年代 (the latest decade that has begun); 本世纪中叶
    ("decade", rf"(?=[^年]{{0,8}}年代)(?:(?P<cent>{_CENTURY})世纪)?(?P<dec>(?<![0-9])[1-9]0|[一二三四五六七八九]十)年代"
               r"(?P<part>初期|中期|末期|初|末)?"),
    ("century", rf"(?=[^世]{{0,3}}世纪)(?:(?P<cent>上|本|这个)世纪(?P<part>中叶|初|末)?"
                rf"|(?P<ncent>{_CENTURY})世纪(?P<npart>中叶|初|末))"),
    # 2008年, 二〇〇八年, and two-digit years that start with 0 (07年, 零八年: 15年 is a duration)
    ("year", rf"(?P<y>{_AY}|[零〇○一二三四五六七八九]{{4}}|(?<![0-9.])0[0-9]|(?<![{_CNDIGIT}])零[{_CNDIGIT}])"
             rf"{_S}年(?:度)?"),
    ("era", rf"(?=[顺康雍乾嘉道咸同光宣民])(?P<era>{'|'.join(ERAS)})(?P<n>元|{_N}){_S}年(?:{_S}(?P<m>{_M}){_S}月)?"),
    ("rel_year", rf"(?P<ry>{_RELY})"),
    ("plan", r"十[一二三四五六]五"),
    ("rel_day", r"大前天|大后天|大後天|前天|昨天|昨日|今天|今日|明天|明日|后天|後天"),
    ("weekday", r"(?P<wp>上上个|上个|下个|这个|上|下|这|本)?(?:星期|礼拜|禮拜|周|週)(?P<wd>[一二三四五六日天])"),
    ("bare_day", r"(?<![0-9月年号/.-])(?P<d>3[01]|[12][0-9]|[1-9])日"),
]  # fmt: skip


def _namespaced(name: str, pat: str) -> str:
    """Group names must be unique in the master regex: prefix them with the pattern's name."""
    return pat.replace("(?P<", f"(?P<{name}__").replace("(?P=", f"(?P={name}__")


# A pattern that opens with a leading lookahead states what it needs, so that the many positions
# it cannot match (every Chinese numeral, 上, 下 …) fail at once instead of in each of its branches.
# Every pattern starts with one of these characters: checking it first rejects most positions
# without trying all the alternatives.
_FIRST = "0-9〇○零一二两三四五六七八九十正今去明前后後上下本这同截星周週礼禮昨大"
# Common characters that open a pattern only with the right next one (近三年, 自2016年, 目前):
# checked by their first two characters, so that most of their positions fail at once.
_FIRST_PAIRS = (r"[近在自从][ \u00a00-9〇○零一二两三四五六七八九十百今去明本]|最近|过去|未来|此后|往后|目前|现已|至今"
                r"|年[底末初]|第[一二三四1-4]季|" + "|".join(ERAS))
_PAIR_FIRST = "近在自从最过未此往目现至年第" + "".join(sorted({era[0] for era in ERAS}))
# The leading character class lets the regex engine skip to candidate positions by itself.
_MASTER = re.compile(
    f"(?=[{_FIRST}{_PAIR_FIRST}])(?=[{_FIRST}]|{_FIRST_PAIRS})(?:"
    + "|".join(f"(?P<_{name}>{_namespaced(name, pat)})" for name, pat in _PATTERNS)
    + ")"
)
# Per pattern, its (namespaced, short) group names: reading only those is much cheaper than groupdict().
_GROUPS: dict[str, list[tuple[str, str]]] = {
    name: [(g, g.split("__", 1)[1]) for g in _MASTER.groupindex if g.startswith(f"{name}__")] for name, _ in _PATTERNS
}
_UNTIL_BEFORE = re.compile(r"(?:截至|截止到|截止至|截止|到)$")
_RELDAY = {"大前天": -3, "前天": -2, "昨天": -1, "昨日": -1, "今天": 0, "今日": 0, "明天": 1, "明日": 1,
           "后天": 2, "後天": 2, "大后天": 3, "大後天": 3}  # fmt: skip
_RELYEAR = {"今年": 0, "本年": 0, "同年": 0, "去年": -1, "上年": -1, "前年": -2, "明年": 1, "后年": 2}
_CN_DIGITS = str.maketrans("零〇○一二三四五六七八九", "000123456789")
_SINCE_AFTER = re.compile(r"(?:以来|起(?![草诉步飞来]))(?:至今)?|至今")
_FROM_BEFORE = re.compile(r"(?:自从|自|从)$")
_WEEKDAY_GAP = re.compile(r"[，,（( \u00a0]?")
_RANGE_GAP = re.compile(r"[）)]?[ \u00a0]?[-—–~～至到][ \u00a0]?")  # （星期六）至4日
_PAST_SPAN = frozenset({"近", "最近", "过去", "过去的", "上"})
_SPAN_UNIT = {"年": "year", "季度": "quarter", "月": "month", "周": "week", "星期": "week", "天": "day", "日": "day"}
_SEASON = {"春": (3, 5), "夏": (6, 8), "秋": (9, 11), "冬": (12, 14), "秋冬": (9, 14)}  # months, 14 = next Feb
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


def parse_published(published_at: str | None) -> date | None:
    """The publication date from an ISO string ('2024-11-22', '2024-11-22T08:00:00+08:00')."""
    if not published_at:
        return None
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", published_at)
    if m is None:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _num(s: str | None) -> int | None:
    if s is None:
        return None
    if s == "正":
        return 1
    v = parse_number(s)
    return None if v is None else int(v)


def _valid(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


_FUTURE_HORIZON = 60  # days: a year-less date further ahead than this is read as a past one


def _cost(d: date, ref: date) -> int:
    if d <= ref:
        return (ref - d).days
    ahead = (d - ref).days
    return 2 * ahead if ahead <= _FUTURE_HORIZON else 10**6 + ahead


def _nearest_md(m: int, d: int, ref: date) -> date | None:
    """The year for a month-day nearest `ref`, past preferred; Feb 29 looks back to a leap year."""
    cands = [c for y in range(ref.year - 8, ref.year + 2) if (c := _valid(y, m, d)) is not None]
    return min(cands, key=lambda c: _cost(c, ref)) if cands else None


def _nearest_month(m: int, ref: date) -> int:
    cands = [date(y, m, 1) for y in (ref.year - 1, ref.year, ref.year + 1)]
    return min(cands, key=lambda c: _cost(c, ref)).year


def _nearest_day(d: int, ref: date) -> date | None:
    cands: list[date] = []
    for delta in (-1, 0, 1):
        y, m = ref.year, ref.month + delta
        if m == 0:
            y, m = y - 1, 12
        elif m == 13:
            y, m = y + 1, 1
        c = _valid(y, m, d)
        if c is not None:
            cands.append(c)
    return min(cands, key=lambda c: _cost(c, ref)) if cands else None


def _year(g: dict[str, str | None], ref: date | None) -> int | None:
    if g.get("y"):
        y = g["y"]
        assert y is not None
        if len(y) == 2 and (y.isdigit() or y[0] in "零〇○"):  # 05/05/89, 3-7-27, 零八年: pivot at 50
            n = int(y.translate(_CN_DIGITS))
            return 2000 + n if n < 50 else 1900 + n
        return _num(y)
    if g.get("ry"):
        if ref is None:
            return None
        return ref.year + _RELYEAR[g["ry"] or "今年"]
    return None


def _sub_year(sub: str, y: int) -> tuple[str, str]:
    """The kind and value of a part of a year (上半年, 三季度, 年底)."""
    if sub == "上半年":
        return "range", f"{y}-01/{y}-06"
    if sub == "下半年":
        return "range", f"{y}-07/{y}-12"
    if sub == "全年":
        return "year", f"{y}"
    if sub in ("年初",):
        return "month", f"{y}-01"
    if sub in ("年底", "年末", "底", "末"):
        return "month", f"{y}-12"
    if sub == "年中":
        return "month", f"{y}-06"
    q = _num(sub.strip("第前个季度")) or 1
    if sub.startswith("前"):
        return "range", f"{y}-01/{y}-{3 * q:02d}"
    return "range", f"{y}-{3 * q - 2:02d}/{y}-{3 * q:02d}"


def _resolve_relative(kind: str, g: dict[str, str | None], ref: date | None) -> tuple[str, str] | None:
    """Spans counted from the publication date, parts of a year named by their season or months,
    decades and centuries."""
    if kind == "decade":
        dec = _num(g["dec"])
        base = _century_base(g["cent"], ref)
        if dec is None:
            return None
        if base is None:  # 50年代: the latest such decade that has begun (1950s in 2017, 2020s in 2024)
            base = 2000 if ref is not None and 2000 + dec <= ref.year else 1900
        return "range", f"{base + dec}/{base + dec + 9}"
    if kind == "century":
        base = _century_base(g["cent"] or g["ncent"], ref)
        part = g["part"] or g["npart"]
        if base is None:
            return None
        if part == "中叶":
            return "year", f"{base + 50}"  # 到本世纪中叶: the year the plans name, 2050
        lo, hi = {"初": (0, 9), "末": (90, 99)}.get(part or "", (0, 99))
        return "range", f"{base + lo}/{base + hi}"
    if kind == "season":
        y = _year(g, ref)
        if y is None:
            return None
        a, b = _SEASON[g["season"] or "夏"]
        return "range", timex.interval(timex.month(y, a), timex.month(y, b))
    if ref is None:
        return None
    if kind == "rel_month":
        return "month", timex.month(ref.year, ref.month + _step(g["rm"]))
    if kind == "rel_quarter":
        q = (ref.month - 1) // 3 + _step(g["rq"])
        return "range", timex.interval(timex.month(ref.year, 3 * q + 1), timex.month(ref.year, 3 * q + 3))
    n = _num(g["n"])
    if n is None or n < 1:
        return None
    if kind == "first_months":  # 前10个月 in a January article: last year's
        y = _year(g, ref) or (ref.year if n < ref.month else ref.year - 1)
        return "range", f"{y:04d}-01/{y:04d}-{min(n, 12):02d}"
    # rel_span
    direction, unit = g["dir"] or "近", _SPAN_UNIT[(g["unit"] or "年").lstrip("个 ")]
    if direction in ("上", "下") and n == 1:  # 上一年, 下1天: the previous / next unit itself
        step = _step(direction)
        if unit == "year":
            return "year", f"{ref.year + step}"
        if unit == "month":
            return "month", timex.month(ref.year, ref.month + step)
        if unit == "day":
            return "date", (ref + timedelta(days=step)).isoformat()
    # N units before the publication date end on it; N units ahead begin the day after it
    if direction in _PAST_SPAN:
        first, last = timex.shift(ref, -n, unit), ref
    else:
        first, last = ref + timedelta(days=1), timex.shift(ref, n, unit)
    return "span", f"{first.isoformat()}/{last.isoformat()}"


def _step(word: str | None) -> int:
    """上个月 → −1, 下季度 → +1, 本月 → 0."""
    return -1 if (word or "").startswith("上") else 1 if (word or "").startswith("下") else 0


def _century_base(cent: str | None, ref: date | None) -> int | None:
    """The first year of a century as written (上世纪 → 1900 in 2017, 20世纪 → 1900); None if absent."""
    if not cent:
        return None
    if cent in ("上", "本", "这个"):
        if ref is None:
            return None
        return (ref.year // 100 - (cent == "上")) * 100
    n = _num(cent)
    return (n - 1) * 100 if n is not None else None


def _resolve(kind: str, g: dict[str, str | None], surface: str, ref: date | None) -> tuple[str, str] | None:
    """(kind, value) of one match, or None when it cannot be resolved or is not a valid date."""
    y: int | None
    m: int | None
    day: int | None
    got: date | None
    if kind == "until_now":
        return ("until", f"..{ref.isoformat()}") if ref else None
    if kind == "plan":
        a, b = PLAN_PERIODS[surface]
        return "plan", f"{a}/{b}"
    if kind in ("year_range", "year_range_from", "year_between", "year_after_before"):
        y1, y2 = _num(g["y1"]), _num(g["y2"])
        if y1 is None or y2 is None:
            return None
        y2 -= 1 if g.get("excl") else 0  # 2010年之后2018年之前: 2018 itself is outside
        return ("range", f"{y1}/{y2}") if y2 > y1 else None
    if kind in ("rel_span", "rel_month", "rel_quarter", "first_months", "season", "decade", "century"):
        return _resolve_relative(kind, g, ref)
    if kind == "era":
        n = 1 if g["n"] == "元" else _num(g["n"])
        m = _num(g["m"])
        if n is None or n < 1 or (m is not None and not 1 <= m <= 12):
            return None
        y = ERAS[surface[:2]] + n - 1
        return ("month", f"{y:04d}-{m:02d}") if m is not None else ("year", f"{y:04d}")
    if kind == "rel_day":
        return ("date", (ref + timedelta(days=_RELDAY[surface])).isoformat()) if ref else None
    if kind == "weekday":
        if ref is None:
            return None
        wd, wp = _WEEKDAY[g["wd"] or "一"], g.get("wp") or ""
        monday = ref - timedelta(days=ref.weekday())
        if wp in ("这", "这个", "本"):
            when = monday + timedelta(days=wd)
        elif wp in ("上", "上个"):
            when = monday - timedelta(days=7) + timedelta(days=wd)
        elif wp == "上上个":
            when = monday - timedelta(days=14) + timedelta(days=wd)
        elif wp in ("下", "下个"):
            when = monday + timedelta(days=7 + wd)
        else:  # a bare weekday: its most recent occurrence
            when = ref - timedelta(days=(ref.weekday() - wd) % 7)
        return "date", when.isoformat()
    if kind == "bare_day":
        day = _num(g["d"])
        if ref is None or day is None:
            return None
        got = _nearest_day(day, ref)
        return ("date", got.isoformat()) if got else None
    if kind == "rel_month_day":
        day = _num(g["d"])
        if ref is None or day is None:
            return None
        shift = {"本月": 0, "这个月": 0, "上月": -1, "上个月": -1, "下月": 1, "下个月": 1}[g["rm"] or "本月"]
        y, m = (_year(g, ref) or ref.year), ref.month + shift
        y, m = (y - 1, 12) if m == 0 else ((y + 1, 1) if m == 13 else (y, m))
        got = _valid(y, m, day)
        return ("date", got.isoformat()) if got else None
    if kind in ("y_sub", "sub_only"):
        y = _year(g, ref) if kind == "y_sub" else (ref.year if ref else None)
        sub = g["sub"]
        if y is None or sub is None:
            return None
        return _sub_year(sub, y)
    if kind in ("year", "rel_year"):
        y = _year(g, ref)
        return ("year", f"{y:04d}") if y is not None else None
    m = _num(g.get("m") or g.get("m1"))
    if m is None or not 1 <= m <= 12:
        return None
    if kind == "dmy_num" and len(g["y"] or "") == 2 and g["sep"] == "-" and len(g["d"] or "") == 2:
        g = {**g, "y": g["d"], "d": g["y"]}  # 12-11-10 is year-month-day (two-digit first part)
        m = _num(g["m"]) or m
    if kind in ("ymd_cn", "ymd_num", "ymd_space", "dmy_num", "yy_md", "md", "md_cn"):
        day = _num(g["d"])
        if day is None:
            return None
        y = _year(g, ref)
        if y is None:
            if ref is None:
                return None
            got = _nearest_md(m, day, ref)
        else:
            got = _valid(y, m, day)
        return ("date", f"{got.year:04d}-{got.month:02d}-{got.day:02d}") if got else None
    if kind in ("ym_sub", "m_only"):
        y = _year(g, ref)
        if y is None:
            if ref is None:
                return None
            y = _nearest_month(m, ref)
        return "month", f"{y:04d}-{m:02d}"
    if kind == "month_range":
        m2 = _num(g["m2"])
        y = _year(g, ref)
        if y is None:
            if ref is None or m2 is None or not 1 <= m2 <= 12:
                return None
            y = _nearest_month(m2, ref)  # 1-11月 in December: this year's January to November
        y2 = _num(g["y2"]) if g.get("y2") else y
        if m2 is None or not 1 <= m2 <= 12 or y2 is None or (y2, m2) <= (y, m):
            return None
        return "range", f"{y:04d}-{m:02d}/{y2:04d}-{m2:02d}"
    if kind == "day_range":
        d1, d2 = _num(g["d1"]), _num(g["d2"])
        m2 = _num(g["m2"]) if g.get("m2") else m
        if d1 is None or d2 is None or m2 is None:
            return None
        y = _year(g, ref)
        if y is None:
            if ref is None:
                return None
            first = _nearest_md(m, d1, ref)
            if first is None:
                return None
            y = first.year
        y2 = _year({"y": g["y2"]}, ref) if g.get("y2") else y  # 18年10月1日到19年2月3日
        if y2 is None:
            return None
        lo, hi = _valid(y, m, d1), _valid(y2, m2, d2)
        if lo is None or hi is None or hi <= lo:
            return None
        return "range", f"{lo.isoformat()}/{hi.isoformat()}"
    return None


def find_dates(text: str, published_at: str | None) -> list[DateSpan]:
    """Every date / period expression in `text`, non-overlapping, left to right."""
    return list(_find_dates(text, published_at))


@lru_cache(maxsize=8)
def _find_dates(text: str, published_at: str | None) -> tuple[DateSpan, ...]:
    # The orchestrator, quantities and targets all ask for the same article's dates: scan once.
    ref = parse_published(published_at)
    folded = fold(text)
    out: list[DateSpan] = []
    for mt in _MASTER.finditer(folded):
        kind = (mt.lastgroup or "")[1:]
        groups = {short: mt.group(full) for full, short in _GROUPS[kind]}
        start, end = mt.span()
        if out and start < out[-1].end:
            continue  # inside the open end just read (2013年至今)
        if kind == "weekday" and out and out[-1].kind == "date" and _WEEKDAY_GAP.fullmatch(folded, out[-1].end, start):
            out[-1] = DateSpan(out[-1].start, end, out[-1].value, "date")  # 10月12号，星期一: one date
            continue
        got = _resolve(kind, groups, mt.group(), ref)
        if got is None:
            continue
        k, value = got
        if k in ("date", "month", "year", "range"):
            before = _UNTIL_BEFORE.search(folded, max(0, start - 4), start)
            since = _SINCE_AFTER.match(folded, end)
            if before is not None and before.group() != "到":
                # 截至11月底 / 截至2023年 / 截至今年上半年: an open interval ending with the expression
                start, k, value = before.start(), "until", f"..{value.rsplit('/', 1)[-1]}"
            elif since is not None and k != "range":
                # 2013年以来 / 自2018年起 / 2015年至今: an open interval from the date on
                opening = _FROM_BEFORE.search(folded, max(0, start - 2), start)
                start = opening.start() if opening else start
                end, k, value = since.end(), "since", f"{value}.."
            elif out and k == out[-1].kind and k != "range" and value > out[-1].value:
                # 2018/1/10-2018/7/10, 2016年6月1日至2017年6月30日: two points of one precision
                prev = out[-1]
                if _RANGE_GAP.fullmatch(folded, prev.end, start):
                    opening = _FROM_BEFORE.search(folded, max(0, prev.start - 1), prev.start)
                    first = opening.start() if opening else prev.start
                    out[-1] = DateSpan(first, end, f"{prev.value}/{value}", "range")
                    continue
        out.append(DateSpan(start, end, value, k))
    return tuple(out)


def resolve_date(expr: str, published_at: str | None) -> str | None:
    """The ISO point date ('YYYY-MM-DD' / 'YYYY-MM' / 'YYYY') an expression names, or None.
    Intervals (上半年, 1—11月, 十四五, 截至…) are not points: use `resolve_period`."""
    span = _main_span(expr, published_at)
    return span.value if span is not None and span.is_point else None


def resolve_period(expr: str, published_at: str | None) -> str | None:
    """Like `resolve_date`, but intervals too ('2024-01/2024-11', '..2016-03-29', '2021/2025')."""
    span = _main_span(expr, published_at)
    return span.value if span is not None else None


def _main_span(expr: str, published_at: str | None) -> DateSpan | None:
    spans = find_dates(expr, published_at)
    return max(spans, key=lambda s: s.end - s.start) if spans else None
