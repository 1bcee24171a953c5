"""Indicator series: every quantity with a subject and an indicator is a point of the series
(subject, indicator, unit), with its period and provenance.

A quantity that states a change against a baseline (较2016年下降46%) is the amount of a change,
not a level, and would corrupt the series; it is left out until `SeriesPoint` can say so.
"""

from __future__ import annotations

from ecowire_schemas.common import Contract, stable_id
from ecowire_schemas.facts import QuantityFact
from ecowire_schemas.results import IndicatorSeries, SeriesPoint

from .index import FactIndex, norm, updated_at

SeriesKey = tuple[str, str, str]  # normalized subject, normalized indicator, unit


def series_id(key: SeriesKey) -> str:
    return stable_id("series", *key)


class SeriesIndex(FactIndex[QuantityFact, SeriesKey]):
    kind = "series"

    def key(self, fact: QuantityFact) -> SeriesKey | None:
        subject, indicator = norm(fact.subject), norm(fact.indicator)
        if not subject or not indicator or fact.change is not None:
            return None
        return (subject, indicator, fact.unit)

    def result_key(self, key: SeriesKey) -> str:
        return f"series:{series_id(key)}"

    def outputs(self, key: SeriesKey) -> dict[str, Contract]:
        items = self.items(key)
        if not items:
            return {}
        first = items[0][0]
        points = [
            SeriesPoint(value=f.value, value_max=f.value_max, qualifier=f.qualifier, period=f.period,
                        source=o.ref)
            for f, o in items
        ]
        # A series reads in time order: by the period the number refers to, then by source.
        points.sort(key=lambda p: (p.period or "", p.source.published_at or "", p.source.article_id,
                                   p.source.fact_id or ""))
        sid = series_id(key)
        model = IndicatorSeries(
            series_id=sid,
            subject=first.subject or key[0],
            indicator=first.indicator or key[1],
            unit=key[2],
            points=points,
            updated_at=updated_at(o for _, o in items),
        )
        return {f"series:{sid}": model}
