"""Events: meetings, visits, signings, launches, trainings, auctions, with date, place, people.

A trigger word gives the kind (座谈会 → meeting, 签署 → signing ...). Reported: the article's
main event (the first one in the title, else in the lead) and every other event whose sentence
carries a date. Mentions of one event (the title repeating the lead, 本次边会, a session inside
the main meeting) fold into it; every signing is its own event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .dates import DateSpan
from .lexicons import words
from .textscan import Lexicon, Sentence, SpanSet, sentence_index

# Trigger → kind. Longest match wins, so 签约仪式 is a signing and 启动仪式 a launch.
TRIGGERS: dict[str, str] = {
    **dict.fromkeys(
        words("""
座谈会 研讨会 论坛 大会 会议 边会 峰会 年会 交流会 推介会 洽谈会 对接会 圆桌会 见面会 讨论会
协调会 推进会 部署会 调度会 报告会 分享会 沙龙 对话会 缔约方大会 常务会议 全体会议 联席会议
听证会 新闻发布会 会谈 会见 会晤 洽谈 磋商 研讨活动 博览会 展会 展览会 主题展示 高峰论坛 分论坛
"""), "meeting"),
    **dict.fromkeys(["调研", "考察", "到访", "访问", "走访", "视察", "参访", "拜访", "考察团"], "visit"),
    **dict.fromkeys(["签署", "签约", "签订", "签约仪式"], "signing"),
    **dict.fromkeys(words("""
启动仪式 揭牌仪式 揭牌 成立 发布会 启动 挂牌 上线 开通 投运 开工 竣工 首发 授牌
颁奖 揭幕 开馆
"""), "launch"),
    **dict.fromkeys(["培训班", "培训会", "培训", "讲堂", "讲座", "宣讲会"], "training"),
    **dict.fromkeys(["竞价", "拍卖", "竞拍", "拍卖会"], "auction"),
    # FACTS' `other`: dated milestones and completed actions (成立于2012年, 开市, 获批, 首笔交易)
    **dict.fromkeys(words("""
