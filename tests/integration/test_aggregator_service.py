"""The aggregator as a real process against the real broker: duplicates, merged events, SIGKILL
recovery and two processes sharing the partitions, each compared with an undisturbed run."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from ecowire.aggregator.cli import query_topic
from ecowire.aggregator.logic import AggregatorState
from ecowire.aggregator.state import ArticleBundle
from ecowire.aggregator.synthetic import SyntheticArticle, corpus, make_article, republished, truncated_copy
from ecowire.aggregator.topics import BUNDLES, INTERNAL
from ecowire.core.settings import Settings
from ecowire.core.topics_admin import ensure_topics
from ecowire_schemas.common import H_RECORD
from ecowire_schemas.topics import TOPICS
from tests.support import SEEDS, Service, consume, header, produce, unique_settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


# ---------------------------------------------------------------- helpers

async def make_topics(settings: Settings) -> None:
    await ensure_topics(settings, (*(t for t in TOPICS if t.base in ("facts", "results", "dlq")), *INTERNAL))


async def publish(settings: Settings, articles: list[SyntheticArticle], per_second: float | None = None) -> None:
    topic = settings.topic("facts")
    if per_second is None:
        await produce(settings.bootstrap_servers, topic, [r for a in articles for r in a.records()])
        return
    for a in articles:
        await produce(settings.bootstrap_servers, topic, a.records())
        await asyncio.sleep(1.0 / per_second)


async def results_stream(settings: Settings, idle: float = 2.0) -> list[Any]:
    return await consume(settings.bootstrap_servers, settings.topic("results"), idle=idle, timeout=60)


def compacted(records: list[Any]) -> dict[str, dict[str, Any]]:
    """What the compacted topic holds: the latest value per key, tombstones removing keys. Only
    `completed_at` (wall-clock time of the first application) may differ between runs."""
    import json

    latest: dict[str, dict[str, Any]] = {}
    for r in records:
        key = r.key.decode()
        if r.value is None:
            latest.pop(key, None)
            continue
        value = json.loads(r.value)
        value.pop("completed_at", None)
        latest[key] = value
    return latest


def diff(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    """Readable differences between two compacted pictures (empty when equal)."""
    out = [f"missing {k}" for k in sorted(set(want) - set(got))]
    out += [f"extra {k}" for k in sorted(set(got) - set(want))]
    for k in sorted(set(got) & set(want)):
        if got[k] != want[k]:
            fields = sorted(f for f in set(got[k]) | set(want[k]) if got[k].get(f) != want[k].get(f))
            out += [f"{k}.{f}: got {got[k].get(f)!r} want {want[k].get(f)!r}"[:400] for f in fields]
    return out


def reference(articles: list[SyntheticArticle]) -> dict[str, dict[str, Any]]:
    """The undisturbed picture, from the pure logic applied in one process."""
    import json
    from datetime import UTC, datetime

    state = AggregatorState()
    for i, a in enumerate(articles):
        state.apply(ArticleBundle(record=a.record, facts=a.facts, source_topic="facts", source_partition=0,
                                  source_offset=i), i, datetime.now(UTC))
    out = {}
    for k, v in state.all_results().items():
        value = json.loads(v.model_dump_json())
        value.pop("completed_at", None)
        out[k] = value
    return out


async def group_lag(settings: Settings, group: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers)
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        (described,) = await admin.describe_topics([topic])
        parts = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        assert parts, f"{topic} has no partitions"
        ends = await consumer.end_offsets(parts)
        lag = 0
        for tp in parts:
            c = committed.get(tp)
            lag += ends[tp] - (c.offset if c is not None and c.offset >= 0 else 0)
        return lag
    finally:
        await consumer.stop()
        await admin.close()


async def wait_settled(settings: Settings, within: float = 120.0) -> None:
    """Until both consumer groups have committed everything there is to read."""
    deadline = time.monotonic() + within
    facts, bundles = settings.topic("facts"), BUNDLES.name(settings.topic_prefix)
    while time.monotonic() < deadline:
        lags = (await group_lag(settings, settings.group_id("aggregator-assemble"), facts),
                await group_lag(settings, settings.group_id("aggregator"), bundles))
        if lags == (0, 0):
            return
        await asyncio.sleep(0.5)
    raise TimeoutError(f"aggregator did not catch up within {within}s (lags {lags})")


async def wait_for_results(settings: Settings, at_least: int, within: float = 60.0) -> None:
    got = await consume(settings.bootstrap_servers, settings.topic("results"), until=at_least, timeout=within,
                        predicate=lambda r: header(r, H_RECORD) == "article")
    assert len(got) >= at_least, f"only {len(got)} article results within {within}s"


def restored_articles(svc: Service) -> list[int]:
    """`articles` of every state_restored log line of the service's latest run."""
    import json

    lines = svc.log_tail(1_000_000).splitlines()
    return [json.loads(line)["articles"] for line in lines if '"state_restored"' in line]


