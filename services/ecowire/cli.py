"""The `ecowire` command.

    ecowire extract FILE…            the whole pipeline in-process, no broker: facts as JSON lines
    ecowire run [--seeds DIR]        local Kafka + the four services; publishes the seeds, shows results
    ecowire publish FILE|DIR|URL…    documents onto the ingest topic
    ecowire tail TOPIC               a topic as JSON lines
    ecowire topics create|list       the declared topics
    ecowire reprocess [--since DATE] [--dry-run]   the kept articles through the current extractor again
    ecowire eval                     extraction quality against the gold annotations
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ecowire_schemas import TOPICS, IngestRequest, SourceMeta

from .core.clients import BrokerUnreachable, settings_error, start_client
from .core.settings import Settings, get_settings
from .files import expand, ingest_requests

# ------------------------------------------------------------------ extract (in-process)

def _inputs(items: Sequence[str]) -> list[Path | None]:
    """The files to read (None: standard input, written `-`); a missing path or an empty folder is a
    usage error."""
    out: list[Path | None] = []
    for item in items:
        if item == "-":
            out.append(None)
            continue
        p = Path(item)
        if not p.exists():
            raise FileNotFoundError(f"{item}: no such file or folder")
        found = list(expand([p]))
        if not found:
            raise FileNotFoundError(f"{item}: the folder holds no files")
        out.extend(found)
    return out


def cmd_extract(args: argparse.Namespace) -> int:
    from .inprocess import extract_bytes, extract_file

    out = sys.stdout
    all_items: list[dict[str, Any]] = []
    status = 0
    try:
        inputs = _inputs(args.files)
    except FileNotFoundError as e:
        print(f"ecowire extract: {e}", file=sys.stderr)
        return 2
    for path in inputs:
        name = "-" if path is None else str(path)
        try:
            if path is None:
                results = extract_bytes(sys.stdin.buffer.read(), published_at=args.published_at, source=args.source)
            else:
                results = extract_file(path, published_at=args.published_at, source=args.source)
        except Exception as e:  # noqa: BLE001 - one bad file must not hide the others' facts; exit status says it
            why = getattr(e, "reason", None)  # a Reject names its reason, and its message may start with it
            msg = str(e)
            text = msg if why is None or msg.startswith(str(why)) else f"{why}: {msg}"
            print(f"ecowire extract: {name}: {text if why else f'{type(e).__name__}: {msg}'}", file=sys.stderr)
            status = 1
            continue
        for article, facts in results:
            if args.format == "jsonl":
                for f in facts:
                    out.write(f.model_dump_json() + "\n")
            else:
                all_items.append({
                    "file": name,
                    "article": article.model_dump(mode="json", exclude={"offsets", "minhash"}),
                    "facts": [f.model_dump(mode="json") for f in facts],
                })
    if args.format == "json":
        json.dump(all_items, out, ensure_ascii=False, indent=2)
        out.write("\n")
    return status


# ------------------------------------------------------------------ publish

async def publish_requests(settings: Settings, requests: Sequence[IngestRequest]) -> list[str]:
    from aiokafka import AIOKafkaProducer

    from ecowire_schemas.common import H_SCHEMA_VERSION, utcnow

    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all",
                                enable_idempotence=True, max_request_size=settings.max_message_bytes)
    await start_client(producer, settings.bootstrap_servers)
    try:
        topic = settings.topic("ingest")
        futures, ids = [], []
        for req in requests:
            req = req.model_copy(update={"submitted_at": req.submitted_at or utcnow()})
            doc_id = req.effective_doc_id()
            ids.append(doc_id)
            futures.append(await producer.send(
                topic, req.model_dump_json(exclude_none=True).encode(), key=doc_id.encode(),
                headers=[(H_SCHEMA_VERSION, b"1")],
            ))
        await asyncio.gather(*futures)
        return ids
    finally:
        await producer.stop()


def cmd_publish(args: argparse.Namespace) -> int:
    meta = SourceMeta(source=args.source, published_at=args.published_at, title=args.title)
    requests = list(ingest_requests(args.items, meta))
    ids = asyncio.run(publish_requests(get_settings(), requests))
    for doc_id in ids:
        print(doc_id)
    print(f"published {len(ids)} document(s) to {get_settings().topic('ingest')}", file=sys.stderr)
    return 0


# ------------------------------------------------------------------ tail

def _topic_name(settings: Settings, name: str) -> str:
    bases = {t.base for t in TOPICS}
    base = name.removesuffix(".v1")
    return settings.topic(base) if base in bases else name


async def tail(settings: Settings, topic: str, follow: bool, limit: int | None, out: Any) -> int:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.bootstrap_servers, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                max_partition_fetch_bytes=settings.max_message_bytes)
    await start_client(consumer, settings.bootstrap_servers)
    n = 0
    try:
        idle_rounds = 0
        while limit is None or n < limit:
            batch = await consumer.getmany(timeout_ms=1000)
            if not batch:
                idle_rounds += 1
                if not follow and idle_rounds >= 2:
                    break
                continue
            idle_rounds = 0
            for records in batch.values():
                for r in records:
                    out.write(json.dumps(_record_json(r), ensure_ascii=False) + "\n")
                    n += 1
            out.flush()
    finally:
        await consumer.stop()
    return n


def _record_json(r: Any) -> dict[str, Any]:
    headers = {k: v.decode("utf-8", "replace") for k, v in (r.headers or ())}
    value: Any
    try:
        value = json.loads(r.value) if r.value is not None else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        # Dead letters keep the original bytes, which may be anything.
        value = {"_bytes_b64": base64.b64encode(r.value).decode("ascii")}
    return {"topic": r.topic, "partition": r.partition, "offset": r.offset,
            "key": r.key.decode("utf-8", "replace") if r.key else None, "headers": headers, "value": value}


def cmd_tail(args: argparse.Namespace) -> int:
    settings = get_settings()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends a followed tail
        asyncio.run(tail(settings, _topic_name(settings, args.topic), args.follow, args.limit, sys.stdout))
    return 0


# ------------------------------------------------------------------ topics

def cmd_topics(args: argparse.Namespace) -> int:
    from .core.topics_admin import ensure_topics

    settings = get_settings()
    if args.action == "create":
        created = asyncio.run(ensure_topics(settings, connect_timeout_s=args.wait))
        print(f"created {len(created)} topic(s): {', '.join(created) or '-'}")
    else:
        for t in TOPICS:
            print(f"{t.name(settings.topic_prefix):40} partitions={t.partitions or settings.partitions:<3} "
                  f"{'compacted' if t.compacted else 'delete'}  key={t.key}  {t.description}")
    return 0


# ------------------------------------------------------------------ reprocess

def cmd_reprocess(args: argparse.Namespace) -> int:
    from .reprocess import TopicMissing, reprocess

    try:
        report = asyncio.run(reprocess(get_settings(), since=args.since, dry_run=args.dry_run))
    except TopicMissing as e:
        print(f"ecowire reprocess: {e}", file=sys.stderr)
        return 1
    print(report.line())
    return 0


def _since(value: str) -> Any:
    """An argparse type for --since: a date or an ISO date-time, else a usage error."""
    from .reprocess import parse_since

    try:
        return parse_since(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


# ------------------------------------------------------------------ run

def cmd_run(args: argparse.Namespace) -> int:
    from .runner import run_pipeline

    return run_pipeline(get_settings(), seeds=None if args.no_seeds else Path(args.seeds),
                        follow=not args.exit_when_done, timeout_s=args.timeout)


# ------------------------------------------------------------------ main

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ecowire", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"ecowire {_version()}")
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("extract", help="run the pipeline in-process on files; print facts")
    e.add_argument("files", nargs="+", help="files or folders (HTML or text, any of UTF-8/GBK/Big5); - reads stdin")
    e.add_argument("--published-at", type=_iso_date, metavar="DATE",
                   help="publication date (YYYY-MM-DD) for articles whose text states none")
    e.add_argument("--source", help="publisher name")
    e.add_argument("--format", choices=["jsonl", "json"], default="jsonl")
    e.set_defaults(func=cmd_extract)

    r = sub.add_parser("run", help="local Kafka + the four services; publish the seeds; show results")
    r.add_argument("--seeds", default="seeds", help="folder of documents to publish at start")
    r.add_argument("--no-seeds", action="store_true", help="publish nothing at start")
    r.add_argument("--exit-when-done", action="store_true", help="stop once every seed has its result")
    r.add_argument("--timeout", type=float, default=300.0, help="with --exit-when-done: give up after this")
    r.set_defaults(func=cmd_run)

    pub = sub.add_parser("publish", help="put files, folders or URLs on the ingest topic")
    pub.add_argument("items", nargs="+")
    pub.add_argument("--source")
    pub.add_argument("--published-at", type=_iso_date, metavar="DATE",
                     help="the publisher's publication date (YYYY-MM-DD); it wins over a date on the page")
    pub.add_argument("--title")
    pub.set_defaults(func=cmd_publish)

    t = sub.add_parser("tail", help="print a topic as JSON lines (ingest, raw, articles, facts, results, dlq…)")
    t.add_argument("topic")
    t.add_argument("-f", "--follow", action="store_true")
    t.add_argument("-n", "--limit", type=int)
    t.set_defaults(func=cmd_tail)

    tp = sub.add_parser("topics", help="create or list the declared topics")
    tp.add_argument("action", choices=["create", "list"])
    tp.add_argument("--wait", type=float, default=10.0, help="seconds to wait for the broker (default 10)")
    tp.set_defaults(func=cmd_topics)

    rp = sub.add_parser("reprocess", help="re-publish the kept articles for the current extractor (marked, "
                                          "not counted as ingests)")
    rp.add_argument("--since", type=_since, metavar="DATE",
                    help="only articles ingested at or after DATE (YYYY-MM-DD, UTC midnight, or an ISO date-time)")
    rp.add_argument("--dry-run", action="store_true", help="count what would be replayed; publish nothing")
    rp.set_defaults(func=cmd_reprocess)

    _optional_subcommands(sub)
    return p


def _optional_subcommands(sub: Any) -> None:
    """Subcommands each stage package contributes (eval, sources, query)."""
    from .aggregator.cli import add_subcommands as add_aggregator
    from .evaluation import add_subcommands as add_eval
    from .fetcher.cli import add_subcommands as add_fetcher

    for add in (add_eval, add_fetcher, add_aggregator):
        add(sub)


def _iso_date(value: str) -> str:
    """An argparse type: an ISO date (or the Chinese forms the normalizer reads), else a usage error."""
    from .normalizer.dates import normalize_iso

    iso = normalize_iso(value)
    if iso is None:
        raise argparse.ArgumentTypeError(f"not a date: {value!r} (write YYYY-MM-DD)")
    return iso


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ecowire")
    except PackageNotFoundError:
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Parse first (so --help and --version work whatever the environment holds), then settings."""
    from pydantic import ValidationError

    from .core.logs import configure_logging

    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as e:
        print(f"ecowire: {settings_error(e)}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, "console")
    # a command reports an unreachable broker in one line of its own; aiokafka's per-attempt
    # connection errors would only repeat it
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        return int(args.func(args) or 0)
    except BrokerUnreachable as e:
        print(f"ecowire {args.command}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