成立于 开市 休市 获批 获评 荣获 准予备案 被确定为 被列为 入选 首笔 首单 公开招标 征集
主题活动 系列活动 宣传周 宣传月 科普日
"""), "other"),
}
TRIGGERS["新闻发布会"] = "meeting"
# the opening and closing of a meeting are sessions of it, not launches
TRIGGERS["开幕式"] = TRIGGERS["闭幕式"] = "meeting"
_VERB_TRIGGERS = frozenset(words("""
会谈 会见 会晤 洽谈 磋商 调研 考察 到访 访问 走访 视察 参访 拜访 签署 签约 签订 揭牌 成立 启动
挂牌 上线 开通 投运 开工 竣工 首发 授牌 颁奖 揭幕 开馆 培训 竞价 拍卖 竞拍
成立于 开市 休市 获批 获评 荣获 准予备案 被确定为 被列为 入选 首笔 首单 公开招标 征集
"""))
_NOUN_TRIGGERS = frozenset(TRIGGERS) - _VERB_TRIGGERS
_TRIGGER_LEX = Lexicon(TRIGGERS)
# Words after which a trigger is not an event (会议精神, 培训基地, 论坛网站 ...).
_NOT_AFTER = ("精神", "基地", "中心", "网站", "机制", "体系", "制度", "平台", "机构", "政策", "规则", "材料", "纪要",
              "室", "厅", "费", "资料", "成果", "召开前")
# A date the article's missing publication date leaves unresolved still dates an event.
_DATE_CUE = re.compile(
    r"\d{1,2}月\d{1,2}日|[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}日|\d{1,2}日|"
    r"当地时间|日前|近日|今天|昨天|昨日|今日|上午|下午|晚间"
)
_GAMES = re.compile(r"奥会|运动会|亚运|全运|运会")
_EDITION = ("修订版", "版", "修订")
_DATE_JOIN = re.compile(r"^[和及与、,，]?$")
_NOT_BEFORE = ("未", "不", "无", "将不", "尚未", "没有", "暂停", "取消")
_NAME_STOP = re.compile(
    r"[，,。；;：:、！？!?\n]|的(?![^“”《》]*[”》])|在|对|举办|举行|召开|出席|参加|主持|了|于|由|是|为|与会|期间|将以|以|将|"
    r"从|赴|前往|亮相|作为|通过|借助|利用|围绕|就|同|参与|组织|开展|成功|隆重|盛大|正式|顺利|首届(?=[^会]*$)"
)
_GENERIC_NAME = re.compile(
    r"^(?:此次|本次|这次|该|本届|这场|此|本|上述|相关|有关|各类|各种|一系列|系列|多场|一场|多次|一次|首次|历次|大型)"
)
_INSTRUMENT = re.compile(
    r"(?:了|正式|共同)?([^，,。；;\n]{0,14}?(?:谅解备忘录|合作备忘录|备忘录|框架协议|合作协议|战略合作协议|协议书|协议|"
    r"合同|协定|意向书|声明|承诺书|倡议书|公约|宣言))"
)
_WITHIN_MAIN = re.compile(r"本次|此次|会上|会议期间|活动中|活动期间|现场|期间")
_VENUE = re.compile(
    r"在([^，,。；;\n]{1,24}?)(?:举办|举行|召开|开幕|闭幕|启动|揭牌|签署|开展|进行|落幕|会见|会谈|签约|会晤)"
)


@dataclass
class Event:
    kind: str
    name: str | None
    date: str | None
    start: int  # evidence span
    end: int
    location: str | None = None
    participants: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    instrument: str | None = None
    mentions: list[tuple[int, int]] = field(default_factory=list)
    sentences: set[int] = field(default_factory=set)
    main: bool = False
    dated: bool = False
    trigger: tuple[int, int] = (0, 0)
    name_start: int | None = None
    # sentences that define the event (its own, and named mentions): its organisations come from
    # these; participants from every sentence that mentions it (会上，…许化分享…)
    core: set[int] = field(default_factory=set)
    within_main: bool = False


@dataclass(frozen=True)
class EntityRef:
    """A named thing with the spans where the text mentions it."""

    name: str
    spans: tuple[tuple[int, int], ...]


def _name_before(text: str, sent_start: int, trig_start: int, trig_end: int) -> tuple[str | None, int]:
    seg = text[sent_start:trig_start]
    cut = 0
    for m in _NAME_STOP.finditer(seg):
        cut = m.end()
    name = (seg[cut:] + text[trig_start:trig_end]).strip()
    start = sent_start + cut + (len(seg[cut:]) - len(seg[cut:].lstrip()))
    if len(name) <= len(text[trig_start:trig_end]) or _GENERIC_NAME.match(name):
        return None, trig_start
    return name, start


def _norm(name: str | None) -> str:
    return re.sub(r"[“”\"'‘’「」\s]", "", name or "")


def find_events(
    text: str,
    body_start: int,
    sents: list[Sentence],
    dates: list[DateSpan],
    people: list[EntityRef],
    orgs: list[EntityRef],
    places: list[EntityRef],
    published_at: str | None = None,
) -> list[Event]:
    cands: list[Event] = []
    by_sentence: dict[int, list[tuple[int, int, str]]] = {}
    dates_by_sentence: dict[int, list[DateSpan]] = {}  # each candidate looks at its sentence's dates only
    for d in dates:
        dates_by_sentence.setdefault(sentence_index(sents, d.start), []).append(d)
    for hit in _TRIGGER_LEX.finditer(text):  # one scan, then grouped by sentence
        by_sentence.setdefault(sentence_index(sents, hit[0]), []).append(hit)
    for si, sent in enumerate(sents):
        hits = [h for h in by_sentence.get(si, ()) if h[1] <= sent.end]
        kept = []
        for k, (s, e, w) in enumerate(hits):
            after = text[e : e + 4]
            if any(after.startswith(a) for a in _NOT_AFTER) or any(
                text[max(0, s - len(b)) : s] == b for b in _NOT_BEFORE
            ) or (w == "上线" and text[s - 1 : s] == "线"):  # 线上线下 holds no 上线
                continue
            nxt = hits[k + 1] if k + 1 < len(hits) else None
            # 第29次缔约方大会…主题边会: a meeting noun inside the next meeting's name
            if (nxt and w in _NOUN_TRIGGERS and TRIGGERS[nxt[2]] == TRIGGERS[w]
                    and not re.search(r"[，,。；;、]", text[e : nxt[0]])):
                continue
            kept.append((s, e, w))
        named_kinds: set[str] = set()
        sent_dates = dates_by_sentence.get(si, [])
        sent_cands = [c for s, e, w in kept
                      for c in _candidates(text, sent, si, s, e, w, TRIGGERS[w], sent_dates)]
        # 伦敦金融城市长访问暨…座谈会: a trigger inside another candidate's name is part of that name
        named_spans = [(c.name_start, c.trigger[1]) for c in sent_cands if c.name and c.name_start is not None]
        sent_cands = [c for c in sent_cands if not any(a <= c.trigger[0] and c.trigger[1] <= b
                                                       and (a, b) != (c.name_start, c.trigger[1])
                                                       for a, b in named_spans)]
        if published_at is None and _DATE_CUE.search(text, sent.start, sent.end):
            for c in sent_cands:
                c.dated = True
        for ev in sent_cands:
            if ev.name:
                named_kinds.add(ev.kind)
        for ev in sent_cands:
            # a bare trigger next to a named event of its kind in one sentence is that event
            if ev.name is None and ev.kind in named_kinds and ev.kind != "signing":
                continue
            cands.append(ev)
    if not cands:
        return []
    # The main event: the first in the title, else the first dated one of the body, else the first.
    main = next((c for c in cands if c.start < body_start), None)
    if main is None:
        body = [c for c in cands if c.start >= body_start]
        main = next((c for c in body if c.dated), None)
    events: list[Event] = []
    for c in cands:
        target = _same_event(c, events, main)
        if target is not None:
            target.mentions.append((c.start, c.end))
            target.sentences |= c.sentences
            if c.name or c.kind == "signing":
                target.core |= c.sentences
            target.name = target.name if target.name and len(target.name) >= len(c.name or "") else c.name
            target.date = target.date or c.date
            target.dated = target.dated or c.dated
            target.location = target.location or c.location
            target.instrument = target.instrument or c.instrument
            if target.start < body_start <= c.start and c.date and not target.date:
                target.date = c.date
            continue
        if c.kind in ("signing", "launch") and c.date is None and _WITHIN_MAIN.search(
            text, sents[min(c.sentences)].start, sents[min(c.sentences)].end
        ):
            c.within_main = True  # 本次边会活动中，…签署: a signing or launch during the main event
            c.dated = True
        if c is main or c.dated:
            c.main = c is main
            events.append(c)
    for ev in events:
        if ev.within_main and ev.date is None and main is not None:
            ev.date = main.date
    for ev in events:
        _attach(ev, people, orgs, places, sents, text)
    return events


def _candidates(text: str, sent: Sentence, si: int, s: int, e: int, w: str, kind: str,
                dates: list[DateSpan]) -> list[Event]:
    """One candidate per date: 2023年8月和2024年11月先后…举办…研讨会 is two events."""
    ev = _candidate(text, sent, si, s, e, w, kind, dates)
    in_sent = [d for d in dates if sent.start <= d.start and d.end <= s and d.is_point]
    if len(in_sent) < 2 or ev.date != in_sent[-1].value:
        return [ev]
    group = [in_sent[-1]]
    for d in reversed(in_sent[:-1]):
        if _DATE_JOIN.match(text[d.end : group[0].start].strip()):
            group.insert(0, d)
        else:
            break
    return [ev] + [
        Event(ev.kind, ev.name, d.value, d.start, ev.end, location=ev.location, instrument=ev.instrument,
              sentences=set(ev.sentences), dated=True, core=set(ev.core))
        for d in group[:-1]
    ]


def _candidate(text: str, sent: Sentence, si: int, s: int, e: int, w: str, kind: str,
               dates: list[DateSpan]) -> Event:
    name, nstart = _name_before(text, sent.start, s, e) if w in _NOUN_TRIGGERS else (None, s)
    if w in ("开幕式", "闭幕式") and name and _GAMES.search(name):
        kind = "other"  # 冬残奥会闭幕式: the ceremony of games, not a meeting
    # an edition's year (2019年修订版, 2018年版) dates a document and a programme year (2018年度…项目)
    # names a programme, not the event
    in_sent = [_point(d) for d in dates if sent.start <= d.start and d.end <= sent.end
               and (d.is_point or d.kind == "range") and not text.startswith(_EDITION, d.end)
               and not text[d.start : d.end].endswith("年度")]
    before = [d for d in in_sent if d.end <= s]
    # after the trigger only a full date counts (…签署合作协议，为落实联合国2030年议程 is no date)
    # (成立于2012年9月, 始于…: the verb's own date follows it, whatever its precision)
    after = [d for d in in_sent if d.start >= e and (d.kind == "date" or (w.endswith("于") and d.start - e <= 1))]
    # a full date before the name wins over a year inside it (2022年3月13日，北京2022年冬残奥会闭幕式;
    # 8月5日，…召开2022年年中经营形势分析会议)
    full = [d for d in before if d.kind == "date" and d.end <= nstart]
    date_span = full[-1] if full else before[-1] if before else (after[0] if after else None)
    if name is not None and date_span is not None and nstart <= date_span.start:
        # 继2021年和2022年COP15…大会论坛: the event's dates written before the name are not part of it
        cut = max((d.end for d in dates if nstart <= d.start and d.end <= s), default=nstart)
        if cut > nstart:
            cut += len(text[cut:s]) - len(text[cut:s].lstrip("和及与、至到-—～~ "))
            name = text[cut:e].strip() if e - cut > len(w) + 1 else None
            nstart = cut
    start = nstart
    if date_span is not None and date_span.start < start:
        start = date_span.start
    if name is None and w not in _NOUN_TRIGGERS:
        # a verb: the evidence starts at the clause (…与…正式签署合作备忘录)
        k = s
        while k > sent.start and text[k - 1] not in "，,。；;：:\n" and s - k < 40:
            k -= 1
        start = min(start, k)
    end = e
    instrument = None
    if kind == "signing":
        m = _INSTRUMENT.match(text, e)
        if m:
            instrument = m.group(1).strip()
            end = m.end()
    while start < end and text[start].isspace():
        start += 1
    location = None
    vm = _VENUE.search(text, sent.start, sent.end)
    if vm:
        location = vm.group(1).strip()
    return Event(kind, name, date_span.value if date_span else None, start, end, location=location,
                 instrument=instrument, sentences={si}, dated=date_span is not None, trigger=(s, e),
                 name_start=nstart if name is not None else None, core={si})


def _point(d: DateSpan) -> DateSpan:
    """An interval takes the kind of its first point (the event starts there); an event of several
    days keeps them all (5月20日至22日 → '2024-05-20/2024-05-22'), a longer interval its start."""
    if d.kind != "range":
        return d
    first = d.value.split("/", 1)[0]
    kind = "date" if len(first) == 10 else "month" if len(first) == 7 else "year"
    return DateSpan(d.start, d.end, d.value if kind == "date" else first, kind)


def _similar(a: str, b: str) -> bool:
    """Names of one event: equal, one inside the other, or sharing most characters
    (第二届全国碳市场培训班 / 第二届全国碳市场能力建设培训班)."""
    if a == b or a in b or b in a:
        return True
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 6 and sum(1 for ch in short if ch in long_) >= 0.85 * len(short)


def _same_event(c: Event, events: list[Event], main: Event | None) -> Event | None:
    if c.kind == "signing":
        same = [ev for ev in events if ev.kind == "signing" and ev.sentences & c.sentences]
        if not same and main is not None and main in events and main.kind == "signing" and main.date is None:
            same = [main]  # the headline's signing is the lead's
        return same[0] if same else None
    b = _norm(c.name)
    for ev in events:
        if ev.kind != c.kind:
            continue
        a = _norm(ev.name)
        if a and b and _similar(a, b) and (c.date is None or ev.date is None or c.date == ev.date):
            return ev
        if not b and (ev.sentences & c.sentences or (ev.main and (c.date is None or ev.date is None
                                                                  or c.date == ev.date))):
            return ev
    # a session inside the main meeting (same day, or undated)
    if (main is not None and main in events and c.kind == "meeting" and main.kind == "meeting" and not b
            and (c.date is None or c.date == main.date)):
        return main
    return None


def _attach(ev: Event, people: list[EntityRef], orgs: list[EntityRef], places: list[EntityRef],
            sents: list[Sentence], text: str) -> None:
    within = SpanSet((sents[i].start, sents[i].end) for i in ev.sentences)
    core = SpanSet((sents[i].start, sents[i].end) for i in ev.core | {min(ev.sentences)})

    def hit(ref: EntityRef, spans: SpanSet) -> bool:
        return any(spans.covers(a, b) for a, b in ref.spans)

    ev.participants = [p.name for p in people if hit(p, within)]
    ev.organizations = [o.name for o in orgs if hit(o, core)]
    if ev.location:
        inside = [p.name for p in places if p.name in ev.location]
        named = [o.name for o in orgs if o.name in ev.location]
        if inside:
            ev.location = max(inside, key=ev.location.rfind)
        elif named:
            ev.location = named[0]
        elif len(ev.location) > 8 or re.search(r"[《》“”\"（）()]", ev.location):
            ev.location = None
    ev.mentions = sorted(set(ev.mentions) - {(ev.start, ev.end)})
