"""Organisations: suffix-anchored names grown leftwards over rjieba tokens, kinds, aliases.

A name ends with an organisation suffix (部 局 委员会 公司 交易所 大学 基金会 ...); it starts
where a boundary word (a preposition, a verb like 主办, punctuation, a pronoun) stops the
leftward walk. Departments (…司 …处) fold into their parent; `以下简称` / `简称` forms and
parenthesised acronyms become aliases, and their later occurrences become mentions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .lexicons import words
from .lexicons.organizations import (
    DEPARTMENT_SUFFIXES,
    INTERNATIONAL_ACRONYMS,
    INTERNATIONAL_PREFIXES,
    LEFT_STOP_WORDS,
    NGO_ACRONYMS,
    NOT_ORG_WORDS,
    SUFFIX_KIND,
)
from .lexicons.titles import TITLES
from .lexicons.world import COUNTRIES
from .textscan import Lexicon, SpanSet, Token, is_cjk

MAX_NAME_CHARS = 28
MAX_NAME_TOKENS = 10

# POS tags that never belong inside a name (prepositions, conjunctions, particles, pronouns,
# numerals, measure words, time words, adverbs, localisers, punctuation, interjections).
_STOP_POS = frozenset({"p", "c", "u", "uj", "ul", "uz", "ud", "ug", "uv", "r", "m", "mq", "q", "t", "tg",
                       "d", "dg", "f", "x", "y", "e", "o", "zg", "w"})
# Words ending in a suffix that are never names, even as the last token of one.
_NOT_ORG_TOKENS = frozenset(words("""
格局 布局 结局 大局 开局 全局 局部 局面 骗局 僵局 棋局 饭局 残局 终局 变局 当局 内部 外部 全部 部分
东部 西部 南部 北部 中部 底部 顶部 头部 腹部 胸部 面部 背部 腰部 尾部 干部 基部 根部 细部 上部 下部
前部 后部 大厅 客厅 展厅 展示厅 展览厅 陈列厅 餐厅 非政府 金融中心 科创中心 经济中心 贸易中心
航运中心 物流中心 数据中心 指挥中心 市中心 城市中心 活动中心 文化中心 门厅 舞厅 诊所 场所 处所 住所
厕所 哨所 寓所 庭院 寺院 剧院 影院 核心 重心 圆心 部委 部署 签署 连署 举办 主办 承办 协办 创办 开办
兴办 筹办 申办 督办 包办 怎么办 法办 查办 交办 代办 试办
"""))
# Modifiers that make a suffix word generic (重点企业, 相关部门): a name needs more than these.
_GENERIC_MODIFIERS = frozenset(words("""
重点 优质 链主 中小 民营 国有 外资 龙头 会员 入库 控排 试点 高新 示范 大型 上市 相关 有关 各类
地方 当地 基层 主管 职能 专业 成员 参与 其他 多家 不同 各 个人 本地 外地 境外 海外 中外 我国
我市 我省 我区 该 本 各级 省级 市级 县级 区级 设区市 地级市 县级市 管理 监管 党委 党政 区属 市属
省属 事业 民间 绿色 低碳 节能 零碳 近零碳 生态 环保 行业 产业 专门 新建 现有 非政府 非营利 公立
私营 外国 中资 央企 子 分 母 优秀 知名 领先 头部 骨干 地市 市县 有为 下属 所属 金融 科研 研究
社会 公益 一些 部分 若干 上述 这些 那些 新型 传统 大中型 小型 中型 排污 涉事 违法 问题
"""))
# Verbs and adjectives that occur inside names (应对气候变化司, 发展改革委, 绿色发展国际联盟).
_NAME_VERBS = frozenset(words("""
应对 发展 改革 保护 促进 管理 监督 建设 规划 研究 交易 监测 评估 认证 开发 投资 服务 治理 推广
合作 创新 应急 控制 防治 节能 减排 执法 监察 督察 审计 统计 检测 检验 设计 咨询 保证 保障 振兴
教育 卫生 援助 救助 发电 供电 运输 储备 交流 经营 勘察 勘探 出版 营造 修复 利用 处理 回收 环保
绿色 低碳 清洁 可持续 信息化 标准化 发改 排放 碳汇 减碳 降碳 节水 治污 循环 再生 储能 充电 造林
护林 种植 养殖 生产 制造 检疫 救援 通信 测绘 气象 审批 登记 结算 清算 融资 担保 租赁 认证 孵化
转化 示范 培训 考试 鉴定 仲裁 调解 公证 消防 安监 规划设计
"""))
# Verbs that stand before an organisation as its predicate (…配合国家林草局, 宣布中国政府…).
_PREDICATE_VERBS = frozenset(words("""
配合 宣布 贯彻 落实 贯彻落实 发挥 执行 加快 鼓励 引导 要求 联系 对接 协调 推动 推进 支持 指导
委托 邀请 会同 联合 携手 依托 通过 成立 设立 组建 参加 出席 举办 主办 承办 协办 召开 举行 启动
签署 印发 发布 出台 介绍 表示 指出 强调 认为 希望 感谢 欢迎 会见 访问 考察 调研 走访 参观 前往
来到 抵达 赴 带领 率领 陪同 组织 牵头 负责 开展 加强 促进 实现 完成 获得 荣获 授予 入选 成为
作为 担任 任 是 有 向 与 同 和 跟 给 让 使 由 被 把 将 对 为 在 从 自 于 据 经 受
"""))
# Tokens from which a name does not grow further left (深圳市…, 中国…, 联合国…).
_HEAD_WORDS = ("联合国", "中国", "中华", "中共", "党中央", "国务院", "世界")
_GENERIC_HEADS = ("直辖市", "设区市", "地级市", "县级市", "相关", "有关", "其他", "上述", "所属", "下属", "各级",
                  "省级", "市级", "县级", "区级", "地方")
_SECRETARIAT = re.compile(r"(?:《[^《》\n]{1,30}》|[\u4e00-\u9fff]{2,14}(?:公约|协定|议定书))秘书处")
_CENTRE_FUNCTIONS = ("保护", "研究", "服务", "交易", "管理", "监测", "发展", "促进", "评估", "认证", "培训", "信息")
_SHORT_BODIES = frozenset({"欧盟", "东盟", "非盟", "北约", "人大", "政协", "国会", "议会", "内阁"})
_LATIN_ACRONYM = re.compile(r"[A-Z][A-Za-z0-9&\-]{1,11}")
_ALIAS_AFTER = re.compile(
    r"\s*[（(]\s*(?:以下简称|以下称|下称|简称|英文简称|英文缩写)?[:：]?\s*[“\"「]?"
    r"([^）)”\"」，,。；;\s]{1,20})[”\"」]?\s*[）)]"
    r"|[,，]\s*(?:以下简称|简称|下称)[:：]?\s*[“\"「]([^”\"」，,。]{1,20})[”\"」]"
)
_ALIAS_EXPLICIT = re.compile(r"以下简称|以下称|下称|简称")


@dataclass(frozen=True, slots=True)
class OrgSpan:
    start: int
    end: int
    text: str
    # The parent organisation's span when this one is its department (生态环境部应对气候变化司).
    parent_end: int | None = None
    # Found by the tagger alone (no suffix): a brand or short name, most often a company's.
    model: bool = False


@dataclass
class Organization:
    name: str
    kind: str | None
    aliases: list[str] = field(default_factory=list)
    mentions: list[tuple[int, int]] = field(default_factory=list)  # sorted, first = evidence
    # where the text introduces an alias ((简称“广碳所”)): part of the name, not a mention
    definitions: list[tuple[int, int]] = field(default_factory=list)


_SUFFIX_LAST = frozenset(k[-1] for k in SUFFIX_KIND)


def suffix_of(word: str) -> str | None:
    if not word or word[-1] not in _SUFFIX_LAST:
        return None  # most tokens: one set lookup
    for n in range(min(len(word), 6), 0, -1):
        suf = word[-n:]
        if suf in SUFFIX_KIND:
            return suf
    return None


_DEPT_LAST = frozenset(k[-1] for k in DEPARTMENT_SUFFIXES)


def _dept_suffix(word: str) -> bool:
    return bool(word) and word[-1] in _DEPT_LAST and word.endswith(DEPARTMENT_SUFFIXES) and not word.endswith("公司")


def _is_boundary(tok: Token) -> bool:
    if tok.word in LEFT_STOP_WORDS or tok.pos in _STOP_POS:
        return True
    if tok.pos in ("ad", "vd") or (tok.pos == "d" and len(tok.word) < 2):
        return True
    if tok.pos == "v" and (tok.word in _PREDICATE_VERBS or len(tok.word) == 1) and tok.word != "驻":
        return True
    w = tok.word
    return not all(is_cjk(c) or (c.isascii() and c.isalnum()) for c in w)


def _grow_left(tokens: list[Token], j: int, floor: int) -> int:
    """Index of the first token of the name whose last token is `j`."""
    i = j
    n_chars = len(tokens[j].word)
    while i - 1 >= floor and i - j < MAX_NAME_TOKENS:
        tok = tokens[i - 1]
        head = tokens[i]
        # a name starts at its place (深圳市…, 上海市徐汇区…) or at 中国/联合国; 英国驻广州… goes on
        if (head.pos == "ns" or head.word.startswith(_HEAD_WORDS)) and tok.word != "驻" and tok.pos != "ns" and not (
            i - 2 >= floor and tokens[i - 2].word == "驻"
        ):
            break
        if tok.word == "和" and i - 2 >= floor:
            left = tokens[i - 2]
            # 住房和城乡建设部, 规划和自然资源局: the conjunction joins two nouns inside one name,
            # unless the left side is already a name (…厅和…局) or a place (中国和美国政府).
            # (战略研究和国际合作中心: a verb that names a remit joins too)
            if ((left.pos.startswith("n") or left.word in _NAME_VERBS) and left.pos not in ("ns", "nr", "nt")
                    and suffix_of(left.word) is None
                    and left.word not in TITLES
                    and tokens[i].pos != "ns" and not _is_boundary(left)):
                i -= 2
                n_chars += 1 + len(left.word)
                continue
            break
        if tok.word == "”" and i - 2 >= floor:
            # “一带一路”绿色发展国际联盟: a quoted head belongs to the name
            k = i - 2
            while k >= floor and i - k <= 8 and tokens[k].word != "“":
                k -= 1
            if k >= floor and tokens[k].word == "“" and (k == floor or _is_boundary(tokens[k - 1])):
                i = k
                break
            break
        if _is_boundary(tok):
            break
        if n_chars + len(tok.word) > MAX_NAME_CHARS:
            break
        n_chars += len(tok.word)
        i -= 1
    # A leading verb (分享…, 宣介…) is not part of a name; names rarely start with one.
    while i < j and tokens[i].pos == "v" and len(tokens[i].word) >= 2 and tokens[i].word not in SUFFIX_KIND:
        i += 1
    return i


def _acceptable(name: str, suffix: str, last_token: str) -> bool:
    if name in NOT_ORG_WORDS or len(name) < 2:
        return False
    if name[-2:] in _NOT_ORG_TOKENS or name[-3:] in _NOT_ORG_TOKENS or name[-4:] in _NOT_ORG_TOKENS:
        return False
    prefix = name[: -len(suffix)]
    if not prefix:
        # A suffix word alone is a name only when it is specific (生态环境部, 发改委, 国务院).
        return (len(name) >= 3 or name in _SHORT_BODIES) and name == last_token
    if len(name) < 3 or (len(prefix) < 2 and prefix not in ("市", "区", "县", "省", "州")):
        return False
    if name[-1] in "部局厅委署" and len(prefix) < 2:
        return False
    if suffix in ("组织", "机构", "中心", "基金") and not (
        name.startswith(INTERNATIONAL_PREFIXES) or any(c in prefix for c in COUNTRIES) or has_proper(prefix)
        # 山水自然保护中心: a centre whose name says what it does is named even without a place
        or (suffix == "中心" and len(prefix) >= 4 and prefix.endswith(_CENTRE_FUNCTIONS))
    ):
        return False
    # 重点企业, 相关部门: only generic modifiers before the suffix.
    rest = prefix
    for _ in range(6):
        for g in sorted(_GENERIC_MODIFIERS, key=len, reverse=True):
            if rest.startswith(g):
                rest = rest[len(g):]
                break
        else:
            break
    # 设区市生态环境局, 相关…局: a generic head needs a proper name after it
    if prefix.startswith(_GENERIC_HEADS) and not has_proper(rest):
        return False
    return bool(rest)


def has_proper(prefix: str) -> bool:
    """A place, an acronym or a rare word in the prefix: the suffix is then part of a name."""
    if re.search(r"[A-Za-z]{2,}", prefix) or prefix.startswith(("国家", "中国", "中华", "全国", "联合国")):
        return True
    from .locations import division_table  # the table is loaded once and cached

    lex = division_table().lexicon
    return any(lex.match_at(prefix, i) for i in range(len(prefix)))


def _split_titles(tokens: list[Token]) -> list[Token]:
    """rjieba glues a suffix to the title after it (生态环境 部部长): split them."""
    out: list[Token] = []
    for k, t in enumerate(tokens):
        w = t.word
        nxt = tokens[k + 1].word if k + 1 < len(tokens) else ""
        if len(w) >= 2 and w[0] in "部局厅委署院所" and (w[1:] in TITLES or w[1:] + nxt in TITLES):
            # 生态环境 部部长 / 部副 部长: the suffix is the name's, the rest the title's
            out.append(Token(t.start, t.start + 1, w[0], "n"))
            out.append(Token(t.start + 1, t.end, w[1:], "n"))
        else:
            out.append(t)
    return out


def find_org_spans(text: str, tokens: list[Token], sentence_starts: set[int]) -> list[OrgSpan]:
    """Candidate organisation spans, longest first at each end, departments marked."""
    tokens = _split_titles(tokens)
    spans: list[OrgSpan] = []
    floor = 0
    for j, tok in enumerate(tokens):
        if tok.start in sentence_starts:
            floor = j
        w = tok.word
        if len(w) >= 2 and w.endswith("等"):
            w = w[:-1]  # rjieba glues 等 to a suffix (改革委等)
        if w[:1] in "各该本每" and len(w) <= 3:
            continue
        if w in _NOT_ORG_TOKENS or (tok.pos.startswith("v") and w not in SUFFIX_KIND):
            continue
        suffix = suffix_of(w)
        dept = _dept_suffix(w)
        if suffix is None and not dept:
            continue
        i = _grow_left(tokens, j, floor)
        start, end = tokens[i].start, tok.start + len(w)
        name = text[start:end]
        if dept:
            # a department is kept only as part of its parent: find the parent candidate
            parents = [s for s in spans if s.start == start and s.end < end and s.parent_end is None]
            if parents:
                spans.append(OrgSpan(start, end, name, parents[-1].end))
                continue
            if suffix is None or w in DEPARTMENT_SUFFIXES or len(w) <= 3:
                continue
        if suffix is not None and _acceptable(name, suffix, w):
            spans.append(OrgSpan(start, end, name))
    return _resolve_overlaps(spans)


def _resolve_overlaps(spans: list[OrgSpan]) -> list[OrgSpan]:
    """Keep the longest of nested candidates, except that departments keep their parent."""
    spans.sort(key=lambda s: (s.start, -(s.end - s.start)))
    out: list[OrgSpan] = []
    for s in spans:
        if out and s.start < out[-1].end:
            prev = out[-1]
            if prev.parent_end is not None and s.start == prev.start and s.end == prev.parent_end:
                continue  # the parent of a department: represented by the department span
            if s.end <= prev.end:
                continue
            # partial overlap: keep the earlier, longer one
            continue
        out.append(s)
    return out


def org_kind(name: str) -> str | None:
    if name in NGO_ACRONYMS:
        return "ngo"
    if name in INTERNATIONAL_ACRONYMS:
        return "international"
    suffix = suffix_of(name)
    kind = SUFFIX_KIND.get(suffix) if suffix else None
    if suffix == "中心":
        if any(k in name for k in ("研究", "科研", "实验", "技术中心")):
            return "academic"
        if "交易" in name:
            return "enterprise"
        if any(k in name for k in ("保护", "公益", "自然")):
            return "ngo"
        if any(k in name for k in ("新闻", "媒体")):
            return "media"
    if kind in ("government", "ngo", "international") and name.startswith(INTERNATIONAL_PREFIXES):
        return "international"
    if kind in ("ngo", "international") and any(name.startswith(c) for c in COUNTRIES if c != "中国"):
        return kind
    return kind


def is_abbreviation(short: str, full: str) -> bool:
    """`short` takes characters of `full` in order, starting with its first character (or the first
    after its place), is at most 60 % of its length and is not its head (生态环境部 of
    生态环境部环境规划院 is the parent, not an abbreviation)."""
    if len(short) > 0.6 * len(full) or full.startswith(short) or short[0] not in full[:5]:
        return False
    k = 0
    for c in full:
        if k < len(short) and c == short[k]:
            k += 1
    return k == len(short)


def _strip_place_prefix(name: str) -> str:
    return name[1:] if name[:1] in "市省区县州" else name


def build_organizations(
    text: str, spans: list[OrgSpan], media: list[tuple[int, int]] | None = None
) -> list[Organization]:
    """Group spans into one organisation per entity: aliases, short forms, acronyms, mentions."""
    orgs: dict[str, Organization] = {}
    order: list[str] = []

    def get(name: str, kind: str | None) -> Organization:
        if name not in orgs:
            orgs[name] = Organization(name, kind)
            order.append(name)
        return orgs[name]

    alias_of: dict[str, str] = {}
    definitions: list[tuple[int, int]] = []  # (简称广碳所): where an alias is introduced
    for s in spans:
        name = text[s.start : s.parent_end] if s.parent_end is not None else s.text
        org = get(name, org_kind(name) or ("enterprise" if s.model else None))
        org.mentions.append((s.start, s.start + len(name)))
        m = _ALIAS_AFTER.match(text, s.end)
        if m:
            alias = (m.group(1) or m.group(2) or "").strip()
            explicit = bool(_ALIAS_EXPLICIT.search(m.group(0)))
            if alias and alias != name and (explicit or _LATIN_ACRONYM.fullmatch(alias)) and len(alias) < len(name):
                alias_of.setdefault(alias, name)
                definitions.append(m.span())
                org.definitions.append(m.span())
    for ms, me in media or []:
        get(text[ms:me], "media").mentions.append((ms, me))

    # Short forms (市规划和自然资源局 for 深圳市规划和自然资源局) join the full name as aliases.
    names = sorted(orgs, key=len, reverse=True)
    for short in list(orgs):
        stem = _strip_place_prefix(short)
        if stem == short or len(stem) < 3:
            continue
        for full in names:
            if len(full) > len(short) and full.endswith(stem) and full[: -len(stem)].endswith(short[0]):
                alias_of.setdefault(short, full)
                break

    # Abbreviations (湖北碳交 for 湖北碳排放权交易中心, 国家发改委 for 国家发展和改革委员会) join the
    # one full name they abbreviate.
    for short in list(orgs):
        if short in alias_of or not 2 <= len(short) <= 8:
            continue
        fulls = [f for f in names if f != short and f not in alias_of and is_abbreviation(short, f)]
        if len(fulls) == 1:
            alias_of[short] = fulls[0]

    # Fold aliases into their full names, and find their other occurrences.
    taken = SpanSet([(s.start, s.end) for s in spans] + definitions)
    for alias, full in alias_of.items():
        target = orgs[full]
        if alias in orgs and alias != full:
            target.mentions.extend(orgs.pop(alias).mentions)
            order.remove(alias)
        if alias not in target.aliases:
            target.aliases.append(alias)
    # one longest-match scan for every alias: linear however many aliases the text defines
    for a, b, alias in Lexicon(alias_of).finditer(text):
        if _LATIN_ACRONYM.fullmatch(alias) and (
            (a > 0 and text[a - 1].isascii() and text[a - 1].isalnum())
            or (b < len(text) and text[b].isascii() and text[b].isalnum())
        ):
            continue
        if not taken.covers(a, b):
            orgs[alias_of[alias]].mentions.append((a, b))

    # The secretariat of a convention (《公约》秘书处, 生物多样性公约秘书处) is an international body.
    for m in _SECRETARIAT.finditer(text):
        if not taken.covers(m.start(), m.end()):
            get(m.group(0), "international").mentions.append(m.span())

    # Well-known acronyms standing alone (IUCN, UNDP) are organisations of their own.
    for m in _LATIN_ACRONYM.finditer(text):
        word = m.group(0)
        if word in alias_of or (word not in INTERNATIONAL_ACRONYMS and word not in NGO_ACRONYMS):
            continue
        a, b = m.span()
        if (a > 0 and text[a - 1].isascii() and text[a - 1].isalnum()) or (
            b < len(text) and text[b].isascii() and text[b].isalnum()
        ):
            continue
        get(word, org_kind(word)).mentions.append((a, b))

    out = []
    for name in order:
        org = orgs[name]
        org.mentions = sorted(set(org.mentions))
        out.append(org)
    return out

