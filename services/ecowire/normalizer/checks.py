"""Cheap checks that run before any parsing: size cap, empty, binary junk, mojibake."""

from __future__ import annotations

import re

from .config import NormalizerConfig
from .errors import NormalizeError

_SAMPLE = 200_000
# C0/C1 control characters that never occur in text (tab, newlines, form feed excepted).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# UTF-8 Chinese read as Latin-1/cp1252 (`ä¸­æ–‡`), GBK read as Latin-1 (`ÖÐÎÄ`), GBK's `锟斤拷`.
_MOJIBAKE = re.compile(
    r"(?=[\u00a1-\u00ff锟烫屯])(?:[\u00c0-\u00ff][\u0080-\u00bf\u2018-\u203a\u20ac\u0152-\u0178\u02c6\u02dc\u00a0-\u00bf]){2,}"
    r"|[\u00a1-\u00ff]{4,}|(?:锟斤拷)+|(?:烫烫烫)+|(?:屯屯屯)+"
)
MAX_CONTROL_RATIO = 0.02
_READABLE = re.compile(r"[^\W_]")  # a letter, a digit or a Chinese character


def check(text: str, cfg: NormalizerConfig) -> int:
    """Raise NormalizeError for input no article can come from; else return how many garbled
    characters the sample holds (a few: the articles are flagged `mojibake`)."""
    if len(text) > cfg.max_chars:
        raise NormalizeError("too_large", f"{len(text)} characters, cap {cfg.max_chars}")
    if not text.strip():
        raise NormalizeError("empty", "no text")
    sample = text[:_SAMPLE]
    if "\x00" in sample or len(_CONTROL.findall(sample)) > MAX_CONTROL_RATIO * len(sample):
        raise NormalizeError("binary", "control characters: not text")
    if not _READABLE.search(text):
        # punctuation runs and zero-width characters alike: no article, and one reason for both
        raise NormalizeError("no_text", "no letters or digits: only punctuation, symbols or invisible characters")
    bad = garbled_chars(sample)
    ratio = bad / max(1, len(sample) - len(_SPACE.findall(sample))) if bad else 0.0
    if ratio > cfg.max_garbled_ratio:
        raise NormalizeError("mojibake", f"{ratio:.0%} of the text is replacement or mis-decoded characters")
    return bad


_SUSPECT = re.compile(r"[\ufffd\u0080-\u00ff锟烫屯]")
_SPACE = re.compile(r"\s")


def garbled_chars(text: str) -> int:
    """Replacement characters plus characters in mis-decoded runs."""
    if not _SUSPECT.search(text):  # the common case: nothing that could be mojibake
        return 0
    return text.count("\ufffd") + sum(len(m.group(0)) for m in _MOJIBAKE.finditer(text))


def garbled_ratio(text: str) -> float:
    bad = garbled_chars(text)
    visible = len(text) - len(_SPACE.findall(text)) if bad else 0
    return bad / visible if visible else 0.0
