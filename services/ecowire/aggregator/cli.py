"""`ecowire query`: the current aggregates, without replaying anything.

    ecowire query events  [--where kind=meeting --where date=2015-09-22]
    ecowire query series  [--where subject=深圳]
    ecowire query targets [--where actor=黄浦区]
    ecowire query people  [--where name=黄润秋]
    ecowire query articles [--id ARTICLE_ID | --where status=near_duplicate]

By default it reads the compacted results topic to its current end (the latest value of every
key); `--url http://host:8004` asks a running aggregator's HTTP endpoint instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any, TextIO

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from ..core.clients import start_client
from ..core.settings import Settings, get_settings
from ..core.topics_admin import topic_partitions
from .view import QUERIES, ResultsView


def add_subcommands(sub: Any) -> None:
    q = sub.add_parser("query", help="current aggregates: events, series, targets, people, articles")
    q.add_argument("what", choices=sorted(QUERIES))
    q.add_argument("--where", action="append", default=[], metavar="FIELD=TEXT",
                   help="keep results whose FIELD contains TEXT (repeatable)")
    q.add_argument("--id", help="one article by id (with `articles`)")
    q.add_argument("--limit", type=int, default=None)
    q.add_argument("--url", help="aggregator HTTP endpoint, e.g. http://127.0.0.1:8004 (default: read the topic)")
    q.set_defaults(func=cmd_query)


def parse_where(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        field, sep, text = item.partition("=")
        if not sep or not field:
            raise ValueError(f"--where takes FIELD=TEXT, got {item!r}")
        out[field.strip()] = text.strip()
    return out


def cmd_query(args: argparse.Namespace) -> int:
    try:
        filters = parse_where(args.where)
        if args.url:
            rows = query_http(args.url, args.what, filters, args.id, args.limit)
        else:
            rows = asyncio.run(query_topic(get_settings(), args.what, filters, args.id, args.limit))
    except (ValueError, KeyError, httpx.HTTPError) as e:
        print(f"ecowire query: {e}", file=sys.stderr)
        return 2
    write(rows, sys.stdout)
    return 0 if rows or not args.id else 1


def write(rows: list[dict[str, Any]], out: TextIO) -> None:
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")


def query_http(url: str, what: str, filters: dict[str, str], ident: str | None,
               limit: int | None) -> list[dict[str, Any]]:
    base = url.rstrip("/")
    if ident is not None:
        r = httpx.get(f"{base}/articles/{ident}", timeout=10)
        if r.status_code == 404:
            return []
        r.raise_for_status()
        return [r.json()]
    params = dict(filters)
    if limit is not None:
        params["limit"] = str(limit)
    r = httpx.get(f"{base}/{what}", params=params, timeout=30)
    if r.status_code == 400:
        raise ValueError(r.json().get("error", r.text))
    r.raise_for_status()
    rows: list[dict[str, Any]] = r.json()
    return rows


async def partitions(settings: Settings, topic: str) -> list[int]:
    found = await topic_partitions(settings, topic, client_id="ecowire-query")
    if not found:
        raise ValueError(f"topic {topic} does not exist")
    return found


async def load_view(settings: Settings) -> ResultsView:
    """The compacted results topic, read from its beginning to its current end."""
    topic = settings.topic("results")
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest",
                                max_partition_fetch_bytes=settings.max_message_bytes)
    await start_client(consumer, settings.bootstrap_servers)
    view = ResultsView()
    try:
        tps = [TopicPartition(topic, p) for p in await partitions(settings, topic)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        starts = await consumer.beginning_offsets(tps)
        for tp in tps:
            consumer.seek(tp, starts[tp])
        remaining = {tp for tp in tps if ends[tp] > starts[tp]}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batch.items():
                for r in records:
                    if r.offset < ends[tp]:
                        view.apply(r.key.decode("utf-8") if r.key else "", r.value)
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return view


async def query_topic(settings: Settings, what: str, filters: dict[str, str], ident: str | None,
                      limit: int | None) -> list[dict[str, Any]]:
    view = await load_view(settings)
    if ident is not None:
        found = view.get("article", ident)
        return [found.model_dump(mode="json")] if found is not None else []
    return [r.model_dump(mode="json") for r in view.query(what, filters, limit)]
