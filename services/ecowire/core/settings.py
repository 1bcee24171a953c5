"""Service settings from the environment (prefix ECOWIRE_), one model for every service."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ecowire_schemas.topics import topic

# Each service's default HTTP port (/metrics, /health); compose and the Prometheus config use these.
DEFAULT_PORTS = {"fetcher": 8001, "normalizer": 8002, "extractor": 8003, "aggregator": 8004}
LOCAL_BOOTSTRAP = "127.0.0.1:19092"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ECOWIRE_", extra="ignore", populate_by_name=True)

    bootstrap_servers: str = Field(
        default=LOCAL_BOOTSTRAP,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "ECOWIRE_BOOTSTRAP_SERVERS"),
    )
    topic_prefix: str = "ecowire."
    partitions: int = Field(default=4, ge=1, description="Default partition count when creating topics")
    replication_factor: int = Field(default=1, ge=1)
    group_prefix: str = "ecowire-"
    http_host: str = "0.0.0.0"
    http_port: int | None = None  # None: the service's default port
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"
    # Consumer group timings: Kafka's own client defaults, for production (a stage handling a large
    # document must not be thrown out of its group). Tests and `ecowire run` set quicker ones.
    session_timeout_ms: int = 45_000
    heartbeat_interval_ms: int = 3_000
    max_poll_interval_ms: int = 300_000
    max_message_bytes: int = 8 * 1024 * 1024
    # No input holds a partition longer than this: a stage's step that overruns is abandoned and
    # the input dead-lettered as `timeout`. Real articles take milliseconds; the largest accepted
    # article (`max_article_chars`) takes well under a third of it.
    time_budget_s: float = Field(default=60.0, gt=0)
    # Worker processes for a stage's CPU-bound step (the normalizer's and the extractor's): each
    # takes about one core when busy. One suits a machine shared by every service; give the
    # extractor more where it has cores of its own (its model runs one thread per process).
    workers: int = Field(default=1, ge=1)
    # A stage takes what its consumer has, up to this many records, and commits once per batch.
    # A poll returns as soon as there are records; an empty one returns after `poll_wait_ms` and the
    # next starts at once (`core/polling.py`), so the wait costs no latency, only idle wake-ups:
    # with FastStream's poll-then-sleep, 5 ms cost each idle service 2.5 % of a core.
    batch_max_records: int = Field(default=100, ge=1)
    poll_wait_ms: int = Field(default=500, ge=1)
    graceful_timeout_s: float = 15.0
    # A service starting while the broker restarts waits this long for it, then exits (code 3) for
    # its supervisor to start it again.
    broker_wait_s: float = Field(default=30.0, ge=0)
    publish_retry_backoff_s: float = 1.0
    # For tests and demos of `ecowire reprocess` only: the extractor calls itself this version and
    # runs its rules without the statistical tagger, as an older extractor would. Empty: itself.
    extractor_run_as: str = ""

    def topic(self, base: str) -> str:
        return topic(base, self.topic_prefix)

    def group_id(self, stage: str) -> str:
        return f"{self.group_prefix}{stage}"

    def port_for(self, stage: str) -> int:
        return self.http_port or DEFAULT_PORTS[stage]

    def to_env(self) -> dict[str, str]:
        """These settings as the environment of a child service process."""
        env = {"KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers}
        for name, value in self.model_dump(exclude={"bootstrap_servers", "http_port"}).items():
            env[f"ECOWIRE_{name.upper()}"] = str(value)
        if self.http_port is not None:
            env["ECOWIRE_HTTP_PORT"] = str(self.http_port)
        return env


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
