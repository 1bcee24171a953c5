"""Pathological documents of a chosen length, for the scaling benchmark and its test.

Each shape is what hostile or broken publishers send (issue 11): digit runs, Chinese numerals,
one line without a break, punctuation runs, deeply nested markup, one quantity repeated, and real
text at length. `document(shape, n)` returns (content, content_type) of about `n` characters.
"""

from __future__ import annotations

from collections.abc import Callable

_TITLE = "关于全省碳排放权交易市场运行情况的通报\n\n"
_SENTENCE = "2024年，全省碳排放权交易市场累计成交量1.3亿吨，同比增长5.2%，成交额达到78.6亿元。"
_PARAGRAPH = (
    "生态环境部部长黄润秋3月5日在北京出席全国生态环境保护工作会议并讲话。会议指出，"
    "十四五期间全国单位国内生产总值二氧化碳排放降低18%，广东省、湖北省碳市场覆盖企业超过300家。"
    "会议要求，到2025年底前完成重点行业超低排放改造，各地要加快推进《碳排放权交易管理暂行条例》落实。\n"
)


def _fill(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def digits(n: int) -> str:
    return _TITLE + "排放量为" + _fill("0123456789", n) + "吨。\n" + _PARAGRAPH


def chinese_numerals(n: int) -> str:
    return _TITLE + "排放量为" + _fill("一二三四五六七八九十百千万亿零两", n) + "吨。\n" + _PARAGRAPH


def long_line(n: int) -> str:
    return _TITLE + _fill(_PARAGRAPH.replace("\n", ""), n)


def punctuation(n: int) -> str:
    return _TITLE + _PARAGRAPH + _fill("，。！？、；：……——“”《》（）", n) + "\n" + _PARAGRAPH


def repeated_quantity(n: int) -> str:
    return _TITLE + _fill("增长5.2%，达到1.3亿吨，", n) + "\n"


def real_text(n: int) -> str:
    """Distinct paragraphs (the normalizer drops repeated lines as boilerplate)."""
    unit = _PARAGRAPH.rstrip("\n") + _SENTENCE
    count = n // (len(unit) + 8) + 1
    return _TITLE + "".join(f"第{i}段：{unit}\n" for i in range(count))[:n]


def nested_markup(n: int) -> str:
    depth = max(1, (n - 400) // 11)
    return ("<html><body>" + "<div><span>" * depth + f"<p>{_PARAGRAPH}</p>" + "</span></div>" * depth
            + "</body></html>")


SHAPES: dict[str, tuple[Callable[[int], str], str]] = {
    "digits": (digits, "text/plain"),
    "chinese_numerals": (chinese_numerals, "text/plain"),
    "one_long_line": (long_line, "text/plain"),
    "punctuation": (punctuation, "text/plain"),
    "repeated_quantity": (repeated_quantity, "text/plain"),
    "real_text": (real_text, "text/plain"),
    "nested_markup": (nested_markup, "text/html"),
}


def document(shape: str, n: int) -> tuple[str, str]:
    make, content_type = SHAPES[shape]
    return make(n), content_type
