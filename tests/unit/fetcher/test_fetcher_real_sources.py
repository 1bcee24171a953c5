"""deploy/sources.yaml against recorded pages: every source's configured link pattern, dates and
paging read a page built in the shape of that source's markup (tests/fixtures/sources/), and the
seed listing page (seeds/001). Nothing here reaches the internet: the pages are served from files
by `RecordedFetcher`, under the sources' real URLs."""

from __future__ import annotations

import html as html_lib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from ecowire.core.records import OutRecord
from ecowire.core.settings import Settings
from ecowire.fetcher.decode import decode_bytes
from ecowire.fetcher.http import FetchError, FetchResult, Validators
from ecowire.fetcher.poller import SourcePoller
from ecowire.fetcher.safety import HostAllowList, check_url
from ecowire.fetcher.sources import (
    SourceConfig,
    load_sources,
    next_page_url,
    page_count,
    parse_feed,
    parse_listing,
)
from ecowire.fetcher.state import StateStore
from tests.support import ROOT

SOURCES_FILE = ROOT / "deploy" / "sources.yaml"
FIXTURES = ROOT / "tests" / "fixtures" / "sources"
SEED = ROOT / "seeds" / "001_c89da7afd5c4699d.txt"
SETTINGS = Settings(topic_prefix="unit.")

ALL = {s.name: s for s in load_sources(SOURCES_FILE, include_disabled=True)}
ENABLED = {s.name: s for s in load_sources(SOURCES_FILE)}

# name: (items, first title, first link, first item's date, next page after page 1)
EXPECTED: dict[str, tuple[int, str, str, str, str | None]] = {
    "mee-xwfb": (4, "生态环境部召开12月例行新闻发布会",
                 "https://www.mee.gov.cn/ywdt/xwfb/202412/t20241226_1099101.shtml", "2024-12-26",
                 "https://www.mee.gov.cn/ywdt/xwfb/index_1.shtml"),
    "mee-hjywnews": (3, "黄河流域生态保护修复工作现场会召开",
                     "https://www.mee.gov.cn/ywdt/hjywnews/202412/t20241225_1099050.shtml", "2024-12-25",
                     "https://www.mee.gov.cn/ywdt/hjywnews/index_1.shtml"),
    "mee-dfnews": (2, "江西省开展鄱阳湖候鸟越冬期专项执法",
                   "https://www.mee.gov.cn/ywdt/dfnews/202412/t20241226_1099120.shtml", "2024-12-26",
                   "https://www.mee.gov.cn/ywdt/dfnews/index_1.shtml"),
    "mee-zcwj": (4, "关于印发《碳排放权交易市场配额分配方案》的通知",
                 "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk03/202412/t20241227_1099201.html", "2024-12-27", None),
    "mee-zcjd": (2, "《关于推进生态环境损害赔偿制度改革的意见》解读",
                 "https://www.mee.gov.cn/zcwj/zcjd/202412/t20241220_1098866.shtml", "2024-12-20",
                 None),  # its paging script says one page
    "mee-ydqhbh": (3, "全国碳市场2024年度配额清缴工作安排",
                   "https://www.mee.gov.cn/ywgz/ydqhbh/wsqtkz/202412/t20241224_1098955.shtml", "2024-12-24", None),
    "ndrc-hzs": (2, "环资司召开重点领域节能降碳改造工作座谈会",
                 "https://www.ndrc.gov.cn/fzggw/jgsj/hzs/sjdt/202412/t20241223_1395300.html", "2024-12-23",
                 "https://www.ndrc.gov.cn/fzggw/jgsj/hzs/sjdt/index_1.html"),
    "ndrc-tz": (3, "关于组织开展绿色低碳先进技术示范工程申报工作的通知",
                "https://www.ndrc.gov.cn/xxgk/zcfb/tz/202412/t20241227_1395410.html", "2024-12-27",
                "https://www.ndrc.gov.cn/xxgk/zcfb/tz/index_1.html"),
    "gd-sthjt": (3, "广东省召开2024年生态环境保护督察整改推进会",
                 "https://gdee.gd.gov.cn/ywdt/content/post_4634512.html", "2024-12-24", None),
    "zj-sthjt": (4, "【专题】美丽浙江建设",
                 "https://sthjt.zj.gov.cn/art/2024/12/27/art_1229263469_59020000.html", "2024-12-27", None),
    "js-sthjt": (2, "江苏省太湖蓝藻防控工作会议召开",
                 "https://sthjt.jiangsu.gov.cn/art/2024/12/25/art_83555_11520101.html", "2024-12-25", None),
    "bj-sthjj": (2, "北京市2024年PM2.5年均浓度预计再创新低",
                 "https://sthjj.beijing.gov.cn/bjhrb/index/xxgk69/zfxxgk43/fdzdgknr2/xwfb/436554321/index.html",
                 "2024-12-30", None),
    "sh-sthj": (2, "上海市召开碳普惠体系建设推进会",
                "https://sthj.sh.gov.cn/hbzhywpt1143/hbzhywpt1144/20241227/5c1f2a8e9b0d4e7fa1b2c3d4e5f60718.html",
                "2024-12-27", None),
    "sc-sthjt": (2, "四川省开展大熊猫国家公园生态环境监测",
                 "https://sthjt.sc.gov.cn/sthjt/c103878/2024/12/26/8a1b2c3d4e5f46a7b8c9d0e1f2a3b4c5.shtml",
                 "2024-12-26", None),
    "hb-sthjt": (2, "湖北省长江流域重点水体水质持续改善",  # GBK page, dates "[12-25]": the link's date
                 "https://sthjt.hubei.gov.cn/fbjd/dtyw/202412/t20241225_5466001.shtml", "2024-12-25", None),
    "cneeex": (2, "全国碳市场2024年12月31日收盘情况",
               "https://www.cneeex.com/c/2024-12-31/495123.shtml", "2024-12-31", None),
    "cnemission": (2, "关于广东省碳排放配额有偿发放的公告",
                   "https://www.cnemission.com/article/news/jysgg/202412/20241200003456.shtml", "2024-12-27", None),
    "cbeex": (2, "北京绿色交易所发布2024年北京碳市场年度报告",
              "https://www.cbeex.com.cn/article/xxfb/xwdt/202412/20241200012001.shtml", "2024-12-26", None),
}


