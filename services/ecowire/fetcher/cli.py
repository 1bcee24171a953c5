"""`ecowire sources` (the configured sources and how their polling goes) and `ecowire fetch`.

    ecowire sources [--file sources.yaml] [--json]   last poll, last new item, errors (from the state topic)
    ecowire sources --dry-run [--file …] [NAME…]     fetch and parse each source now; publish nothing
    ecowire fetch URL [--text]                        fetch one URL as the service would; print the raw
                                                      document as JSON (or the dead-letter reason); no broker

(`ecowire publish URL…` puts `IngestRequest(url=…)` on the ingest topic; the fetcher does the rest.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from ecowire.core.settings import Settings, get_settings

from .settings import FetchSettings
from .sources import SourceConfig, SourcesFileError, load_sources
from .state import SourceStatus, StateStore, StateValue, load_state, seen_key


def add_subcommands(sub: Any) -> None:
    p = sub.add_parser("sources", help="list the polled sources: last poll, last new item, errors")
    p.add_argument("names", nargs="*", help="only these sources")
    p.add_argument("--file", type=Path, help="sources file (default: ECOWIRE_FETCH_SOURCES_FILE)")
    p.add_argument("--json", action="store_true", help="one JSON object per source")
    p.add_argument("--dry-run", action="store_true",
                   help="fetch and parse each source now and show what would be new; publishes nothing")
    p.set_defaults(func=cmd_sources)

    f = sub.add_parser("fetch", help="fetch one URL as the fetcher would and print the raw document (no broker)")
    f.add_argument("url")
    f.add_argument("--text", action="store_true", help="print only the decoded text")
    f.set_defaults(func=cmd_fetch)


def cmd_fetch(args: argparse.Namespace) -> int:
    return asyncio.run(fetch_one(args.url, FetchSettings(), sys.stdout, text_only=args.text))


async def fetch_one(url: str, fs: FetchSettings, out: TextIO, text_only: bool = False) -> int:
    """Exit status 0 with the document, 1 with `reason: message` on stderr when it would be dead-lettered."""
    from ecowire.core.records import Reject
    from ecowire_schemas.ingest import IngestRequest

    from .http import HttpFetcher
    from .logic import FetchContext, fetch_request

    async with HttpFetcher(fs) as fetcher:
        try:
            outcome = await fetch_request(IngestRequest(url=url), FetchContext(fetcher))
        except Reject as e:
            print(f"{e.reason}: {e.message}", file=sys.stderr)
            return 1
    assert outcome.document is not None  # no validators were sent: never "not modified"
    out.write(outcome.document.text if text_only else outcome.document.model_dump_json(indent=2))
    out.write("\n")
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    settings = get_settings()
    fs = FetchSettings()
    path = args.file or fs.sources_file
    configured: list[SourceConfig] = []
    if path is not None:
        try:
            configured = load_sources(path)
        except SourcesFileError as e:
            print(f"ecowire sources: {e}", file=sys.stderr)
            return 2
    if args.names:
        unknown = set(args.names) - {s.name for s in configured}
        if unknown and args.dry_run:
            print(f"ecowire sources: not in the sources file: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        configured = [s for s in configured if s.name in args.names]
    try:
        state = asyncio.run(load_state(settings, fs.state_load_timeout_s))
    except (TimeoutError, OSError) as e:
        print(f"ecowire sources: cannot read {settings.topic('fetcher-state')}: {e}", file=sys.stderr)
        return 1
    if args.dry_run:
        return asyncio.run(dry_run(configured, fs, StateStore(state), sys.stdout))
    rows = source_rows(configured, state, args.names or None)
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False, default=str))
    else:
        print_table(rows, sys.stdout)
    return 0


def source_rows(configured: list[SourceConfig], state: dict[str, StateValue],
                only: list[str] | None = None) -> list[dict[str, Any]]:
    """One row per source: configured ones in file order, then any known only from the state."""
    statuses = {v.source: v for v in state.values() if isinstance(v, SourceStatus)}
    names = [s.name for s in configured] + sorted(set(statuses) - {s.name for s in configured})
    if only:
        names = [n for n in names if n in only]
    by_name = {s.name: s for s in configured}
    seen = StateStore(state)
    rows = []
    for name in names:
        cfg, st = by_name.get(name), statuses.get(name)
        rows.append({
            "name": name,
            "kind": cfg.kind if cfg else "?",
            "url": cfg.url if cfg else (st.url if st else ""),
            "configured": cfg is not None,
            "interval_s": cfg.interval_s if cfg else None,
            "last_poll_at": st.last_poll_at if st else None,
            "last_ok_at": st.last_ok_at if st else None,
            "last_new_item_at": st.last_new_item_at if st else None,
            "last_new_item_title": st.last_new_item_title if st else None,
            "items_published": st.items_published if st else 0,
            "items_seen": seen.seen_count(name),
            "polls": st.polls if st else 0,
            "error_count": st.error_count if st else 0,
            "consecutive_errors": st.consecutive_errors if st else 0,
            "last_error": st.last_error if st else None,
        })
    return rows


def _ago(t: datetime | None, now: datetime) -> str:
    if t is None:
        return "never"
    s = int((now - t).total_seconds())
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= n:
            return f"{s // n}{unit} ago"
    return f"{s}s ago"


def print_table(rows: list[dict[str, Any]], out: TextIO, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    header = ("SOURCE", "KIND", "LAST POLL", "LAST NEW ITEM", "PUBLISHED", "ERRORS", "LAST ERROR")
    table = [header]
    for r in rows:
        name = r["name"] + ("" if r["configured"] else " (not configured)")
        new = _ago(r["last_new_item_at"], now)
        if r["last_new_item_title"]:
            new += f" · {r['last_new_item_title'][:30]}"
        errors = f"{r['error_count']}" + (f" ({r['consecutive_errors']} in a row)" if r["consecutive_errors"] else "")
        table.append((name, r["kind"], _ago(r["last_poll_at"], now), new, str(r["items_published"]), errors,
                      (r["last_error"] or "")[:60]))
    if not rows:
        out.write("no sources (none configured, none in the state topic)\n")
        return
    widths = [max(_width(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        out.write("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip())
        out.write("\n")


def _width(s: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 1 for ch in s)


async def dry_run(sources: list[SourceConfig], fs: FetchSettings, state: StateStore, out: TextIO) -> int:
    """Fetch and parse every source once; print its items and which ones would be published."""
    from .http import FetchError, HttpFetcher
    from .poller import SourcePoller

    status = 0
    async with HttpFetcher(fs) as fetcher:
        poller = SourcePoller(sources, fetcher, state, _no_publish, Settings())
        for src in sources:
            try:
                res = await fetcher.fetch(src.url, robots=src.robots)
                items, encoding = poller.parse(src, res)
            except (FetchError, ValueError) as e:
                out.write(f"{src.name}: FAILED {getattr(e, 'message', None) or e}\n")
                status = 1
                continue
            new = [i for i in items if not state.has(seen_key(src.name, i.key))]
            out.write(f"{src.name}: {len(items)} items ({encoding}), {len(new)} new\n")
            for i in items:
                mark = "+" if i in new else " "
                inline = " [inline]" if i.content_html else ""
                out.write(f"  {mark} {i.published or '-':25} {(i.title or '')[:40]}  {i.link or i.key}{inline}\n")
    return status


async def _no_publish(records: list[Any]) -> None:
    raise AssertionError("dry run publishes nothing")
