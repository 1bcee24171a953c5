"""What a number belongs to: sentence / clause bounds, the subject (whose number) and the
indicator (what is measured), shared by quantities and targets.

Heuristics over the clause, no parser: the subject is the nearest preceding organisation- or
place-like name in the same sentence (a run of name characters ending in an institutional or
administrative suffix such as 区 / 局 / 公司 / 交易所 / 中心, or a well-known place); 该中心 / 该公司
point back to the last such name. The indicator is the clause text before the number, with time
expressions, scope words (全区, 累计), linking verbs (为, 达到), qualifiers and the subject removed;
for counts the noun after the classifier (293个项目 → 项目) is preferred when there is one.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass
from functools import lru_cache

import rjieba

# Sentence ends; clause ends inside a sentence (an ASCII comma between digits is a thousands mark).
_SENTENCE_END = re.compile(r"[。！？!?\n]")
_CLAUSE_END = re.compile(r"[。！？!?\n，；;：、]|,(?![0-9]{3})|:(?![0-9])")

_SUFFIXES = (
    "委员会|基金会|联合会|理事会|研究会|促进会|商会|协会|学会|交易所|研究所|研究院|设计院|科学院|"
    "公司|集团|银行|大学|学院|中心|联盟|政府|法院|检察院|交易市场|基金|"
    "自治区|自治州|省|市|区|县|州|镇|乡|街道|局|部|委|厅|办|署"
)
# A suffix followed by one of these characters is the start of another word (区域, 市场, 部门).
_SUFFIX_REJECT_NEXT = "域块间别分位级场民值容长面势门署件队落员托份钱力外内级属事"
_AND_BODIES = ("局", "部", "厅", "委")  # 住房和城乡建设部, 规划和自然资源局
_SUFFIX_RE = re.compile(f"(?:{_SUFFIXES})(?![{_SUFFIX_REJECT_NEXT}])")
# Characters that cannot be inside a name: function words, time words, pronouns.
_STOP_CHARS = set(
    "的在和与及并由对向从为是将了等被把让使给据于而其该各全本每此这那我你他她它们共已年月日时后前以至到也都又就还"
    "、，,。；;：:！？!?“”\"'‘’《》()（）[]【】 \u3000\n\t·-—"
)
# A name whose stem ends so is a generic noun (示范区, 城区, 布局, 内部, 金融中心, 城市 …).
_GENERIC_STEM_END: dict[str, str] = {
    "区": "范践城社园景护能片街湾辖郊地域山灾禁矿林牧商校厂港校试验小成",
    "市": "城上超股都门夜楼早辖", "局": "布格大结当变开", "部": "内外局东西南北中头干基俱全",
    "中心": "融城市商活", "公司": "子母", "基金": "资项", "厅": "大餐展客门", "办": "主举承创开协联合兴操",
    "署": "部签", "省": "节反", "县": "郡", "委": "编", "州": "神",
}  # fmt: skip
_GENERIC_STEMS = frozenset(["相关", "有关", "其他", "重点", "主要", "部分", "各级", "上级", "下级", "所在", "当地"])
_LEADING_ADVERBS = re.compile(
    r"^(?:其中|目前|同时|此外|另外|随后|首先|最后|近年来|今年|去年|截至|其|由|经|据|积极|加快|大力|"
    r"推进|推动|开展|支持|鼓励|引导|组织|指导|会同|联合|配合|协助|依托|通过|根据|按照)+"
)

# Well-known places written without a suffix (深圳GDP, 非洲遭受 …).
PLACES = [
    "北京",
    "上海",
    "天津",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
    "深圳",
    "广州",
    "杭州",
    "南京",
    "武汉",
    "成都",
    "西安",
    "苏州",
    "厦门",
    "青岛",
    "大连",
    "宁波",
    "昆明",
    "贵阳",
    "长沙",
    "郑州",
    "济南",
    "合肥",
    "福州",
    "哈尔滨",
    "沈阳",
    "长春",
    "石家庄",
    "太原",
    "南宁",
    "海口",
    "兰州",
    "西宁",
    "银川",
    "乌鲁木齐",
    "拉萨",
    "呼和浩特",
    "南昌",
    "珠海",
    "东莞",
    "佛山",
    "无锡",
    "温州",
    "雄安",
    "浦东",
    "中国",
    "我国",
    "美国",
    "日本",
    "英国",
    "法国",
    "德国",
    "欧盟",
    "印尼",
    "印度尼西亚",
    "印度",
    "巴西",
    "俄罗斯",
    "加拿大",
    "澳大利亚",
    "韩国",
    "非洲",
    "欧洲",
    "亚洲",
    "拉美",
    "东盟",
    "新加坡",
    "马来西亚",
    "泰国",
    "越南",
    "南非",
    "埃及",
    "意大利",
    "西班牙",
    "荷兰",
    "瑞典",
    "挪威",
    "丹麦",
    "芬兰",
    "瑞士",
    "墨西哥",
    "阿根廷",
]
_PLACE_RE = re.compile("|".join(sorted(PLACES, key=len, reverse=True)))
_COREF_RE = re.compile(f"该(?:{_SUFFIXES}|企业|机构|基金|项目|平台)")


@dataclass(frozen=True)
class Name:
    start: int
    end: int
    text: str


class TextIndex:
    """Per-text precomputation: sentence and clause boundaries and subject-like names."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sentence_ends = [m.start() for m in _SENTENCE_END.finditer(text)]
        self.clause_ends = [m.start() for m in _CLAUSE_END.finditer(text)]
        self.names = _find_names(text)
        self._name_ends = [n.end for n in self.names]

    def sentence_start(self, pos: int) -> int:
        i = bisect.bisect_left(self.sentence_ends, pos)
        return self.sentence_ends[i - 1] + 1 if i else 0

    def sentence_end(self, pos: int) -> int:
        i = bisect.bisect_left(self.sentence_ends, pos)
        return self.sentence_ends[i] if i < len(self.sentence_ends) else len(self.text)

    def clause_start(self, pos: int) -> int:
        i = bisect.bisect_left(self.clause_ends, pos)
        return self.clause_ends[i - 1] + 1 if i else 0

    def clause_end(self, pos: int) -> int:
        i = bisect.bisect_left(self.clause_ends, pos)
        return self.clause_ends[i] if i < len(self.clause_ends) else len(self.text)

    def subject_before(self, pos: int) -> Name | None:
        """The nearest name that ends at or before `pos` in the same sentence; 该中心 resolves back."""
        lo = max(self.sentence_start(pos), pos - 300)  # bounded: a megabyte "sentence" stays linear
        coref = None
        for m in _COREF_RE.finditer(self.text, lo, pos):
            coref = m
        i = bisect.bisect_right(self._name_ends, pos)
        best: Name | None = None
        c_lo = self.clause_start(pos)
        while i > 0:
            cand = self.names[i - 1]
            if cand.start < lo:
                break
            i -= 1
            if coref is not None and cand.end <= coref.start():
                break
            # In the number's own clause any name will do; in an earlier clause only one that
            # opens it (its topic): 提出了中国…目标,部署了4个优先领域 is not 中国's count.
            if cand.start >= c_lo or self._opens_clause(cand):
                best = cand
                break
        if best is None and coref is None:
            scoped = self._scope_place(lo, pos)
            if scoped is not None:
                return scoped
        if best is None and coref is None and lo > 0 and self.text[lo - 1] != "\n":
            # No name in the sentence: the name that opens the previous sentence of the same
            # paragraph, which is usually still the topic (财政部近日印发…。其中明确,本次下达…204亿元).
            prev_lo = self.sentence_start(lo - 1)
            j = bisect.bisect_left(self._name_ends, prev_lo)
            if j < len(self.names) and self.text[prev_lo : self.names[j].start].strip(' \u3000“"') == "":
                return self.names[j]
        if coref is not None and (best is None or best.end <= coref.start()):
            suffix = coref.group()[1:]
            j = bisect.bisect_right(self._name_ends, coref.start())
            while j > 0:
                cand = self.names[j - 1]
                if coref.start() - cand.end > 1500:
                    break
                if cand.text.endswith(suffix):
                    return cand
                j -= 1
        return best

    def _opens_clause(self, name: Name) -> bool:
        head = self.text[self.clause_start(name.start) : name.start]
        return _CLAUSE_OPENERS.fullmatch(head) is not None

    def _scope_place(self, lo: int, pos: int) -> Name | None:
        """全区 / 本市 / 区域 refer to the place the text is about: the last district (city, …)
        named before, within a few paragraphs (徐汇区…。截至11月底,全区11个市考断面…)."""
        m = next(reversed(list(_SCOPE_WORD.finditer(self.text, lo, pos))), None)
        if m is None:
            return None
        level = m.group("level") or "区"
        j = bisect.bisect_right(self._name_ends, lo)
        while j > 0:
            cand = self.names[j - 1]
            if lo - cand.end > 3000:
                break
            for part in reversed(_ADMIN_PARTS.findall(cand.text)):
                if part.endswith(level) and len(part) > 2:
                    return Name(
                        cand.start + cand.text.rfind(part), cand.start + cand.text.rfind(part) + len(part), part
                    )
            j -= 1
        return None


