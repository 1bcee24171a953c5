"""Indicator series: every quantity with a subject and an indicator is a point of the series
(subject, indicator, unit), with its period and provenance.

A quantity that states a change against a baseline (较2016年下降46%) is the amount of a change,
not a level, and would corrupt the series; it is left out until `SeriesPoint` can say so.
"""

from __future__ import annotations

from ecowire_schemas.common import Contract, stable_id
from ecowire_schemas.facts import QuantityFact
from ecowire_schemas.results import IndicatorSeries, SeriesPoint

from .index import History, KeyedIndex, norm

SeriesKey = tuple[str, str, str]  # normalized subject, normalized indicator, unit


def series_id(key: SeriesKey) -> str:
    return stable_id("series", *key)


class SeriesIndex(KeyedIndex[QuantityFact, SeriesKey]):
    kind = "series"

    def key(self, fact: QuantityFact) -> SeriesKey | None:
        subject, indicator = norm(fact.subject), norm(fact.indicator)
        if not subject or not indicator or fact.change is not None:
            return None
        return (subject, indicator, fact.unit)

    def result_key(self, key: SeriesKey) -> str:
        return f"series:{series_id(key)}"

    def build(self, key: SeriesKey, group: History, n: int) -> Contract:
        first = group.items[0][1]
        points = [
            SeriesPoint(value=f.value, value_max=f.value_max, qualifier=f.qualifier, period=f.period,
                        source=o.ref)
            for _, f, o in group.latest(n)
        ]
        # A series reads in time order: by the period the number refers to, then by source.
        points.sort(key=lambda p: (p.period or "", p.source.published_at or "", p.source.article_id,
                                   p.source.fact_id or ""))
        return IndicatorSeries(
            series_id=series_id(key),
            subject=first.subject or key[0],
            indicator=first.indicator or key[1],
            unit=key[2],
            points=points,
            point_count=len(group),
            first_seen=group.first_seen(),
            last_seen=group.last_seen(),
            updated_at=group.updated_at(),
        )
