"""Organisation spans: the rules' suffix-anchored candidates checked and completed by the model.

The rules find names that end in a suffix (…局, …公司, …中心) and grow them leftwards; they cannot
tell 政策性银行 (a kind of bank) from 兴业银行 (a bank), and they miss names without a suffix
(湖北碳交, 能链智电, 安迅思). The tagger (`ner.py`) knows names but cuts and glues them. Here each
does what it is good at:

- a rule span the model also tags as an organisation may take the model's earlier start when the
  rules stopped short (碳资产管理有限公司 → 湖北中碳资产管理有限公司);
- a rule span whose words are all common words (no place, no Latin, no proper word) needs the
  model's agreement, else it is a generic phrase, not a name;
- a leading preposition or verb the rules let through is trimmed (对省生态环境厅, 报国家环境保护局);
- a company's department (…会员部, 碳市场部) is not an organisation of its own;
- the model's organisations that no rule found are added when they start and end on word
  boundaries and are not places or fragments.
"""

from __future__ import annotations

import bisect
import re

from .lexicons.organizations import INTERNATIONAL_PREFIXES, NOT_ORG_WORDS, SUFFIX_KIND
from .lexicons.titles import TITLES
from .lexicons.vocabulary import BODIES
from .lexicons.world import COUNTRIES, FOREIGN_CITIES, REGIONS
from .ner import ORG, PER, NerSpan
from .organizations import OrgSpan, has_proper, suffix_of
from .textscan import SpanSet, Token, is_cjk

# Single characters that open a clause, not a name (对省生态环境厅, 报国家环境保护局, 由…主办);
# inside a span, the prepositions among them open the name after them (中心领导对省生态环境厅).
_LEADING = frozenset("对报向由据经将把被给从于在和与及并而即")
_INNER_LEADING = frozenset("对报向由据经将把被给从于在")
# A numeral or 原 ("former") before a national or provincial body is not part of its name
# (三国家环境保护总局 in a numbered list, 原国家环境保护局).
_LEADING_BEFORE_HEAD = frozenset("一二三四五六七八九十原")
_HEADS = ("国家", "中国", "中华", "全国", "国务院", "省", "市", "区", "县")
# A floor and a room: a venue (联交所五楼多功能厅), not an organisation.
_VENUE = re.compile(r"[0-9一二三四五六七八九十]+(?:楼|层|号楼)")
_TRAILING = frozenset("在的和与及是")
# Ministries and commissions written as a bare "…部": the national ones and their short forms.
_MINISTRY_WORDS = frozenset(BODIES)
_MAX_MODEL_ORG = 24
_COMPANY_SUFFIXES = frozenset({"公司", "银行", "集团", "厂", "电厂", "发电厂", "有限公司", "股份有限公司", "交易所",
                               "交易中心"})
_ACRONYM = re.compile(r"[A-Z]{3,8}")
# Model organisations ending so are departments, delegations or common phrases, not names.
_NOT_MODEL_ENDINGS = ("代表团", "党委", "党组", "党支部", "办公室", "大会", "汽车", "发展", "管理", "森林", "部委")


def _token_bounds(tokens: list[Token]) -> tuple[set[int], set[int]]:
    return {t.start for t in tokens}, {t.end for t in tokens}


def _supported(s: int, e: int, by_end: dict[int, list[NerSpan]]) -> bool:
    """The model tags an organisation that ends where this name ends (± one character) and
    overlaps its head."""
    return any(n.start < e - 1 and n.end > s for k in (e - 1, e, e + 1) for n in by_end.get(k, ()))



def _is_department(text: str, sp: OrgSpan, ends: set[int]) -> bool:
    """A bare …部 that is no ministry: a company's department (研发部, 会员部, 碳市场部)."""
    name = text[sp.start : sp.end]
    if not name.endswith("部") or sp.parent_end is not None or name in _MINISTRY_WORDS:
        return False
    prefix = name[:-1]
    return sp.start in ends or not has_proper(prefix) or any(name.startswith(m) for m in ("中心", "公司"))


def _model_name(name: str) -> bool:
    """Whether an organisation only the model found looks like one: an upper-case acronym (CNAS), or
    three or more characters that are not a place, a delegation, a party cell or an office (those
    fold into their body), and not a common phrase (新能源汽车, 低碳发展)."""
    if _ACRONYM.fullmatch(name):
        return True
    if not 3 <= len(name) <= _MAX_MODEL_ORG or name in NOT_ORG_WORDS or name.endswith(_NOT_MODEL_ENDINGS):
        return False
    if not all(is_cjk(c) or (c.isascii() and c.isalnum()) or c in "（）()·&-" for c in name):
        return False
    if name in COUNTRIES or name in FOREIGN_CITIES or name in REGIONS:
        return False
    from .locations import division_table  # loaded once and cached

    place = division_table().lexicon.match_at(name, 0)
    return not (place and len(name) - len(place) <= 1)