_CLAUSE_OPENERS = re.compile(r"[\s“\"]*(?:其中|此外|同时|另外|目前|随后|近年来|截至[^，,]*)?[\s,，]*")
_SCOPE_WORD = re.compile(r"(?:全|本|该|辖)(?P<level>区|市|省|县)|区域(?=[^，,。]{0,12}$)")
_ADMIN_PARTS = re.compile(r"[\u4e00-\u9fff]{2,6}?(?:自治区|省|市|区|县)")


@lru_cache(maxsize=8)
def text_index(text: str) -> TextIndex:
    """The (immutable) index of a text, shared by quantities and targets of the same article."""
    return TextIndex(text)


def _find_names(text: str) -> list[Name]:
    names: list[Name] = []
    for m in _SUFFIX_RE.finditer(text):
        suffix = m.group()
        i = m.start()
        lo = max(0, i - 14)
        while i > lo and not text[i - 1].isdigit():
            if text[i - 1] in _STOP_CHARS and not (text[i - 1] == "和" and suffix in _AND_BODIES):
                break
            i -= 1
        stem = text[i : m.start()]
        lead = _LEADING_ADVERBS.match(stem)
        if lead:
            stem = stem[lead.end() :]
            i += lead.end()
        if len(stem) < 2 or (suffix in _GENERIC_STEM_END and stem[-1] in _GENERIC_STEM_END[suffix]):
            continue
        if stem in _GENERIC_STEMS:
            continue  # 相关区, 有关部门: not a name
        inner = _PLACE_RE.search(stem, 1)
        if inner is not None:  # 习近平主席宣布中国政府 → 中国政府
            i += inner.start()
        elif text[max(0, i - 1) : i + 1] == "全国":
            i -= 1  # 全国碳排放权交易市场
        names.append(Name(i, m.end(), text[i : m.end()]))
    names.extend(Name(m.start(), m.end(), m.group()) for m in _PLACE_RE.finditer(text))
    names.sort(key=lambda n: (n.end, -(n.end - n.start)))
    # Join a place directly followed by a body (上海市 + 生态环境局), drop names inside longer ones.
    merged: list[Name] = []
    for n in names:
        while merged and merged[-1].start >= n.start:
            merged.pop()
        if merged and merged[-1].end == n.start and n.start - merged[-1].start < 12:
            prev = merged.pop()
            n = Name(prev.start, n.end, text[prev.start : n.end])
        if merged and merged[-1].end > n.start:
            continue
        merged.append(n)
    return merged


