"""`ecowire reprocess`: run the current extractor again over the articles kept on articles.v1.

articles.v1 is compacted by article_id, so it holds the latest record of every article ever
normalized. Reprocessing reads it from `--since` (seeking with offsets_for_times) up to the end
it had when the run began, and re-publishes each selected article onto the same topic, the
extractor's input, with its key and an `ecowire-reprocess` header. The header replaces
`ecowire-ingested-at`: a reprocessed article is not a fresh ingest and must not count in the
ingest → result latency. The extractor's new facts reach the aggregator, which replaces the
article's facts from the older extractor (docs/operations.md, "Reprocessing").
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from ecowire_schemas.common import H_INGESTED_AT, H_REPROCESS

from .core.clients import start_client
from .core.logs import get_logger
from .core.records import decode_headers
from .core.settings import Settings
from .core.topics_admin import topic_partitions

log = get_logger("ecowire.reprocess")

# Sends in flight before waiting for their acknowledgements: bounds memory on a long history.
IN_FLIGHT = 500
# Rounds of one second with no record at all before a partition still short of its end is given
# up: its last records were removed by compaction (tombstones past delete.retention.ms).
IDLE_ROUNDS = 5


class TopicMissing(Exception):
    """The articles topic does not exist on the broker."""


def parse_since(value: str) -> datetime:
    """`--since`: a date (midnight UTC) or an ISO date-time (UTC when it names no offset)."""
    try:
        if len(value) == 10:
            return datetime.combine(datetime.strptime(value, "%Y-%m-%d").date(), time(), UTC)
        parsed = datetime.fromisoformat(value)
    except ValueError as e:
        raise ValueError(f"not a date: {value!r} (write YYYY-MM-DD or an ISO date-time)") from e
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def article_fields(value: bytes | None) -> tuple[str, datetime] | None:
    """The article_id and ingest time of an articles.v1 value; None when it is not an article
    (a tombstone, or bytes no contract reads: the extractor would only dead-letter them again)."""
    if not value:
        return None
    try:
        data = json.loads(value)
        article_id, ingested = data["article_id"], datetime.fromisoformat(data["ingested_at"])
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(article_id, str):
        return None
    return article_id, ingested if ingested.tzinfo is not None else ingested.replace(tzinfo=UTC)


def selected(ingested_at: datetime, since: datetime | None) -> bool:
    """Whether an article ingested at `ingested_at` is replayed by `--since`."""
    return since is None or ingested_at >= since


def reprocess_headers(original: Mapping[str, str], mark: str) -> list[tuple[str, bytes]]:
    """The headers of a re-published article: the original ones (schema-version, …) without the
    ingest time, which would make it count as a fresh ingest, plus the reprocess mark."""
    kept = {k: v for k, v in original.items() if k not in (H_INGESTED_AT, H_REPROCESS)}
    kept[H_REPROCESS] = mark
    return [(k, v.encode("utf-8")) for k, v in kept.items()]


@dataclass
class Report:
    topic: str
    dry_run: bool
    since: datetime | None
    scanned: int = 0  # records read
    replayed: int = 0  # articles re-published (or, dry run, that would be)
    before_since: int = 0
    repeated: int = 0  # an article already replayed by this run (a record compaction has not removed yet)
    unreadable: int = 0
    partitions: dict[int, tuple[int, int]] = field(default_factory=dict)  # partition -> (start, end) offsets

    def line(self) -> str:
        verb = "would replay" if self.dry_run else "replayed"
        since = f" since {self.since.isoformat()}" if self.since is not None else ""
        return (f"{verb} {self.replayed} article(s){since} onto {self.topic} "
                f"({self.scanned} record(s) read from {len(self.partitions)} partition(s); skipped "
                f"{self.before_since} ingested earlier, {self.repeated} repeated, {self.unreadable} unreadable)")


async def _partitions(settings: Settings, topic: str) -> list[int]:
    found = await topic_partitions(settings, topic, client_id="ecowire-reprocess")
    if not found:
        raise TopicMissing(f"topic {topic} does not exist (create the topics first: `ecowire topics create`)")
    return found


async def _bounds(settings: Settings, consumer: AIOKafkaConsumer, topic: str,
                  since: datetime | None) -> dict[TopicPartition, tuple[int, int]]:
    """Per partition: where to start reading, and the end it has now (what is re-published later
    is not read again)."""
    tps = [TopicPartition(topic, p) for p in await _partitions(settings, topic)]
    ends = await consumer.end_offsets(tps)
    starts = await consumer.beginning_offsets(tps)
    if since is not None:
        # Record timestamps are set when the normalizer produced the article, after its ingest:
        # nothing ingested since `since` lies before the first record stamped at or after it.
        found = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in tps})
        starts = {tp: (found[tp].offset if found[tp] is not None else ends[tp]) for tp in tps}
    return {tp: (starts[tp], ends[tp]) for tp in tps}


async def reprocess(settings: Settings, since: datetime | None = None, dry_run: bool = False,
                    mark: str | None = None) -> Report:
    """Re-publish the kept articles ingested at or after `since` onto articles.v1, marked;
    `dry_run` only counts them. Raises BrokerUnreachable, TopicMissing."""
    topic = settings.topic("articles")
    mark = mark or datetime.now(UTC).isoformat()
    report = Report(topic, dry_run, since)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None,
                                enable_auto_commit=False, client_id="ecowire-reprocess",
                                max_partition_fetch_bytes=settings.max_message_bytes,
                                fetch_max_bytes=settings.max_message_bytes * 2)
    await start_client(consumer, settings.bootstrap_servers)
    producer: AIOKafkaProducer | None = None
    try:
        bounds = await _bounds(settings, consumer, topic, since)
        report.partitions = {tp.partition: b for tp, b in bounds.items()}
        todo = {tp for tp, (start, end) in bounds.items() if start < end}
        consumer.assign(list(bounds))
        for tp, (start, _) in bounds.items():
            consumer.seek(tp, start)
        if not dry_run:
            producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all",
                                        enable_idempotence=True, client_id="ecowire-reprocess",
                                        max_request_size=settings.max_message_bytes, linger_ms=5)
            await start_client(producer, settings.bootstrap_servers)
        done_ids: set[str] = set()
        pending: list[Awaitable[Any]] = []
        idle = 0
        while todo:
            batch = await consumer.getmany(*todo, timeout_ms=1000)
            idle = 0 if batch else idle + 1
            if idle >= IDLE_ROUNDS:
                log.warning("reprocess_partitions_short", partitions=sorted(tp.partition for tp in todo))
                break
            for tp, records in batch.items():
                end = bounds[tp][1]
                for r in records:
                    if r.offset >= end:
                        break  # re-published by this run (or produced since it began)
                    report.scanned += 1
                    fields = article_fields(r.value)
                    if fields is None:
                        report.unreadable += 1
                        log.warning("reprocess_unreadable", partition=tp.partition, offset=r.offset)
                        continue
                    article_id, ingested = fields
                    if not selected(ingested, since):
                        report.before_since += 1
                        continue
                    if article_id in done_ids:
                        report.repeated += 1
                        continue
                    done_ids.add(article_id)
                    report.replayed += 1
                    if producer is not None:
                        headers = reprocess_headers(decode_headers(r.headers), mark)
                        # keyed as the normalizer keys it (a compacted topic refuses a record without a key)
                        key = r.key or article_id.encode("utf-8")
                        pending.append(await producer.send(topic, r.value, key=key, headers=headers))
                        if len(pending) >= IN_FLIGHT:
                            await asyncio.gather(*pending)
                            pending.clear()
            for tp in list(todo):
                if await consumer.position(tp) >= bounds[tp][1]:
                    todo.discard(tp)
        await asyncio.gather(*pending)
    finally:
        await consumer.stop()
        if producer is not None:
            await producer.stop()
    log.info("reprocess_done", topic=topic, dry_run=dry_run, replayed=report.replayed, scanned=report.scanned,
             before_since=report.before_since, repeated=report.repeated, unreadable=report.unreadable, mark=mark)
    return report

