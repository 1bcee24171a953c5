"""`ecowire sources` (rows from the configured sources and the state, the table, the dry run) and
`ecowire fetch URL`."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from ecowire.fetcher.cli import add_subcommands, dry_run, fetch_one, print_table, source_rows
from ecowire.fetcher.settings import FetchSettings
from ecowire.fetcher.sources import SourceConfig
from ecowire.fetcher.state import SeenItem, SourceStatus, StateStore, StateValue, seen_key, source_key
from tests.unit.fetcher.feeds import item, rss
from tests.unit.fetcher.localhttp import LocalServer, Reply, Seen

NOW = datetime(2024, 12, 12, 12, 0, tzinfo=UTC)


def test_subcommand_is_registered() -> None:
    parser = argparse.ArgumentParser()
    add_subcommands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sources", "--json", "mee"])
    assert args.names == ["mee"] and args.json and callable(args.func)


def test_rows_and_table() -> None:
    cfg = [SourceConfig(name="mee", url="https://rsshub.example/mee", interval="15m"),
           SourceConfig(name="quiet", url="https://q.example/feed")]
    state: dict[str, StateValue] = {
        source_key("mee"): SourceStatus(
            source="mee", url="https://rsshub.example/mee", last_poll_at=NOW - timedelta(minutes=3),
            last_new_item_at=NOW - timedelta(hours=2), last_new_item_title="生态环境部召开新闻发布会",
            items_published=12, polls=40, error_count=3, consecutive_errors=1, last_error="HTTP 503 after 4 attempts"),
        source_key("old"): SourceStatus(source="old", url="https://gone.example/feed", polls=5),
        seen_key("mee", "a"): SeenItem(source="mee", item="a", doc_id="u-1", seen_at=NOW),
        seen_key("mee", "b"): SeenItem(source="mee", item="b", doc_id="u-2", seen_at=NOW),
    }
    rows = source_rows(cfg, state)
    assert [r["name"] for r in rows] == ["mee", "quiet", "old"]
    mee = rows[0]
    assert (mee["items_published"], mee["items_seen"], mee["error_count"], mee["interval_s"]) == (12, 2, 3, 900)
    assert rows[1]["last_poll_at"] is None and rows[2]["configured"] is False
    out = io.StringIO()
    print_table(rows, out, now=NOW)
    text = out.getvalue()
    assert "3m ago" in text and "2h ago · 生态环境部召开新闻发布会" in text and "3 (1 in a row)" in text
    assert "old (not configured)" in text and "never" in text
    assert source_rows(cfg, state, only=["quiet"])[0]["name"] == "quiet"


async def test_dry_run_shows_what_would_be_new() -> None:
    def handler(req: Seen) -> Reply:
        if req.path == "/feed":
            return Reply(200, rss([item(1), item(0)]), {"content-type": "application/rss+xml"})
        return Reply(404)

    async with LocalServer(handler) as srv:
        src = SourceConfig(name="mee", url=srv.url("/feed"))
        broken = SourceConfig(name="broken", url=srv.url("/nope"))
        state = StateStore({seen_key("mee", item(0).guid): SeenItem(source="mee", item=item(0).guid, doc_id="x",
                                                                     seen_at=NOW)})
        out = io.StringIO()
        status = await dry_run([src, broken], FetchSettings(allow_hosts=["127.0.0.1"], max_retries=0,
                                                                   per_host_interval_s=0), state, out)
        assert srv.paths().count("/feed") == 1
    text = out.getvalue()
    assert status == 1
    assert "mee: 2 items (utf-8), 1 new" in text and "broken: FAILED HTTP 404" in text
    lines = [line for line in text.splitlines() if "第" in line]
    assert lines[0].lstrip().startswith("+") and not lines[1].lstrip().startswith("+")


async def test_fetch_one_prints_the_document_or_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    def handler(req: Seen) -> Reply:
        if req.path == "/page":
            return Reply(200, "<p>碳市场</p>".encode("gbk"), {"content-type": "text/html; charset=gbk"})
        return Reply(404)

    fs = FetchSettings(allow_hosts=["127.0.0.1"], max_retries=0, per_host_interval_s=0)
    async with LocalServer(handler) as srv:
        out = io.StringIO()
        assert await fetch_one(srv.url("/page"), fs, out) == 0
        doc = json.loads(out.getvalue())
        text = io.StringIO()
        assert await fetch_one(srv.url("/page"), fs, text, text_only=True) == 0
        assert await fetch_one(srv.url("/gone"), fs, io.StringIO()) == 1
    assert doc["text"] == "<p>碳市场</p>" and doc["encoding"] == "gb18030" and doc["origin"] == "url"
    assert text.getvalue() == "<p>碳市场</p>\n"
    assert capsys.readouterr().err.startswith("http_error: HTTP 404")
