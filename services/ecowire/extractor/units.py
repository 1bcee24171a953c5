"""Units written after (or before) a number, mapped to the canonical units of FACTS.md.

One compiled alternation, longest surface first, matched at the position right after a number.
A surface maps to (canonical unit, factor): the value in the canonical unit is number × factor
(兆瓦 → kW × 1e3). Units outside the canonical list (km, °C, 斤, cm) are deliberately absent: the
contract does not report them yet. Counted things (家, 个, 项 …) become unit "count" with the
classifier kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    canonical: str
    factor: float
    kind: str  # money | mass | co2 | tce | energy | power | area | concentration | percent | pp | count | rate


@dataclass(frozen=True)
class UnitMatch:
    end: int  # end offset of the unit surface in the text
    unit: Unit
    classifier: str | None = None


MONEY: dict[str, str] = {
    "元人民币": "CNY", "元": "CNY", "人民币": "CNY", "人民币元": "CNY",
    "美元": "USD", "美圆": "USD", "美金": "USD",
    "欧元": "EUR", "英镑": "GBP",
    "港元": "HKD", "港币": "HKD", "澳门元": "MOP", "澳门币": "MOP", "澳門元": "MOP",
}  # fmt: skip
# Currency symbols written before the number (￥300, US$5).
MONEY_PREFIX: dict[str, str] = {
    "US$": "USD", "HK$": "HKD", "MOP$": "MOP", "$": "USD", "＄": "USD",
    "￥": "CNY", "¥": "CNY", "€": "EUR", "£": "GBP", "RMB": "CNY", "CNY": "CNY",
}  # fmt: skip

# Physical units: surface → (canonical, factor, kind).
PHYSICAL: dict[str, tuple[str, float, str]] = {
    # CO2 first so that 吨二氧化碳 is not read as 吨 + a word.
    "吨二氧化碳当量": ("tCO2e", 1, "co2"), "吨二氧化碳": ("tCO2e", 1, "co2"),
    "吨CO2当量": ("tCO2e", 1, "co2"), "吨CO2e": ("tCO2e", 1, "co2"), "吨CO₂e": ("tCO2e", 1, "co2"),
    "吨CO2": ("tCO2e", 1, "co2"), "吨CO₂": ("tCO2e", 1, "co2"), "吨co2": ("tCO2e", 1, "co2"),
    "tCO2e": ("tCO2e", 1, "co2"), "tCO2": ("tCO2e", 1, "co2"), "tCO₂e": ("tCO2e", 1, "co2"),
    "吨二氧化碳排放": ("tCO2e", 1, "co2"),
    "吨标准煤": ("tce", 1, "tce"), "吨标煤": ("tce", 1, "tce"), "tce": ("tce", 1, "tce"),
    "吨": ("t", 1, "mass"), "噸": ("t", 1, "mass"),
    "千克": ("kg", 1, "mass"), "公斤": ("kg", 1, "mass"), "kg": ("kg", 1, "mass"), "KG": ("kg", 1, "mass"),
    "克": ("kg", 1e-3, "mass"),
    "千瓦时": ("kWh", 1, "energy"), "千瓦·时": ("kWh", 1, "energy"), "千瓦小时": ("kWh", 1, "energy"),
    "兆瓦时": ("kWh", 1e3, "energy"), "吉瓦时": ("kWh", 1e6, "energy"), "太瓦时": ("kWh", 1e9, "energy"),
    "kWh": ("kWh", 1, "energy"), "KWh": ("kWh", 1, "energy"), "kwh": ("kWh", 1, "energy"),
    "MWh": ("kWh", 1e3, "energy"), "GWh": ("kWh", 1e6, "energy"), "TWh": ("kWh", 1e9, "energy"),
    "度": ("kWh", 1, "energy"),  # only accepted in an electricity context, see quantities
    "千瓦": ("kW", 1, "power"), "兆瓦": ("kW", 1e3, "power"), "吉瓦": ("kW", 1e6, "power"),
    "kW": ("kW", 1, "power"), "KW": ("kW", 1, "power"), "MW": ("kW", 1e3, "power"), "GW": ("kW", 1e6, "power"),
    "平方米": ("m2", 1, "area"), "平方公里": ("km2", 1, "area"), "平方千米": ("km2", 1, "area"),
    "m2": ("m2", 1, "area"), "m²": ("m2", 1, "area"), "㎡": ("m2", 1, "area"),
    "km2": ("km2", 1, "area"), "km²": ("km2", 1, "area"), "㎢": ("km2", 1, "area"),
    "公顷": ("ha", 1, "area"), "hm2": ("ha", 1, "area"), "hm²": ("ha", 1, "area"), "亩": ("mu", 1, "area"),
    "微克/立方米": ("ug/m3", 1, "concentration"), "微克每立方米": ("ug/m3", 1, "concentration"),
    "μg/m3": ("ug/m3", 1, "concentration"), "μg/m³": ("ug/m3", 1, "concentration"),
    "µg/m3": ("ug/m3", 1, "concentration"), "µg/m³": ("ug/m3", 1, "concentration"),
    "ug/m3": ("ug/m3", 1, "concentration"), "ug/m³": ("ug/m3", 1, "concentration"),
    "毫克/立方米": ("mg/m3", 1, "concentration"), "毫克每立方米": ("mg/m3", 1, "concentration"),
    "mg/m3": ("mg/m3", 1, "concentration"), "mg/m³": ("mg/m3", 1, "concentration"),
    "%": ("%", 1, "percent"), "％": ("%", 1, "percent"), "‰": ("%", 0.1, "percent"),
    "个百分点": ("pp", 1, "pp"), "个百分點": ("pp", 1, "pp"), "個百分點": ("pp", 1, "pp"),
    "百分点": ("pp", 1, "pp"), "百分點": ("pp", 1, "pp"),
}  # fmt: skip

# Denominators of price / rate compounds (元/吨 → CNY/t).
DENOMINATORS: dict[str, str] = {
    "吨二氧化碳当量": "tCO2e", "吨二氧化碳": "tCO2e", "吨CO2e": "tCO2e", "吨CO2": "tCO2e", "吨": "t",
    "千瓦时": "kWh", "度": "kWh", "千瓦": "kW", "平方米": "m2", "亩": "mu", "公顷": "ha",
    "吨标准煤": "tce", "千克": "kg", "公斤": "kg", "人": "person",
}  # fmt: skip

# Count classifiers. A classifier followed by one of the listed characters is the start of
# another word (家庭, 位于, 次日, 批准 …) and is not a count.
CLASSIFIERS: dict[str, str] = {
    "家": "庭园乡属居具长", "个": "月小工星周年半钟", "项": "目", "座": "谈", "台": "阶湾风账",
    "辆": "", "人次": "", "人": "民员口才类工士均们为格", "名": "单称字额义录牌片列次", "位": "于置列数居",
    "户": "籍外型", "所": "以有在谓属得述", "条": "件例款约", "处": "理于置罚长在",
    "件": "事", "棵": "", "株": "", "种": "类植子群业", "只": "有是要能", "头": "部等",
    "场": "所景馆地合", "次": "数要日年序生", "种类": "别", "份": "额子", "套": "", "艘": "", "架次": "", "架": "构",
    "张": "", "篇": "", "栋": "", "幢": "", "宗": "旨教", "起": "来草步点诉见", "例": "如外",
    "支": "持付出撑", "颗": "", "盏": "", "根": "据本源", "批": "准复评示",
    "辆次": "", "车次": "", "吨次": "",
    # 来自…6市, 清远、韶关、河源3市发改局: cities counted (not 市场, 市民, 市区 …)
    "市": "场民区级委政值长内属县中容貌面域况值",
}  # fmt: skip


def _alternation(surfaces: list[str]) -> str:
    return "|".join(re.escape(s) for s in sorted(set(surfaces), key=len, reverse=True))


_COMPOUNDS: dict[str, Unit] = {}
for _m_surface, _cur in MONEY.items():
    if _m_surface.startswith("人民币"):
        continue
    for _d_surface, _den in DENOMINATORS.items():
        for _sep in ("/", "／", "每"):
            _COMPOUNDS[f"{_m_surface}{_sep}{_d_surface}"] = Unit(f"{_cur}/{_den}", 1, "rate")
    # A page that lost its slash still means a price per tonne: 1269元吨 (FACTS.md).
    _COMPOUNDS[f"{_m_surface}吨"] = Unit(f"{_cur}/t", 1, "rate")
for _p_surface, (_canon, _fac, _kind) in PHYSICAL.items():
    if _kind in ("mass", "co2", "energy"):
        for _sep in ("/", "／", "每"):
            _COMPOUNDS[f"{_p_surface}{_sep}年"] = Unit(f"{_canon}/a", _fac, "rate")

UNITS: dict[str, Unit] = {}
for _m_surface, _cur in MONEY.items():
    UNITS[_m_surface] = Unit(_cur, 1, "money")
for _p_surface, (_canon, _fac, _kind) in PHYSICAL.items():
    UNITS[_p_surface] = Unit(_canon, _fac, _kind)
UNITS.update(_COMPOUNDS)
COUNT = Unit("count", 1, "count")

_LATIN_UNIT = re.compile(r"[A-Za-z]")
UNIT_RE = re.compile(_alternation(list(UNITS) + list(CLASSIFIERS)))
MONEY_PREFIX_RE = re.compile(f"(?:{_alternation(list(MONEY_PREFIX))})\\s?$")
_SPACE = re.compile(r"[ \u00a0\u3000]?")


_FIRST_CHARS = frozenset(s[0] for s in list(UNITS) + list(CLASSIFIERS)) | {" ", "\u00a0", "\u3000"}


def match_unit(text: str, pos: int) -> UnitMatch | None:
    """The unit written at `pos` (one optional space allowed before a Latin unit), or None."""
    if pos >= len(text) or text[pos] not in _FIRST_CHARS:
        return None  # the common case, decided without trying ~600 alternatives
    m = UNIT_RE.match(text, pos)
    if m is None:
        sp = _SPACE.match(text, pos)
        if sp is None or sp.end() == pos:
            return None
        m = UNIT_RE.match(text, sp.end())
        if m is None or not _LATIN_UNIT.match(m.group()):
            return None
    surface = m.group()
    end = m.end()
    # Latin units must end a word: 50MW is a unit, 5Mt or 3kWp is not ours.
    if _LATIN_UNIT.match(surface[-1]) and end < len(text) and _LATIN_UNIT.match(text, end):
        return None
    if surface in CLASSIFIERS:
        if end < len(text) and text[end] in CLASSIFIERS[surface] and text[end : end + 2] != "具有":
            return None  # 家庭 / 位于 are other words; 5家具有示范效应的… is still 5家
        return UnitMatch(end, COUNT, surface)
    return UnitMatch(end, UNITS[surface])


def money_prefix(text: str, pos: int) -> tuple[int, str] | None:
    """A currency symbol written right before `pos` (￥300): (symbol start, currency)."""
    lo = max(0, pos - 5)
    m = MONEY_PREFIX_RE.search(text, lo, pos)
    if m is None:
        return None
    return m.start(), MONEY_PREFIX[m.group().rstrip()]
