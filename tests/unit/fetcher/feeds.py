"""Feed and listing documents for the fetcher's tests, built from the seed texts."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from tests.support import SEEDS

BODY = (SEEDS / "001_c89da7afd5c4699d.txt").read_text("utf-8")


@dataclass(frozen=True)
class Item:
    guid: str
    title: str
    link: str
    date: str  # as the feed writes it
    content: str | None = None  # full article HTML, as RSSHub puts it in <description>


def item(i: int, base: str = "https://www.mee.gov.cn", full: bool = True, date: str | None = None) -> Item:
    text = BODY[i * 200:(i + 1) * 200 + 400]
    return Item(
        guid=f"{base}/ywdt/xwfb/2024{i:04d}.shtml",
        title=f"生态环境部新闻 第{i}号",
        link=f"{base}/ywdt/xwfb/2024{i:04d}.shtml",
        date=date or f"2024-12-{10 + i % 18:02d} 16:05:00",
        content=f"<p>{escape(text)}</p>" if full else None,
    )


def rss(items: list[Item], encoding: str = "utf-8", title: str = "生态环境部 - 要闻动态") -> bytes:
    entries = "".join(
        f"<item><title>{escape(it.title)}</title><link>{escape(it.link)}</link>"
        f"<guid isPermaLink=\"false\">{escape(it.guid)}</guid><pubDate>{escape(it.date)}</pubDate>"
        + (f"<description><![CDATA[{it.content}]]></description>" if it.content else "")
        + "</item>"
        for it in items
    )
    doc = (f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>{escape(title)}</title>'
           f"<link>https://www.mee.gov.cn/</link><description>RSSHub</description>{entries}</channel></rss>")
    return doc.encode("gb18030" if encoding.lower() in ("gb2312", "gbk", "gb18030") else encoding)


def atom(items: list[Item]) -> bytes:
    entries = "".join(
        f"<entry><id>{escape(it.guid)}</id><title>{escape(it.title)}</title><link href=\"{escape(it.link)}\"/>"
        f"<updated>{escape(it.date)}</updated>"
        + (f"<content type=\"html\">{escape(it.content)}</content>" if it.content else "")
        + "</entry>"
        for it in items
    )
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>碳市场</title><id>urn:x</id><updated>2024-12-12T16:05:00+08:00</updated>{entries}</feed>").encode()


def listing(links: list[tuple[str, str, str]], encoding: str = "utf-8") -> bytes:
    """An HTML list page: (href, title, date) rows plus navigation links that are not articles."""
    rows = "".join(f'<li><a href="{escape(h)}" target="_blank">{escape(t)}</a><span>{escape(d)}</span></li>'
                   for h, t, d in links)
    html = (f'<html><head><meta charset="{encoding}"><title>要闻</title></head><body>'
            '<div class="nav"><a href="/">首页</a><a href="/about.html">关于我们</a>'
            '<a href="https://other.example.org/news/999.html">外站</a></div>'
            f'<ul class="list">{rows}</ul><div class="page"><a href="index_2.html">下一页</a></div></body></html>')
    return html.encode("gb18030" if encoding.lower() in ("gbk", "gb2312") else encoding)
