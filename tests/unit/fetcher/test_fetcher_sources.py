"""Sources file, feed dates, feed and listing items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ecowire.fetcher.sources import (
    FeedError,
    SourceConfig,
    SourcesFileError,
    item_doc_id,
    load_sources,
    parse_duration,
    parse_feed,
    parse_feed_date,
    parse_listing,
    parse_tz,
)
from ecowire_schemas.ingest import IngestRequest
from tests.support import ROOT
from tests.unit.fetcher.feeds import atom, item, listing, rss

CST = timezone(timedelta(hours=8))


@pytest.mark.parametrize(("raw", "expected"), [
    ("2024-12-12 16:05:00", datetime(2024, 12, 12, 16, 5, tzinfo=CST)),  # naive: the source's zone
    ("2024-12-12T16:05:00", datetime(2024, 12, 12, 16, 5, tzinfo=CST)),
    ("2024/12/12 16:05", datetime(2024, 12, 12, 16, 5, tzinfo=CST)),
    ("2024年12月12日 16:05", datetime(2024, 12, 12, 16, 5, tzinfo=CST)),
    ("2024年12月12日", datetime(2024, 12, 12, tzinfo=CST)),
    ("Thu, 12 Dec 2024 08:05:00 GMT", datetime(2024, 12, 12, 8, 5, tzinfo=UTC)),  # RSSHub's pubDate
    ("Thu, 12 Dec 2024 16:05:00 +0800", datetime(2024, 12, 12, 16, 5, tzinfo=CST)),
    ("Thu, 12 Dec 2024 16:05:00 -0000", datetime(2024, 12, 12, 16, 5, tzinfo=CST)),  # -0000: zone unknown
    ("2024-12-12T08:05:00Z", datetime(2024, 12, 12, 8, 5, tzinfo=UTC)),
    ("2024-12-12T16:05:00+08:00", datetime(2024, 12, 12, 16, 5, tzinfo=CST)),
    ("2024-12-12 16:05:00 +0000", datetime(2024, 12, 12, 16, 5, tzinfo=UTC)),  # the feed says otherwise
    ("not a date", None), ("", None), (None, None),
])
def test_feed_dates(raw: str | None, expected: datetime | None) -> None:
    got = parse_feed_date(raw, CST)
    assert got == expected
    if expected is not None:
        assert got is not None and got.utcoffset() == expected.utcoffset()


def test_naive_dates_follow_the_configured_zone() -> None:
    assert parse_feed_date("2024-12-12 16:05:00", parse_tz("UTC")) == datetime(2024, 12, 12, 16, 5, tzinfo=UTC)
    assert parse_tz("UTC+8") == CST and parse_tz("-0500").utcoffset(None) == timedelta(hours=-5)
    with pytest.raises(ValueError):
        parse_tz("Asia/Shanghai-ish")


def test_durations() -> None:
    assert [parse_duration(v) for v in (90, "90", "90s", "15m", "2h", "1d", "1.5h")] == [
        90, 90, 90, 900, 7200, 86400, 5400]
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_the_example_sources_file_loads() -> None:
    sources = load_sources(ROOT / "deploy" / "sources.example.yaml")
    assert len(sources) >= 3 and {s.kind for s in sources} == {"feed", "listing"}
    assert all(s.interval_s >= 60 for s in sources)


def test_sources_file_defaults_and_errors(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(
        "defaults: {interval: 10m, timezone: '+08:00'}\n"
        "sources:\n"
        "  - {name: a, url: 'https://a.example/feed'}\n"
        "  - {name: b, url: 'https://b.example/list', kind: listing, link_pattern: '/art/\\d+', interval: 1h}\n"
        "  - {name: c, url: 'https://c.example/feed', enabled: false}\n", "utf-8")
    a, b = load_sources(f)
    assert (a.interval_s, b.interval_s, a.kind, b.kind) == (600, 3600, "feed", "listing")
    for bad in (
        "sources: [{name: a, url: 'ftp://x/feed'}]",
        "sources: [{name: a, url: 'https://x/feed', interval: 5s}]",
        "sources: [{name: a, url: 'https://x/l', kind: listing}]",  # a listing needs its link pattern
        "sources: [{name: a, url: 'https://x/f'}, {name: a, url: 'https://y/f'}]",
        "sources: [{name: 'Bad Name', url: 'https://x/f'}]",
        "sources: [{name: a, url: 'https://x/f', typo_field: 1}]",
        "sources: [{name: a, url: 'https://x/f'",
    ):
        f.write_text(bad, "utf-8")
        with pytest.raises(SourcesFileError):
            load_sources(f)


def test_rss_items_with_naive_dates_and_full_content() -> None:
    items, encoding = parse_feed(rss([item(0), item(1)]), "https://rsshub.example/mee", CST)
    assert [i.title for i in items] == ["生态环境部新闻 第0号", "生态环境部新闻 第1号"]
    assert items[0].published == "2024-12-10T16:05:00+08:00"
    assert items[0].content_html is not None and "生态" in items[0].content_html
    assert items[0].key == item(0).guid and encoding == "utf-8"


def test_gb2312_declared_feed() -> None:
    items, encoding = parse_feed(rss([item(2)], encoding="gb2312"), "https://x.example/feed", CST)
    assert items[0].title == "生态环境部新闻 第2号" and encoding == "gb18030"


def test_atom_items() -> None:
    items, _ = parse_feed(atom([item(3, date="2024-12-12T16:05:00+08:00"), item(4, full=False)]), "https://x/", CST)
    assert items[0].published == "2024-12-12T16:05:00+08:00" and items[0].content_html
    assert items[1].content_html is None and items[1].link == item(4).link


def test_not_a_feed() -> None:
    with pytest.raises(FeedError):
        parse_feed(b"<html><body>not a feed</body></html>", "https://x/", CST)


def test_listing_links_titles_and_dates() -> None:
    src = SourceConfig(name="l", kind="listing", url="https://www.example.gov.cn/news/",
                       link_pattern=r"/news/\d+\.html$")
    page = listing([("/news/101.html", "关于印发《碳足迹指引》的通知", "2024-12-12"),
                    ("102.html", "生态环境部召开新闻发布会", "[2024/12/11]"),
                    ("/news/101.html", "重复链接", "2024-12-12")], "gbk")
    items = parse_listing(page.decode("gb18030"), src.url, src)
    assert [i.link for i in items] == ["https://www.example.gov.cn/news/101.html", "https://www.example.gov.cn/news/102.html"]
    assert items[0].title == "关于印发《碳足迹指引》的通知" and items[0].published == "2024-12-12"
    assert items[1].published == "2024-12-11"


def test_item_doc_ids_match_url_ingest() -> None:
    it = parse_feed(rss([item(5)]), "https://x/", CST)[0][0]
    assert item_doc_id("mee", it) == IngestRequest(url=item(5).link).effective_doc_id()
