"""Content fingerprints for the aggregator: an exact hash and a MinHash near-duplicate signature.

Both are computed over the body with all whitespace removed, so the same article with different
paragraph breaks or indentation fingerprints the same.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import numpy as np

_WS = re.compile(r"\s+")


def squash(body: str) -> str:
    return _WS.sub("", body)


def content_hash(body: str) -> str:
    return hashlib.sha256(squash(body).encode("utf-8")).hexdigest()


_MAX_HASH = np.uint64((1 << 32) - 1)
_CHUNK = 8192  # shingles per block: bounds memory at CHUNK × num_perm × 8 bytes


@lru_cache(maxsize=4)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Multiply-shift hash functions h(x) = (a·x + b) >> 32 over 64-bit words, a odd: a
    universal family like datasketch's (a·x + b) mod p, without the costly modulo."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


def _shingle_hashes(s: str, k: int) -> np.ndarray:
    """32-bit hashes of the distinct character k-shingles, vectorised: the shingle's code points
    packed into one integer (exact, 21 bits each), mixed with the murmur3 64-bit finaliser."""
    cps = np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    k = min(k, len(cps))
    packed = np.zeros(len(cps) - k + 1, dtype=np.uint64)
    for j in range(k):
        packed = (packed << np.uint64(21)) | cps[j : len(cps) - k + 1 + j]
    h = np.unique(packed)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h & _MAX_HASH


def minhash(body: str, num_perm: int = 64, k: int = 3, seed: int = 1) -> list[int]:
    """MinHash signature (32-bit values) of the body's character k-shingles; an empty body gives an
    empty signature. `datasketch.MinHash(num_perm, seed, hashvalues=sig, scheme="legacy")` and
    MinHashLSH accept it (they only compare values position by position)."""
    s = squash(body)
    if not s:
        return []
    a, b = _permutations(num_perm, seed)
    hv = _shingle_hashes(s, k)
    sig = np.full(num_perm, _MAX_HASH, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(0, len(hv), _CHUNK):
            block = hv[i : i + _CHUNK, None]
            phv = (block * a + b) >> np.uint64(32)
            sig = np.minimum(sig, phv.min(axis=0))
    return [int(v) for v in sig]


def jaccard(a: list[int], b: list[int]) -> float:
    """Estimated Jaccard similarity of two signatures of the same length."""
    if not a or len(a) != len(b):
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
