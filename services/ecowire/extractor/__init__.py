"""The extractor stage: `extract(article) -> list[Fact]` (see FACTS.md)."""

from .pipeline import EXTRACTOR_VERSION, extract

__all__ = ["EXTRACTOR_VERSION", "extract"]
