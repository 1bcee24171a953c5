"""Tunables of the stage, read once from the environment (ECOWIRE_NORMALIZER_*)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class NormalizerConfig:
    # Raw documents longer than this (characters) are dead-lettered before any parsing: a 20 MB page
    # must cost a length check, not a trafilatura run.
    max_chars: int = 5_000_000
    # MinHash: 64 permutations over character 3-shingles, fixed seed (ids must replay identically).
    num_perm: int = 64
    shingle: int = 3
    minhash_seed: int = 1
    # Share of U+FFFD / mojibake characters above which a document is rejected instead of flagged.
    max_garbled_ratio: float = 0.2

    @classmethod
    def from_env(cls) -> NormalizerConfig:
        env = os.environ
        return cls(
            max_chars=int(env.get("ECOWIRE_NORMALIZER_MAX_CHARS", cls.max_chars)),
            num_perm=int(env.get("ECOWIRE_NORMALIZER_MINHASH_PERM", cls.num_perm)),
        )