def fixture_for(name: str, page: int = 1) -> Path:
    suffix = ".xml" if ALL[name].kind == "feed" else ".html"
    return FIXTURES / (f"{name}{suffix}" if page == 1 else f"{name}.p{page}{suffix}")


class RecordedFetcher:
    """Serves recorded pages under the sources' URLs; anything else is a 404 `FetchError`."""

    def __init__(self, pages: dict[str, bytes], content_type: str = "text/html") -> None:
        self.pages = dict(pages)
        self.content_type = content_type
        self.requested: list[tuple[str, Validators | None]] = []

    async def fetch(self, url: str, validators: Validators | None = None, robots: bool = True) -> FetchResult:
        self.requested.append((url, validators))
        if url not in self.pages:
            raise FetchError("http_error", f"{url}: HTTP 404", status=404)
        return FetchResult(url, url, 200, self.pages[url], self.content_type, None, None, 0, 1.0, 1)

    @property
    def urls(self) -> list[str]:
        return [u for u, _ in self.requested]


def recorded_pages(name: str) -> dict[str, bytes]:
    """The source's recorded pages under their URLs: page 1 at `url`, page n at its page_url."""
    src = ALL[name]
    pages = {src.url: fixture_for(name).read_bytes()}
    for n in range(2, src.max_pages + 1):
        if fixture_for(name, n).exists():
            assert src.page_url, name
            url = src.url + src.page_url.replace("{n}", str(n - 1)).replace("{page}", str(n))
            pages[url] = fixture_for(name, n).read_bytes()
    return pages


class Collector:
    def __init__(self) -> None:
        self.records: list[OutRecord] = []

    async def __call__(self, records: list[OutRecord]) -> None:
        self.records.extend(records)


# --- the sources file ------------------------------------------------------------------------