# Words stripped from the end of the text before a number (linking verbs, qualifiers, scope).
_TAIL_WORDS = re.compile(
    r"(?:分别|均|都|已经|已|共计|共|累计|合计|总计|预计|约为|约|大约|将近|接近|近|超过|超|逾|突破|"
    r"达到|达|为|是|至|到|增至|降至|降到|降低到|提高到|提高至|提升到|提升至|增加到|增长到|下降到|减少到|"
    r"控制在|保持在|稳定在|维持在|占|有|了|可|将|能|的|中|以及|和|及|与|并|"
    r"不低于|不少于|不超过|不高于|至少|最多|不足|低于|高于|多于|少于|不到|"
    r"同比|环比|下降|降低|减少|增长|增加|提高|提升|上升|下调|上调|扩大|缩小|"
    r"新增|新建|完成|实现|带动|开展|建成|建设|创建|种下|产生|覆盖|"
    r"[\s,，:：])+$"
)
_TAIL_WORDS_LIGHT = re.compile(r"(?:超过|超|逾|约|近|突破|达到|达|了|共|累计|[\s,，])+$")
_BASELINE_TAIL = re.compile(
    r"(?:(?:较|比|相比|与)(?:[0-9]{4}\s?年|去年|上年|上一年|前一年|同期|基准年|今年|当年|上月|上季度)[^，,；;。]{0,10}"
    r"|同比|环比)$"
)
_HEAD_WORDS = re.compile(
    r"^(?:其中|同时|此外|另外|目前|当前|现在|而且|而|并且|并|且|但|在|据统计|据悉|据了解|截至|"
    r"全区|全市|全省|全国|全县|全镇|全年|年内|年均|区域|累计|共计|共|总计|合计|预计|每年|平均每年|今年|去年|"
    r"同期|当年|当前|其|已|已经|将|可(?![再持靠视行控用信])|使|让|助力|推动|实现|完成|开展|产生|带动|保持|形成|达到|以及|达|覆盖|"
    r"进一步|期间|时期|期末|力争|争取|确保|率先|对应|重点聚焦|聚焦|围绕|针对|对于|关于|[”\"」]|"
    r"[\s,，:：、])+"
)
_GENERIC_MEASURES = frozenset(
    ["比例", "比重", "占比", "数量", "面积", "规模", "总量", "水平", "比率", "份额", "总额", "金额", "人数", "个数"]
)
_QUOTES = re.compile(r"[“”\"‘’「」『』]")
_ABBR = re.compile(r"([\u4e00-\u9fff]{2,10})[（(]([A-Za-z][A-Za-z0-9.]{1,9})[）)]")
_MAX_INDICATOR = 16


