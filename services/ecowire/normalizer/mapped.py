"""Text that remembers, per character, where it came from in the raw document.

Every rewrite the normalizer makes (folding, deletions, joins, inserted separators) goes through
`Mapped`, so the article text can always be mapped back to what the publisher sent. A position of
-1 marks a character the normalizer inserted (paragraph breaks, the title/body separator).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ecowire_schemas import OffsetSegment

# Whitespace: what str.isspace() says, plus the zero-width space and BOM pages are full of.
WS_CODES = np.array([c for c in range(0x3001) if chr(c).isspace()] + [0x200B, 0xFEFF], dtype=np.uint32)
_WS = frozenset(chr(c) for c in WS_CODES.tolist())
WS_RUN = re.compile("[" + re.escape("".join(sorted(_WS))) + "]+")


def is_space(ch: str) -> bool:
    return ch in _WS


@dataclass(frozen=True, slots=True, eq=False)
class Mapped:
    text: str
    pos: np.ndarray  # int64, one raw position per character, -1 where inserted

    def __post_init__(self) -> None:
        if len(self.text) != len(self.pos):
            raise ValueError("text and positions differ in length")

    @classmethod
    def of(cls, text: str, start: int = 0) -> Mapped:
        """`text` taken verbatim from the raw document at `start`."""
        return cls(text, np.arange(start, start + len(text), dtype=np.int64))

    @classmethod
    def inserted(cls, text: str) -> Mapped:
        return cls(text, np.full(len(text), -1, dtype=np.int64))

    @classmethod
    def from_lists(cls, chars: list[str], pos: list[int]) -> Mapped:
        return cls("".join(chars), np.array(pos, dtype=np.int64))

    @classmethod
    def join(cls, sep: str, parts: Iterable[Mapped]) -> Mapped:
        texts: list[str] = []
        arrays: list[np.ndarray] = []
        sep_pos = np.full(len(sep), -1, dtype=np.int64)
        first = True
        for p in parts:
            if not first and sep:
                texts.append(sep)
                arrays.append(sep_pos)
            first = False
            texts.append(p.text)
            arrays.append(p.pos)
        if not arrays:
            return cls("", np.empty(0, dtype=np.int64))
        return cls("".join(texts), np.concatenate(arrays))

    def __len__(self) -> int:
        return len(self.text)

    def __add__(self, other: Mapped) -> Mapped:
        return Mapped(self.text + other.text, np.concatenate((self.pos, other.pos)))

    def __getitem__(self, s: slice) -> Mapped:
        return Mapped(self.text[s], self.pos[s])

    def strip(self) -> Mapped:
        i, j = 0, len(self.text)
        while i < j and is_space(self.text[i]):
            i += 1
        while j > i and is_space(self.text[j - 1]):
            j -= 1
        return self[i:j]

    def map_chars(self, fn: Callable[[str], str]) -> Mapped:
        """Rewrite characters 1:1 (`fn` must keep the length); positions stay."""
        out = fn(self.text)
        if len(out) != len(self.text):
            raise ValueError("map_chars needs a length-preserving rewrite")
        return Mapped(out, self.pos)

    def delete(self, spans: Iterable[tuple[int, int]]) -> Mapped:
        """Remove the given [start, end) spans (sorted, non-overlapping)."""
        keep = np.ones(len(self.text), dtype=bool)
        pieces: list[str] = []
        last = 0
        for a, b in spans:
            if a < last:
                raise ValueError("delete spans overlap or are unsorted")
            pieces.append(self.text[last:a])
            keep[a:b] = False
            last = b
        pieces.append(self.text[last:])
        return Mapped("".join(pieces), self.pos[keep])

    def delete_matches(self, pattern: re.Pattern[str], group: int | str = 0) -> Mapped:
        spans = [m.span(group) for m in pattern.finditer(self.text) if m.start(group) < m.end(group)]
        return self.delete(spans) if spans else self

    def split(self, pattern: re.Pattern[str]) -> Iterator[Mapped]:
        """Pieces between matches of `pattern` (the matches themselves are dropped)."""
        last = 0
        for m in pattern.finditer(self.text):
            yield self[last : m.start()]
            last = m.end()
        yield self[last:]

    def segments(self, offset: int = 0) -> list[OffsetSegment]:
        """Runs where text and raw advance together; inserted characters fall between runs."""
        if not len(self.pos):
            return []
        p = self.pos
        valid = p >= 0
        # A run starts at every mapped character that does not continue the previous one.
        cont = np.zeros(len(p), dtype=bool)
        cont[1:] = valid[1:] & valid[:-1] & (p[1:] == p[:-1] + 1)
        starts = np.flatnonzero(valid & ~cont)
        ends = np.flatnonzero(valid & ~np.append(cont[1:], False)) + 1
        return [
            OffsetSegment(start=int(s) + offset, orig_start=int(p[s]), length=int(e - s))
            for s, e in zip(starts, ends, strict=True)
        ]
