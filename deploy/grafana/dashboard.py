"""The ecowire Grafana dashboard, kept as code.

    python deploy/grafana/dashboard.py            # rewrite deploy/grafana/dashboards/ecowire.json
    python deploy/grafana/dashboard.py --check    # exit 1 when the committed JSON is stale

Plain dicts in Grafana's dashboard JSON model (schemaVersion 39, Grafana 10/11); the committed
JSON is what Grafana provisions (deploy/grafana/provisioning/dashboards/ecowire.yml). Every panel's
`description` is the question it answers; docs/operations.md lists the same questions. Queries read
ecowire's metrics catalogue (services/ecowire/core/metrics.py), FastStream's middleware metrics
and the recording rules in deploy/prometheus/rules/; tests/ops checks that every name exists and
that every query, run against a real Prometheus scraping a real pipeline, tells the truth.

Stat panels marked "since start" sum counters over the running processes: they restart from zero
when a service restarts. Rates use Grafana's $__rate_interval.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "dashboards" / "ecowire.json"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}  # provisioned with this uid
STAGES = ("fetcher", "normalizer", "extractor", "aggregator")
RI = "$__rate_interval"

Json = dict[str, Any]


@dataclass(frozen=True)
class Q:
    """One query of a panel."""

    expr: str
    legend: str = ""
    instant: bool = False


@dataclass
class Layout:
    """Places panels left to right, wrapping at Grafana's 24 columns; hands out unique ids."""

    y: int = 0
    x: int = 0
    row_height: int = 0
    next_id: int = 1
    panels: list[Json] = field(default_factory=list)

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def row(self, title: str) -> None:
        self._newline()
        self.panels.append({
            "type": "row", "id": self._id(), "title": title, "collapsed": False,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": [],
        })
        self.y += 1

    def _newline(self) -> None:
        if self.x:
            self.y += self.row_height
            self.x = 0
            self.row_height = 0

    def add(self, panel: Json, w: int, h: int) -> None:
        if self.x + w > 24:
            self._newline()
        panel["id"] = self._id()
        panel["gridPos"] = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.panels.append(panel)
        self.x += w
        self.row_height = max(self.row_height, h)


def _targets(queries: list[Q]) -> list[Json]:
    out = []
    for i, q in enumerate(queries):
        out.append({
            "refId": chr(ord("A") + i),
            "datasource": DATASOURCE,
            "expr": q.expr,
            "legendFormat": q.legend or "__auto",
            "instant": q.instant,
            "range": not q.instant,
        })
    return out


def _panel(kind: str, title: str, question: str, queries: list[Q], unit: str, options: Json) -> Json:
    return {
        "type": kind,
        "title": title,
        "description": question,
        "datasource": DATASOURCE,
        "targets": _targets(queries),
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": options,
    }


def stat(title: str, question: str, expr: str, unit: str = "short", legend: str = "") -> Json:
    return _panel("stat", title, question, [Q(expr, legend, instant=True)], unit, {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "colorMode": "value", "graphMode": "none", "textMode": "auto",
    })


def bars(title: str, question: str, expr: str, legend: str, unit: str = "short") -> Json:
    return _panel("bargauge", title, question, [Q(expr, legend, instant=True)], unit, {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "orientation": "horizontal", "displayMode": "basic", "showUnfilled": True,
    })


def series(title: str, question: str, queries: list[Q], unit: str = "short") -> Json:
    return _panel("timeseries", title, question, queries, unit, {
        "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
        "tooltip": {"mode": "multi", "sort": "desc"},
    })


def quantiles(bucket: str, by: str = "", qs: tuple[float, ...] = (0.5, 0.95, 0.99)) -> list[Q]:
    """histogram_quantile queries over a histogram's buckets, optionally per label `by`.

    `>= 0` drops the NaN of a histogram with no observation in the window (an idle stage, or the
    fetcher's stage latency when publishers send no ingest time): no line rather than a NaN one.
    """
    group = f"{by}, le" if by else "le"
    prefix = f"{{{{{by}}}}} " if by else ""
    return [
        Q(f"histogram_quantile({q}, sum by ({group}) (rate({bucket}[{RI}]))) >= 0", f"{prefix}p{round(q * 100)}")
        for q in qs
    ]


def zero_if_none(expr: str, by: str, like: str) -> str:
    """`expr`, or 0 for each `by` group of `like` when `expr` has no series yet: an error counter
    that never fired has no series, and the panel should read 0, not "No data"."""
    return f"({expr}) or (sum by ({by}) ({like}) * 0)"