def abbreviate(seg: str) -> str:
    """单位生产总值(GDP)能耗 → 单位GDP能耗: drop the Chinese words the abbreviation spells out
    (the trailing words whose length fits 1.5 characters per letter)."""

    def repl(m: re.Match[str]) -> str:
        words = rjieba.cut(m.group(1))
        budget = math.ceil(1.5 * len(m.group(2)))
        dropped = 0
        while words and dropped + len(words[-1]) <= budget:
            dropped += len(words.pop())
        return "".join(words) + m.group(2)

    return _ABBR.sub(repl, seg)


# The number is the object of these verbs (见证了6.5亿人, 种下4亿棵): what precedes is not its measure.
_OBJECT_VERBS = re.compile(
    r"(?:见证|种下|种植了|拥有|吸引|服务|帮助|惠及|涉及|包括|覆盖了|助力|支持|培训|接待|导致|造成|带来|具有|具备)了?$"
)
# 市考断面达到Ⅱ类水4个: after a linking verb inside the segment comes the measure.
_MID_LINK = re.compile(r"^.{2,}?(?:达到|累计|预计(?:每年|年均)?可?|每年可|年均可)(?=.{2,})")
_SHARE = re.compile(r"^(.{2,}?)占(?!比)(?:到了|了|到)?.*$")


_SUBSCRIPT = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_BRACED = re.compile(r"_\{([^{}]{1,8})\}|_([0-9.]+)")


def plain_chemistry(s: str) -> str:
    """PM_{2.5} / PM₁₀ / CO₂ (layout and typesetting leftovers) → PM2.5 / PM10 / CO2."""
    return _BRACED.sub(lambda m: m.group(1) or m.group(2), s.translate(_SUBSCRIPT))


