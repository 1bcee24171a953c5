"""The consumer's poll: wait for records without a sleep between polls.

FastStream's batch subscriber polls with `batch_timeout_ms` and, when the poll comes back empty,
sleeps that long again before the next one. A short timeout keeps latency low but wakes every idle
stage a hundred times a second (about 2.5 % of a core per service, measured); a long one adds the
sleep to the first record after a quiet spell. aiokafka's `getmany` already returns as soon as
any record is there, so a long poll with no sleep gives both: records are handed over at once and
an idle stage wakes twice a second. The subscriber FastStream built keeps everything else (its
AsyncAPI entry, parser, acknowledgement); only `get_msg` differs.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from faststream.kafka.subscriber.usecase import BatchSubscriber


class LongPollBatchSubscriber(BatchSubscriber):
    __slots__ = ()

    async def get_msg(self, consumer: Any) -> tuple[Any, ...]:
        # `batch_timeout_ms` is the longest an empty poll waits; records end it at once.
        messages = await consumer.getmany(timeout_ms=self.batch_timeout_ms, max_records=self.max_records)
        return tuple(chain(*messages.values()))


def long_poll(subscriber: Any) -> Any:
    """`subscriber` (FastStream's batch subscriber) polling without the sleep after an empty poll."""
    if type(subscriber) is not BatchSubscriber:
        raise TypeError(f"expected FastStream's BatchSubscriber, got {type(subscriber).__name__}")
    subscriber.__class__ = LongPollBatchSubscriber
    return subscriber