def overview(lay: Layout) -> None:
    lay.row("Pipeline overview")
    lay.add(stat("Documents ingested", "How many documents has the fetcher taken off the ingest topic "
                 "(since start, dead-lettered ones included)?",
                 'sum(ecowire_messages_total{stage="fetcher"})'), 4, 4)
    lay.add(stat("Articles produced", "How many clean articles has the normalizer published (since start)?",
                 'sum(ecowire_records_produced_total{stage="normalizer"})'), 4, 4)
    lay.add(stat("Facts produced", "How many facts has the extractor published (since start)?",
                 "sum(ecowire_facts_total)"), 4, 4)
    lay.add(stat("Article results", "How many article results has the aggregator published (since start)?",
                 "sum(ecowire_end_to_end_latency_seconds_count)"), 4, 4)
    lay.add(stat("Dead letters", "How many messages went to the dead-letter topic (since start)?",
                 "sum(ecowire_dead_letters_total) or vector(0)"), 4, 4)
    lay.add(stat("Result freshness", "How long ago was the newest article result published?",
                 "ecowire:result_age_seconds", unit="s"), 4, 4)
    lay.add(stat("Services up", "How many of the four services does Prometheus reach right now?",
                 'sum(up{job="ecowire"})'), 4, 4)
    lay.add(stat("Total consumer lag", "How many records are waiting, over all stages?",
                 "sum(ecowire:stage_consumer_lag:sum)"), 4, 4)
    lay.add(stat("End-to-end p95 objective", "What p95 end-to-end latency do the alerts hold the pipeline to?",
                 "ecowire:objective:end_to_end_p95_seconds", unit="s"), 4, 4)
    lay.add(series("Rates in and out per stage",
                   "Is every stage keeping up: messages finished per second (in) and records produced "
                   "per second (out)?",
                   [Q(f"sum by (stage) (rate(ecowire_messages_total[{RI}]))", "{{stage}} in"),
                    Q(f"sum by (stage) (rate(ecowire_records_produced_total[{RI}]))", "{{stage}} out")],
                   unit="ops"), 12, 8)
    lay.add(series("Consumer lag per stage", "Where is work piling up: records waiting per consumer group?",
                   [Q("ecowire:stage_consumer_lag:sum", "{{stage}}")]), 12, 8)
    lay.add(series("End-to-end latency", "How long does an article take from ingest to result, against the "
                   "objective?",
                   [*quantiles("ecowire_end_to_end_latency_seconds_bucket"),
                    Q("ecowire:objective:end_to_end_p95_seconds", "p95 objective")], unit="s"), 12, 8)
    lay.add(series("Stage latency p95", "Which stage adds the latency: time from ingest until each stage's "
                   "output was acknowledged (p95)?",
                   quantiles("ecowire_stage_latency_seconds_bucket", by="stage", qs=(0.95,)), unit="s"), 12, 8)
    lay.add(series("Errors and dead letters per stage",
                   "Is anything failing: dead letters by reason, handler exceptions and failed produces "
                   "per second?",
                   [Q(zero_if_none(f"sum by (stage, reason) (rate(ecowire_dead_letters_total[{RI}]))",
                                   "stage", f"rate(ecowire_messages_total[{RI}])"),
                      "{{stage}} dead letters {{reason}}"),
                    Q(zero_if_none(f'sum by (stage) (label_replace(rate('
                                   f'faststream_received_processed_messages_exceptions_total[{RI}]), '
                                   f'"stage", "$1", "app_name", "ecowire-(.+)"))',
                                   "stage", f"rate(ecowire_messages_total[{RI}])"),
                      "{{stage}} handler exceptions"),
                    Q(zero_if_none(f"sum by (stage) (rate(ecowire_publish_failures_total[{RI}]))",
                                   "stage", f"rate(ecowire_messages_total[{RI}])"),
                      "{{stage}} failed produces")],
                   unit="ops"), 12, 8)
    lay.add(bars("Dead letters by stage and reason", "Which stage dead-lettered what, and why (since start)?",
                 "sum by (stage, reason) (ecowire_dead_letters_total) > 0", "{{stage}}: {{reason}}"), 12, 8)
    lay.add(series("Records per batch", "How full are the stages' batches: one or two records under light "
                   "traffic, up to ECOWIRE_BATCH_MAX_RECORDS while a backlog drains?",
                   [Q(f"sum by (stage) (rate(ecowire_batch_records_sum[{RI}])) / "
                      f"clamp_min(sum by (stage) (rate(ecowire_batch_records_count[{RI}])), 1e-9)", "{{stage}}")]),
            24, 6)


