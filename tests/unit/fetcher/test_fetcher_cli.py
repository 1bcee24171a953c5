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


def test_sources_lists_the_real_sources_without_a_broker(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """`ecowire sources` with no sources file configured shows deploy/sources.yaml."""
    from ecowire.fetcher.sources import load_sources
    from tests.support import ROOT

    monkeypatch.delenv("ECOWIRE_FETCH_SOURCES_FILE", raising=False)
    monkeypatch.delenv("ECOWIRE_SOURCES_FILE", raising=False)
    monkeypatch.chdir(ROOT)
    parser = argparse.ArgumentParser()
    add_subcommands(parser.add_subparsers(dest="command"))

    def main(argv: list[str]) -> int:  # the subcommand alone (ecowire.cli.main also sets up logging)
        args = parser.parse_args(argv)
        return int(args.func(args))

    assert main(["sources", "--no-state"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert lines[0] == f"# {ROOT / 'deploy' / 'sources.yaml'}"
    assert lines[1].split()[:6] == ["SOURCE", "KIND", "EVERY", "PAGES", "HOST", "URL"]
    expected = load_sources(ROOT / "deploy" / "sources.yaml")
    assert len(lines) == 2 + len(expected)
    mee = next(line for line in lines if line.startswith("mee-xwfb "))
    assert mee.split()[:6] == ["mee-xwfb", "listing", "30m", "3", "ok", "https://www.mee.gov.cn/ywdt/xwfb/"]
    assert "cets" not in text  # disabled: shown only when named
    assert main(["sources", "--no-state", "--json", "cets"]) == 0
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert (row["name"], row["enabled"], row["host"], row["max_pages"]) == ("cets", False, "ok", 1)


def test_host_check() -> None:
    from ecowire.fetcher.cli import host_check
    from ecowire.fetcher.safety import HostAllowList

    assert host_check("https://www.mee.gov.cn/ywdt/", HostAllowList()) == "ok"
    assert host_check("http://127.0.0.1:8080/feed", HostAllowList(["127.0.0.1"])) == "exempt"
    assert host_check("http://127.0.0.1:8080/feed", HostAllowList()).startswith("refused: 127.0.0.1 is a loopback")
    assert host_check("ftp://www.mee.gov.cn/", HostAllowList()).startswith("refused: scheme")


async def test_check_fetches_the_first_page_and_says_what_it_finds() -> None:
    from ecowire.fetcher.cli import check_sources

    page = ('<html><body><ul><li><a href="/ywdt/xwfb/202412/t20241226_1.shtml">发布会</a><span>2024-12-26</span></li>'
            '</ul><script>createPageHTML(5, 0, "index", "shtml");</script></body></html>')

    def site(req: Seen) -> Reply:
        if req.path == "/ywdt/xwfb/":
            return Reply(200, page.encode("utf-8"), {"content-type": "text/html; charset=utf-8"})
        if req.path == "/empty/":
            return Reply(200, b"<html><body>nothing</body></html>", {"content-type": "text/html"})
        return Reply(404)

    async with LocalServer(site) as srv:
        sources = [
            SourceConfig(name="xwfb", kind="listing", url=srv.url("/ywdt/xwfb/"), max_pages=3,
                         page_url="index_{n}.shtml", link_pattern=r"/ywdt/xwfb/\d{6}/t\d{8}_\d+\.shtml$",
                         interval=1800),
            SourceConfig(name="empty", kind="listing", url=srv.url("/empty/"), link_pattern="/x/", interval=1800),
            SourceConfig(name="gone", kind="listing", url=srv.url("/gone/"), link_pattern="/x/", interval=1800),
        ]
        out = io.StringIO()
        status = await check_sources(sources, FetchSettings(allow_hosts=["127.0.0.1"], per_host_interval_s=0,
                                                            max_retries=0), out)
    text = out.getvalue()
    assert status == 1
    assert (f"xwfb: ok HTTP 200, 1 items (utf-8), newest 2024-12-26, undated 0, next page "
            f"{srv.url('/ywdt/xwfb/index_1.shtml')}") in text
    assert "empty: NO ITEMS" in text and "gone: FAILED" in text
