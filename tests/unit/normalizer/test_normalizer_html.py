"""HTML pages in the common layouts of Chinese government sites, newspapers and blogs."""

from __future__ import annotations

from ecowire.normalizer import normalize
from ecowire_schemas import SourceMeta

from .conftest import check_offsets, make_raw

GOV_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>深圳召开2024年碳达峰工作推进会_深圳市生态环境局</title>
<meta name="SiteName" content="深圳市生态环境局">
<meta name="ArticleTitle" content="深圳召开2024年碳达峰工作推进会">
{pubdate}
<meta name="ContentSource" content="深圳市生态环境局">
<script>var s = "发布时间：2019年1月1日";</script>
<style>.x{{color:red}}</style>
</head><body>
<div class="top"><a href="/">首页</a> <a href="/xxgk">信息公开</a> <a href="/hdjl">互动交流</a>
<a href="/bsfw">办事服务</a></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/xw">工作动态</a> &gt; 正文</div>
<div class="article">
<h1>深圳召开2024年碳达峰工作推进会</h1>
<div class="info">{infoline}　【字体：<a>大</a> <a>中</a> <a>小</a>】</div>
<div class="TRS_Editor">
<p>　　12月11日，深圳市召开2024年碳达峰工作推进会，总结全年工作&amp;部署2025年任务。</p>
<p>　　会议指出，2024年全市单位GDP二氧化碳排放比2020年下降18%，PM<sub>2.5</sub>年均浓度为17微克/立方米，
空气质量优良天数比例达到９６.５%。</p>
<p style="text-align:center"><img src="W020241212.jpg"></p>
<p style="text-align:center">会议现场 深圳市生态环境局供图</p>
<p>　　会议要求，各区各部门要坚决扛起碳达峰责任，确保如期实现碳达峰目标。</p>
</div>
<div class="share">分享到：<a>微信</a> <a>微博</a></div>
</div>
<div class="footer">版权所有：深圳市生态环境局　粤ICP备12345678号</div>
</body></html>"""


def _gov(pubdate: str = "", infoline: str = "来源：深圳市生态环境局", url: str | None = None) -> str:
    return GOV_PAGE.format(pubdate=pubdate, infoline=infoline)


def _check_page(raw, a) -> None:  # type: ignore[no-untyped-def]
    check_offsets(raw, a)
    assert a.text.startswith(a.title + "\n\n")
    assert a.body_start == len(a.title) + 2


def test_gov_page_meta_date_title_source_and_clean_text() -> None:
    raw = make_raw(_gov(pubdate='<meta name="PubDate" content="2024-12-12 10:30">'), "text/html")
    (a,) = normalize(raw)
    _check_page(raw, a)
    assert a.title == "深圳召开2024年碳达峰工作推进会"
    assert (a.published_at, a.published_at_source) == ("2024-12-12T10:30:00", "meta")
    assert a.source == "深圳市生态环境局"
    body = a.text[a.body_start :]
    assert body.startswith("12月11日,深圳市召开") or body.startswith("12月11日，深圳市召开")
    assert "PM2.5年均浓度为17微克/立方米" in body
    assert "96.5%" in body  # full-width digits folded
    assert "总结全年工作&部署2025年任务" in body
    for junk in ("供图", "会议现场", "分享到", "版权所有", "首页", "当前位置", "字体", "2019"):
        assert junk not in body, junk
    assert body.endswith("确保如期实现碳达峰目标。")


def test_gov_page_date_from_the_info_line() -> None:
    raw = make_raw(_gov(infoline="发布时间：2024年12月12日　来源：深圳市生态环境局"), "text/html")
    (a,) = normalize(raw)
    _check_page(raw, a)
    assert (a.published_at, a.published_at_source) == ("2024-12-12", "text")


def test_gov_page_date_from_the_url() -> None:
    meta = SourceMeta(url="http://meeb.sz.gov.cn/xxgk/qt/hbxw/content/post_1/t20241213_123456.shtml")
    raw = make_raw(_gov(), "text/html", meta=meta)
    (a,) = normalize(raw)
    assert (a.published_at, a.published_at_source) == ("2024-12-13", "url")
    assert a.url == meta.url


def test_publisher_metadata_wins() -> None:
    meta = SourceMeta(published_at="2024-12-20", source="某转载网", title="深圳召开2024年碳达峰工作推进会")
    raw = make_raw(_gov(pubdate='<meta name="PubDate" content="2024-12-12">'), "text/html", meta=meta)
    (a,) = normalize(raw)
    assert (a.published_at, a.published_at_source) == ("2024-12-20", "publisher")
    assert a.source == "某转载网"


NEWSPAPER_GBK = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>长江经济带生态环境保护取得新进展-中国环境网</title>
<meta name="description" content="长江经济带">
</head><body>
<div id="nav"><a href="#">要闻</a> | <a href="#">政策</a> | <a href="#">地方</a> | <a href="#">评论</a></div>
<h1>长江经济带生态环境保护取得新进展</h1>
<div class="source">2024-11-22 08:30　来源：中国环境报　记者 章轲</div>
<div class="content">
<p>本报讯（记者 章轲）记者从生态环境部获悉，截至10月底，长江流域国控断面水质优良比例达到95.2%，同比上升1.3个百分点。</p>
<p><img src="a.jpg"><br>长江武汉段（新华社记者 李鑫 摄）</p>
<p>生态环境部有关负责人表示，下一步将持续推进长江保护修复攻坚战，
巩固提升水生态环境质量。</p>
<p>责任编辑：王芳</p>
</div>
<div class="bottom">上一篇：<a>某新闻</a>　下一篇：<a>另一新闻</a></div>
</body></html>"""


