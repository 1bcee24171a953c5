"""People: names the tagger finds anywhere in the text and a surname rule in name slots, linked to
the titles and the body written before them.

Name slots: after a title word (局长程鹏), after an organisation name (基金会侯远青, IUCN的孙艺芸),
before a speech verb (程鹏指出), around 记者/摄. A name the tagger alone proposes, with no slot,
must look like a name (a Baijiaxing surname, or a transliteration). The title chain is read backwards from the name
(党组书记、局长), then the organisation or place that ends where the chain starts is its `org`;
a name listed right after another official (局长程鹏、副局长柏国强) inherits that official's body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .lexicons import words
from .lexicons.surnames import COMMON_SURNAMES, COMPOUND_SURNAMES, SURNAMES
from .lexicons.titles import (
    HONORIFICS,
    MAX_TITLE_LEN,
    NAME_CUES_AFTER,
    NAME_CUES_BEFORE,
    SPEECH_VERBS,
    TITLES,
    TRAILING_TITLES,
)
from .lexicons.world import COUNTRIES, FOREIGN_CITIES
from .locations import PlaceMention
from .ner import PER, NerSpan
from .organizations import OrgSpan
from .textscan import PUNCT, Lexicon, Sentence, SpanSet, is_cjk

_TITLE_LEX = Lexicon(TITLES)
_CUE_LEX = Lexicon(list(TITLES) + list(SPEECH_VERBS) + list(NAME_CUES_BEFORE) + list(NAME_CUES_AFTER)
                   + list(HONORIFICS) + ["的"])
# Characters that may follow a name in the surname rule (a verb, a conjunction, punctuation).
_AFTER_NAME = frozenset("在和与及等参出表指介认强说分主致讲发提建回解呼称谈总会陪带率一作做同也就对向为从将已还"
                        "首随接曾现目均则亦即又再先正是"
                        "，,、。；;：:（(）)“”\" \n\t")
# Characters that end a 2-character name rather than complete a 3-character one.
_WEAK_END = frozenset("与和及在等是说向对为从将")
_LATIN_NAME = re.compile(r"[A-Z][a-z]+(?: [A-Z][a-z]+){1,2}")
# Words an NER may tag PER that are not people (titles, roles, pronouns).
_NOT_NAMES = frozenset(words("""
记者 代表 专家 学者 嘉宾 主持人 本人 他们 她们 我们 大家 领导 同志 总书记 主席 习近平总书记
"""))
_MAX_NAME = 8
# Titles that may follow a name (习近平主席); others after a name usually start a new phrase.
_TITLES_AFTER_NAME = frozenset({"主席", "总书记", "总理", "副总理", "总统", "首相", "部长", "局长", "省长", "市长",
                                "书记", "院士", "教授", "博士", "秘书长", "大使", "先生"}) - HONORIFICS


@dataclass
class Person:
    name: str
    titles: list[str] = field(default_factory=list)
    org: str | None = None
    # (start, end) of each mention: the first one covers the body and titles written before it.
    mentions: list[tuple[int, int]] = field(default_factory=list)




def _name_slots(text: str, org_ends: set[int]) -> tuple[list[int], list[int]]:
    """Positions where a name may start (after titles, bodies, name cues) or end (before verbs)."""
    starts: list[int] = []
    ends: list[int] = []
    for s, e, w in _CUE_LEX.finditer(text):
        if w in TITLES or w in NAME_CUES_BEFORE:
            starts.append(e)
            # a name before its title (习近平主席, 程鹏局长), unless a body ends there (生态环境部部长)
            if w in _TITLES_AFTER_NAME and s > 0 and s not in org_ends and is_cjk(text[s - 1]):
                ends.append(s)
        elif w == "的":
            if s in org_ends:
                starts.append(e)
        else:  # a name comes before speech verbs, honorifics and 摄
            ends.append(s)
    for e in org_ends:
        starts.append(e)
        if text[e : e + 1] in ("(", "（"):  # 联合国开发计划署驻华代表处(UNDP)冷斐
            close = min((k for k in (text.find(")", e, e + 16), text.find("）", e, e + 16)) if k >= 0), default=-1)
            if close > 0:
                starts.append(close + 1)
    return starts, ends


# Single characters that, third in a three-character "name", are the next word's start (孟萌也,
# 马力作报告, 张辰以, 石峰认为, 孟萌代表): the model and the surname rule both run names into them.
_SWALLOWED = frozenset("也作以认代表就都则亦即又再还曾均等在和与及是说对为将已向从被把指称讲谈提致主分介会陪率带出参")
# What makes a "name" an ideology, not a person (习近平生态文明思想, 习近平总书记生态文明思想,
# 习近平新时代中国特色社会主义思想).
_NOT_PERSON_AFTER = re.compile(r"(?:总书记|主席|同志)?(?:新时代|[\u4e00-\u9fff]{0,4}思想)")
# Role words: 黄老师, 张教授 and 习总书记 name nobody.
_ROLE_ENDINGS = tuple(sorted({"老师", "教授", "总书记", "书记", "总", "方", "人"} | set(HONORIFICS)
                             | set(TRAILING_TITLES), key=len, reverse=True))


def _trim_swallowed(name: str) -> str:
    """Drop a third character that starts the next word (孟萌作 → 孟萌 in 孟萌作了报告)."""
    if len(name) == 3 and name[2] in _SWALLOWED and name[:2] not in COMPOUND_SURNAMES:
        return name[:2]
    return name


def _model_only_name(text: str, start: int, name: str) -> bool:
    """A name the model alone proposes (no title, body or cue): it must look like a Chinese name
    (a surname and one or two characters), a transliteration with ·, and not follow a digit (50余人)."""
    if start > 0 and text[start - 1].isdigit():
        return False
    if "·" in name:
        return True
    sur = 2 if name[:2] in COMPOUND_SURNAMES else 1 if name[0] in SURNAMES else 0
    return bool(sur) and 1 <= len(name) - sur <= 2


def _valid_name(name: str) -> bool:
    if not name or name in _NOT_NAMES or name in TITLES or name in COUNTRIES or name in FOREIGN_CITIES:
        return False
    if name.endswith(_ROLE_ENDINGS) and not _LATIN_NAME.fullmatch(name):
        return False
    if _LATIN_NAME.fullmatch(name):
        return True
    if not 2 <= len(name) <= _MAX_NAME:
        return False
    if not all(is_cjk(c) or c == "·" for c in name):
        return False
    return not name.endswith(("局", "部", "会", "院", "所", "省", "市", "区", "县", "国"))


def _surname_name_at(text: str, i: int, common_only: bool) -> str | None:
    """A 2–3 character Chinese name starting at `i` by the surname rule, or None.

    With the NER at hand this is a fallback for names it missed, so only the commonest
    surnames count (主席国 is not a Mr 国).
    """
    if i >= len(text):
        return None
    surnames = COMMON_SURNAMES if common_only else SURNAMES
    sur = 2 if text[i : i + 2] in COMPOUND_SURNAMES else 1 if text[i] in surnames else 0
    if not sur:
        return None
    for n in (sur + 2, sur + 1):
        cand = text[i : i + n]
        after = text[i + n : i + n + 1]
        if n == sur + 2 and cand[-1] in _WEAK_END:
            continue  # 冷斐与…: 与 ends the name, it is not part of it
        if (len(cand) == n and all(is_cjk(c) for c in cand) and (after == "" or after in _AFTER_NAME)
                and _TITLE_LEX.match_at(text, i + sur) is None):
            return cand
    return None


def _surname_name_before(text: str, j: int) -> str | None:
    """A 2–3 character name ending at `j` after a clause boundary, by the common-surname rule."""
    for n in (3, 2):
        i = j - n
        if i < 0:
            continue
        cand = text[i:j]
        before = text[i - 1] if i > 0 else "。"
        if (cand[0] in COMMON_SURNAMES and all(is_cjk(c) for c in cand) and not is_cjk(before)
                and _TITLE_LEX.match_at(text, i + 1) is None):
            return cand
    return None


def _titles_before(text: str, p: int) -> tuple[list[str], int]:
    """The title chain ending at `p` (党组书记、局长), and where it starts."""
    titles: list[str] = []
    while p > 0:
        t = _TITLE_LEX.ending_at(text, p, MAX_TITLE_LEN)
        if t is None:
            break
        p -= len(t)
        k = p
        while k > 0 and p - k < 10 and text[k - 1].isascii() and text[k - 1].isalnum():
            k -= 1
        latin = text[k:p]
        if k < p and (k == 0 or not (text[k - 1].isascii() and text[k - 1].isalnum())) and (
            t.startswith("项目") or (any(c.isdigit() for c in latin) and not latin.isdigit())
        ):
            t, p = latin + t, k  # BIOFIN项目负责人, COP15主席: the title's own qualifier
        titles.insert(0, t)
        if p > 0 and text[p - 1] in "、兼和及" and _TITLE_LEX.ending_at(text, p - 1, MAX_TITLE_LEN):
            p -= 1
    return titles, p


def _body_before(
    text: str, p: int, orgs_by_end: dict[int, tuple[int, str]], places_by_end: dict[int, PlaceMention]
) -> tuple[str | None, int]:
    """The organisation or place written right before position `p`, and where it starts."""
    q = p
    if q > 0 and text[q - 1] == "的":
        q -= 1
    k = q
    while q not in orgs_by_end and k > 0 and k > q - 12 and text[k - 1].isascii() and text[k - 1].isalnum():
        k -= 1  # 联合国开发计划署(UNDP)BIOFIN项目负责人: skip a Latin project name
    if k < q and k not in orgs_by_end:
        q = k
    if q > 0 and text[q - 1] in ")）":  # 联合国开发计划署(UNDP)
        k = max(text.rfind("(", 0, q), text.rfind("（", 0, q))
        if k >= 0 and q - k <= 14:
            q = k
    if q in orgs_by_end:
        ostart, otext = orgs_by_end[q]
        return otext, ostart
    if q in places_by_end:
        start = places_by_end[q].start
        while start in places_by_end and q - places_by_end[start].start <= 14:
            start = places_by_end[start].start  # 巴基斯坦旁遮普省: a country and the region after it
        return text[start:q], start
    # an unknown region after a country or province: 巴基斯坦旁遮普省首席部长
    for k in range(q - 1, max(-1, q - 9), -1):
        if k in places_by_end and k < q and text[q - 1] in "省州邦市区县":
            seg = text[k:q]
            if all(is_cjk(c) for c in seg) and len(seg) <= 5:
                pl = places_by_end[k]
                return text[pl.start : q], pl.start
    return None, p


def find_people(
    text: str,
    orgs: list[OrgSpan],
    places: list[PlaceMention],
    sents: list[Sentence],
    ner: list[NerSpan] | None,
    org_mentions: list[tuple[int, int]] | None = None,
) -> list[Person]:
    """People of the article, one per name, with titles and body.

    `orgs` are the organisation spans as written (departments included); `org_mentions` are
    further spans naming organisations (aliases, acronyms) that may stand before a name.
    """
    candidates: dict[int, str] = {}  # start → name
    org_ends = {o.end for o in orgs} | {o.parent_end for o in orgs if o.parent_end is not None}
    org_ends |= {b for _a, b in org_mentions or []}
    starts, ends = _name_slots(text, org_ends)
    # Rules first: a common surname and one or two characters, then a boundary.
    for i in starts:
        # after a body (基金会侯远青) every surname counts; after a title only common ones (主席国)
        name = _surname_name_at(text, i, common_only=ner is not None)
        if name and _valid_name(name):
            candidates[i] = name
    # Before speech verbs and titles: a common surname after a boundary (。程鹏指出).
    for j in ends:
        name = _surname_name_before(text, j)
        if name and _valid_name(name):
            candidates.setdefault(j - len(name), name)
    # The model's names anywhere in the text: people without a cue (bylines, lists, a name before its
    # title) are found only this way.
    ner_names: set[int] = set()
    for sp in ner or []:
        if sp.label != PER:
            continue
        name = sp.text
        if (len(name) >= 4 and name[0] in COMMON_SURNAMES and name[:2] not in COMPOUND_SURNAMES
                and "·" not in name and all(is_cjk(c) for c in name)):
            name = name[:3]  # 申晓莉昆蒙框架: the model ran the name into the next word
        name = _trim_swallowed(name)
        rule = candidates.get(sp.start)
        # the model reads the whole word: 揭建平 over the rule's 揭建
        if _valid_name(name) and (rule is None or (len(name) > len(rule) and name.startswith(rule))):
            candidates[sp.start] = name
            ner_names.add(sp.start)
    for m in _LATIN_NAME.finditer(text):
        # Latin names only right after a body or a title, or before a speech verb
        before = text[max(0, m.start() - 1) : m.start()]
        after = text[m.end() : m.end() + 2]
        if (before in ("的", "所") or _TITLE_LEX.ending_at(text, m.start(), MAX_TITLE_LEN)
                or any(after.startswith(v) for v in ("为", "表示", "介绍", "指出"))):
            candidates.setdefault(m.start(), m.group(0))

    orgs_by_end: dict[int, tuple[int, str]] = {}
    for a, b in org_mentions or []:
        orgs_by_end[b] = (a, text[a:b])
    for o in orgs:
        orgs_by_end[o.end] = (o.start, o.text)
        if o.parent_end is not None:  # 深圳市生态环境局党组成员: the parent ends where the title starts
            orgs_by_end.setdefault(o.parent_end, (o.start, text[o.start : o.parent_end]))
    places_by_end = {p.end: p for p in places}
    people: dict[str, Person] = {}
    order: list[str] = []
    last_end = -10
    last_org: str | None = None
    last_titles: list[str] = []
    occupied_end = -1  # candidates come in text order; a name overlapping the previous one is skipped
    for start in sorted(candidates):
        name = _trim_swallowed(candidates[start])
        end = start + len(name)
        if start < occupied_end:
            continue
        occupied_end = end
        titles, tstart = _titles_before(text, start)
        org, ostart = _body_before(text, tstart, orgs_by_end, places_by_end) if titles else (None, tstart)
        if not titles:
            # 中国绿色碳汇基金会侯远青, IUCN的孙艺芸: a body directly before the name
            org, ostart = _body_before(text, start, orgs_by_end, places_by_end)
        trailing = text[end : end + 2]
        after_title = _TITLE_LEX.match_at(text, end) if end < len(text) else None
        if trailing in TRAILING_TITLES:
            titles.append(trailing)
        elif after_title and after_title in _TITLES_AFTER_NAME:
            titles.append(after_title)  # 习近平主席, 习近平总书记
            trailing = after_title
        if org is None and titles and tstart > 0 and text[tstart - 1] in "、，," and tstart - 1 == last_end:
            org = last_org  # 局长程鹏、副局长柏国强
        if not titles and start > 0 and text[start - 1] == "、" and start - 1 == last_end and last_titles:
            titles, org = list(last_titles), last_org  # 副部长庄国泰、叶民: the same office
        if not titles and org is None:
            if start in ner_names:
                # the model's name with no title or body must look like a name; a speech verb may
                # vouch for a longer transliteration (古特雷斯表示) that starts with a surname, not
                # for a phrase (抽采瓦斯提出)
                if not _model_only_name(text, start, name) and not (_has_cue(text, start, end)
                                                                     and name[:1] in SURNAMES):
                    continue
            elif not _has_cue(text, start, end):
                continue
        if _NOT_PERSON_AFTER.match(text, end):
            continue
        p = people.get(name)
        if p is None:
            p = Person(name)
            people[name] = p
            order.append(name)
        for t in titles:
            if t not in p.titles:
                p.titles.append(t)
        if p.org is None and org is not None:
            p.org = org
        p.mentions.append((min(ostart, tstart), end))
        last_end = end + (len(trailing) if trailing in TRAILING_TITLES or trailing in HONORIFICS else 0)
        last_org = org
        last_titles = [t for t in titles if t not in TRAILING_TITLES]

    # Every other occurrence of a known name is a mention: one longest-match scan for all names
    # (程鹏飞 is not a mention of 程鹏), linear in the text however many people there are.
    covered = {name: SpanSet(p.mentions) for name, p in people.items()}
    for a, b, name in Lexicon(people).finditer(text):
        if not covered[name].covers(a, b):
            people[name].mentions.append((a, b))
    for p in people.values():
        p.mentions.sort()
    return [people[n] for n in order]


def _has_cue(text: str, start: int, end: int) -> bool:
    """A bare name counts when a speech verb, an honorific or a name cue is next to it."""
    after = text[end : end + 4].lstrip(" ")
    before = text[max(0, start - 3) : start]
    if any(after.startswith(v) for v in SPEECH_VERBS) or after[:2] in HONORIFICS:
        return True
    if any(after.startswith(c) for c in NAME_CUES_AFTER) or any(before.endswith(c) for c in NAME_CUES_BEFORE):
        return True
    # names in a byline: (吴洁 黄沁)
    return bool(before) and before[-1] in "（( " and (after[:1] in "）) " or after[:1] == "")


def strip_punct(s: str) -> str:
    return "".join(c for c in s if c not in PUNCT)
