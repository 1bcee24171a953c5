"""Duplicate and near-duplicate articles: exact by content hash, near by MinHash LSH candidates
confirmed by an estimate of shingle Jaccard similarity or of containment.

Containment: a copy cut to its first half shares almost all of its shingles with the original,
but its Jaccard similarity is only about |short|/|long|. Given the MinHash Jaccard estimate J and
the two set sizes, the shared shingles are J/(1+J)·(|A|+|B|), so the share of the shorter text
found in the longer is C = J·(|A|+|B|) / ((1+J)·min(|A|,|B|)). Set sizes are approximated by the
text lengths (one character shingle per character). Because J is estimated from few slots, C is
only trusted when enough slots agree (`min_matching_slots`) and the shorter text is not tiny.

Every measure here is symmetric, and each pair of articles is compared when the later of the two
arrives, so the set of duplicate links — and the clusters they form — do not depend on arrival
order. That is what makes a replay or a rebalance converge on the same picture.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH


@dataclass(frozen=True)
class DedupConfig:
    lsh_threshold: float = 0.2  # low: containment candidates have a low Jaccard similarity
    jaccard_threshold: float = 0.7
    containment_threshold: float = 0.8
    min_matching_slots: int = 8  # of the signature's slots, for a containment decision
    min_length: int = 30  # characters; shorter texts are only ever exact duplicates


@dataclass(frozen=True)
class Fingerprint:
    article_id: str
    content_hash: str
    minhash: tuple[int, ...]
    length: int


MatchKind = Literal["exact", "jaccard", "containment"]


@dataclass(frozen=True)
class Match:
    kind: MatchKind
    similarity: float  # in [0, 1]


def jaccard_estimate(a: Fingerprint, b: Fingerprint) -> tuple[float, int] | None:
    """(estimated Jaccard, matching slots), or None when the signatures are not comparable."""
    if not a.minhash or len(a.minhash) != len(b.minhash):
        return None
    same = sum(1 for x, y in zip(a.minhash, b.minhash, strict=True) if x == y)
    return same / len(a.minhash), same


def containment_estimate(jaccard: float, len_a: int, len_b: int) -> float:
    """Estimated share of the shorter text's shingles found in the longer one (see module doc)."""
    short = min(len_a, len_b)
    if short <= 0:
        return 0.0
    return min(1.0, jaccard * (len_a + len_b) / ((1.0 + jaccard) * short))


def similarity(a: Fingerprint, b: Fingerprint, cfg: DedupConfig) -> float:
    """The similarity reported for a pair: 1 for the same content, else max(Jaccard, containment)."""
    if a.content_hash == b.content_hash:
        return 1.0
    est = jaccard_estimate(a, b)
    if est is None:
        return 0.0
    j, slots = est
    c = containment_estimate(j, a.length, b.length) if slots >= cfg.min_matching_slots else 0.0
    return round(max(j, c), 4)


def confirm(
    a: Fingerprint, b: Fingerprint, cfg: DedupConfig, est: tuple[float, int] | None = None
) -> Match | None:
    """Whether two articles are the same text (exact) or nearly so; None when they are not.
    `est` is the pair's (Jaccard estimate, matching slots) when the caller computed it already."""
    if a.content_hash == b.content_hash:
        return Match("exact", 1.0)
    if min(a.length, b.length) < cfg.min_length:
        return None
    if est is None:
        est = jaccard_estimate(a, b)
    if est is None:
        return None
    j, slots = est
    if j >= cfg.jaccard_threshold:
        return Match("jaccard", round(j, 4))
    if slots >= cfg.min_matching_slots:
        c = containment_estimate(j, a.length, b.length)
        if c >= cfg.containment_threshold:
            return Match("containment", round(c, 4))
    return None