def test_the_sources_file_lists_real_sources_of_the_domain_on_by_default() -> None:
    hosts = {s.url.split("/")[2] for s in ENABLED.values()}
    assert {"www.mee.gov.cn", "www.ndrc.gov.cn"} <= hosts
    publishers = {s.source for s in ENABLED.values()}
    assert {"生态环境部", "国家发展改革委", "上海环境能源交易所", "广州碳排放权交易中心"} <= publishers
    assert sum(1 for p in publishers if p and ("省" in p or "市" in p) and "生态环境" in p) >= 5  # provinces
    assert any(s.kind == "feed" for s in ENABLED.values())
    assert len(ENABLED) >= 15
    for s in ENABLED.values():
        assert s.url.startswith("https://"), s.name
        assert "example" not in s.url, s.name
        assert s.source, s.name
        assert s.robots, f"{s.name}: robots.txt is obeyed for public sites"


def test_every_source_is_polled_politely() -> None:
    for s in ALL.values():
        gov = s.url.split("/")[2].endswith(".gov.cn")
        assert s.interval_s >= (1800 if gov else 3600), f"{s.name}: interval {s.interval_s}s"
        assert s.max_pages <= 3, s.name
        assert s.jitter > 0, s.name


def test_the_file_says_its_urls_were_not_checked_here() -> None:
    text = SOURCES_FILE.read_text("utf-8")
    assert "NOT CHECKED FROM THE BUILD MACHINE" in text
    assert "ecowire sources --check" in text


def test_every_source_host_passes_the_fetch_guard_without_an_exemption() -> None:
    """Public hosts need no ECOWIRE_FETCH_ALLOW_HOSTS entry (that list exempts private addresses
    from the refusal); they pass the URL check with the default, empty list."""
    for s in ALL.values():
        assert check_url(s.url, HostAllowList()) == s.url.split("/")[2]


def test_every_enabled_source_has_a_recorded_page_and_expectations() -> None:
    for name, src in ENABLED.items():
        assert fixture_for(name).exists(), f"no recorded page for {name}"
        assert src.kind == "feed" or name in EXPECTED, name


# --- each source's recorded page ------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_source_reads_its_recorded_page(name: str) -> None:
    src = ALL[name]
    count, title, link, day, nxt = EXPECTED[name]
    decoded = decode_bytes(fixture_for(name).read_bytes(), "text/html")
    items = parse_listing(decoded.text, src.url, src)
    assert len(items) == count, [i.title for i in items]
    assert (items[0].title, items[0].link, items[0].published) == (title, link, day)
    assert all(i.published and i.published.startswith("2024-1") for i in items), [i.published for i in items]
    assert all(i.link and urlsplit(i.link).hostname == urlsplit(src.url).hostname for i in items)
    assert len({i.link for i in items}) == count
    assert next_page_url(decoded.text, src.url, src, 1) == nxt


def test_navigation_and_other_sections_are_not_items() -> None:
    src = ALL["mee-xwfb"]
    text = fixture_for("mee-xwfb").read_text("utf-8")
    links = {i.link for i in parse_listing(text, src.url, src)}
    assert all("/ywdt/xwfb/2024" in (u or "") for u in links)


def test_the_gbk_page_is_decoded() -> None:
    decoded = decode_bytes(fixture_for("hb-sthjt").read_bytes(), "text/html")
    assert decoded.encoding == "gb18030" and "湖北省长江流域" in decoded.text


def test_the_feed_source_reads_its_recorded_feed() -> None:
    src = ALL["dialogue-earth-zh"]
    items, _ = parse_feed(fixture_for(src.name).read_bytes(), src.url, src.tz, "application/rss+xml")
    assert [i.link for i in items] == ["https://dialogue.earth/zh/4/112233/", "https://dialogue.earth/zh/5/112200/"]
    assert items[0].published == "2024-12-27T02:30:00+00:00"
    assert items[0].content_html and "全国碳排放权交易市场" in items[0].content_html


def test_page_counts_of_the_paging_scripts() -> None:
    assert page_count('<script>var countPage = 34; createPageHTML(countPage, 0, "index", "shtml");</script>') == 34
    assert page_count("<script>createPageHTML('8', '0', 'index', 'html');</script>") == 8
    assert page_count("<p>no script</p>") is None


