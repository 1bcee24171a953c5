"""`ecowire sources` (the configured sources and how their polling goes) and `ecowire fetch`.

    ecowire sources [--file sources.yaml] [--json]   the sources (kind, interval, pages, URL, host check) with
                                                      their last poll, last new item, errors (state topic)
    ecowire sources --no-state                        the same from the sources file alone (no broker)
    ecowire sources --check [NAME…]                   fetch each source's first page now (the internet!):
                                                      status, items, newest date, next page; no broker
    ecowire sources --dry-run [--file …] [NAME…]     fetch and parse each source now; publish nothing

The sources file: --file, else ECOWIRE_FETCH_SOURCES_FILE, else deploy/sources.yaml (the real
sources the compose file and the chart poll), found from the current directory or the checkout.
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

from aiokafka.errors import KafkaError

from ecowire.core.settings import Settings, get_settings

from .decode import decode_bytes
from .safety import HostAllowList, Refused, check_url
from .settings import FetchSettings
from .sources import SourceConfig, SourcesFileError, load_sources, next_page_url
from .state import SourceStatus, StateStore, StateValue, load_state, seen_key


def add_subcommands(sub: Any) -> None:
    p = sub.add_parser("sources", help="list the polled sources: last poll, last new item, errors")
    p.add_argument("names", nargs="*", help="only these sources")
    p.add_argument("--file", type=Path, help="sources file (default: ECOWIRE_FETCH_SOURCES_FILE)")
    p.add_argument("--json", action="store_true", help="one JSON object per source")
    p.add_argument("--dry-run", action="store_true",
                   help="fetch and parse each source now and show what would be new; publishes nothing")
    p.add_argument("--check", action="store_true",
                   help="fetch each source's first page now (real HTTP) and show what it yields; no broker")
    p.add_argument("--no-state", action="store_true", help="do not read the state topic (no broker needed)")
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


def default_sources_file() -> Path | None:
    """deploy/sources.yaml from the current directory, else from the checkout this code runs from."""
    for candidate in (Path.cwd() / "deploy" / "sources.yaml",
                      Path(__file__).resolve().parents[3] / "deploy" / "sources.yaml"):
        if candidate.is_file():
            return candidate
    return None


def cmd_sources(args: argparse.Namespace) -> int:
    settings = get_settings()
    fs = FetchSettings()
    path = args.file or fs.sources_file or default_sources_file()
    configured: list[SourceConfig] = []
    if path is not None:
        try:
            # Named sources are shown (and checked) even when disabled.
            configured = load_sources(path, include_disabled=bool(args.names))
        except SourcesFileError as e:
            print(f"ecowire sources: {e}", file=sys.stderr)
            return 2
    if args.names:
        unknown = set(args.names) - {s.name for s in configured}
        if unknown and (args.dry_run or args.check):
            print(f"ecowire sources: not in the sources file: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        configured = [s for s in configured if s.name in args.names]
    if args.check:
        return asyncio.run(check_sources(configured, fs, sys.stdout))
    state: dict[str, StateValue] = {}
    if not args.no_state:
        try:
            state = asyncio.run(load_state(settings, fs.state_load_timeout_s))
        except (TimeoutError, OSError, KafkaError) as e:
            if args.dry_run:
                print(f"ecowire sources: cannot read {settings.topic('fetcher-state')}: {e}", file=sys.stderr)
                return 1
            print(f"ecowire sources: cannot read {settings.topic('fetcher-state')} ({e}); "
                  "showing the sources file only", file=sys.stderr)
    if args.dry_run:
        return asyncio.run(dry_run(configured, fs, StateStore(state), sys.stdout))
    if path is not None and not args.json:
        print(f"# {path}")
    rows = source_rows(configured, state, args.names or None, HostAllowList(fs.allow_hosts))
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False, default=str))
    else:
        print_table(rows, sys.stdout)
    return 0


def host_check(url: str, allow: HostAllowList) -> str:
    """`ok` (a public host: fetched under the address check), `exempt` (in ECOWIRE_FETCH_ALLOW_HOSTS),
    or `refused: why` (the fetcher would refuse the URL as written)."""
    try:
        host = check_url(url, allow)
    except Refused as e:
        return f"refused: {e}"
    return "exempt" if allow.allows(host) else "ok"


def source_rows(configured: list[SourceConfig], state: dict[str, StateValue],
                only: list[str] | None = None, allow: HostAllowList | None = None) -> list[dict[str, Any]]:
    """One row per source: configured ones in file order, then any known only from the state."""
    statuses = {v.source: v for v in state.values() if isinstance(v, SourceStatus)}
    names = [s.name for s in configured] + sorted(set(statuses) - {s.name for s in configured})
    if only:
        names = [n for n in names if n in only]
    by_name = {s.name: s for s in configured}
    seen = StateStore(state)
    allow = allow or HostAllowList()
    rows = []
    for name in names:
        cfg, st = by_name.get(name), statuses.get(name)
        rows.append({
            "name": name,
            "kind": cfg.kind if cfg else "?",
            "url": cfg.url if cfg else (st.url if st else ""),
            "configured": cfg is not None,
            "interval_s": cfg.interval_s if cfg else None,
            "max_pages": cfg.max_pages if cfg else None,
            "enabled": cfg.enabled if cfg else None,
            "source": cfg.source if cfg else None,
            "host": host_check(cfg.url, allow) if cfg else None,
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


def _interval(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= n and seconds % n == 0:
            return f"{int(seconds // n)}{unit}"
    return f"{seconds:g}s"


def print_table(rows: list[dict[str, Any]], out: TextIO, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    header = ("SOURCE", "KIND", "EVERY", "PAGES", "HOST", "URL", "LAST POLL", "LAST NEW ITEM", "PUBLISHED",
              "ERRORS", "LAST ERROR")
    table = [header]
    for r in rows:
        name = r["name"] + ("" if r["configured"] else " (not configured)")
        if r.get("enabled") is False:
            name += " (disabled)"
        new = _ago(r["last_new_item_at"], now)
        if r["last_new_item_title"]:
            new += f" · {r['last_new_item_title'][:30]}"
        errors = f"{r['error_count']}" + (f" ({r['consecutive_errors']} in a row)" if r["consecutive_errors"] else "")
        pages = str(r["max_pages"]) if r.get("max_pages") else "-"
        table.append((name, r["kind"], _interval(r["interval_s"]), pages, (r.get("host") or "-")[:40], r["url"],
                      _ago(r["last_poll_at"], now), new, str(r["items_published"]), errors,
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
                items, encoding = await poller.read(src, res)  # and its next pages
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


async def check_sources(sources: list[SourceConfig], fs: FetchSettings, out: TextIO) -> int:
    """Fetch each source's first page once (robots.txt and the address check apply) and say what
    its configuration finds there: items, the newest date, the next page. Exit status 1 if any
    source fails or yields no item. Real HTTP: only when a user runs `ecowire sources --check`."""
    from .http import FetchError, HttpFetcher
    from .poller import SourcePoller

    status = 0
    async with HttpFetcher(fs) as fetcher:
        poller = SourcePoller(sources, fetcher, StateStore(), _no_publish, Settings())
        for src in sources:
            try:
                res = await fetcher.fetch(src.url, robots=src.robots)
                items, encoding = poller.parse(src, res)
            except (FetchError, ValueError) as e:
                out.write(f"{src.name}: FAILED {getattr(e, 'message', None) or e}  ({src.url})\n")
                status = 1
                continue
            dates = sorted((i.published for i in items if i.published), reverse=True)
            nxt = None
            if src.kind == "listing" and src.max_pages > 1:
                nxt = next_page_url(decode_bytes(res.body, res.content_type).text, res.final_url, src, 1)
            verdict = "ok" if items else "NO ITEMS (check link_pattern)"
            out.write(f"{src.name}: {verdict} HTTP {res.status}, {len(items)} items ({encoding})"
                      f", newest {dates[0] if dates else '-'}, undated {sum(1 for i in items if not i.published)}"
                      + (f", next page {nxt}" if nxt else "") + f"  ({res.final_url})\n")
            if items and items[0].link:
                out.write(f"    {(items[0].title or '')[:50]}  {items[0].link}\n")
            if not items:
                status = 1
    return status


async def _no_publish(records: list[Any]) -> None:
    raise AssertionError("dry run publishes nothing")