def test_gbk_newspaper_page() -> None:
    data = NEWSPAPER_GBK.encode("gbk")
    raw = make_raw(data.decode("gbk"), "text/html", encoding="gbk")
    (a,) = normalize(raw)
    _check_page(raw, a)
    assert a.title == "长江经济带生态环境保护取得新进展"
    assert (a.published_at, a.published_at_source) == ("2024-11-22T08:30:00", "text")
    assert a.source == "中国环境报"
    assert a.byline == "章轲"
    body = a.text[a.body_start :]
    assert "长江流域国控断面水质优良比例达到95.2%" in body
    assert "巩固提升水生态环境质量。" in body and "攻坚战,\n" not in body
    for junk in ("李鑫", "摄", "责任编辑", "上一篇", "要闻"):
        assert junk not in body, junk


BLOG_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>GEI参加COP29中国角边会 | 永续全球环境研究所</title>
<meta property="og:title" content="GEI参加COP29中国角边会 | 永续全球环境研究所">
<meta property="og:site_name" content="永续全球环境研究所">
<meta property="article:published_time" content="2024-11-20T09:15:00+08:00">
</head><body>
<header><nav><ul><li><a>首页</a></li><li><a>关于我们</a></li><li><a>项目</a></li><li><a>新闻</a></li></ul></nav></header>
<main><article>
<h1 class="entry-title">GEI参加COP29中国角边会</h1>
<div class="entry-meta"><time datetime="2024-11-20">2024年11月20日</time> <span>0 Comment</span></div>
<div class="entry-content">
<p>当地时间11月19日，永续全球环境研究所（GEI）在阿塞拜疆巴库举行的COP29中国角举办边会，围绕“南南合作与能源转型”展开讨论。</p>
<p>来自中国、印尼和肯尼亚的专家分享了可再生能源项目的经验，认为应当加强南南合作中的技术转移与能力建设。</p>
<figure><img src="x.jpg"><figcaption>边会现场 图片来源：GEI</figcaption></figure>
<p>GEI表示，将继续推动绿色低碳技术在发展中国家落地。</p>
</div></article></main>
<aside><h3>最新文章</h3><ul><li><a>GEI与中印尼专家考察雅加达三个工业园区</a></li></ul></aside>
<footer>Copyright © 2024 GEI. All rights reserved.</footer>
</body></html>"""


def test_blog_page() -> None:
    raw = make_raw(BLOG_PAGE, "text/html")
    (a,) = normalize(raw)
    _check_page(raw, a)
    assert a.title == "GEI参加COP29中国角边会"
    assert (a.published_at, a.published_at_source) == ("2024-11-20T09:15:00", "meta")
    assert a.source == "永续全球环境研究所"
    body = a.text[a.body_start :]
    assert body.startswith("当地时间11月19日")
    assert body.endswith("将继续推动绿色低碳技术在发展中国家落地。")
    for junk in ("Comment", "图片来源", "边会现场", "Copyright", "最新文章", "关于我们"):
        assert junk not in body, junk


BIG5_PAGE = """<html><head><meta charset="big5"><title>臺灣推動淨零排放路徑 - 環境資訊中心</title></head>
<body><h1>臺灣推動淨零排放路徑</h1>
<div class="date">發布時間：2024年3月5日</div>
<div class="article"><p>行政院今日公布淨零排放路徑，預計2050年達成淨零目標，並將擴大再生能源與儲能設施的建置。</p>
<p>環境部表示，碳費制度將於明年上路，首批徵收對象為年排放量二點五萬公噸以上的排放源。</p></div>
</body></html>"""


def test_big5_traditional_page_is_simplified_with_offsets() -> None:
    raw = make_raw(BIG5_PAGE.encode("big5").decode("big5"), "text/html", encoding="big5")
    (a,) = normalize(raw)
    _check_page(raw, a)
    assert a.original_script == "traditional"
    assert a.title == "台湾推动净零排放路径"
    assert (a.published_at, a.published_at_source) == ("2024-03-05", "text")
    assert "环境部表示,碳费制度将于明年上路" in a.text or "环境部表示，碳费制度将于明年上路" in a.text
    # Every character of the article maps back to the raw page except inserted separators.
    mapped = sum(s.length for s in a.offsets)
    assert mapped >= len(a.text) - a.text.count("\n")


def test_html_detected_without_content_type() -> None:
    raw = make_raw(BLOG_PAGE, "text/plain")
    (a,) = normalize(raw)
    assert a.title == "GEI参加COP29中国角边会"


XINHUA_STYLE = """<html><head><meta charset="utf-8"><title>我国可再生能源装机突破15亿千瓦-新华网</title>
<meta name="publishdate" content="2024-12-12"></head><body>
<div class="header">新华网 | 首页 | 时政 | 国际 | 财经</div>
<div class="main"><h1><span class="title">我国可再生能源装机突破15亿千瓦</span></h1>
<div class="info"><span class="year"><em> 2024</em></span><span class="day"><em> 12</em>/<em>12</em></span>
<span class="time"> 15:30:12</span> 来源：新华网</div>
<div id="detail"><p>　　新华社北京12月12日电（记者 戴小河）记者12日从国家能源局获悉，截至11月底，
我国可再生能源发电装机容量达到15.6亿千瓦，同比增长25%，约占全部发电装机的55%。</p>
<p>　　其中，风电装机5.2亿千瓦，太阳能发电装机8.6亿千瓦。
国家能源局有关负责人表示，可再生能源已成为我国新增发电装机的主体。</p>
<p>　　【纠错】 【责任编辑:刘亮】</p></div></div>
<div class="footer">Copyright © 2000-2024 XINHUANET.com All Rights Reserved.</div></body></html>"""


def test_wire_story_page_with_dateline_lead() -> None:
    raw = make_raw(XINHUA_STYLE, "text/html")
    (a,) = normalize(raw)
    _check_page(raw, a)
    assert a.title == "我国可再生能源装机突破15亿千瓦"
    assert (a.published_at, a.published_at_source) == ("2024-12-12", "meta")
    assert a.byline == "戴小河"
    body = a.text[a.body_start :]
    assert body.startswith("新华社北京12月12日电（记者 戴小河）记者12日从国家能源局获悉")
    assert "责任编辑" not in body and "Copyright" not in body and "时政" not in body


OLD_TABLE_PAGE = """<html><head><title>生态环境部召开部务会议 - 生态环境部</title></head><body>
<table><tr><td><a>首页</a></td><td><a>机构</a></td><td><a>新闻</a></td></tr></table>
<table><tr><td class="title">生态环境部召开部务会议</td></tr>
<tr><td>发布日期：2024-12-20　　来源：生态环境部</td></tr>
<tr><td class="content">12月19日，生态环境部部长黄润秋主持召开部务会议，
审议并原则通过《关于加强生态环境分区管控的指导意见》。</td></tr>
</table><div>版权所有 生态环境部</div></body></html>"""


def test_old_table_layout_gov_page() -> None:
    url = "https://www.mee.gov.cn/ywdt/hjywnews/202412/t20241219_1099999.shtml"
    raw = make_raw(OLD_TABLE_PAGE, "text/html", meta=SourceMeta(url=url))
    (a,) = normalize(raw)
    _check_page(raw, a)
    assert a.title == "生态环境部召开部务会议"
    # The page's own `发布日期` wins over the URL's date.
    assert (a.published_at, a.published_at_source) == ("2024-12-20", "text")
    assert a.source == "生态环境部"
    assert a.text[a.body_start :] == (
        "12月19日，生态环境部部长黄润秋主持召开部务会议，审议并原则通过《关于加强生态环境分区管控的指导意见》。"
    )


BLOG_INDEX = """<html><head><meta charset="utf-8"><title>新闻动态 | GEI</title></head><body>
<nav><a>首页</a><a>新闻</a><a>项目</a></nav>
<main>
<article>
<h2><a href="/p1">GEI成功举办非国家主体推进昆蒙框架实施座谈会</a></h2>
<div class="meta">2024-07-30 | 0 Comment</div>
<p>2024年7月29日，永续全球环境研究所（GEI）再次携手公民生物多样性联盟机构，在北京举办座谈会，
与来自中国、喀麦隆、日本、菲律宾等各国环境机构代表共同讨论OECMs的发展机遇与挑战……</p>
<a class="more">Read More</a></article>
<article><h2><a href="/p2">GEI与中印尼专家考察雅加达三个工业园区</a></h2>
<div class="meta">2024-06-20 | 0 Comment</div>
<p>2024年6月，GEI能源与气候变化项目组与中国专家前往印尼，与印尼工业部代表就绿色工业园区评价指标开展研讨会，
并于会议结束后对雅加达以东约100公里的三个工业园区进行了考察……</p>
<a class="more">Read More</a></article>
<article><h2><a href="/p3">GEI参加COP29中国角边会</a></h2>
<div class="meta">2024-11-20 | 2 Comments</div>
<p>当地时间11月19日，GEI在阿塞拜疆巴库举行的COP29中国角举办边会，围绕南南合作与能源转型展开讨论，
来自多国的专家分享了可再生能源项目的经验……</p><a class="more">Read More</a></article>
</main><footer>Copyright © 2024 GEI</footer></body></html>"""


def test_blog_index_page_split_into_dated_excerpts() -> None:
    """trafilatura keeps one block of a listing page; the page's own structure gives the items."""
    raw = make_raw(BLOG_INDEX, "text/html")
    arts = normalize(raw)
    assert [(a.title, a.published_at) for a in arts] == [
        ("GEI成功举办非国家主体推进昆蒙框架实施座谈会", "2024-07-30"),
        ("GEI与中印尼专家考察雅加达三个工业园区", "2024-06-20"),
        ("GEI参加COP29中国角边会", "2024-11-20"),
    ]
    for a in arts:
        check_offsets(raw, a)
        assert {"listing_item", "excerpt"} <= set(a.flags)
        assert "Read More" not in a.text and "Comment" not in a.text and "Copyright" not in a.text


def test_article_with_related_excerpts_is_not_a_listing() -> None:
    related = "".join(
        f"<li><h4>相关文章{i}：碳市场扩容进展</h4><p>生态环境部发布消息，全国碳市场覆盖范围扩大，新增三个行业……</p>"
        f"<a>Read More</a></li>"
        for i in range(3)
    )
    page = BLOG_PAGE.replace("<aside>", f"<aside><ul>{related}</ul>")
    (a,) = normalize(make_raw(page, "text/html"))
    assert a.title == "GEI参加COP29中国角边会"
    assert "相关文章" not in a.text
