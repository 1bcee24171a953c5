"""Targets: forward-looking goals with a deadline or a plan period (FACTS.md "target").

A deadline marker opens a scope that runs to the next marker or the end of the sentence:
到2025年 / 在2030年 / 2030年前 (qualifier "before") / “十四五”期间 (deadline = the plan's last
year) / a clause-leading future year (2025年,全区…达80%). Every quantity in the scope is a target
(its number is then not reported again as a quantity); a scope without a number is a target when
it names what is to be achieved (确保2030年前实现碳达峰 → indicator 碳达峰, value null).
Not targets: forecasts (预计到2050年), starting points (从明年起, 自2018年), past years.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from .claims import PLACES, TextIndex, abbreviate, plain_chemistry, text_index
from .dates import DateSpan, find_dates, parse_published
from .numbers import fold
from .quantities import QuantitySpan, find_quantities


@dataclass(frozen=True)
class TargetSpan:
    start: int
    end: int
    actor: str | None
    indicator: str | None
    value: float | None
    unit: str | None
    direction: str | None
    qualifier: str | None
    deadline: str | None
    baseline: str | None
    value_max: float | None = None


@dataclass(frozen=True)
class _Marker:
    start: int  # where the target's surface begins (到 / 确保 / the plan's quote)
    end: int  # end of the deadline expression
    deadline: str
    before: bool  # 2030年前: the goal is to be met before the deadline
    plan: bool = False  # a plan period (十四五期间) rather than a stated deadline
    limit: bool = False  # 清缴时间为7月20日: the goal is written before its time limit


_LEAD_WORDS = re.compile(
    r"(?:力争|争取|确保|计划|目标是|目标为|目标|预计|有望|要|将|并|，|,)*(?:到|至|在|于|截至)?\s?$"
)
_FROM_BEFORE = re.compile(r"[从自][^，,；;。]*$")
_FORECAST = re.compile(r"(?:预计|预测|估计|可能|有望)(?:到|至|在)?$")
_START_ONLY = re.compile(r"^(?:起|以来|开始|期间以来)")
_START_BEFORE = re.compile(r"(?:从|自|自从|较|比|相比|与|以)$")
# 6月20日前, 7月14日下午16:00之前 (not 7月9日前往: 前往 is "go to")
_BEFORE_AFTER = re.compile(r"^(?:年底|年末)?(?:[上下]午[0-9:：]{0,5}|[0-9]{1,2}[:：点时][0-9]{0,2})?"
                           r"(?:以前|之前|前(?![往来夕景期身列沿]))")
# 豁免期至2023年12月31日止, 履约时间为7月20日, 截止日期为…: a date written as a time limit
_UNTIL_AFTER = re.compile(r"^止")
# 表示在2016年上半年制定…: a stated intention dates what is to be done
_INTENT_BEFORE = re.compile(r"(?:表示|提出|拟|准备|计划|力争|争取|确保)(?:在|于)\s?$")
_LIMIT_WORD = re.compile(r"(?:时间|日期|期限|时限|截止日)为|至")
_LIMIT_BEFORE = re.compile(r"(?:时间|日期|期限|时限|截止日)为\s?$")
_PLAN_TAIL = re.compile(r"^[”\"」]?(?:规划)?(?:期间|时期|末|规划期)?")
_ADMIN_CHAIN = re.compile(r"[\u4e00-\u9fff]{2,}?(?:自治区|自治州|省|市|区|县)")
_BODY_SUFFIX = re.compile(r"(?:人民政府|政府|党委|委员会)$")
_ADMIN_END = re.compile(r"(?:省|市|区|县|自治区|自治州|州|镇|乡)$")


@lru_cache(maxsize=8)
def _quantities(text: str, published_at: str | None) -> tuple[QuantitySpan, ...]:
    # The orchestrator asks for quantities and targets of the same text: compute them once.
    return tuple(find_quantities(text, published_at))


def _markers(folded: str, dates: list[DateSpan], pub_year: int | None, index: TextIndex) -> list[_Marker]:
    out: list[_Marker] = []
    for d in dates:
        before_txt = folded[max(0, d.start - 6) : d.start]
        after = folded[d.end : d.end + 12]
        if d.kind == "plan":
            if pub_year is not None and d.last_year < pub_year:
                continue  # 十二五碳强度下降目标超额完成 in 2016: a past plan period, no goal ahead
            tail = _PLAN_TAIL.match(folded, d.end)
            end = tail.end() if tail else d.end
            start = d.start - 1 if d.start and folded[d.start - 1] in '“"「' else d.start
            out.append(_Marker(start, end, str(d.last_year), False, plan=True))
            continue
        # 上半年, 前三季度 (a part of a year) ends where a deadline would: its last month
        sub_year = d.kind == "range" and len(d.value) == 15 and d.value[:4] == d.value[8:12]
        if (d.kind not in ("year", "month", "date") and not sub_year) or _START_ONLY.match(after):
            continue
        if _START_BEFORE.search(before_txt) or _FORECAST.search(before_txt):
            continue
        lead = _LEAD_WORDS.search(before_txt)
        bef = _BEFORE_AFTER.match(after)
        lead_txt = lead.group() if lead else ""
        # 到/至 name a deadline; 在/于 only with a goal word (目标在2030年) or 前 (于6月20日前).
        # (至2030年甚至更长时间 is a span: 至 counts only after a goal word, like 在/于.)
        until = bool(re.search(r"至\s?$", lead_txt) and _UNTIL_AFTER.match(after))
        limit = bool(_LIMIT_BEFORE.search(before_txt)) or until
        has_to = bool(re.search(r"到\s?$", lead_txt)) or limit or bool(
            re.search(r"(?:在|于|至)\s?$", lead_txt) and (bef or re.search(r"目标|计划|力争|争取|确保|要", lead_txt)
                                                       or _INTENT_BEFORE.search(before_txt))
        )
        if has_to and _FROM_BEFORE.search(folded, max(index.clause_start(d.start), d.start - 40), d.start):
            continue  # 从2016年…到2023年: a stretch of past time, not a deadline
        clause_lead = folded[index.clause_start(d.start) : d.start] in ("", " ")
        future = pub_year is not None and d.last_year >= pub_year
        explicit = (has_to or bef) and (future or pub_year is None)
        # or a future year that opens its clause and is followed by a comma: 2025年,全区…达80%
        opening_year = (
            clause_lead and pub_year is not None and d.last_year > pub_year and folded.startswith((",", "，"), d.end)
        )
        # …在2016年上半年制定…，下半年开发…: the next part of the year continues the same plan
        continued = (sub_year and clause_lead and bool(out) and not out[-1].plan
                     and index.sentence_start(out[-1].start) == index.sentence_start(d.start))
        if not (explicit or opening_year or continued):
            continue
        start = d.start - len(lead.group().lstrip(",， ")) if lead and lead.group() else d.start
        end = d.end + (bef.end() if bef else 0)
        deadline = d.value.split("/")[-1] if sub_year else d.value
        if d.kind == "month" and re.search(r"年(?:底|末)", folded[d.start : end]):
            deadline = deadline[:4]  # 到2023年底: the year
        if limit:
            start = index.clause_start(d.start)
            end += 1 if until else 0
        out.append(_Marker(start, end, deadline, bool(bef), limit=limit))
    return out


def _actor_of(text: str, index: TextIndex) -> str | None:
    """The article's actor: the first place (an administrative unit or a well-known place) named
    in the title line, most specific unit (上海市黄浦区印发… → 黄浦区). A body named in the title
    (生态环境部气候司…答记者问) is the speaker, not necessarily the target's actor."""
    title_end = text.find("\n")
    title_end = len(text) if title_end < 0 else title_end
    for n in index.names:
        if n.start >= title_end:
            break
        short = shortest_admin(n.text)
        if _ADMIN_END.search(short) or short in PLACES:
            return short
    return None