async def health(svc: Service) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=5) as http:
        body: dict[str, Any] = (await http.get(f"http://127.0.0.1:{svc.port}/health")).json()
        return body


def aggregator(settings: Settings, logs: Path) -> Service:
    return Service("aggregator", settings, logs).start()


def stream_corpus() -> list[SyntheticArticle]:
    return corpus(120, seed=21)


# ---------------------------------------------------------------- tests

def _seed_articles() -> list[SyntheticArticle]:
    """The seed files as articles (body = the file's text), without facts of their own."""
    out = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text("utf-8").strip()
        title, _, body = text.partition("\n")
        out.append(make_article(body.strip(), [], title=title.strip(), published_at="2024-11-22",
                                source=path.stem))
    return out


MEETING = {"type": "event", "kind": "meeting", "date": "2015-09-22", "participants": ["叶雅伦"]}


def _meeting_reports() -> list[SyntheticArticle]:
    a = make_article(
        "2015年9月22日上午，由广州碳排放权交易所和英国驻广州总领事馆联合主办的伦敦金融城市长访问暨中英碳金融"
        "合作座谈会在广碳所举行，伦敦金融城市长叶雅伦率团出席，双方就碳金融合作进行了深入交流。",
        [{**MEETING,
          "surface": "2015年9月22日上午，由广州碳排放权交易所和英国驻广州总领事馆联合主办的"
                     "伦敦金融城市长访问暨中英碳金融合作座谈会",
          "name": "伦敦金融城市长访问暨中英碳金融合作座谈会", "location": "广碳所",
          "organizations": ["广州碳排放权交易所", "英国驻广州总领事馆"]}],
        title="伦敦金融城市长叶雅伦到访广碳所", published_at="2015-09-23", source="广州碳排放权交易所")
    b = make_article(
        "新华社广州9月22日电 英国伦敦金融城市长叶雅伦当天在广州出席中英碳金融合作座谈会时表示，伦敦愿与广州在"
        "绿色金融领域加强合作。座谈会由英国驻广州总领事馆与当地交易所共同举办。",
        [{**MEETING, "surface": "出席中英碳金融合作座谈会", "name": "中英碳金融合作座谈会",
          "organizations": ["英国驻广州总领事馆"]}],
        title="叶雅伦：伦敦愿与广州加强绿色金融合作", published_at="2015-09-22", source="新华社")
    return [a, b]


