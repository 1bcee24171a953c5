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

Bounded cost: candidates come from LSH bands whose buckets hold at most `bucket_cap` articles (the
most recently published ones), so a query compares at most bands × cap signatures however many
articles are held. A bucket's content is a function of the SET of articles in it (the cap keeps
the best-ranked ones, not the first to arrive), so a restore rebuilds identical buckets. Below the
cap the index is exact LSH; past it, a pair is still always compared when both members are among
the cap's kept ones (boilerplate shared by thousands of articles is what fills a bucket).
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class DedupConfig:
    lsh_threshold: float = 0.2  # low: containment candidates have a low Jaccard similarity
    jaccard_threshold: float = 0.7
    containment_threshold: float = 0.8
    min_matching_slots: int = 8  # of the signature's slots, for a containment decision
    min_length: int = 30  # characters; shorter texts are only ever exact duplicates
    bucket_cap: int = 32  # articles kept per LSH bucket: bounds a query at bands × cap candidates


@dataclass(frozen=True)
class Fingerprint:
    article_id: str
    content_hash: str
    minhash: tuple[int, ...]
    length: int
    published_at: str | None = None
    ingested_at: str = ""  # ISO time the article was first ingested

    @property
    def rank(self) -> tuple[str, int, str, str]:
        """Which member of a cluster is the original: earliest published, then the longest (a
        truncated copy is not the original), then the first ingested (a same-day repost does not
        unseat the article it copies: no churn of results), then the smallest id."""
        return (self.published_at or "9999", -self.length, self.ingested_at, self.article_id)


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