def test_page_url_placeholders_and_the_bound() -> None:
    src = SourceConfig(name="x", kind="listing", url="https://www.example.gov.cn/list/", link_pattern="/a/",
                       page_url="?page={page}", max_pages=3)
    assert next_page_url("", src.url, src, 1) == "https://www.example.gov.cn/list/?page=2"
    assert next_page_url("", src.url, src, 2) == "https://www.example.gov.cn/list/?page=3"
    assert next_page_url("", src.url, src, 3) is None  # max_pages
    with pytest.raises(ValueError, match="page_url"):
        SourceConfig(name="x", kind="listing", url="https://a.cn/", link_pattern="/a/", page_url="index.html")
    with pytest.raises(ValueError, match="listings"):
        SourceConfig(name="x", kind="feed", url="https://a.cn/feed", max_pages=2)
    with pytest.raises(ValueError, match="three groups"):
        SourceConfig(name="x", kind="listing", url="https://a.cn/", link_pattern="/a/", link_date=r"(\d{8})")


# --- the seed listing page -------------------------------------------------------------------


def seed_blocks() -> list[tuple[str, str, str]]:
    """(title, summary, date) of the ten items of seeds/001, the text of a news listing page."""
    lines = SEED.read_text("utf-8").splitlines()
    body = lines[1:]  # the site's name first
    blocks = [body[i:i + 4] for i in range(0, len(body), 4)]
    assert all(b[2].strip() == "详情" for b in blocks)
    return [(b[0].strip(), b[1].strip(), b[3].strip()) for b in blocks]


SEED_SOURCE = SourceConfig(name="seed-listing", kind="listing", url="https://www.ecoforum.example/news/",
                           source="生态文明贵阳国际论坛", link_pattern=r"/news/\d{4}-\d{2}-\d{2}/\d+\.html$",
                           max_pages=2)


def seed_listing_html() -> str:
    """seeds/001 as the HTML listing it was read from: per item a title link, the summary, a
    详情 (details) link to the same article and the date, then a 下一页 (next page) link."""
    items = []
    for n, (title, summary, day) in enumerate(seed_blocks()):
        href = f"/news/{day}/{1000 - n}.html"
        items.append(f'<li class="news-item"><h3><a href="{href}">{html_lib.escape(title)}</a></h3>'
                     f'<p class="summary">{html_lib.escape(summary)}</p>'
                     f'<a class="more" href="{href}">详情</a><span class="time">{day}</span></li>')
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>新闻动态-生态文明贵阳国际论坛</title></head>"
            "<body><div class='logo'><a href='/'>生态文明贵阳国际论坛</a></div><ul class='news-list'>"
            + "\n".join(items)
            + "</ul><div class='pager'><span>1</span> <a href='?page=2'>2</a> <a href='?page=2'>下一页</a></div>"
              "</body></html>")


def test_the_seed_listing_page_gives_its_ten_dated_items() -> None:
    items = parse_listing(seed_listing_html(), SEED_SOURCE.url, SEED_SOURCE)
    expected = seed_blocks()
    assert len(items) == len(expected) == 10
    assert [i.title for i in items] == [t for t, _, _ in expected]
    # The 7th summary begins "2024年12月1日,…": the item's date is the one standing alone (2024-12-12).
    assert [i.published for i in items] == [d for _, _, d in expected]
    assert items[6].published == "2024-12-12"
    assert next_page_url(seed_listing_html(), SEED_SOURCE.url, SEED_SOURCE, 1) == "https://www.ecoforum.example/news/?page=2"
    assert next_page_url(seed_listing_html(), SEED_SOURCE.url, SEED_SOURCE, 2) is None  # max_pages


# --- paging in the poller --------------------------------------------------------------------


def poller_for(name: str, pages: dict[str, bytes] | None = None, **over: Any
               ) -> tuple[SourcePoller, SourceConfig, RecordedFetcher, Collector]:
    src = ALL[name].model_copy(update=over)
    fetcher = RecordedFetcher(pages if pages is not None else recorded_pages(name))
    out = Collector()
    return SourcePoller([src], fetcher, StateStore(), out, SETTINGS), src, fetcher, out  # type: ignore[arg-type]


MEE_PAGES = ["https://www.mee.gov.cn/ywdt/xwfb/", "https://www.mee.gov.cn/ywdt/xwfb/index_1.shtml",
             "https://www.mee.gov.cn/ywdt/xwfb/index_2.shtml"]


