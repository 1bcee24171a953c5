"""Time grows linearly with length for every pathological shape (issue 11): normalize and extract
at two lengths eight times apart must take at most 2.5 × 8 times as long. A quadratic path takes
up to 64 times as long once its share dominates; the lengths are chosen so that the mildest one
found (quantities inside 《》 spans and documents' issuers on a 300K-character line) breaks the
bound; it is a ratio of CPU times in this
process, not a wall-clock budget. `benchmarks/scaling_bench.py` measures the same up to 1M
characters and records the exponents."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from ecowire.extractor import extract
from ecowire.extractor.ner import default_tagger
from ecowire.normalizer import NormalizeError, normalize
from ecowire.shapes import SHAPES, document
from ecowire_schemas import Article, RawDocument

T0 = datetime(2025, 1, 1, tzinfo=UTC)
GROWTH = 8
SLACK = 2.5


def _raw(content: str, content_type: str) -> RawDocument:
    return RawDocument(doc_id="scale", text=content, content_type=content_type, encoding="utf-8",
                       byte_length=len(content.encode()), ingested_at=T0)


def _article(text: str) -> Article:
    return Article(article_id="scale", doc_id="scale", index=0, title=None, text=text, body_start=0,
                   published_at="2025-01-01", content_hash="0" * 64, ingested_at=T0)


def _cpu(fn: Callable[[], object], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return max(best, 0.05)  # below 50 ms, fixed costs and the clock decide, not the length


def _ratio(large: Callable[[], object], small: Callable[[], object]) -> float:
    """CPU time of `large` over `small` (best of two); `large` runs again only when its first
    time breaks the bound, since a collection or a busy neighbour can inflate one run."""
    base = _cpu(small, 2)
    ratio = _cpu(large, 1) / base
    return ratio if ratio <= SLACK * GROWTH else min(ratio, _cpu(large, 1) / base)


def _normalize(content: str, ctype: str) -> Callable[[], object]:
    def run() -> object:
        try:
            return normalize(_raw(content, ctype))
        except NormalizeError as e:
            return e

    return run


@pytest.mark.parametrize("shape", list(SHAPES))
def test_normalize_is_linear(shape: str) -> None:
    small, large = (document(shape, n) for n in (50_000, 50_000 * GROWTH))
    ratio = _ratio(_normalize(*large), _normalize(*small))
    assert ratio <= SLACK * GROWTH, f"{shape}: {GROWTH}× the length took {ratio:.0f}× the time"


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_rules_are_linear(shape: str) -> None:
    """The rules without the model, where a quadratic path shows soonest (the model's rows are
    bounded by construction, and measured below)."""
    small, large = (document(shape, n)[0] for n in (40_000, 40_000 * GROWTH))
    ratio = _ratio(lambda: extract(_article(large), use_ner=False), lambda: extract(_article(small), use_ner=False))
    assert ratio <= SLACK * GROWTH, f"{shape}: {GROWTH}× the length took {ratio:.0f}× the time"


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_tagger_is_linear(shape: str) -> None:
    tagger = default_tagger()
    tagger.tag("生态环境部部长黄润秋出席会议。")  # the model loaded outside the timings
    small, large = (document(shape, n)[0] for n in (8_000, 8_000 * GROWTH))
    ratio = _ratio(lambda: tagger.tag(large), lambda: tagger.tag(small))
    assert ratio <= SLACK * GROWTH, f"{shape}: {GROWTH}× the length took {ratio:.0f}× the time"