def shortest_admin(name: str) -> str:
    name = _BODY_SUFFIX.sub("", name) or name
    parts = _ADMIN_CHAIN.findall(name)
    if len(parts) >= 2 and "".join(parts) == name:
        return str(parts[-1])
    return name


def find_targets(text: str, published_at: str | None) -> list[TargetSpan]:
    folded = fold(text)
    dates = find_dates(text, published_at)
    ref = parse_published(published_at)
    index = text_index(folded)
    # Without a publication date, the latest full date the text states stands in for "now"
    # (a notice dated 2023年1月19日 makes 2025年 a future year).
    now_year = ref.year if ref else max((int(d.value[:4]) for d in dates if d.kind == "date"), default=None)
    markers = _markers(folded, dates, now_year, index)
    doc_actor = _actor_of(folded, index)
    out: list[TargetSpan] = _named_goals(folded, dates, now_year, doc_actor)
    if not markers:
        return out
    quantities = _quantities(text, published_at)
    q_starts = [q.start for q in quantities]
    for i, mk in enumerate(markers):
        if mk.limit:
            m = _LIMIT_WORD.search(folded, mk.start, mk.end)
            what = folded[mk.start : m.start() if m else mk.end].strip()
            if what:
                out.append(TargetSpan(mk.start, mk.end, doc_actor, what, None, None, None, None, mk.deadline, None))
            continue
        s_end = index.sentence_end(mk.end)
        nxt = markers[i + 1].start if i + 1 < len(markers) else len(folded)
        scope_end = min(s_end, nxt)
        lo, hi = bisect.bisect_left(q_starts, mk.end), bisect.bisect_left(q_starts, scope_end)
        in_scope = [q for q in quantities[lo:hi] if q.end <= scope_end]
        prev_indicator: str | None = (
            out[-1].indicator if out and index.sentence_start(out[-1].start) == index.sentence_start(mk.start) else None
        )
        goals = _goals(folded, mk, scope_end, in_scope, doc_actor)
        last_end = mk.start
        for k, q in enumerate(in_scope):
            nxt_q = in_scope[k + 1] if k + 1 < len(in_scope) else None
            if nxt_q is not None and _THRESHOLD_GAP.match(folded[q.end : nxt_q.start]):
                # 平均节能率15%及以上的建筑面积达到40万平方米: a threshold qualifying the goal's
                # noun, a quantity of its own, not a goal.
                last_end = max(last_end, q.end + 1)
                continue
            start = mk.start if last_end == mk.start else max(index.clause_start(q.start), last_end)
            while start < q.start and folded[start] in "的和及与、":
                start += 1
            indicator = q.indicator or prev_indicator
            qualifier = q.qualifier
            if qualifier == "exact" and mk.before:
                qualifier = "before"
            baseline = q.change_baseline or _baseline_note(folded, q.end, s_end, dates)
            out.append(
                TargetSpan(
                    start,
                    q.end,
                    q.subject or doc_actor,
                    indicator,
                    q.value,
                    q.unit,
                    q.change_direction,
                    qualifier,
                    mk.deadline,
                    baseline,
                    q.value_max,
                )
            )
            last_end = q.end
            prev_indicator = indicator
        out.extend(goals)
    out.sort(key=lambda t: t.start)
    return out