@dataclass
class DedupIndex:
    """Incremental duplicate clusters: an LSH index for candidates, union-find for clusters."""

    cfg: DedupConfig = field(default_factory=DedupConfig)
    fingerprints: dict[str, Fingerprint] = field(default_factory=dict)
    _by_hash: dict[str, set[str]] = field(default_factory=dict)
    _lsh: dict[int, MinHashLSH] = field(default_factory=dict)  # one index per signature length
    _parent: dict[str, str] = field(default_factory=dict)
    _members: dict[str, set[str]] = field(default_factory=dict)  # root -> members
    _sigs: dict[int, _Signatures] = field(default_factory=dict)  # signature length -> matrix
    _row: dict[str, tuple[int, int]] = field(default_factory=dict)  # article -> (length, row)

    def candidates(self, fp: Fingerprint) -> set[str]:
        found = set(self._by_hash.get(fp.content_hash, ()))
        if fp.minhash:
            lsh = self._lsh.get(len(fp.minhash))
            if lsh is not None:
                found.update(lsh.query(_minhash(fp)))
        found.discard(fp.article_id)
        return found

    def links(self, fp: Fingerprint) -> dict[str, Match]:
        """Confirmed duplicate links from `fp` to articles already in the index."""
        out: dict[str, Match] = {}
        candidates = self.candidates(fp)
        estimates = self._estimates(fp, candidates)
        # Same content always links; other candidates only when the estimate may pass.
        for other in sorted(set(self._by_hash.get(fp.content_hash, ())) | set(estimates)):
            if other == fp.article_id:
                continue
            m = confirm(fp, self.fingerprints[other], self.cfg, estimates.get(other))
            if m is not None:
                out[other] = m
        return out

    def _estimates(self, fp: Fingerprint, candidates: set[str]) -> dict[str, tuple[float, int]]:
        """(Jaccard estimate, matching slots) of the candidates that may pass `confirm`, computed
        for all candidates at once: boilerplate-heavy sources can make hundreds per article."""
        n = len(fp.minhash)
        sigs = self._sigs.get(n)
        if not n or sigs is None:
            return {}
        names = [c for c in candidates if self._row.get(c, (0, 0))[0] == n]
        if not names:
            return {}
        idx = np.fromiter((self._row[c][1] for c in names), dtype=np.int64, count=len(names))
        same = (sigs.matrix[idx] == np.asarray(fp.minhash, dtype=np.uint64)).sum(axis=1)
        j = same / n
        lengths = sigs.lengths[idx]
        short = np.maximum(np.minimum(lengths, fp.length), 1)
        contained = j * (lengths + fp.length) / ((1.0 + j) * short)
        keep = (j >= self.cfg.jaccard_threshold) | (
            (same >= self.cfg.min_matching_slots) & (contained >= self.cfg.containment_threshold)
        )
        return {names[i]: (float(j[i]), int(same[i])) for i in np.flatnonzero(keep)}

    def add(self, fp: Fingerprint, links: Iterable[str]) -> None:
        """Insert an article and join its cluster with those of the linked articles."""
        if fp.article_id in self.fingerprints:
            raise ValueError(f"article {fp.article_id} is already indexed")
        self.fingerprints[fp.article_id] = fp
        self._by_hash.setdefault(fp.content_hash, set()).add(fp.article_id)
        if fp.minhash:
            lsh = self._lsh.get(len(fp.minhash))
            if lsh is None:
                lsh = self._lsh[len(fp.minhash)] = MinHashLSH(
                    threshold=self.cfg.lsh_threshold, num_perm=len(fp.minhash)
                )
            lsh.insert(fp.article_id, _minhash(fp), check_duplication=False)
            sigs = self._sigs.setdefault(len(fp.minhash), _Signatures(len(fp.minhash)))
            self._row[fp.article_id] = (len(fp.minhash), sigs.append(fp.minhash, fp.length))
        self._parent[fp.article_id] = fp.article_id
        self._members[fp.article_id] = {fp.article_id}
        for other in links:
            self.link(fp.article_id, other)

    def link(self, a: str, b: str) -> None:
        """Put two indexed articles in one cluster."""
        self._union(a, b)

    def root(self, article_id: str) -> str:
        parent = self._parent
        node = article_id
        while parent[node] != node:
            parent[node] = parent[parent[node]]  # path halving
            node = parent[node]
        return node

    def cluster(self, article_id: str) -> set[str]:
        return self._members[self.root(article_id)]

    def _union(self, a: str, b: str) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return
        if len(self._members[ra]) < len(self._members[rb]):
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._members[ra] |= self._members.pop(rb)


class _Signatures:
    """A growable matrix of signatures, one row per article."""

    def __init__(self, width: int) -> None:
        self.matrix = np.zeros((64, width), dtype=np.uint64)
        self.lengths = np.zeros(64, dtype=np.float64)
        self.rows = 0

    def append(self, sig: tuple[int, ...], length: int) -> int:
        if self.rows == len(self.matrix):
            self.matrix = np.concatenate([self.matrix, np.zeros_like(self.matrix)])
            self.lengths = np.concatenate([self.lengths, np.zeros_like(self.lengths)])
        self.matrix[self.rows] = sig
        self.lengths[self.rows] = length
        self.rows += 1
        return self.rows - 1


def _minhash(fp: Fingerprint) -> LeanMinHash:
    # Only the values matter for LSH banding (a lean sketch skips generating permutations); the
    # scheme label just has to be the same everywhere.
    return LeanMinHash(seed=1, hashvalues=list(fp.minhash), scheme="affine32")


def signature(text: str, num_perm: int = 64, shingle: int = 3, seed: int = 1) -> list[int]:
    """A MinHash signature over character shingles, as the normalizer computes it (64 permutations,
    3-character shingles, seed 1). Used by tests and tools that build facts.v1 records directly."""
    m = MinHash(num_perm=num_perm, seed=seed)
    grams = {text[i : i + shingle] for i in range(max(1, len(text) - shingle + 1))}
    m.update_batch([g.encode("utf-8") for g in grams])
    return [int(v) for v in m.hashvalues]
