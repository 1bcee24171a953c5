"""The stages' poll (core/polling.py): records are handed over as soon as the consumer has them,
and an empty poll is followed by the next one at once, not by FastStream's sleep."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from faststream.kafka.subscriber import usecase

from ecowire.core.app import build_app
from ecowire.core.polling import LongPollBatchSubscriber, long_poll
from ecowire.core.settings import Settings
from ecowire.normalizer.app import stage


class _Consumer:
    def __init__(self, *answers: dict[str, list[Any]]) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[int, int | None]] = []

    async def getmany(self, timeout_ms: int, max_records: int | None) -> dict[str, list[Any]]:
        self.calls.append((timeout_ms, max_records))
        return self.answers.pop(0)


def _subscribers(app: Any) -> list[Any]:
    return list(app.broker.subscribers)


def test_every_stage_subscriber_polls_without_sleeping() -> None:
    settings = Settings(poll_wait_ms=700, batch_max_records=42)
    subs = _subscribers(build_app(stage, settings))
    assert subs and all(type(s) is LongPollBatchSubscriber for s in subs)
    assert {(s.batch_timeout_ms, s.max_records) for s in subs} == {(700, 42)}


async def test_empty_poll_returns_without_sleep_and_records_come_flat(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_sleep(_: float) -> None:
        raise AssertionError("slept after an empty poll")

    monkeypatch.setattr(usecase.anyio, "sleep", no_sleep)
    sub = _subscribers(build_app(stage, Settings(poll_wait_ms=500)))[0]
    consumer = _Consumer({}, {"p0": [1, 2], "p1": [3]})
    assert await sub.get_msg(consumer) == ()
    assert await sub.get_msg(consumer) == (1, 2, 3)
    assert [t for t, _ in consumer.calls] == [500, 500]


def test_only_faststreams_batch_subscriber_is_converted() -> None:
    with pytest.raises(TypeError, match="BatchSubscriber"):
        long_poll(SimpleNamespace())
