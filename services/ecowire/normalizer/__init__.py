"""The normalizer stage: one raw document → clean, dated, single articles (see docs/normalizer.md)."""

from .config import NormalizerConfig
from .errors import NormalizeError
from .pipeline import normalize

__all__ = ["NormalizeError", "NormalizerConfig", "normalize"]