_NAMED_GOAL = re.compile(r"(?:完成|实现|达到)(?P<year>[0-9]{4})年度?(?P<goal>[^，,；;。、]{2,24}?目标)")


def _named_goals(folded: str, dates: list[DateSpan], now_year: int | None, actor: str | None) -> list[TargetSpan]:
    """要完成2025年全国PM2.5浓度目标: a goal named by its year (deadline = that year)."""
    out: list[TargetSpan] = []
    for m in _NAMED_GOAL.finditer(folded):
        year = int(m.group("year"))
        if now_year is not None and year < now_year:
            continue
        goal = plain_chemistry(m.group("goal"))
        direction = "decrease" if re.search(r"减排|下降|削减|减少", goal) else None
        out.append(TargetSpan(m.start(), m.end(), actor, goal, None, None, direction, None, str(year), None))
    return out


# 15%及以上的建筑面积达到40万平方米: "的" + a short noun + a linking verb up to the next number.
_THRESHOLD_GAP = re.compile(r"^的[^，,；;。()（）\d]{1,15}?(?:达到|达|为|超过|不少于|不低于)$")
_BASE_NOTE = re.compile(r"以(?P<y>[0-9]{4})年[^，,；;。]{0,8}?为基准")


def _baseline_note(folded: str, pos: int, s_end: int, dates: list[DateSpan]) -> str | None:
    """(以2017年排放为基准) right after the number."""
    m = _BASE_NOTE.search(folded, pos, min(s_end, pos + 30))
    return m.group("y") if m else None


_CLAUSE_SPLIT = re.compile(r"[，,；;]")
_DIRECTION_IN = re.compile(r"(下降|降低|减少|削减|提高|提升|增长|增加)")
_GOAL_HEAD = re.compile(
    r"^(?:[\s“”\"]|全区|全市|全省|全县|全国|所有|各类|基本|确保|力争|争取|要|并|进一步|实现|达到|完成)+"
)
_GOAL_TAIL = re.compile(r"(?:的)?(?:美好)?(?:愿景)?(?:目标|任务)?[、。\s]*$")
_MAX_GOAL = 24


def _goals(
    folded: str, mk: _Marker, scope_end: int, in_scope: list[QuantitySpan], actor: str | None
) -> list[TargetSpan]:
    """Goals without a number in a deadline's scope. After a stated deadline: the clause right
    after it (到2030年,全区新建民用建筑全面执行超低能耗建筑标准) and any clause with a direction word
    (单位GDP二氧化碳排放下降完成市下达目标). In a plan period: clauses saying 实现 (公园绿地500米服务
    半径基本实现全覆盖)."""
    out: list[TargetSpan] = []
    pos = mk.end
    first = True
    while pos < scope_end:
        cut = _CLAUSE_SPLIT.search(folded, pos, scope_end)
        end = cut.start() if cut else scope_end
        clause = folded[pos:end]
        has_number = any(pos <= q.start < end for q in in_scope)
        if clause.strip() and not has_number:
            goal = _goal_of(clause, mk.plan, first)
            if goal is not None:
                indicator, direction = goal
                qualifier = "before" if mk.before else None
                out.append(
                    TargetSpan(
                        mk.start if first else pos,
                        end,
                        actor,
                        indicator,
                        None,
                        None,
                        direction,
                        qualifier,
                        mk.deadline,
                        None,
                    )
                )
        if clause.strip():
            first = False
        pos = end + 1
    return out


def _goal_of(clause: str, plan: bool, first: bool) -> tuple[str, str | None] | None:
    direction: str | None = None
    if plan:
        if "实现" not in clause:
            return None
        text = clause.replace("基本实现", "").replace("实现", "")
    else:
        m = _DIRECTION_IN.search(clause)
        if m is not None and m.start() >= 2:
            text = clause[: m.start()]
            direction = "decrease" if m.group(1) in ("下降", "降低", "减少", "削减") else "increase"
        elif first:
            text = clause
        else:
            return None
    text = _GOAL_TAIL.sub("", _GOAL_HEAD.sub("", plain_chemistry(text))).strip()
    text = abbreviate(text)
    if len(text) < 2 or len(text) > _MAX_GOAL:
        return None
    return text, direction
