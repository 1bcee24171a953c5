"""Small text helpers shared by the entity finders: sentences, lexicon scanning, token offsets."""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import rjieba

# Sentence ends. A newline always ends a sentence (titles, captions and list items are lines).
_SENT_END = re.compile(r"[。！？!?；;\n]+")
# Characters that end a clause inside a sentence.
CLAUSE_PUNCT = frozenset("，,、：:（）()“”\"「」『』 \u3000\t")
# A title in 《》 (a document, a newspaper, a programme); group 1 is the title without brackets.
TITLE_IN_BRACKETS = re.compile(r"《([^《》\n]{1,80})》")
PUNCT = frozenset("，,、。！？!?；;：:（）()【】[]“”\"'‘’「」『』《》〈〉—-…·.　 \t\n\u3000/|")


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int


def sentences(text: str) -> list[Sentence]:
    """Half-open sentence spans covering the text (separators belong to the sentence they end)."""
    out: list[Sentence] = []
    pos = 0
    for m in _SENT_END.finditer(text):
        if m.end() > pos:
            out.append(Sentence(pos, m.end()))
        pos = m.end()
    if pos < len(text):
        out.append(Sentence(pos, len(text)))
    return out


def sentence_index(sents: list[Sentence], pos: int) -> int:
    """Index of the sentence holding `pos` (binary search)."""
    lo, hi = 0, len(sents) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sents[mid].start <= pos:
            lo = mid
        else:
            hi = mid - 1
    return lo


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


class Lexicon:
    """Longest-match scanning of a word list (a dict by first character: linear in the text)."""

    def __init__(self, words: Iterable[str]) -> None:
        by_first: dict[str, set[int]] = {}
        self.words: frozenset[str] = frozenset(w for w in words if w)
        for w in self.words:
            by_first.setdefault(w[0], set()).add(len(w))
        self._lengths = {k: sorted(v, reverse=True) for k, v in by_first.items()}
        # the scan jumps from one possible first character to the next in C, not char by char in Python
        self._first = re.compile("[" + "".join(re.escape(c) for c in sorted(by_first)) + "]") if by_first else None

    def match_at(self, text: str, i: int) -> str | None:
        """The longest word starting at `i`, or None."""
        for n in self._lengths.get(text[i], ()):
            w = text[i : i + n]
            if w in self.words:
                return w
        return None

    def finditer(self, text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, str]]:
        """Non-overlapping longest matches, left to right."""
        stop = len(text) if end is None else end
        first = self._first
        if first is None:
            return
        i = start
        while True:
            m = first.search(text, i, stop)
            if m is None:
                return
            i = m.start()
            w = self.match_at(text, i)
            if w is not None and i + len(w) <= stop:
                yield i, i + len(w), w
                i += len(w)
            else:
                i += 1

    def ending_at(self, text: str, end: int, max_len: int = 12) -> str | None:
        """The longest word ending exactly at `end`, or None."""
        for n in range(min(max_len, end), 0, -1):
            w = text[end - n : end]
            if w in self.words:
                return w
        return None


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    word: str
    pos: str


_JIEBA: rjieba.Jieba | None = None
_JIEBA_LOCK = threading.Lock()


def _jieba() -> rjieba.Jieba:
    """Our own rjieba instance with the domain vocabulary added (the shared default is left alone)."""
    global _JIEBA
    if _JIEBA is None:
        with _JIEBA_LOCK:
            if _JIEBA is None:
                from .lexicons.vocabulary import entries

                jb = rjieba.Jieba()
                for word, pos in entries():
                    jb.add_word(word, None, pos)
                _JIEBA = jb
    return _JIEBA


def tokenize(text: str) -> list[Token]:
    """rjieba tokens with POS tags and character offsets (rjieba's tags cover the text exactly)."""
    out: list[Token] = []
    pos = 0
    for word, tag in _jieba().tag(text):
        out.append(Token(pos, pos + len(word), word, tag))
        pos += len(word)
    if pos != len(text):
        raise ValueError(f"rjieba tokens cover {pos} of {len(text)} characters")
    return out


def inside(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    """Whether [start, end) lies within one of `spans` (a scan: for a few spans)."""
    return any(s <= start and end <= e for s, e in spans)


class SpanSet:
    """Containment queries over many spans in O(log n): spans sorted by start, with the running
    maximum of their ends, so "is [a, b) inside some span" is one bisection."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self._starts = [s for s, _ in ordered]
        self._max_end: list[int] = []
        best = -1
        for _, e in ordered:
            best = max(best, e)
            self._max_end.append(best)

    def covers(self, start: int, end: int) -> bool:
        k = bisect.bisect_right(self._starts, start) - 1
        return k >= 0 and self._max_end[k] >= end
