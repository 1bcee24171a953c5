"""Quantities: a number with a written unit, its qualifier, indicator, subject, period and change.

One pass over the numbers the locator finds (numbers.NUMBER_RE); for each, the unit must follow
right after it (units.match_unit) — a bare number is never a quantity (FACTS.md: "a quantity needs
a written unit"). What is not a quantity falls out of that rule (年, 天, 届 are not units) or of
explicit checks here: ordinals (第三次), codes glued to Latin letters (PM2.5, COP15), fractions
(1/3), numbers inside document titles 《…》 and URLs, slogans in short quotes (“五个中心”), vague
amounts (数十家, 二三十), and small counts written in Chinese numerals (三个议题, 两次) which are
narrative, not statistics.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import rjieba

from .claims import TextIndex, clean_indicator, noun_after, text_index
from .dates import DateSpan, find_dates, parse_published
from .numbers import CN_DIGITS, NUMBER_RE, fold, has_multiplier, parse_number, trailing_multiplier
from .textscan import SpanSet
from .units import COUNT, Unit, match_unit, money_prefix


@dataclass(frozen=True)
class QuantitySpan:  # one quantity claim
    start: int
    end: int  # half-open span in `text` (the surface)
    value: float
    unit: str
    qualifier: str = "exact"
    value_max: float | None = None
    classifier: str | None = None
    indicator: str | None = None
    subject: str | None = None
    period: str | None = None
    change_direction: str | None = None
    change_baseline: str | None = None

    @property
    def key(self) -> tuple[float, str, str | None, str | None, str | None]:
        """What makes two mentions the same claim (FACTS.md: one fact per claim)."""
        return (self.value, self.unit, self.indicator, self.subject, self.period)


# Qualifier words written before the number, longest first (不超过 before 超过).
_PREFIX_QUALIFIERS: list[tuple[str, str]] = sorted(
    [
        ("约", "approx"), ("大约", "approx"), ("近", "approx"), ("将近", "approx"), ("接近", "approx"),
        ("估计", "approx"), ("大概", "approx"), ("约合", "approx"),
        ("不低于", "at_least"), ("不少于", "at_least"), ("至少", "at_least"), ("最少", "at_least"),
        ("不小于", "at_least"), ("≥", "at_least"), (">=", "at_least"),
        ("超过", "more_than"), ("逾", "more_than"), ("超", "more_than"), ("多于", "more_than"),
        ("高于", "more_than"), ("大于", "more_than"), ("突破", "more_than"), (">", "more_than"),
        ("＞", "more_than"),
        ("不超过", "at_most"), ("不高于", "at_most"), ("最多", "at_most"), ("至多", "at_most"),
        ("不大于", "at_most"), ("≤", "at_most"), ("<=", "at_most"),
        ("不足", "less_than"), ("低于", "less_than"), ("未满", "less_than"), ("少于", "less_than"),
        ("不到", "less_than"), ("小于", "less_than"), ("<", "less_than"), ("＜", "less_than"),
    ],
    key=lambda p: len(p[0]),
    reverse=True,
)  # fmt: skip
_SUFFIX_QUALIFIERS = re.compile(r"及以上|或以上|以上|及以下|或以下|以下|以内|左右|上下|有余")
_SUFFIX_MAP = {"及以上": "at_least", "或以上": "at_least", "以上": "at_least", "及以下": "at_most",
               "或以下": "at_most", "以下": "at_most", "以内": "at_most", "左右": "approx", "上下": "approx",
               "有余": "more_than"}  # fmt: skip
_RANGE_DASH = re.compile(r"\s?[-—–~～至到]\s?")
_MASKED = re.compile(r"《[^《》\n]{0,100}》|https?://\S+|www\.\S+")
_SLOGAN_QUOTE = re.compile(r"[“\"「][^“”\"「」\n]{1,8}[”\"」]")
_DIRECTION_WORDS = {
    "下降": "decrease", "降低": "decrease", "减少": "decrease", "下调": "decrease", "缩小": "decrease",
    "减排": "decrease", "削减": "decrease", "降": "decrease",
    "增长": "increase", "增加": "increase", "提高": "increase", "提升": "increase", "上升": "increase",
    "上调": "increase", "扩大": "increase", "增": "increase", "升高": "increase",
}  # fmt: skip
_DIRECTION_RE = re.compile(
    r"(下降|降低|减少|下调|缩小|削减|减排|增长|增加|提高|提升|上升|上调|扩大|升高)了?"
    r"(?:分别)?(?:约|近|超过|超)?\s?$"
)
_BASELINE_RE = re.compile(r"(?:较|比|相比于?|与|对比)(?P<base>[^，,；;。较比]{1,14}?)(?:相比|同期相比)?(?:分别|均)?$")
_RATIO_BASELINE = re.compile(r"(同比|环比)(?:分别|均)?$")
_LIST_GAP = re.compile(r"^[和及与、,，]?(?:分别)?$")
_PERCENT_WORD = re.compile(r"(?:百分之|佰分之|百分點|千分之|仟分之|万分之|萬分之)$")
_PERCENT_WORD_FACTOR = {"百分之": 1.0, "佰分之": 1.0, "千分之": 0.1, "仟分之": 0.1, "万分之": 0.01, "萬分之": 0.01}
_ELECTRICITY = re.compile(r"电")
_CO2_BEFORE = re.compile(r"(?:二氧化碳|CO2|CO₂|减碳)(?:当量)?(?:排放)?(?:约|近|超过|达|为)?$")
_PER_UNIT_BEFORE = re.compile(r"每(吨二氧化碳|吨|千瓦时|度|亩|公顷|平方米)(?:约|为|达)?$")
_PER_DENOMINATOR = {
    "吨二氧化碳": "tCO2e",
    "吨": "t",
    "千瓦时": "kWh",
    "度": "kWh",
    "亩": "mu",
    "公顷": "ha",
    "平方米": "m2",
}
_QUALIFIER_TAIL = re.compile(r"(?:至少|超过|不低于|不少于|约|近|达到|达)$")
_SCOPE_OR_VERB = re.compile(r"了|(?:全球|全国|世界|全省|全市|全区|地球)$")


_WINDOW = 24  # numbers / dates looked back at within a sentence
_LOOKBACK = 80  # characters of a clause read before a number (real clauses are shorter)


@dataclass
class _Raw:
    start: int  # span start (qualifier / currency symbol included)
    num_start: int
    end: int
    value: float
    unit: Unit
    qualifier: str
    value_max: float | None
    classifier: str | None


def _skip_number(folded: str, start: int, end: int, surface: str) -> bool:
    """Numbers that are codes, ordinals or fractions, not amounts."""
    if start == 0:
        return end < len(folded) and folded[end] == "/" and folded[end + 1 : end + 2].isdigit()
    prev = folded[start - 1]
    if prev in "第/.·" or (prev.isascii() and (prev.isalpha() or prev == "_")):
        return True
    if prev in "-_" and start >= 2 and folded[start - 2].isascii() and folded[start - 2].isalnum():
        return True  # GEF-5, C-PAR3
    if start >= 2 and prev == " " and folded[start - 2].isascii() and folded[start - 2].isalpha():
        return True  # GB 21522
    if end < len(folded) and folded[end] == "/" and end + 1 < len(folded) and folded[end + 1].isdigit():
        return True  # 1/3
    if prev == "数" or (start >= 2 and folded[start - 2 : start] in ("好几", "若干")):
        return True  # 数十家: vague
    # 三分之一 is a fraction; 百分之五 / 千分之二 are percentages.
    return folded[max(0, start - 2) : start] == "分之" and folded[max(0, start - 3) : start - 2] not in "百千万"


_VAGUE = re.compile(r"[一二两三四五六七八九][二三四五六七八九](?=[十百千万亿])")


def _is_vague(surface: str) -> bool:
    """二三十, 三四百万: two adjacent digits before a unit give a vague amount."""
    return bool(_VAGUE.search(surface.split("点", 1)[0]))


def _scan(folded: str) -> list[_Raw]:
    masked = SpanSet(m.span() for m in _MASKED.finditer(folded))
    slogans = {m.start(): m.end() for m in _SLOGAN_QUOTE.finditer(folded)}
    out: list[_Raw] = []
    consumed = 0
    for m in NUMBER_RE.finditer(folded):
        start, end = m.span()
        if start < consumed:
            continue
        surface = m.group()
        if _skip_number(folded, start, end, surface) or _is_vague(surface):
            continue
        if masked.covers(start, start + 1):
            continue
        value = parse_number("一" + surface if surface[0] in "百千万" else surface)
        if value is None:
            continue
        raw = _read_quantity(folded, start, end, surface, value)
        if raw is None:
            continue
        if raw.end < slogans.get(raw.num_start - 1, -1):
            continue  # “五个中心”, “30×30”: a slogan, not an amount
        out.append(raw)
        consumed = raw.end
    return out


def _read_quantity(folded: str, start: int, end: int, surface: str, value: float) -> _Raw | None:
    pos = end
    qualifier = "exact"
    # 6700多家, 500余万, 十几万: 多/余/几 between the number and its multiplier or unit.
    if pos < len(folded) and folded[pos] in "多余几":
        qualifier = "more_than"
        pos += 1
        if pos < len(folded) and folded[pos] in "万亿千百":
            value *= {"万": 1e4, "亿": 1e8, "千": 1e3, "百": 1e2}[folded[pos]]
            pos += 1
    value_max: float | None = None
    unit_match = match_unit(folded, pos)
    percent_word = _PERCENT_WORD.search(folded, max(0, start - 3), start)
    span_start = start
    if percent_word is not None and percent_word.group() != "百分點":
        factor = _PERCENT_WORD_FACTOR.get(percent_word.group(), 1.0)
        unit_match = None
        unit: Unit = Unit("%", 1, "percent")
        value *= factor
        span_start = percent_word.start()
        unit_end = pos
    elif unit_match is None:
        # A range whose first number has no unit: 7-8千家, 5-20%.
        dash = _RANGE_DASH.match(folded, pos)
        if dash is None or qualifier != "exact":
            return None
        m2 = NUMBER_RE.match(folded, dash.end())
        if m2 is None:
            return None
        v2 = parse_number(m2.group())
        um2 = match_unit(folded, m2.end())
        if v2 is None or um2 is None or (um2.unit.kind == "count" and _small_cn_count(m2.group(), v2)):
            return None
        if not has_multiplier(surface):
            value *= trailing_multiplier(m2.group())
        if v2 <= value:
            return None
        unit, value_max, unit_end, qualifier = um2.unit, v2, um2.end, "range"
        classifier = um2.classifier
        return _finish(folded, span_start, start, unit_end, value, unit, qualifier, value_max, classifier)
    else:
        unit, unit_end = unit_match.unit, unit_match.end
    classifier = unit_match.classifier if unit_match else None
    if unit.kind == "count" and _small_cn_count(
        surface, value, unit_match.classifier if unit_match else None, folded, start, unit_end
    ):
        return None
    if unit.canonical == "kWh" and folded[pos] == "度":
        ctx = folded[max(0, start - 12) : unit_end + 1]
        if not _ELECTRICITY.search(ctx) or re.search(r"温|气温|摄氏|升温", ctx):
            return None
    # A range with units on both sides: 5715元-6985元, 5%~10%.
    dash = _RANGE_DASH.match(folded, unit_end)
    if dash is not None and qualifier == "exact":
        m2 = NUMBER_RE.match(folded, dash.end())
        if m2 is not None and not _skip_number(folded, m2.start(), m2.end(), m2.group()):
            v2 = parse_number(m2.group())
            um2 = match_unit(folded, m2.end())
            if v2 is not None and um2 is not None and um2.unit == unit and v2 > value:
                value_max, qualifier, unit_end = v2, "range", um2.end
    return _finish(folded, span_start, start, unit_end, value, unit, qualifier, value_max, classifier)


def _small_cn_count(
    surface: str, value: float, classifier: str | None = None, folded: str = "", start: int = 0,
    end: int | None = None,
) -> bool:
    """三个议题, 两次, 一个里程碑, 十余次提及: counts in Chinese numerals that are narrative, not
    statistics: single digits (unless a qualifier makes them a requirement: 至少一个, 两个以上单位),
    and occasions (次). Single digits that count things (四个CCUS项目) are lost with them: on the
    development set, admitting them brought more narrative counts (三项一级指标) than it found."""
    if not all(c in CN_DIGITS or c in "十百千万亿" for c in surface):
        return False
    if classifier == "次":
        return True
    if value >= 10:
        return False
    if re.search(r"(?:至少|不少于|最少|不低于)$", folded[max(0, start - 3) : start]):
        return False
    if end is None:
        return True
    return not re.match(r"[\u4e00-\u9fff]{0,6}?(?:及|或)?以上", folded[end : end + 9])


def _finish(
    folded: str,
    span_start: int,
    num_start: int,
    unit_end: int,
    value: float,
    unit: Unit,
    qualifier: str,
    value_max: float | None,
    classifier: str | None,
) -> _Raw:
    end = unit_end
    if qualifier != "range":
        suf = _SUFFIX_QUALIFIERS.match(folded, unit_end)
        if suf is not None:
            end = suf.end()
            if qualifier == "exact":
                qualifier = _SUFFIX_MAP[suf.group()]
    sym = money_prefix(folded, span_start) if unit.kind in ("money", "rate") else None
    if sym is not None:
        span_start = sym[0]
    for word, q in _PREFIX_QUALIFIERS:
        if folded.startswith(word, span_start - len(word)) and span_start >= len(word):
            span_start -= len(word)
            if qualifier in ("exact",) or (qualifier == "more_than" and q != "more_than"):
                qualifier = q if qualifier == "exact" else qualifier
            break
    if unit.kind in ("percent", "pp") and span_start == num_start and num_start > 0:
        # -22.2%, 负3.9%: a sign, unless the dash joins a range or a code (5-20%, A-3%).
        before = folded[num_start - 1]
        if before == "负" or (before == "-" and (num_start < 2 or not folded[num_start - 2].isalnum())):
            span_start, value = num_start - 1, -value
            value_max = None if value_max is None else -value_max
    factor = unit.factor
    value = _round(value * factor)
    vmax = _round(value_max * factor) if value_max is not None else None
    return _Raw(span_start, num_start, end, value, unit, qualifier, vmax, classifier)


def _round(v: float) -> float:
    return float(f"{v:.12g}")


def _with_currency_prefix(folded: str) -> list[_Raw]:
    """￥300, US$5 亿: a currency symbol before a bare number."""
    out: list[_Raw] = []
    for m in re.finditer(r"(?:US\$|HK\$|\$|＄|￥|¥|€|£)\s?", folded):
        n = NUMBER_RE.match(folded, m.end())
        if n is None:
            continue
        v = parse_number(n.group())
        if v is None or match_unit(folded, n.end()) is not None:
            continue
        sym = money_prefix(folded, m.end())
        if sym is None:
            continue
        out.append(_finish(folded, m.end(), n.start(), n.end(), v, Unit(sym[1], 1, "money"), "exact", None, None))
    return out


def find_quantities(text: str, published_at: str | None) -> list[QuantitySpan]:
    """Every quantity mention in `text` (repeats included: the orchestrator merges by `key`)."""
    folded = fold(text)
    raws = _scan(folded) + _with_currency_prefix(folded)
    raws.sort(key=lambda r: r.start)
    if not raws:
        return []
    index = text_index(folded)
    dates = find_dates(text, published_at)
    date_ends = [d.end for d in dates]
    ref = parse_published(published_at)
    out: list[QuantitySpan] = []
    # Only the last few numbers of a sentence matter for 分别 lists and changes; bounding the
    # window keeps a pathological one-sentence megabyte linear.
    prev_in_sentence: list[QuantitySpan] = []
    prev_end = 0
    sentence = -1
    for i_raw, raw in enumerate(raws):
        s_start = index.sentence_start(raw.start)
        if s_start != sentence:
            sentence, prev_in_sentence, prev_end = s_start, [], s_start
        elif len(prev_in_sentence) > _WINDOW:
            del prev_in_sentence[: len(prev_in_sentence) - _WINDOW]
        c_start = max(index.clause_start(raw.start), prev_end, raw.start - _LOOKBACK)
        before_dates = dates[
            max(0, bisect.bisect_right(date_ends, raw.start) - _WINDOW) : bisect.bisect_right(date_ends, raw.start)
        ]
        seg_dates = [
            d
            for d in before_dates
            if c_start <= d.start and not _NOT_PERIOD_BEFORE.search(folded, max(0, d.start - 2), d.start)
        ]
        seg_start = max([c_start] + [d.end for d in seg_dates])
        close = max(folded.rfind(")", seg_start, raw.start), folded.rfind("）", seg_start, raw.start))
        if close >= 0:
            opening = max(folded.rfind("(", seg_start, close), folded.rfind("（", seg_start, close))
            inner = folded[opening + 1 : close]
            if opening < 0 or any(c.isdigit() for c in inner) or len(inner) > 8:
                seg_start = close + 1  # after a closed aside (以2017年排放为基准) the clause starts afresh
        seg = folded[seg_start : raw.start]
        subject_name = index.subject_before(raw.start)
        subject = subject_name.text if subject_name else None
        direction, baseline = _change(
            folded, max(index.clause_start(raw.start), raw.start - _LOOKBACK), raw, before_dates, ref
        )
        # 预计每年可减排993万吨: a yearly rate or a forecast has no reporting period.
        period = None if _RATE_OR_FORECAST.search(seg) else _period(folded, before_dates, s_start, raw.start)
        indicator = None
        # 293个项目: the counted thing follows; 88次 / 十余次提及: what follows is an action.
        if raw.unit == COUNT and raw.classifier not in ("次", "人次"):
            indicator = noun_after(folded, raw.end)
        if indicator is None and folded.startswith("的", raw.end) and _before_is_scope_or_verb(seg):
            # 全球75%以上的人口, 非洲遭受了全球40%的干旱灾害: the measure is what follows 的.
            indicator = noun_after(folded, raw.end + 1)
        if indicator is None:
            indicator = clean_indicator(seg, subject)
            if indicator is not None and raw.unit.kind == "percent" and direction is None:
                # 新建建筑100%执行绿色建筑标准, 屋顶100%光伏安装: the measure spans the number.
                post = noun_after(folded, raw.end)
                if post is not None and not folded.startswith("的", raw.end):
                    indicator = indicator + post
        if indicator is None and (direction is None or folded.startswith("的", raw.end)):
            # 减少50%的碳排放, 达到70%可再生能源发电, 1万平方米以上公共建筑: the measure follows.
            indicator = noun_after(folded, raw.end + (1 if folded.startswith("的", raw.end) else 0))
        if indicator is None and prev_in_sentence and (direction is not None or _LIST_GAP.match(seg)):
            # 较2016年下降46% / 分别下降3.8%和18.2%: the measure of the preceding number(s).
            src = _list_source(prev_in_sentence, folded, index, raw, raws[max(0, i_raw - _WINDOW) : i_raw + _WINDOW])
            indicator = src.indicator
            subject = subject or src.subject
            period = period or src.period
        unit_name = raw.unit.canonical
        if unit_name == "t" and _CO2_BEFORE.search(seg):
            unit_name = "tCO2e"  # 减排二氧化碳418万吨: tonnes of CO2 written before the number
        per = _PER_UNIT_BEFORE.search(seg)
        if per is not None and raw.unit.kind == "money":
            unit_name = f"{unit_name}/{_PER_DENOMINATOR[per.group(1)]}"  # 每吨60元 → CNY/t
            if indicator is not None and indicator.endswith(per.group()):
                indicator = indicator[: -len(per.group())].rstrip("为是达") or None
        q = QuantitySpan(
            start=raw.start,
            end=raw.end,
            value=raw.value,
            unit=unit_name,
            qualifier=raw.qualifier,
            value_max=raw.value_max,
            classifier=raw.classifier,
            indicator=indicator,
            subject=subject,
            period=period,
            change_direction=direction,
            change_baseline=baseline,
        )
        out.append(q)
        prev_in_sentence.append(q)
        prev_end = raw.end
    return out


def _before_is_scope_or_verb(seg: str) -> bool:
    """True when the text before an "N%的Y" number is a scope word or ends in a verb (保护至少),
    so that Y, not the text before, is what is measured."""
    if _SCOPE_OR_VERB.search(seg):
        return True
    bare = _QUALIFIER_TAIL.sub("", seg)
    tags = rjieba.tag(bare[-6:]) if bare else []
    return bool(tags) and tags[-1][1] == "v"


def _list_source(prev: list[QuantitySpan], folded: str, index: TextIndex, raw: _Raw, raws: list[_Raw]) -> QuantitySpan:
    """For 分别下降3.8%和18.2%: the k-th number of the 分别 list takes the k-th earlier measure."""
    c_start = max(index.clause_start(raw.start), raw.start - _LOOKBACK)
    c_end = index.clause_end(raw.start)
    resp = folded.find("分别", c_start, raw.start)
    if resp >= 0:
        listed = [r for r in raws if resp < r.start and r.end <= c_end]
        k = next((i for i, r in enumerate(listed) if r is raw), 0)
        measured = [p for p in prev if p.start < resp and p.change_direction is None]
        if len(measured) >= len(listed) and k < len(listed):
            return measured[len(measured) - len(listed) + k]
    return prev[-1]


def _change(folded: str, c_start: int, raw: _Raw, dates: list[DateSpan], ref: object) -> tuple[str | None, str | None]:
    """较2016年下降46% → ('decrease', '2016'). A change needs a direction word before the number
    (several numbers may share it: 分别下降3.8%和18.2%); a baseline is optional."""
    before = folded[c_start : raw.start]
    m = _DIRECTION_RE.search(before)
    if m is None:
        # 分别下降3.8%和18.2%: the second number shares the first one's direction word.
        mm = re.search(
            r"(下降|降低|减少|增长|增加|提高|提升|上升)了?(?:分别)?[0-9.]+(?:%|个百分点|百分点)[和及、]$", before
        )
        if mm is None:
            return None, None
        m = mm
    direction = _DIRECTION_WORDS[m.group(1)]
    if raw.unit.kind not in ("percent", "pp"):
        head = before[: m.start()]
        if not (_BASELINE_RE.search(head) or _RATIO_BASELINE.search(head)):
            return None, None  # 减少碳排放3494吨 is an amount, not a change against a baseline
    head = before[: m.start()]
    baseline: str | None = None
    b = _BASELINE_RE.search(head)
    if b is not None:
        baseline = _baseline_value(b.group("base"), b.start("base") + c_start, dates)
    return direction, baseline


def _baseline_value(base: str, base_start: int, dates: list[DateSpan]) -> str | None:
    """The time a change is measured against: a point (较2016年), the end of a plan period
    (比“十三五”末 → its last year) or an interval (较2016-2018年平均)."""
    for d in dates:
        if base_start <= d.start < base_start + len(base):
            if d.kind == "plan" and _PLAN_END.match(base, d.end - base_start):
                return str(d.last_year)
            if d.is_point or d.kind in ("range", "plan"):
                return d.value
    return None


_PLAN_END = re.compile(r"[”\"」]?(?:规划)?(?:期)?末")


_RATE_OR_FORECAST = re.compile(r"每年|年均|预计|预期")
_NOT_PERIOD_BEFORE = re.compile(r"(?:较|比|相比|与|以|自|从|于)$")
_GOAL_YEAR_AFTER = re.compile(r"(?:的)?(?:目标|愿景|前)")


def _period(folded: str, dates: list[DateSpan], s_start: int, pos: int) -> str | None:
    """The nearest date expression before the number in its sentence, not a baseline (较2016年),
    a starting point (自2018年; a range 自1900年至2013年 is a period), a goal year (2035年目标), nor a
    date inside an aside that closed before the number ((2024年年内…55次),累计…)."""
    best: DateSpan | None = None
    for d in dates:
        if d.end > pos:
            break
        if d.start < s_start or d.kind == "plan" or _GOAL_YEAR_AFTER.match(folded, d.end):
            continue
        if d.kind != "range" and _NOT_PERIOD_BEFORE.search(folded, max(0, d.start - 2), d.start):
            continue
        opened = max(folded.rfind("(", s_start, d.start), folded.rfind("（", s_start, d.start))
        if opened >= 0:
            closed = max(folded.find(")", d.end, pos), folded.find("）", d.end, pos))
            if closed >= 0:
                continue
        best = d
    return best.value if best else None