def stage_row(lay: Layout, stage: str) -> None:
    lay.row(f"Stage: {stage}")
    sel = f'stage="{stage}"'
    lay.add(series(f"{stage}: messages by outcome", f"Is the {stage} finishing its input, and how much of it "
                   "is dead-lettered?",
                   [Q(f"sum by (outcome) (rate(ecowire_messages_total{{{sel}}}[{RI}]))", "{{outcome}}")],
                   unit="ops"), 8, 7)
    lay.add(series(f"{stage}: processing time", f"How long does the {stage} spend on one message, produce "
                   "confirmation included?",
                   quantiles(f"ecowire_processing_seconds_bucket{{{sel}}}", qs=(0.5, 0.95)), unit="s"), 8, 7)
    lay.add(series(f"{stage}: consumer lag by partition", f"Which partitions of the {stage}'s input are "
                   "behind?",
                   [Q(f"max by (topic, partition) (ecowire_consumer_lag{{{sel}}})", "{{topic}}/{{partition}}")]),
            8, 7)
    if stage == "fetcher":
        lay.add(series("fetcher: fetch outcomes", "Are fetches succeeding: fetched, not modified, inline, "
                       "refused, too large, HTTP errors, given up?",
                       [Q(f"sum by (outcome) (rate(ecowire_fetch_total[{RI}]))", "{{outcome}}")],
                       unit="ops"), 12, 7)
        lay.add(bars("fetcher: fetch outcomes since start", "How have all fetches ended so far?",
                     "sum by (outcome) (ecowire_fetch_total)", "{{outcome}}"), 12, 7)
    elif stage == "normalizer":
        lay.add(series("normalizer: outcomes", "How do raw documents turn out: single article, split "
                       "listing, rejected; and how many articles are flagged?",
                       [Q(f"sum by (outcome) (rate(ecowire_articles_total[{RI}]))", "{{outcome}}")],
                       unit="ops"), 12, 7)
        lay.add(bars("normalizer: outcomes since start", "How many documents were single, split or "
                     "rejected, and how many articles clean or flagged, so far?",
                     "sum by (outcome) (ecowire_articles_total)", "{{outcome}}"), 12, 7)
    elif stage == "extractor":
        lay.add(series("extractor: facts per second by type", "What is the extractor finding right now?",
                       [Q(f"sum by (type) (rate(ecowire_facts_total[{RI}]))", "{{type}}")], unit="ops"), 24, 7)
    else:
        lay.add(series("aggregator: state keys by partition", "How big is the aggregator's local state?",
                       [Q("sum by (partition) (ecowire_aggregator_state_keys)", "partition {{partition}}")]),
                12, 7)
        lay.add(stat("aggregator: mean partition restore time", "How long does restoring a partition's "
                     "state from its changelog take (mean since start)?",
                     "sum(ecowire_aggregator_restore_seconds_sum) / sum(ecowire_aggregator_restore_seconds_count)",
                     unit="s"), 6, 7)
        lay.add(stat("aggregator: partition restores", "How many partition restores ran (since start)?",
                     "sum(ecowire_aggregator_restore_seconds_count)"), 6, 7)


def product(lay: Layout) -> None:
    lay.row("Product")
    lay.add(bars("Facts by type", "What kinds of facts has the pipeline produced (since start)?",
                 "sum by (type) (ecowire_facts_total)", "{{type}}"), 8, 8)
    lay.add(stat("Duplicates found", "How many articles were duplicates or near-duplicates of one already "
                 "seen (since start)?",
                 "sum(ecowire_duplicates_total) or vector(0)"), 4, 4)
    lay.add(stat("Targets registered", "How many distinct targets (actor, indicator, deadline) does the "
                 "registry hold?",
                 'sum(ecowire_aggregate_entries{kind="target"}) or vector(0)'), 4, 4)
    lay.add(stat("Events registered", "How many distinct events, merged across sources, are known?",
                 'sum(ecowire_aggregate_entries{kind="event"}) or vector(0)'), 4, 4)
    lay.add(stat("Indicator series", "How many (subject, indicator) series are tracked?",
                 'sum(ecowire_aggregate_entries{kind="series"}) or vector(0)'), 4, 4)
    lay.add(series("Facts per minute by type", "How fast is each kind of fact arriving?",
                   [Q(f"sum by (type) (rate(ecowire_facts_total[{RI}])) * 60", "{{type}}")], unit="short"),
            16, 8)
    lay.add(series("Aggregate updates by kind", "How often are events, series, targets and officials "
                   "updated?",
                   [Q(f"sum by (kind) (rate(ecowire_aggregates_updated_total[{RI}]))", "{{kind}}")],
                   unit="ops"), 12, 8)
    lay.add(series("Duplicates per minute by kind", "How much duplicate reporting arrives?",
                   [Q(zero_if_none(f"sum by (kind) (rate(ecowire_duplicates_total[{RI}])) * 60", "",
                                   f"rate(ecowire_end_to_end_latency_seconds_count[{RI}])"), "{{kind}}")]),
            12, 8)


def build() -> Json:
    lay = Layout()
    overview(lay)
    for stage in STAGES:
        stage_row(lay, stage)
    product(lay)
    return {
        "uid": "ecowire",
        "title": "ecowire",
        "description": "ecowire pipeline: rates, lag, latency, errors, per-stage detail and the product view.",
        "tags": ["ecowire", "kafka"],
        "timezone": "utc",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": []},
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
            "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts",
            "type": "dashboard",
        }]},
        "links": [],
        "panels": lay.panels,
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail when the committed JSON is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text("utf-8") != text:
            print(f"{OUT} is stale: run python deploy/grafana/dashboard.py", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
