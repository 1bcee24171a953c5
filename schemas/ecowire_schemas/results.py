"""results.v1: per-article results and the latest state of each cross-article aggregate.

The topic is compacted; every record is keyed `<type>:<id>` so the topic holds the latest state
of each article result and each aggregate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from .common import Contract
from .facts import BASELINE, DATE, DEADLINE, PERIOD, EventKind, Fact


class ArticleResult(Contract):
    schema_version: Literal[1] = 1
    type: Literal["article"] = "article"
    article_id: str
    doc_id: str
    title: str | None
    published_at: str | None
    source: str | None = None
    url: str | None = None
    content_hash: str
    status: Literal["original", "duplicate", "near_duplicate"] = "original"
    duplicate_of: str | None = Field(default=None, description="article_id of the original")
    cluster_id: str = Field(description="Id shared by an article and all its (near) duplicates")
    similarity: float | None = Field(default=None, ge=0, le=1)
    facts: list[Fact] = Field(default_factory=list)
    fact_counts: dict[str, int] = Field(default_factory=dict)
    ingested_at: datetime
    completed_at: datetime


class SourceRef(Contract):
    article_id: str
    source: str | None = None
    url: str | None = None
    published_at: str | None = None
    fact_id: str | None = None


class EventAggregate(Contract):
    schema_version: Literal[1] = 1
    type: Literal["event"] = "event"
    event_id: str
    kind: EventKind
    name: str | None
    date: str | None = Field(description=DATE)
    location: str | None = None
    participants: list[str] = Field(default_factory=list)
    organizations: list[str] = Field(default_factory=list)
    sources: list[SourceRef] = Field(description="The latest sources (at most 20) in publication order; "
                                     "all of them: GET /events/{event_id}/history")
    source_count: int | None = Field(default=None, description="Number of sources in all")
    first_seen: str | None = Field(default=None, description="Earliest publication date among all its sources")
    last_seen: str | None = Field(default=None, description="Latest publication date among all its sources")
    updated_at: datetime


class SeriesPoint(Contract):
    value: float
    value_max: float | None = None
    qualifier: str
    period: str | None = Field(description=PERIOD)
    source: SourceRef


class IndicatorSeries(Contract):
    schema_version: Literal[1] = 1
    type: Literal["series"] = "series"
    series_id: str
    subject: str
    indicator: str
    unit: str
    points: list[SeriesPoint] = Field(description="The latest points by publication (at most 20), sorted by "
                                      "period; all of them: GET /series/{series_id}/history")
    point_count: int | None = Field(default=None, description="Number of points in all")
    first_seen: str | None = Field(default=None, description="Earliest publication date among all its sources")
    last_seen: str | None = Field(default=None, description="Latest publication date among all its sources")
    updated_at: datetime


class TargetStatement(Contract):
    value: float | None
    unit: str | None
    qualifier: str | None
    direction: str | None
    baseline: str | None = Field(description=BASELINE)
    source: SourceRef


class TargetEntry(Contract):
    schema_version: Literal[1] = 1
    type: Literal["target"] = "target"
    target_id: str
    actor: str
    indicator: str
    deadline: str = Field(description=DEADLINE)
    statements: list[TargetStatement] = Field(description="The latest statements (at most 20) in publication "
                                              "order; all of them: GET /targets/{target_id}/history")
    statement_count: int | None = Field(default=None, description="Number of statements in all")
    first_seen: str | None = Field(default=None, description="Earliest publication date among all its sources")
    last_seen: str | None = Field(default=None, description="Latest publication date among all its sources")
    value_changed: bool = Field(description="True when sources state different values (over all statements)")
    updated_at: datetime


class TitleSpan(Contract):
    title: str
    org: str | None
    first_seen: str | None
    last_seen: str | None
    sources: list[SourceRef] = Field(description="The latest sources of the span (at most 5)")
    source_count: int | None = Field(default=None, description="Number of sources of the span in all")


class PersonEntry(Contract):
    schema_version: Literal[1] = 1
    type: Literal["person"] = "person"
    person_id: str
    name: str
    titles: list[TitleSpan] = Field(description="The most recently seen spans (at most 20), by first_seen; "
                                    "every mention: GET /people/{person_id}/history")
    title_count: int | None = Field(default=None, description="Number of (title, body) spans in all")
    source_count: int | None = Field(default=None, description="Number of mentions in all")
    first_seen: str | None = Field(default=None, description="Earliest publication date among all its sources")
    last_seen: str | None = Field(default=None, description="Latest publication date among all its sources")
    updated_at: datetime


Result = Annotated[
    ArticleResult | EventAggregate | IndicatorSeries | TargetEntry | PersonEntry,
    Field(discriminator="type"),
]
