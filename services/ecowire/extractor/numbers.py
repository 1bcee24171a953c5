"""Our own Chinese / Arabic number grammar.

Why not cn2an / chinese2digits: both rewrite whole strings and corrupt words that merely contain
numeral characters (二氧化碳, 一河一策) and misread mixed forms such as 418万千瓦时. Here a number
is first *located* by one compiled, linear regex (a run of numeral characters, no nested
quantifiers, so no catastrophic backtracking), then *parsed* by a small hand-written evaluator.

Supported: Arabic digits (half and full width), thousands separators, decimals, Chinese digits in
normal and financial (大写) forms, 十百千 and 万/亿/兆 (including 万亿, 万万), 零, elided trailing
units (一万三 = 13000, 两千四百五 = 2450), 点 decimals (十五点七), positional digit strings
(二零零四 = 2004), mixed forms (5万4千6百, 3.46万亿, 2千零30万), signs (负, -).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

# Full-width → half-width for the characters a number can contain; one-to-one, so offsets survive.
FOLD_TABLE = str.maketrans("０１２３４５６７８９．，％－／：＋", "0123456789.,%-/:+")

CN_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "○": 0, "洞": 0,
    "一": 1, "壹": 1, "幺": 1,
    "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2, "俩": 2, "倆": 2,
    "三": 3, "叁": 3, "參": 3, "四": 4, "肆": 4, "五": 5, "伍": 5,
    "六": 6, "陆": 6, "陸": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}  # fmt: skip
# "洞" and "幺" only occur in radio speech; keep them out of the locator below.
SMALL_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS: dict[str, float] = {"万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8, "兆": 1e12}
DECIMAL_POINTS = "点點"

_LOC_DIGITS = "零〇○一壹二贰貳两兩俩倆三叁參四肆五伍六陆陸七柒八捌九玖"
# Financial forms that are also ordinary words (陆地, 拾起, 伍, 肆意, 柒, 捌): only inside a longer
# numeral, never alone — enforced in `find_numbers`.
AMBIGUOUS_SINGLE = set("陆陸拾伍肆柒捌玖叁參贰貳壹俩倆佰仟○〇")

# 两 never starts a decimal part: 两百点两 is 两百 and 两, 一点两小时 is 一 and 两.
_DECIMAL_DIGITS = _LOC_DIGITS.replace("两", "").replace("兩", "")
NUMERAL_CHARS = _LOC_DIGITS + "十拾百佰仟万萬亿億"
# The locator: starts at a digit (Arabic or Chinese, or 十), continues over numeral characters,
# decimal points followed by a digit, and thousands commas followed by exactly three digits.
# 兆 is a multiplier only when it is not the SI prefix of 兆瓦 / 兆焦 / 兆帕 / 兆赫 / 兆字节.
_ARABIC = "0-9０-９"
NUMBER_PATTERN = (
    # 近百名 / 逾千家 / 近万人: after a qualifier a bare 百/千/万 means one hundred / thousand / …;
    # so before 余/多 (百余场 = over a hundred; 数百余 stays vague)
    rf"(?:[{_ARABIC}{_LOC_DIGITS}十拾]|(?<=[近逾超])[百千万]|(?<![数几上{NUMERAL_CHARS}])[百千万](?=[余多]))"
    rf"(?:[{_ARABIC}{NUMERAL_CHARS}]"
    rf"|[.．](?=[{_ARABIC}])"
    rf"|[{DECIMAL_POINTS}](?=[{_DECIMAL_DIGITS}{_ARABIC}])"
    rf"|[,，](?=[0-9０-９]{{3}}(?![0-9０-９]))"
    r"|兆(?![瓦焦帕赫字比特])"
    r"|千(?![瓦克米卡焦帕赫字比])"  # 418万千瓦时: 千瓦 is the unit, not ×1000
    r")*"
)
NUMBER_RE = re.compile(NUMBER_PATTERN)
_ZERO = Decimal(0)
_ARABIC_RUN = re.compile(r"[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True)
class NumberSpan:
    start: int
    end: int
    value: float


def fold(text: str) -> str:
    """Full-width digits and number punctuation to ASCII; same length, so offsets are preserved."""
    return text.translate(FOLD_TABLE)


def _tokenize(s: str) -> list[tuple[str, Decimal]] | None:
    """Split a numeral string into ('d', digit) / ('a', arabic) / ('s', small unit) / ('b', big unit)
    / ('z', 零) / ('p', point) tokens. None when a character is not part of the grammar."""
    out: list[tuple[str, Decimal]] = []
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if "0" <= ch <= "9":
            m = _ARABIC_RUN.match(s, i)
            assert m is not None
            out.append(("a", Decimal(m.group())))
            i = m.end()
            continue
        if ch in ("零", "〇", "○"):
            out.append(("z", _ZERO))
        elif ch in CN_DIGITS:
            out.append(("d", Decimal(CN_DIGITS[ch])))
        elif ch in SMALL_UNITS:
            out.append(("s", Decimal(SMALL_UNITS[ch])))
        elif ch in BIG_UNITS:
            out.append(("b", Decimal(int(BIG_UNITS[ch]))))
        elif ch in DECIMAL_POINTS:
            out.append(("p", _ZERO))
        else:
            return None
        i += 1
    return out


def _positional(tokens: list[tuple[str, Decimal]]) -> Decimal | None:
    """二零零四 → 2004: digits only, read positionally."""
    if len(tokens) < 2 or any(k not in ("d", "z") for k, _ in tokens):
        return None
    value = 0
    for _, v in tokens:
        value = value * 10 + int(v)
    return Decimal(value)


def _integer(tokens: list[tuple[str, Decimal]]) -> Decimal | None:
    """Evaluate an integer (or Arabic-decimal-led) numeral with 十百千 / 万亿兆."""
    if not tokens:
        return None
    pos = _positional(tokens)
    if pos is not None:
        return pos
    result = _ZERO
    section = _ZERO
    pending: Decimal | None = None  # a digit waiting for its unit
    pending_is_cn = False
    last_unit = _ZERO  # the unit of the previous component, for elision (一万三)
    after_zero = False
    last_big = _ZERO
    digits_since_big = False
    for kind, v in tokens:
        if kind in ("d", "a"):
            if pending is not None:
                return None  # two numbers in a row (三四) is not a number
            pending, pending_is_cn = v, kind == "d"
            digits_since_big = True
        elif kind == "z":
            after_zero = True
            pending = None
        elif kind == "s":
            if v == 10 and pending is None:
                pending = Decimal(1)  # 十五, 一百一十
            if pending is None:
                return None  # 百三 / 千三 without a leading digit: not a number we read
            section += pending * v
            pending = None
            last_unit = v
            after_zero = False
            digits_since_big = True
        elif kind == "b":
            val = section + (pending or _ZERO)
            section, pending = _ZERO, None
            if not digits_since_big:
                if result == 0:
                    return None  # 万 / 万万 alone
                result *= v  # 四万万, 10万万
            elif v > last_big and last_big:
                result = (result + val) * v  # 4.78万亿, 一万五千亿
            else:
                result += val * v
            last_big = max(last_big, v)
            last_unit = v
            after_zero = False
            digits_since_big = False
        else:
            return None
    if pending is not None:
        if pending_is_cn and not after_zero and last_unit >= 10 and pending < 10:
            section += pending * last_unit / 10  # 一万三, 两千四百五, 九十二万四
        else:
            section += pending
    return result + section


MAX_NUMERAL = 40  # characters; the longest real numerals are ~30 (四千五百六十九万八千三百一十一亿…)


def parse_number(s: str) -> float | None:
    """Value of a numeral string (Arabic, Chinese or mixed), or None if it is not one.
    Runs of numeral characters longer than MAX_NUMERAL are not numbers (and would cost quadratic
    big-integer arithmetic)."""
    s = fold(s).replace(",", "").replace(" ", "").replace("\u3000", "")
    if not s or len(s) > MAX_NUMERAL:
        return None
    sign = 1.0
    if s[0] in ("负", "負", "-"):
        sign, s = -1.0, s[1:]
    elif s[0] == "+":
        s = s[1:]
    if not s:
        return None
    # 点 decimals: integer part, then digits read one by one (十五点七, 两千万点五五四四).
    for p in DECIMAL_POINTS:
        if p in s:
            head, _, tail = s.partition(p)
            if not tail or any(c not in CN_DIGITS and not c.isdigit() for c in tail) or "两" in tail:
                return None
            int_tokens = _tokenize(head)
            if int_tokens is None:
                return None
            whole = _integer(int_tokens)
            if whole is None:
                return None
            frac_digits = "".join(str(CN_DIGITS[c]) if c in CN_DIGITS else c for c in tail)
            return sign * float(f"{int(whole)}.{frac_digits}")
    tokens = _tokenize(s)
    if tokens is None:
        return None
    value = _integer(tokens)
    return None if value is None else sign * float(value)


def trailing_multiplier(s: str) -> float:
    """The multiplier a numeral ends with (8千 → 1e3, 3.46万亿 → 1e12, 8千万 → 1e7), 1 if none.
    Used for ranges: in 7-8千家 the 千 also applies to the 7."""
    s = fold(s)
    mult = 1.0
    i = len(s) - 1
    while i > 0 and s[i] in BIG_UNITS:
        mult *= BIG_UNITS[s[i]]
        i -= 1
    # A small unit counts only right after an Arabic digit (8千), not inside 二十 / 三百五.
    if i > 0 and s[i] in SMALL_UNITS and s[i - 1].isdigit():
        mult *= SMALL_UNITS[s[i]]
    return mult


def has_multiplier(s: str) -> bool:
    return any(c in BIG_UNITS or c in SMALL_UNITS for c in s)


_LATIN_BEFORE = re.compile(r"[A-Za-z_]")
# Words that contain numeral characters but are not numbers (the locator would see 一 / 四 / 万).
_NON_NUMBER_WORDS = re.compile(
    "一切|一看|一些|一样|一起|一直|一定|一般|一致|一体|一道|一同|统一|唯一|万一|一旦|专一|同一|逐一|"
    "二氧化|一氧化|三氧化|四氯化|六氟化|二噁英|四川|万物|三峡|一带一路|十分|十足|两两|一律|一再|一度|一向|一流|一线|一方面|一边|一下"
)


def _is_word(text: str, start: int, end: int) -> bool:
    """The numeral is (part of) a word: 四川, 统一, 两两 — not a numeral inside a longer one (一万一千)."""
    lo = max(0, start - 3)
    return any(
        m.start() < end and m.end() > start and (m.start() < start or m.end() > end or m.span() == (start, end))
        for m in _NON_NUMBER_WORDS.finditer(text, lo, end + 3)
    )


def find_numbers(text: str) -> list[NumberSpan]:
    """Every number in `text` with its half-open span. Numbers glued to Latin letters (PM2.5,
    CO2, WG2020) are codes, not numbers, and are skipped."""
    folded = fold(text)
    out: list[NumberSpan] = []
    for m in NUMBER_RE.finditer(folded):
        start, end = m.span()
        surface = folded[start:end]
        if start > 0 and (_LATIN_BEFORE.match(folded, start - 1) or folded[start - 1] in ".．"):
            continue
        if end < len(folded) and _LATIN_BEFORE.match(folded, end) and surface[-1].isdigit():
            continue
        if len(surface) == 1 and surface in AMBIGUOUS_SINGLE:
            continue
        if _is_word(folded, start, end):
            continue
        value = parse_number(surface)
        if value is None:
            continue
        if (start > 0 and folded[start - 1] in ("负", "負")) or (
            start > 0 and folded[start - 1] == "-" and (start < 2 or not folded[start - 2].isalnum())
        ):
            start, value = start - 1, -value
        out.append(NumberSpan(start, end, value))
    return out