async def test_the_first_poll_reads_every_page_up_to_the_bound() -> None:
    poller, src, fetcher, out = poller_for("mee-xwfb")
    result = await poller.poll_once(src)
    assert fetcher.urls == MEE_PAGES
    # 4 + 3 + 2 items, one of them listed on pages 1 and 2: 8 articles, published oldest first.
    assert result.items == 8 and result.published == 8
    links = [r.value.url for r in out.records]  # type: ignore[attr-defined]
    assert len(set(links)) == 8
    assert links[0].endswith("t20241108_1096650.shtml") and links[-1].endswith("t20241226_1099101.shtml")


async def test_a_later_poll_stops_at_the_first_page_without_new_items() -> None:
    poller, src, fetcher, out = poller_for("mee-xwfb")
    await poller.poll_once(src)
    fetcher.requested.clear()
    again = await poller.poll_once(src)
    assert fetcher.urls == MEE_PAGES[:1] and again.published == 0

    # One new article on page 1: page 2 is read (everything on it was seen), page 3 is not.
    page1 = fetcher.pages[MEE_PAGES[0]].decode("utf-8").replace(
        '<ul id="div">',
        '<ul id="div">\n<li><a href="./202412/t20241230_1099300.shtml">生态环境部发布年度十大进展</a>'
        '<span class="date">2024-12-30</span></li>')
    fetcher.pages[MEE_PAGES[0]] = page1.encode("utf-8")
    fetcher.requested.clear()
    out.records.clear()
    third = await poller.poll_once(src)
    assert fetcher.urls == MEE_PAGES[:2]
    assert third.published == 1 and out.records[0].value.url.endswith("t20241230_1099300.shtml")  # type: ignore[attr-defined]


async def test_max_pages_bounds_the_paging() -> None:
    poller, src, fetcher, _ = poller_for("mee-xwfb", max_pages=2)
    result = await poller.poll_once(src)
    assert fetcher.urls == MEE_PAGES[:2] and result.items == 6


async def test_the_paging_script_ends_the_paging_before_the_bound() -> None:
    poller, src, fetcher, _ = poller_for("ndrc-hzs", max_pages=2)
    await poller.poll_once(src)
    assert fetcher.urls == ["https://www.ndrc.gov.cn/fzggw/jgsj/hzs/sjdt/",
                            "https://www.ndrc.gov.cn/fzggw/jgsj/hzs/sjdt/index_1.html"]
    poller, src, fetcher, _ = poller_for("mee-zcjd")  # createPageHTML says one page
    await poller.poll_once(src)
    assert fetcher.urls == ["https://www.mee.gov.cn/zcwj/zcjd/"]


async def test_a_missing_next_page_keeps_the_items_read_so_far() -> None:
    pages = recorded_pages("mee-xwfb")
    del pages[MEE_PAGES[2]]
    poller, src, fetcher, _ = poller_for("mee-xwfb", pages)
    result = await poller.poll_once(src)
    assert fetcher.urls == MEE_PAGES and result.items == 6 and result.error is None


async def test_a_next_link_is_followed_when_there_is_no_template() -> None:
    page2 = ('<html><body><ul><li><a href="/news/2024-12-01/900.html">更早的一条</a>'
             '<span>2024-12-01</span></li></ul></body></html>')
    pages = {SEED_SOURCE.url: seed_listing_html().encode("utf-8"), SEED_SOURCE.url + "?page=2": page2.encode("utf-8")}
    fetcher = RecordedFetcher(pages)
    poller = SourcePoller([SEED_SOURCE], fetcher, StateStore(), Collector(), SETTINGS)  # type: ignore[arg-type]
    result = await poller.poll_once(SEED_SOURCE)
    assert fetcher.urls == list(pages) and result.items == 11


def test_the_local_demo_polls_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """`make run` (ecowire run) starts the fetcher with the environment it was given plus the
    shared settings: no sources file, so no polling, unless the user sets one."""
    from ecowire.fetcher.settings import FetchSettings

    for var in ("ECOWIRE_FETCH_SOURCES_FILE", "ECOWIRE_SOURCES_FILE"):
        monkeypatch.delenv(var, raising=False)
    assert FetchSettings().sources_file is None
    assert not any("SOURCES" in k for k in Settings().to_env())
