"""The one exception the stage raises: input that cannot become an article (→ dead letter)."""

from __future__ import annotations

# Reasons are a fixed vocabulary: they become a metric label and the DLQ `dlq-reason` header.
REASONS = frozenset({"empty", "binary", "too_large", "navigation_only", "mojibake", "no_text"})


class NormalizeError(Exception):
    """Raised for input that cannot become an article; the service dead-letters it with `reason`."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown normalize error reason {reason!r}")
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message

    def __reduce__(self) -> tuple[type[NormalizeError], tuple[str, str]]:
        # raised in the stage's worker process and re-raised in the service: must pickle
        return (NormalizeError, (self.reason, self.message))