async def test_duplicates_and_one_canonical_event(kafka_bootstrap: str, service_logs: Path) -> None:
    settings = unique_settings(kafka_bootstrap)
    await make_topics(settings)
    seeds = _seed_articles()
    longest = max(seeds, key=lambda a: len(a.text))
    half = truncated_copy(longest, 0.5, source="摘编")
    reposted = republished(seeds[0], source="转载网")
    meeting = _meeting_reports()
    svc = aggregator(settings, service_logs)
    try:
        svc.wait_healthy()
        # the seeds published twice, a copy of one cut to its first half, one reposted elsewhere
        await publish(settings, [*seeds, *meeting])
        await publish(settings, [*seeds, half, reposted])
        await wait_settled(settings)
        stream = await results_stream(settings)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{svc.port}", timeout=5) as http:
            view = (await http.get("/events", params={"kind": "meeting"})).json()
            art = await http.get(f"/articles/{half.record.article_id}")
            # the full history, page by page, from the service that holds the state
            first = (await http.get(f"/events/{view[0]['event_id']}/history", params={"limit": 1})).json()
            second = (await http.get(f"/events/{view[0]['event_id']}/history",
                                     params={"limit": 1, "cursor": first["next_cursor"]})).json()
            unknown = await http.get("/events/nope/history")
        # `ecowire query events --where kind=meeting`, reading the compacted topic
        queried = await query_topic(settings, "events", {"kind": "meeting"}, None, None)
    finally:
        svc.stop()
    article_keys = [r.key.decode() for r in stream if header(r, H_RECORD) == "article"]
    distinct = {a.record.article_id for a in [*seeds, *meeting, half, reposted]}
    # one result per distinct article: the second publication of the seeds added none. (A key may
    # be written twice: at-least-once delivery repeats a record after a rebalance under load, which
    # a compacted topic absorbs; `final == reference(...)` below checks the values.)
    assert set(article_keys) == {f"article:{a}" for a in distinct}
    final = compacted(stream)
    h = final[f"article:{half.record.article_id}"]
    assert (h["status"], h["duplicate_of"], h["cluster_id"]) == (
        "near_duplicate", longest.record.article_id, longest.record.article_id)
    assert h["similarity"] >= 0.8
    r = final[f"article:{reposted.record.article_id}"]
    assert (r["status"], r["duplicate_of"], r["similarity"]) == ("duplicate", seeds[0].record.article_id, 1.0)
    originals = [v for k, v in final.items() if k.startswith("article:") and v["status"] == "original"]
    assert len(originals) == len(seeds) + len(meeting)
    events = [v for k, v in final.items() if k.startswith("event:")]
    assert len(events) == 1
    assert {s["article_id"] for s in events[0]["sources"]} == {a.record.article_id for a in meeting}
    assert final == reference([*seeds, *meeting, *seeds, half, reposted])
    # the query endpoint serves the same picture
    assert [e["event_id"] for e in view] == [events[0]["event_id"]]
    assert queried == view
    assert art.status_code == 200 and art.json()["duplicate_of"] == longest.record.article_id
    assert first["total"] == 2 and second["next_cursor"] is None and unknown.status_code == 404
    assert {i["source"]["article_id"] for i in first["items"] + second["items"]} == {
        a.record.article_id for a in meeting}


async def test_sigkill_mid_stream_yields_the_undisturbed_aggregates(
    kafka_bootstrap: str, service_logs: Path
) -> None:
    articles = stream_corpus()
    calm, killed = unique_settings(kafka_bootstrap), unique_settings(kafka_bootstrap)
    for s in (calm, killed):
        await make_topics(s)

    undisturbed = aggregator(calm, service_logs)
    try:
        undisturbed.wait_healthy()
        await publish(calm, articles)
        await wait_settled(calm)
        calm_final = compacted(await results_stream(calm))
    finally:
        undisturbed.stop()

    svc = aggregator(killed, service_logs)
    svc.wait_healthy()
    feeder = asyncio.create_task(publish(killed, articles, per_second=60))
    await wait_for_results(killed, at_least=25)
    assert svc.kill(signal.SIGKILL) == -signal.SIGKILL
    assert not feeder.done(), "the stream ended before the kill: not mid-stream"
    svc.start()
    try:
        svc.wait_healthy()
        await feeder
        await wait_settled(killed)
        killed_final = compacted(await results_stream(killed))
        metrics = svc.metrics_text()
        restores = restored_articles(svc)
    finally:
        svc.stop()

    assert calm_final == reference(articles)
    assert diff(killed_final, calm_final) == []
    assert killed_final == calm_final
    assert restores and restores[0] > 0, f"the restart restored no state: {restores}"
    restore_count = re.search(r"^ecowire_aggregator_restore_seconds_count (\S+)$", metrics, re.M)
    assert restore_count is not None and float(restore_count.group(1)) >= 1


async def test_two_processes_one_stopped_mid_stream(kafka_bootstrap: str, service_logs: Path) -> None:
    articles = stream_corpus()
    settings = unique_settings(kafka_bootstrap)
    await make_topics(settings)
    a, b = aggregator(settings, service_logs), aggregator(settings, service_logs)
    try:
        a.wait_healthy()
        b.wait_healthy()
        feeder = asyncio.create_task(publish(settings, articles, per_second=60))
        await wait_for_results(settings, at_least=25)
        # stop the process that holds the state (the bundles partition), so the other restores it
        owners = [s for s in (a, b) if (await health(s))["ready_partitions"]]
        assert len(owners) == 1, "exactly one process holds the bundles partition"
        owner = owners[0]
        other = b if owner is a else a
        owner.stop()
        assert not feeder.done(), "the stream ended before the stop: not mid-stream"
        await feeder
        await wait_settled(settings)
        final = compacted(await results_stream(settings))
        survivor = await health(other)
        restores = restored_articles(other)
    finally:
        a.stop()
        b.stop()
    assert survivor["ready_partitions"] == [0]
    assert restores and restores[-1] > 0, f"the survivor restored no state: {restores}"
    assert final == reference(articles)
