"""Fetcher settings from the environment (prefix ECOWIRE_FETCH_), next to the shared `Settings`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_USER_AGENT = "ecowire-fetcher/0.1 (+https://github.com/ecowire/ecowire; news-to-facts research crawler)"


class FetchSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECOWIRE_FETCH_", extra="ignore", populate_by_name=True)

    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout_s: float = Field(default=5.0, gt=0)
    read_timeout_s: float = Field(default=20.0, gt=0)
    # One request (all attempts, redirects and robots.txt included) never takes longer than this.
    # Below the stage's time budget (ECOWIRE_TIME_BUDGET_S, 60 s), so that a slow host ends as
    # `unreachable` with its story rather than as a bare `timeout`.
    deadline_s: float = Field(default=50.0, gt=0)
    max_retries: int = Field(default=3, ge=0, description="Retries after the first attempt (transient only)")
    backoff_base_s: float = Field(default=0.5, ge=0)
    backoff_max_s: float = Field(default=10.0, ge=0)
    max_redirects: int = Field(default=5, ge=0)
    # Decoded to UTF-8, 4 MiB of GBK can grow to ~6 MiB of JSON: below the topics' 8 MiB limit.
    max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0)
    per_host_concurrency: int = Field(default=2, ge=1)
    per_host_interval_s: float = Field(default=1.0, ge=0, description="Minimum gap between request starts")
    max_crawl_delay_s: float = Field(default=30.0, ge=0, description="Cap on a robots.txt Crawl-delay")
    respect_robots: bool = True
    robots_ttl_s: float = Field(default=3600.0, ge=0)
    robots_error_ttl_s: float = Field(default=300.0, ge=0)
    # Hosts exempt from the private-address refusal (exact names or IP literals, `*.example.org`).
    allow_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    sources_file: Path | None = Field(
        default=None, validation_alias=AliasChoices("ECOWIRE_FETCH_SOURCES_FILE", "ECOWIRE_SOURCES_FILE")
    )
    poll_sources: bool = True
    state_load_timeout_s: float = Field(default=60.0, gt=0)
    seen_ttl_days: float = Field(default=180.0, gt=0, description="Forget seen items no longer listed after this")
    validators_ttl_days: float = Field(default=30.0, gt=0, description="Forget ETag/Last-Modified after this")

    @field_validator("allow_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, v: object) -> object:
        if isinstance(v, str):
            return [h.strip().lower() for h in v.split(",") if h.strip()]
        return v