def clean_indicator(seg: str, subject: str | None = None) -> str | None:
    """The measured thing from the text before a number, shortest form, or None."""
    seg = plain_chemistry(_QUOTES.sub("", seg))
    opened = max(seg.rfind("("), seg.rfind("（"))
    if opened >= 0 and ")" not in seg[opened:] and "）" not in seg[opened:]:
        seg = seg[opened + 1 :]  # 低浓度瓦斯(甲烷体积分数小于30%: the measure is inside the aside
    if _OBJECT_VERBS.search(_TAIL_WORDS_LIGHT.sub("", seg)):
        return None
    for _ in range(3):
        seg = _TAIL_WORDS.sub("", seg)
        seg = _BASELINE_TAIL.sub("", seg)
    seg = _TAIL_WORDS.sub("", seg)
    seg = _HEAD_WORDS.sub("", seg)
    if subject and subject in seg:
        seg = _HEAD_WORDS.sub("", seg.rsplit(subject, 1)[1])
    mid = _MID_LINK.match(seg)
    if mid is not None:
        seg = _HEAD_WORDS.sub("", seg[mid.end() :])
    share = _SHARE.match(seg)
    if share is not None:
        seg = share.group(1)  # X占总量的23.5%: the measure is X('s share)
    if "的" in seg:
        head, tail = seg.rsplit("的", 1)
        if tail in _GENERIC_MEASURES:
            seg = head + tail  # 执行超低能耗标准的比例: 比例 alone says nothing
        elif len(tail) >= 2:
            seg = tail
    seg = abbreviate(seg).strip(" ()（）[]【】")
    if len(seg) > _MAX_INDICATOR:
        words = rjieba.cut(seg)
        kept: list[str] = []
        while words and sum(map(len, kept)) + len(words[-1]) <= _MAX_INDICATOR:
            kept.insert(0, words.pop())
        seg = "".join(kept)
    if len(seg) < 2 or seg.isdigit():
        return None
    return seg


# Words that end the noun phrase after a counted number (6700多家企业实现了 → 企业).
_VERBISH = frozenset(
    [
        "实现",
        "提供",
        "参与",
        "开展",
        "进行",
        "完成",
        "获得",
        "达到",
        "出席",
        "参加",
        "组成",
        "入选",
        "形成",
        "提交",
        "发布",
        "成为",
        "共同",
        "提出",
        "列入",
        "纳入",
        "接受",
        "受到",
        "得到",
        "通过",
        "分布",
        "覆盖",
        "涵盖",
        "包括",
        "位于",
        "来自",
        "签约",
        "落地",
        "投入",
        "建成",
        "开工",
        "完工",
        "实施",
        "申报",
        "获批",
        "使用",
        "参会",
        "可能",
        "会",
        "将",
        "已",
        "正在",
        "均",
        "都",
        "也",
        "还",
        "和",
        "与",
        "及",
        "或",
        "等",
        "的",
        "了",
        "在",
        "是",
        "为",
        "被",
        "把",
        "从",
        "向",
        "对",
        "由",
        "给",
        "让",
        "使",
        "以",
        "于",
        "中",
        "上",
        "下",
        "里",
        "内",
    ]
)
_PHRASE_STOP = set("的了等在和与及是为将把被从向对由每(（)）[]【】、，,。；;：:！？!?“”\"'‘’《》 \u3000\n\t")


def noun_after(text: str, pos: int, limit: int = 16) -> str | None:
    """The noun phrase right after a counted number (293个项目, 6700多家企业实现 → 企业)."""
    end = pos
    while end < len(text) and end - pos < limit and text[end] not in _PHRASE_STOP:
        if text[end].isdigit():
            break
        end += 1
    if end == pos:
        return None
    cut = rjieba.cut(text[pos : min(len(text), end + 4)])
    words: list[str] = []
    length = 0
    for word in cut:
        if word in _VERBISH or word[:2] in _VERBISH or length + len(word) > end - pos:
            break
        words.append(word)
        length += len(word)
    phrase = "".join(words)
    return phrase or None
