"""facts.v1: one message per fact (see FACTS.md), then one `extraction` record per article.

The `extraction` record closes an article: it carries the article's metadata and the ids of its
facts, so a consumer (the aggregator) knows when it has seen all of them. Consumers that only
want facts skip records whose `type` is `extraction` (the `ecowire-record` header says it too).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from .common import Contract

# The canonical units of FACTS.md; compounds are written X/Y of these (CNY/t, t/a).
CANONICAL_UNITS = ("CNY", "USD", "EUR", "GBP", "HKD", "MOP", "t", "kg", "tCO2e", "tce", "kWh", "kW",
                   "m2", "km2", "ha", "mu", "ug/m3", "mg/m3", "%", "pp", "CNY/t", "count")
QUALIFIERS = ("exact", "approx", "at_least", "more_than", "at_most", "less_than", "range")
Qualifier = Literal["exact", "approx", "at_least", "more_than", "at_most", "less_than", "range"]
TargetQualifier = Literal[
    "exact", "approx", "at_least", "more_than", "at_most", "less_than", "range", "before"
]

# The one time format of every date a fact carries (docs/time.md), resolved against the article's
# publication date.
TIME_VALUE = (
    "ISO time value resolved against the publication date: a point 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'; "
    "an interval 'A/B' from the first day of A to the last day of B, both ends included "
    "('2016/2018' covers 2018, '2024-01/2024-11' covers November); an open start '..B' "
    "(截至B: up to and including B); an open end 'A..' (A以来, 自A起)"
)
PERIOD = f"The time the number refers to. {TIME_VALUE}"
DEADLINE = f"When the goal is to be met (a plan period gives its last year: 十四五 → '2025'). {TIME_VALUE}"
BASELINE = f"The time the change or goal is measured against (较2016年 → '2016'). {TIME_VALUE}"
DATE = f"When it happened; an event of several days is the interval of its days. {TIME_VALUE}"
Direction = Literal["decrease", "increase"]


class Evidence(Contract):
    """Half-open span of the article text: text == article.text[start:end]."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class Change(Contract):
    direction: Direction
    baseline: str | None = Field(default=None, description=BASELINE)


class FactBase(Contract):
    schema_version: Literal[1] = 1
    fact_id: str = Field(description="Deterministic: article_id + type + evidence span + extractor version")
    article_id: str
    extractor_version: str
    surface: str = Field(description="Equal to evidence.text")
    evidence: Evidence
    mentions: list[Evidence] = Field(default_factory=list)


class QuantityFact(FactBase):
    type: Literal["quantity"] = "quantity"
    value: float
    value_max: float | None = None
    unit: str
    qualifier: Qualifier = "exact"
    classifier: str | None = None
    indicator: str | None = None
    subject: str | None = None
    period: str | None = Field(default=None, description=PERIOD)
    change: Change | None = None


class TargetFact(FactBase):
    type: Literal["target"] = "target"
    actor: str | None = None
    indicator: str | None = None
    value: float | None = None
    value_max: float | None = None
    unit: str | None = None
    direction: Direction | None = None
    qualifier: TargetQualifier | None = None
    deadline: str | None = Field(default=None, description=DEADLINE)
    baseline: str | None = Field(default=None, description=BASELINE)


class PersonFact(FactBase):
    type: Literal["person"] = "person"
    name: str
    titles: list[str] = Field(default_factory=list)
    org: str | None = None


OrgKind = Literal["government", "enterprise", "ngo", "international", "academic", "media"]


class OrganizationFact(FactBase):
    type: Literal["organization"] = "organization"
    name: str
    kind: OrgKind | None = None
    aliases: list[str] = Field(default_factory=list)


class LocationFact(FactBase):
    type: Literal["location"] = "location"
    name: str
    admin_code: str | None = Field(default=None, pattern=r"^\d{6}$")


class DocumentFact(FactBase):
    type: Literal["document"] = "document"
    title: str
    alias: str | None = None
    issuer: str | None = None
    action: str | None = None
    date: str | None = Field(default=None, description=DATE)


EventKind = Literal["meeting", "visit", "signing", "launch", "training", "auction", "other"]


class EventFact(FactBase):
    type: Literal["event"] = "event"
    kind: EventKind
    name: str | None = None
    date: str | None = Field(default=None, description=DATE)
    location: str | None = None
    participants: list[str] = Field(default_factory=list)
    organizations: list[str] = Field(default_factory=list)
    instrument: str | None = None


Fact = Annotated[
    QuantityFact | TargetFact | PersonFact | OrganizationFact | LocationFact | DocumentFact | EventFact,
    Field(discriminator="type"),
]
FACT_TYPES = ("quantity", "target", "person", "organization", "location", "document", "event")


class ExtractionRecord(Contract):
    """Closes an article on facts.v1: its metadata and the ids of the facts published before it."""

    schema_version: Literal[1] = 1
    type: Literal["extraction"] = "extraction"
    article_id: str
    doc_id: str
    extractor_version: str
    title: str | None
    published_at: str | None
    source: str | None = None
    url: str | None = None
    content_hash: str
    minhash: list[int] = Field(default_factory=list)
    text_length: int = Field(ge=0)
    fact_ids: list[str]
    ingested_at: datetime


FactsRecord = Annotated[
    QuantityFact
    | TargetFact
    | PersonFact
    | OrganizationFact
    | LocationFact
    | DocumentFact
    | EventFact
    | ExtractionRecord,
    Field(discriminator="type"),
]
