"""Character folding: Traditional → Simplified (OpenCC t2s), width folding, one spelling of PM2.5.

All rewrites here keep positions: t2s and width folding are 1:1 per character (checked, with a
per-character fallback when a phrase conversion would change the length), and the PM/subscript
rewrite only deletes characters (`_{`, `}`, spaces) around characters that stay.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

import numpy as np
import opencc

from .mapped import Mapped

Script = Literal["simplified", "traditional", "mixed", "unknown"]

# Explicit width table (not NFKC, which would also turn ① into 1 and m² into m2): full-width ASCII
# letters and digits, plus the percent sign that belongs to numbers.
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}
_WIDTH.update({c: c - 0xFEE0 for c in range(0xFF21, 0xFF3B)})
_WIDTH.update({c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)})
_WIDTH[0xFF05] = ord("%")
_WIDTH[0xFF0E] = ord(".")  # `２．５`: the full-width full stop is a decimal point (Chinese ends sentences with 。)
# Subscript digits only appear in formulas (PM₂.₅, CO₂, SO₂): written as plain digits.
_WIDTH.update({0x2080 + d: ord("0") + d for d in range(10)})
_WIDTH[0x2093] = ord("x")  # ₓ as in NOₓ
_WIDTH_TABLE = str.maketrans(_WIDTH)

# PM_{2.5}, PM 2.5, PM_{10}: delete the markup between "PM" and the number, keep the characters.
_PM_MARKUP = re.compile(r"(?i)(?<=PM)(\s*_?\{?\s*)(\d+(?:\.\d+)?)(\s*\})?")
_PM_HINT = re.compile(r"[Pp][Mm][\s_]")  # `PM 2.5`, `PM_2.5`: the only spellings with characters to drop
_SUB_MARKUP = re.compile(r"(?<=[A-Z])(_\{)(\d{1,2})(\})")  # CO_{2}, SO_{2}


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def t2s(text: str) -> str:
    """Simplified text of the same length; a piece whose phrase conversion changes length is
    converted character by character (a rare loss of phrase context, never of position)."""
    conv = _t2s()
    out = conv.convert(text)
    if len(out) == len(text):
        return out
    parts: list[str] = []
    for line in text.splitlines(keepends=True):
        c = conv.convert(line)
        if len(c) != len(line):
            c = "".join(ch2 if len(ch2 := conv.convert(ch)) == 1 else ch for ch in line)
        parts.append(c)
    return "".join(parts)


_NEEDS_WIDTH = re.compile("[" + "".join(chr(c) for c in sorted(_WIDTH)) + "]")


def width_fold(text: str) -> str:
    return text.translate(_WIDTH_TABLE) if _NEEDS_WIDTH.search(text) else text


def fold_chars(text: str) -> str:
    """The 1:1 part of the folding (t2s + width), usable on any slice of raw text."""
    return width_fold(t2s(text))


def detect_script(raw: str, folded: str) -> Script:
    """Traditional if t2s rewrote a real share of the Han characters, mixed if only a few."""
    a = np.frombuffer(raw.encode("utf-32-le"), dtype=np.uint32)
    b = np.frombuffer(folded.encode("utf-32-le"), dtype=np.uint32)
    han_a = (a >= 0x4E00) & (a <= 0x9FFF)
    han = int(han_a.sum())
    if han < 10:
        return "unknown"
    changed = int((han_a & (a != b) & (b >= 0x4E00) & (b <= 0x9FFF)).sum())
    share = changed / han
    if share >= 0.05:
        return "traditional"
    if changed >= 3:
        return "mixed"
    return "simplified"


def fold(m: Mapped) -> Mapped:
    """t2s + width folding + one spelling of PM2.5 / CO2, keeping the map to the raw text."""
    out = m.map_chars(fold_chars)
    spans: list[tuple[int, int]] = []
    if "_{" not in out.text and not _PM_HINT.search(out.text):
        return out
    for mt in _PM_MARKUP.finditer(out.text):
        if mt.group(1):
            spans.append(mt.span(1))
        if mt.group(3):
            spans.append(mt.span(3))
    for mt in _SUB_MARKUP.finditer(out.text):
        spans.append(mt.span(1))
        spans.append(mt.span(3))
    if spans:
        out = out.delete(sorted(set(spans)))
    return out