@lru_cache(maxsize=8)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising the equally weighted false-positive and false-negative areas of
    the banding curve around `threshold` (datasketch's rule: 64 slots at 0.2 → 28 bands of 2)."""
    best: tuple[float, int, int] | None = None
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            lo = np.linspace(0.0, threshold, 200)
            hi = np.linspace(threshold, 1.0, 200)
            fp = float(np.trapezoid(1 - (1 - lo**r) ** b, lo))
            fn = float(np.trapezoid((1 - hi**r) ** b, hi))
            if best is None or 0.5 * fp + 0.5 * fn < best[0]:
                best = (0.5 * fp + 0.5 * fn, b, r)
    assert best is not None
    return best[1], best[2]


class BandIndex:
    """LSH banding over signatures of one length, with capped buckets.

    A bucket key packs the band number and its slot values into one exact integer (no hash
    collisions). A bucket is one row (the common case: kept as an int) or a list of rows sorted by
    priority; past `cap` rows the lowest-priority row leaves it."""

    def __init__(self, width: int, bands: int, rows: int, cap: int) -> None:
        self.width, self.bands, self.rows, self.cap = width, bands, rows, cap
        self.buckets: dict[int, int | list[int]] = {}
        self.priority: list[tuple[str, str]] = []  # by row
        self.evictions = 0
        self.last_query_size = 0  # candidates of the last query (a bounded work measure)

    def keys(self, sig: tuple[int, ...]) -> list[int]:
        out = []
        for band in range(self.bands):
            k = band
            for v in sig[band * self.rows : (band + 1) * self.rows]:
                k = (k << 33) | (v & 0x1FFFFFFFF)
            out.append(k)
        return out

    def insert(self, row: int, sig: tuple[int, ...], priority: tuple[str, str]) -> None:
        if row != len(self.priority):
            raise ValueError(f"rows are inserted in order: expected {len(self.priority)}, got {row}")
        self.priority.append(priority)
        prio = self.priority.__getitem__
        for k in self.keys(sig):
            cur = self.buckets.get(k)
            if cur is None:
                self.buckets[k] = row
                continue
            members = [cur] if isinstance(cur, int) else cur
            insort(members, row, key=prio)
            if len(members) > self.cap:
                del members[0]
                self.evictions += 1
            self.buckets[k] = members

    def query(self, sig: tuple[int, ...]) -> set[int]:
        found: set[int] = set()
        for k in self.keys(sig):
            cur = self.buckets.get(k)
            if cur is None:
                continue
            if isinstance(cur, int):
                found.add(cur)
            else:
                found.update(cur)
        self.last_query_size = len(found)
        return found


@dataclass
class DedupIndex:
    """Incremental duplicate clusters: LSH bands for candidates, union-find for clusters; each
    cluster's original (best rank) is kept with its root, so no query walks a cluster."""

    cfg: DedupConfig = field(default_factory=DedupConfig)
    fingerprints: dict[str, Fingerprint] = field(default_factory=dict)
    _by_hash: dict[str, str] = field(default_factory=dict)  # content hash -> smallest article id
    _hash_count: dict[str, int] = field(default_factory=dict)
    _bands: dict[int, BandIndex] = field(default_factory=dict)  # signature length -> bands
    _parent: dict[str, str] = field(default_factory=dict)
    _members: dict[str, set[str]] = field(default_factory=dict)  # root -> members
    _best: dict[str, tuple[tuple[str, int, str, str], str]] = field(default_factory=dict)  # root -> (rank, original)
    _sigs: dict[int, _Signatures] = field(default_factory=dict)  # signature length -> matrix
    _row: dict[str, tuple[int, int]] = field(default_factory=dict)  # article -> (length, row)
    _ids: dict[int, list[str]] = field(default_factory=dict)  # signature length -> article by row

    def candidates(self, fp: Fingerprint) -> set[str]:
        """Articles that may be near duplicates: at most bands × cap of them."""
        n = len(fp.minhash)
        bands = self._bands.get(n)
        if bands is None:
            return set()
        ids = self._ids[n]
        return {ids[r] for r in bands.query(fp.minhash)} - {fp.article_id}

    def links(self, fp: Fingerprint) -> dict[str, Match]:
        """Confirmed duplicate links from `fp` to articles already in the index. Same content links
        to one member only (the smallest id): every copy of a text is in one cluster already."""
        out: dict[str, Match] = {}
        estimates = self._estimates(fp)
        same = self._by_hash.get(fp.content_hash)
        for other in sorted({same} | set(estimates) if same is not None else set(estimates)):
            if other == fp.article_id:
                continue
            m = confirm(fp, self.fingerprints[other], self.cfg, estimates.get(other))
            if m is not None:
                out[other] = m
        return out

    def _estimates(self, fp: Fingerprint) -> dict[str, tuple[float, int]]:
        """(Jaccard estimate, matching slots) of the LSH candidates that may pass `confirm`,
        computed for all candidates at once on their rows (ids only for the few that pass)."""
        n = len(fp.minhash)
        sigs, bands = self._sigs.get(n), self._bands.get(n)
        if not n or sigs is None or bands is None:
            return {}
        rows = bands.query(fp.minhash)
        if not rows:
            return {}
        idx = np.fromiter(rows, dtype=np.int64, count=len(rows))
        held, lengths = sigs.take(idx)
        same = (held == np.asarray(fp.minhash, dtype=np.uint64)).sum(axis=1)
        j = same / n
        short = np.maximum(np.minimum(lengths, fp.length), 1)
        contained = j * (lengths + fp.length) / ((1.0 + j) * short)
        keep = (j >= self.cfg.jaccard_threshold) | (
            (same >= self.cfg.min_matching_slots) & (contained >= self.cfg.containment_threshold)
        )
        ids = self._ids[n]
        out = {ids[int(idx[i])]: (float(j[i]), int(same[i])) for i in np.flatnonzero(keep)}
        out.pop(fp.article_id, None)
        return out

    def add(self, fp: Fingerprint, links: Iterable[str]) -> None:
        """Insert an article and join its cluster with those of the linked articles."""
        aid = fp.article_id
        if aid in self.fingerprints:
            raise ValueError(f"article {aid} is already indexed")
        self.fingerprints[aid] = fp
        rep = self._by_hash.get(fp.content_hash)
        if rep is None or aid < rep:
            self._by_hash[fp.content_hash] = aid
        self._hash_count[fp.content_hash] = self._hash_count.get(fp.content_hash, 0) + 1
        if fp.minhash:
            n = len(fp.minhash)
            bands = self._bands.get(n)
            if bands is None:
                b, r = lsh_params(self.cfg.lsh_threshold, n)
                bands = self._bands[n] = BandIndex(n, b, r, self.cfg.bucket_cap)
            sigs = self._sigs.setdefault(n, _Signatures(n))
            row = sigs.append(fp.minhash, fp.length)
            self._ids.setdefault(n, []).append(aid)
            self._row[aid] = (n, row)
            # Kept in a full bucket: the most recently published (news copies travel close in time).
            bands.insert(row, fp.minhash, (fp.published_at or "", aid))
        self._parent[aid] = aid
        self._members[aid] = {aid}
        self._best[aid] = (fp.rank, aid)
        for other in links:
            self.link(aid, other)

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

    def original(self, article_id: str) -> str:
        """The best-ranked member of the article's cluster."""
        return self._best[self.root(article_id)][1]

    def best(self, article_id: str) -> tuple[tuple[str, int, str, str], str]:
        """(rank, article id) of the original of the article's cluster."""
        return self._best[self.root(article_id)]

    def cluster_size(self, article_id: str) -> int:
        return len(self._members[self.root(article_id)])

    def copies_of_text(self, content_hash: str) -> int:
        return self._hash_count.get(content_hash, 0)

    def last_query_size(self) -> int:
        return max((b.last_query_size for b in self._bands.values()), default=0)

    def _union(self, a: str, b: str) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return
        if len(self._members[ra]) < len(self._members[rb]):
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._members[ra] |= self._members.pop(rb)
        self._best[ra] = min(self._best[ra], self._best.pop(rb))


class _Signatures:
    """Signatures in fixed-size blocks, one row per article: appending never copies what is held
    (a doubling array would copy 100 MB at 200 000 articles inside one apply)."""

    BLOCK = 4096

    def __init__(self, width: int) -> None:
        self.width = width
        self.blocks: list[np.ndarray] = []
        self.lengths: list[np.ndarray] = []
        self.rows = 0

    def append(self, sig: tuple[int, ...], length: int) -> int:
        b, r = divmod(self.rows, self.BLOCK)
        if b == len(self.blocks):
            self.blocks.append(np.zeros((self.BLOCK, self.width), dtype=np.uint64))
            self.lengths.append(np.zeros(self.BLOCK, dtype=np.float64))
        self.blocks[b][r] = sig
        self.lengths[b][r] = length
        self.rows += 1
        return self.rows - 1

    def take(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(signatures, lengths) of the given rows, in their order."""
        sigs = np.empty((len(rows), self.width), dtype=np.uint64)
        lengths = np.empty(len(rows), dtype=np.float64)
        block_of = rows // self.BLOCK
        for b in np.unique(block_of):
            sel = block_of == b
            local = rows[sel] % self.BLOCK
            sigs[sel] = self.blocks[b][local]
            lengths[sel] = self.lengths[b][local]
        return sigs, lengths


def signature(text: str, num_perm: int = 64, shingle: int = 3, seed: int = 1) -> list[int]:
    """The normalizer's MinHash signature of a body (64 permutations, 3-character shingles, seed
    1): the one production computes, so tests and synthetic articles exercise the same hash."""
    # Imported here: the normalizer package pulls trafilatura and OpenCC, which the aggregator
    # service itself never needs (it reads signatures from facts.v1).
    from ..normalizer.fingerprint import minhash

    return minhash(text, num_perm, shingle, seed)
