"""Named documents: titles in 《》 with their alias (以下简称), issuer, action and date.

Newspapers and magazines in 《》 are media organisations; videos and films are neither.
A later 《short》 that ends an earlier title (《方案》 for 《黄浦区碳达峰实施方案》) or repeats its
alias is a mention of that document, not a new one.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import TypeVar

from .dates import DateSpan
from .textscan import TITLE_IN_BRACKETS, SpanSet

_ALIAS = re.compile(r"\s*[（(]\s*(?:以下简称|以下称|下称|简称)[:：]?\s*[《“\"「]([^》”\"」）)]{1,20})[》”\"」]\s*[）)]")
# Actions, longest first (审议通过 before 通过).
ACTIONS: tuple[str, ...] = (
    "审议通过", "联合印发", "联合发布", "正式发布", "正式实施", "征求意见", "印发", "发布", "出台", "实施", "施行",
    "公布", "修订", "修正", "颁布", "通过", "制定", "编制", "起草", "批复", "批准", "签发", "下发", "发出", "推出",
    "公开", "废止", "签署", "提交", "审议", "转发",
)
_ACTION_RE = re.compile("|".join(ACTIONS))
_MEDIA_TAIL = ("日报", "晚报", "晨报", "时报", "商报", "报", "杂志", "周刊", "月刊", "画报", "学报", "导报", "快报")
_MEDIA_AFTER = ("记者", "报道", "刊发", "刊登", "头版", "发表", "评论员", "专访", "消息", "客户端", "官微", "微信")
_NOT_DOCUMENT_AFTER = ("视频", "宣传片", "纪录片", "电影", "节目", "栏目", "专题片", "微电影", "歌曲", "MV", "动画",
                       "展览", "专栏", "直播", "短片", "话剧", "舞台剧")
# 观看了《…》: what is watched or listened to is an audiovisual work, not a document.
_WATCHED_BEFORE = re.compile(r"(?:观看|收看|观影|收听|播放|播出)[了]?[^，,。；;\n]{0,6}$")
# 《国务院办公厅关于印发控制污染物排放许可制实施方案的通知》: the notice folds into what it issues.
_ISSUING_NOTICE = re.compile(r"^(?P<issuer>[^《》]{0,30}?)关于印发[《“]?(?P<title>[^《》”]{2,60}?)[》”]?的通知$")
# A title line that is itself a regulation (…管理办法, …实施细则). Announcements and notices
# (关于…的公告) are left out: the development set's two annotators split on them evenly.
_DOC_TITLE_LINE = re.compile(r"^[^\n《》]{2,40}(?:管理办法|实施细则|暂行办法|办法|规定|条例|细则)$")
# Named plans and reports without 《》 (FACTS): “十三五”规划, 十四五生态环境保护规划, 政府工作报告, 十九大报告.
_UNBRACKETED = re.compile(
    r"[“\"]?十[一二三四五六]五[”\"]?(?:[\u4e00-\u9fff]{0,12}?)规划(?:纲要)?(?!期|时期|[\u4e00-\u9fff]{0,2}期间)"
    r"|(?:(?:19|20)[0-9]{2}年)?政府工作报告|[十二]{1,2}[一二三四五六七八九十]?大报告"
)
# Documents have these endings far more often than anything else in 《》.
_CLAUSE_END = "。！？!?；;\n"
_SUBJECT_BEFORE = "，,、：:"
# An action written after the title(s): 《A》《B》等政策研究报告在会上正式发布, 《…》已于日前印发
_ACTION_AFTER = re.compile(
    r"(?:《[^《》\n]{1,80}》|[、和及与]){0,12}(?:等[^，,。；;\n]{0,12}?)?"
    r"(?:[已于将由并正式日前近日今年同年在会上中]{0,8})(" + _ACTION_RE.pattern + ")"
)


@dataclass
class Document:
    title: str
    alias: str | None = None
    issuer: str | None = None
    action: str | None = None
    date: str | None = None
    mentions: list[tuple[int, int]] = field(default_factory=list)  # (start, end) incl. 《》


def _is_media(title: str, after: str) -> bool:
    if any(title.endswith(t) for t in _MEDIA_TAIL) and len(title) <= 12 and not title.endswith(("年报", "简报",
                                                                                                  "通报", "公报",
                                                                                                  "情报", "汇报")):
        return True
    return any(after.startswith(a) for a in _MEDIA_AFTER) and len(title) <= 10


def _clause_start(text: str, pos: int) -> int:
    k = pos
    while k > 0 and text[k - 1] not in _CLAUSE_END and pos - k < 120:
        k -= 1
    return k


@dataclass(frozen=True, slots=True)
class Body:
    """A span naming an organisation (by its fullest name) or a place: a possible issuer."""

    start: int
    end: int
    name: str
    place: bool = False


def _issuer_action(text: str, start: int, end: int, bodies: list[Body]) -> tuple[str | None, str | None]:
    """Issuer and action from the clause before the title, or the words right after it."""
    cs = _clause_start(text, start)
    before = text[cs:start]
    action = None
    apos = None
    found = list(_ACTION_RE.finditer(before))
    for m in found:
        # 联合发布了新修订的《…》: an action used as an adjective (…的) yields to an earlier one
        if action is not None and text.startswith("的", cs + m.end()):
            continue
        action, apos = m.group(0), cs + m.start()
    if apos is not None and text[apos + len(action or "") : start] == "的":
        # 今年6月发布的《…》: a relative clause; its subject is in the same comma-phrase
        cs = max([cs] + [text.rfind(c, cs, apos) + 1 for c in "，,"])
    issuer = None
    if apos is not None:
        # the subject: the first organisation of the clause before the action, else a place that
        # opens a clause (…，深圳…出台《…》) rather than one after 在/于
        # the comma-phrase of the verb first (…，省生态环境厅会同省发展改革委制定了《…》), else the clause
        ps = max([cs] + [text.rfind(c, cs, apos) + 1 for c in "，,：:"])
        orgs = [b for b in bodies if not b.place and ps <= b.start and b.end <= apos] or [
            b for b in bodies if not b.place and cs <= b.start and b.end <= apos]
        places = [b for b in bodies if b.place and cs <= b.start and b.end <= apos
                  and (b.start == cs or text[b.start - 1] in _SUBJECT_BEFORE)]
        if orgs:
            issuer = orgs[0].name
        elif places:
            issuer = places[0].name
    else:
        # 国务院《关于…的意见》, 国家发改委《…方案》: the issuer stands right before the title
        direct = [b for b in bodies if not b.place and (b.end == start or (b.end == start - 1
                                                                           and text[start - 1] in "的、"))]
        if direct:
            issuer = direct[0].name
        am = _ACTION_AFTER.match(text, end)
        if am:
            action = am.group(1)
            if issuer is None:
                # …完成的《A》《B》等报告在会上正式发布: the clause's first organisation issued them
                orgs = [b for b in bodies if not b.place and cs <= b.start and b.end <= start]
                issuer = orgs[0].name if orgs else None
    return issuer, _base_action(action)


def _base_action(action: str | None) -> str | None:
    """联合发布, 正式实施 → 发布, 实施: the action is the verb (FACTS vocabulary)."""
    if action and action.startswith(("联合", "正式")) and len(action) > 2:
        return action[2:]
    return action


def _date_for(text: str, start: int, dates: list[DateSpan]) -> str | None:
    """The date point nearest before the title in its clause (今年6月发布的《…》)."""
    cs = _clause_start(text, start)
    best = None
    for d in dates:
        if cs <= d.start and d.end <= start and d.opening_point is not None:
            best = d.opening_point
    return best


def _unbracketed(text: str, docs: list[Document], by_title: dict[str, Document], body_start: int) -> None:
    """Documents without 《》: the article's own title line when it is a regulation (…管理办法),
    and named plans and reports (十二五规划)."""
    covered = [sp for d in docs for sp in d.mentions]
    line_end = text.find("\n")
    if body_start > 0 and line_end > 0:
        line = text[:line_end].strip()
        if _DOC_TITLE_LINE.match(line) and line not in by_title:
            start = text.index(line)
            doc = Document(line, mentions=[(start, start + len(line))])
            by_title[line] = doc
            docs.append(doc)
    inside = SpanSet(covered)
    for m in _UNBRACKETED.finditer(text):
        if inside.covers(m.start(), m.start() + 1):
            continue
        title = re.sub(r"[“”\"]", "", m.group(0))
        plan = by_title.get(title)
        if plan is None:
            plan = by_title[title] = Document(title)
            docs.append(plan)
        plan.mentions.append(m.span())


def find_media(text: str) -> list[tuple[int, int]]:
    """Spans (inside 《》) of newspapers and magazines: media organisations, not documents."""
    return [(m.start(1), m.end(1)) for m in TITLE_IN_BRACKETS.finditer(text)
            if m.group(1).strip() and _is_media(m.group(1).strip(), text[m.end() : m.end() + 6])]


_S = TypeVar("_S")
# A clause reaches at most this far back (`_clause_start`), and no name is longer: only the bodies
# and dates starting this close before a title can be its issuer or date.
_REACH = 240


def _near(items: list[_S], starts: list[int], pos: int) -> list[_S]:
    """The items (sorted by start) that start within `_REACH` before `pos`: O(log n), so that a
    document naming thousands of titles costs linear time, not quadratic."""
    return items[bisect_left(starts, pos - _REACH) : bisect_right(starts, pos)]


def find_documents(text: str, bodies: list[Body], dates: list[DateSpan], body_start: int = 0) -> list[Document]:
    bodies = sorted(bodies, key=lambda b: b.start)
    body_starts = [b.start for b in bodies]
    dates = sorted(dates, key=lambda d: d.start)
    date_starts = [d.start for d in dates]
    docs: list[Document] = []
    by_title: dict[str, Document] = {}
    by_alias: dict[str, Document] = {}
    for m in TITLE_IN_BRACKETS.finditer(text):
        title = m.group(1).strip()
        if not title:
            continue
        after = text[m.end() : m.end() + 6]
        if _is_media(title, after):
            continue
        if any(a in after[:5] for a in _NOT_DOCUMENT_AFTER) or _WATCHED_BEFORE.search(text, max(0, m.start() - 12),
                                                                                        m.start()):
            continue
        notice = _ISSUING_NOTICE.match(title)
        folded_issuer = None
        if notice:
            title, folded_issuer = notice.group("title").strip(), notice.group("issuer").strip() or None
        doc = by_title.get(title) or by_alias.get(title)
        if doc is None:
            # 《方案》 after 《黄浦区碳达峰实施方案》: a short back-reference
            # (among the recent ones: a back-reference is to a title the reader just met)
            doc = next((d for d in reversed(docs[-64:]) if len(title) >= 2 and d.title.endswith(title)
                        and len(title) < len(d.title)), None)
        if doc is not None:
            doc.mentions.append(m.span())
            am = _ALIAS.match(text, m.end())
            if am and doc.alias is None:
                doc.alias = am.group(1).strip()
                by_alias[doc.alias] = doc
            elif title != doc.title and doc.alias is None:
                doc.alias = title  # 《方案》 for 《黄浦区碳达峰实施方案》: the short form the text uses
            if doc.action is None or doc.issuer is None:
                issuer, action = _issuer_action(text, m.start(), m.end(), _near(bodies, body_starts, m.start()))
                doc.issuer = doc.issuer or issuer
                if doc.action is None and action is not None:
                    doc.action = action
                    doc.date = doc.date or _date_for(text, m.start(), _near(dates, date_starts, m.start()))
            continue
        doc = Document(title)
        doc.issuer, doc.action = _issuer_action(text, m.start(), m.end(), _near(bodies, body_starts, m.start()))
        if notice:
            doc.issuer, doc.action = folded_issuer or doc.issuer, "印发"
        if doc.action is not None or doc.issuer is not None:
            doc.date = _date_for(text, m.start(), _near(dates, date_starts, m.start()))
        am = _ALIAS.match(text, m.end())
        if am:
            doc.alias = am.group(1).strip()
            by_alias[doc.alias] = doc
        doc.mentions.append(m.span())
        by_title[title] = doc
        docs.append(doc)
    _unbracketed(text, docs, by_title, body_start)
    # Aliases written in quotes (以下简称“方案”) are mentions too.
    for alias, doc in by_alias.items():
        for m in re.finditer("“" + re.escape(alias) + "”", text):
            doc.mentions.append(m.span())
    for d in docs:
        d.mentions = sorted(set(d.mentions))
    return docs
