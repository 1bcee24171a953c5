"""ecowire's contracts: one pydantic model per topic, versioned; JSON Schema files in schemas/json/."""

from .articles import Article, OffsetSegment
from .common import SourceMeta, stable_id
from .dlq import DeadLetter
from .facts import (
    FACT_TYPES,
    DocumentFact,
    EventFact,
    Evidence,
    ExtractionRecord,
    Fact,
    FactsRecord,
    LocationFact,
    OrganizationFact,
    PersonFact,
    QuantityFact,
    TargetFact,
)
from .ingest import IngestRequest
from .raw import FetchInfo, RawDocument
from .results import ArticleResult, EventAggregate, IndicatorSeries, PersonEntry, Result, TargetEntry
from .topics import TOPICS, TopicSpec, topic

__all__ = [
    "FACT_TYPES", "TOPICS", "Article", "ArticleResult", "DeadLetter", "DocumentFact", "EventAggregate",
    "EventFact", "Evidence", "ExtractionRecord", "Fact", "FactsRecord", "FetchInfo", "IndicatorSeries",
    "IngestRequest", "LocationFact", "OffsetSegment", "OrganizationFact", "PersonEntry", "PersonFact",
    "QuantityFact", "RawDocument", "Result", "SourceMeta", "TargetEntry", "TargetFact", "TopicSpec",
    "stable_id", "topic",
]
