"""Consumer lag per assigned partition (high watermark minus position), for every service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka import TopicPartition

from . import metrics
from .logs import get_logger

log = get_logger("ecowire.lag")


async def watch_lag(stage: str, consumers: Callable[[], Iterable[Any]], every_s: float = 5.0) -> None:
    """Publish each consumer's lag every `every_s`, until cancelled. Partitions a consumer no longer
    holds after a rebalance stop being reported (their new owner reports them)."""
    reported: set[tuple[str, int]] = set()
    while True:
        await asyncio.sleep(every_s)
        assigned: set[tuple[str, int]] = set()
        for consumer in consumers():
            if consumer is None:
                continue
            try:
                for tp in consumer.assignment():
                    assigned.add((tp.topic, tp.partition))
                    high = consumer.highwater(tp)
                    if high is None:
                        continue
                    position = await consumer.position(TopicPartition(tp.topic, tp.partition))
                    metrics.CONSUMER_LAG.labels(stage, tp.topic, str(tp.partition)).set(max(0, high - position))
            except Exception as e:  # noqa: BLE001 - logged; the next round reads it again
                # A rebalance in progress makes position() fail: the next round reads it again.
                log.debug("lag_read_failed", error=repr(e))
        for topic, partition in reported - assigned:
            metrics.CONSUMER_LAG.remove(stage, topic, str(partition))
        reported = assigned