def _specific(name: str, suffix: str) -> bool:
    """Whether the words before the suffix make a name by themselves: a place or the article's own
    (省…, 区…), an acronym, an international head (世界…, 全球…), a body of government with a
    three-character remit (环境保护部), or a long descriptive centre or institute
    (环境工程评估中心). Companies and banks (政策性银行, 碳资产管理公司) need more."""
    prefix = name[: -len(suffix)]
    if not prefix:
        return name in _MINISTRY_WORDS or len(name) >= 3
    if has_proper(prefix) or prefix.startswith(INTERNATIONAL_PREFIXES) or prefix[0] in "省市区县州":
        return True
    if name[-1] in "部局厅委署办" and len(prefix) >= 3:
        return True
    return suffix not in _COMPANY_SUFFIXES and len(prefix) >= 5


def _ends_with_title(name: str) -> bool:
    """省委常委, 中心主任: a body and a title, not a body."""
    return any(name[-k:] in TITLES and len(name) > k for k in (2, 3)) and not name.endswith(("委员会", "会"))


def _split_glued(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Two names written back to back (广州市金融局毕节市人民政府, 综合办公室和纪委): the earlier
    ones, cut where a name ends in a suffix and a place or 和 starts the next; the last part is
    the caller's."""
    from .locations import division_table

    lex = division_table().lexicon
    parts: list[tuple[int, int]] = []
    k = s
    for j in range(s + 2, e - 1):
        if suffix_of(text[k:j]) is not None and text[k:j].endswith(tuple(SUFFIX_KIND)) and (
                lex.match_at(text, j) or (text[j] == "和" and suffix_of(text[j + 1 : e]))):
            if text[j] != "和":
                parts.append((k, j))
            k = j + 1 if text[j] == "和" else j
    return parts


def _starts_inside(starts: list[int], s: int, e: int) -> bool:
    k = bisect.bisect_left(starts, s)
    return k < len(starts) and starts[k] < e


def refine_org_spans(text: str, spans: list[OrgSpan], ner: list[NerSpan] | None,
                     tokens: list[Token]) -> list[OrgSpan]:
    """The rules' spans checked against the model's organisations, plus the model's own."""
    if ner is None:  # rules alone (`use_ner=False`)
        return spans
    ner_orgs = [n for n in ner if n.label == ORG]
    by_end: dict[int, list[NerSpan]] = {}
    for n in ner_orgs:
        by_end.setdefault(n.end, []).append(n)
    person_starts = sorted(n.start for n in ner if n.label == PER)
    starts, tok_ends = _token_bounds(tokens)
    org_ends = {sp.end for sp in spans}
    out: list[OrgSpan] = []
    for sp in spans:
        s, e = sp.start, sp.end
        name_end = sp.parent_end or e
        if _is_department(text, sp, org_ends):
            continue
        # the model starts the same name earlier: the rules stopped at 和, a place or a Latin word
        for n in (*by_end.get(name_end, ()), *by_end.get(e, ())):
            if n.start < s and s - n.start <= 12 and n.start in starts and all(
                    is_cjk(c) or (c.isascii() and c.isalnum()) for c in text[n.start : s]):
                s = n.start
                break
        while s < name_end - 2 and (
                (text[s] in _LEADING and ((s + 1) in starts or text.startswith(_HEADS, s + 1)))
                or (text[s] in _LEADING_BEFORE_HEAD and text.startswith(_HEADS, s + 1))):
            s += 1
        # 中心领导对省生态环境厅: a preposition inside the span opens the name after it
        for k in range(name_end - 3, s, -1):
            if text[k] in _INNER_LEADING and text.startswith(_HEADS, k + 1):
                s = k + 1
                break
        name = text[s:name_end]
        if _starts_inside(person_starts, s, name_end) or _VENUE.search(name) or _ends_with_title(name):
            continue  # …总经理刘汉武汇报交易中心, 联交所五楼多功能厅, 省委常委: not names
        parts = _split_glued(text, s, name_end)
        out.extend(OrgSpan(a, b, text[a:b]) for a, b in parts)
        if parts:
            k = parts[-1][1]
            s = k + 1 if text[k] == "和" else k
            name = text[s:name_end]
        suffix = suffix_of(name)
        if suffix and not _specific(name, suffix) and not _supported(s, name_end, by_end):
            continue  # 政策性银行, 碳资产管理公司: common words before the suffix and no model support
        out.append(OrgSpan(s, e, text[s:e], sp.parent_end))
    taken = SpanSet((sp.start, sp.end) for sp in out)
    starts_sorted = sorted(sp.start for sp in out)
    for n in ner_orgs:
        if (taken.covers(n.start, n.start + 1) or taken.covers(n.end - 1, n.end)
                or _starts_inside(starts_sorted, n.start, n.end) or n.start not in starts or n.end not in tok_ends
                or not _model_name(n.text)):
            continue
        end = n.end
        while end - n.start > 3 and text[end - 1] in _TRAILING:
            end -= 1  # 上海环交所在: the model ran into the next word
        out.append(OrgSpan(n.start, end, text[n.start : end], model=True))
    out.sort(key=lambda sp: sp.start)
    return out
