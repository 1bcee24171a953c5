"""The five seed documents normalize to the 15 articles a careful reader would give."""

from __future__ import annotations

import re

import pytest

from ecowire.normalizer import normalize
from ecowire.normalizer.fold import fold
from ecowire.normalizer.mapped import Mapped

from .conftest import check_offsets, make_raw, seed_text


def _norm(prefix: str):  # type: ignore[no-untyped-def]
    raw = make_raw(seed_text(prefix), doc_id=f"seed-{prefix}")
    return raw, normalize(raw)


def test_seed_article_counts() -> None:
    counts = {p: len(_norm(p)[1]) for p in ("000", "001", "002", "003", "004")}
    assert counts == {"000": 1, "001": 10, "002": 1, "003": 2, "004": 1}
    assert sum(counts.values()) == 15


def test_seed_000_magazine_feature() -> None:
    _, (a,) = _norm("000")
    assert a.title is None and "no_title" in a.flags
    assert a.byline == "申生"
    # `12月14日(当地时间)` is an event date without a year: the publication date is unknown.
    assert a.published_at is None and a.published_at_source == "none:no_date_found"
    assert a.body_start == 0
    # Layout breaks joined: the sentence broken across blank lines is whole again.
    assert (
        "是上海在推进生物多样性保护投融资工作上的一个里程碑,也是BIOFIN中国试点项目取得的可喜阶段性成果。"
    ) in a.text
    assert "用以申请由蚂蚁集团等企业捐赠资金" in a.text
    assert "更意味着全球的BIOFIN示范增添了来自上海、来自中国的试点,尤其是以城市为代表试点的重要参与和实践探索" in a.text
    # PM_{2.5} and PM₁₀ written one way.
    assert "PM_{" not in a.text and "PM₁₀" not in a.text
    assert "全区PM2.5浓度为25微克/立方米" in a.text and "PM10浓度36微克/立方米" in a.text
    # Photo captions isolated by image gaps are gone; the byline line is not in the body.
    assert "左八为上海市生态环境局党组书记" not in a.text
    assert "国外观众到展台参观了解上海展览内容" not in a.text
    assert "◆" not in a.text
    # Subheadings stay (they are article text).
    assert "\n\n上海代表团与UNDP代表举行会谈\n\n" in a.text


EXPECTED_001 = [
    ("生态环境部气候司相关负责人就《产品碳足迹核算标准编制工作指引》答记者问", "2025-01-08"),
    ("六载砥砺凝聚国际共识,引领共建地球生命共同体", "2024-12-31"),
    ("204亿!财政部提前下达2025年大气污染防治资金预算", "2024-12-24"),
    ("生态环境部部长黄润秋会见法国议员代表团", "2024-12-24"),
    ("恢复生态系统,降低干旱风险", "2024-12-19"),
    ("创新交流合作机制 打造绿色丝绸之路“智”基石", "2024-12-19"),
    ("生态环境部气候司相关负责人就《煤层气(煤矿瓦斯)排放标准》答记者问", "2024-12-12"),
    ("生态环境部部长黄润秋会见巴基斯坦旁遮普省首席部长玛里雅姆", "2024-12-12"),
    ("绿色丝路与国际合作暨“一带一路”生态环保大数据服务平台国际研讨会在广州举办", "2024-12-10"),
    ("生态环境部部长黄润秋会见瑙鲁教育、气候变化、土地管理部长阿皮", "2024-12-10"),
]


def test_seed_001_listing_split_into_dated_items() -> None:
    _, arts = _norm("001")
    assert [(a.title, a.published_at) for a in arts] == EXPECTED_001
    assert all(a.published_at_source == "listing" and "listing_item" in a.flags for a in arts)
    assert [a.index for a in arts] == list(range(10))
    # `媒体纵览 | …(新华社)`: the column goes, the wire service becomes the source.
    assert arts[5].source == "新华社"
    assert arts[9].text.endswith("双方围绕应对气候变化领域合作等议题进行深入交流。")
    for a in arts:
        assert a.text.startswith(a.title + "\n\n")
        assert "详情" not in a.text.split("\n\n")[-1][-4:]
        assert "生态文明贵阳国际论坛" not in a.text  # page preamble, not part of item 1
        assert not re.search(r"^\d{4}-\d{2}-\d{2}$", a.text, re.M)
    # Flattened paragraphs (`。  `) become paragraphs.
    assert "\n\n黄润秋介绍了中国在应对气候变化和推动绿色低碳转型方面的政策" in arts[3].text


def test_seed_002_traditional_plan() -> None:
    _, (a,) = _norm("002")
    assert a.original_script == "traditional"
    assert a.title == "上海市黄浦区印发碳达峰实施方案!"
    assert a.source == "谷腾环保网"
    # `1月28日` after `【谷腾环保网讯】获悉,` is when the notice was issued, not when this item
    # appeared: no publication date is stated.
    assert (a.published_at, a.published_at_source) == (None, "none:no_date_found")
    assert "黄浦区碳达峰实施方案" in a.text and "黃" not in a.text and "區" not in a.text
    assert "扫一扫" not in a.text and "谷腾环保网”" not in a.text
    # The paragraph the page repeats appears once; the notice's own date line stays in the text.
    assert a.text.count("“十五五”期间,产业结构和发展能级全面提升") == 1
    assert "duplicates_removed" in a.flags
    assert "\n\n2023年1月19日\n\n" in a.text


def test_seed_003_two_blog_posts() -> None:
    _, (a, b) = _norm("003")
    assert a.title == "GEI成功举办“非国家主体推进昆蒙框架实施和OECMs探索”座谈会"
    assert b.title == "GEI与中印尼专家考察雅加达三个工业园区"
    assert a.published_at is None and b.published_at is None
    for art in (a, b):
        assert "Comment" not in art.text and "Read More" not in art.text
        assert "图片来源" not in art.text
    assert "考察团与印尼工业部代表合影" not in b.text
    assert "右下:KIIC园区工程师为考察团展示污水处理智能检测系统" not in b.text
    assert "随后,宁夏清洁发展机制环境保护服务中心总工程师程志" in b.text
    assert "excerpt" in b.flags and "excerpt" not in a.flags
    assert b.text.endswith("已成为印尼政府、企业以及社会各界的焦点。")


def test_seed_004_newspaper() -> None:
    _, (a,) = _norm("004")
    assert a.title == "走出一条碳索未来的新路径"
    assert (a.published_at, a.published_at_source) == ("2024-11-22", "text")
    assert a.source == "深圳晚报"
    assert a.byline == "吴洁 黄沁"
    assert "宁杰文" not in a.text and "供图" not in a.text and "来源:" not in a.text
    assert a.text.startswith("走出一条碳索未来的新路径\n\n当地时间11月21日下午")
    assert a.text.endswith("迈向更加美好的绿色未来。")


# Raw text a careful reader would NOT keep as article text (captions, credits, markers, header
# lines that became fields, page furniture). Everything else must survive, sentence by sentence.
REMOVED: dict[str, list[str]] = {
    "000": [
        "◆申生",
        "在“上海日”活动现场,与会嘉宾和上海代表团进行合影,左八为上海市生态环境局党组书记、局长程鹏。",
        "上海市生态环境局党组书记、局长程鹏与联合国开发计划署BIOFIN项目负责人樊维诺先生为上海试点项目PIR报告揭幕。",
        "“上海日”活动当天,国外观众到展台参观了解上海展览内容。",
    ],
    "001": ["生态文明贵阳国际论坛", "详情", "媒体纵览 | ", "【IUCN报告系列】", "(新华社)"],
    "002": ["使用微信“掃一掃”功能添加“谷騰環保網”"],
    "003": [
        "0 Comment", "... Read More",
        "考察团与印尼工业部代表合影 图片来源:GEI",
        "考察团与印尼工业部代表开展研讨会 图片来源:GEI",
        "上:考察团参观KIIC园区展示厅,了解园区布局和规划 左下:考察团参观KIIC园区环境教育生态园 "
        "右下:KIIC园区工程师为考察团展示污水处理智能检测系统 图片来源:GEI",
    ],
    "004": [
        "2024-11-22", "来源:深圳晚报", "深圳湾公园 宁杰文 摄",
        "深圳参加联合国气候变化大会“中国角”。 深圳市生态环境局供图", "(吴洁 黄沁)",
    ],
}


@pytest.mark.parametrize("prefix", sorted(REMOVED))
def test_no_sentence_of_the_article_is_lost(prefix: str) -> None:
    raw, arts = _norm(prefix)
    text = raw.text
    for piece in REMOVED[prefix]:
        assert piece in text, f"test list out of date: {piece!r}"
        text = text.replace(piece, "\n")
    if prefix == "001":
        text = re.sub(r"^\d{4}-\d{2}-\d{2}$", "", text, flags=re.M)
    folded = fold(Mapped.of(text)).text
    kept = "".join("".join(a.text.split()) for a in arts)
    sentences = [s for s in re.split(r"[。！？!?\n]", folded) if s.strip()]
    missing = [s for s in sentences if "".join(s.split()) not in kept]
    assert not missing, missing[:5]


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_offsets_map_back_to_raw(prefix: str) -> None:
    raw, arts = _norm(prefix)
    for a in arts:
        check_offsets(raw, a)
        mapped = sum(s.length for s in a.offsets)
        unmapped = [c for i, c in enumerate(a.text) if not any(s.start <= i < s.start + s.length for s in a.offsets)]
        # Only inserted separators are unmapped in plain text.
        assert set(unmapped) <= {"\n"}, set(unmapped)
        assert mapped + len(unmapped) == len(a.text)


def test_ids_and_fingerprints_are_deterministic() -> None:
    raw, arts = _norm("001")
    again = normalize(raw)
    assert [a.model_dump() for a in arts] == [a.model_dump() for a in again]
    ids = {a.article_id for a in arts}
    assert len(ids) == 10
    for a in arts:
        assert len(a.content_hash) == 64 and len(a.minhash) == 64
        assert all(isinstance(v, int) and v >= 0 for v in a.minhash)
    # Same body under another doc id: same content hash, different article id.
    other = normalize(make_raw(raw.text, doc_id="elsewhere"))
    assert [a.content_hash for a in other] == [a.content_hash for a in arts]
    assert {a.article_id for a in other}.isdisjoint(ids)


def test_a_short_tail_after_the_last_blog_post_does_not_undo_the_split() -> None:
    raw = make_raw(seed_text("003") + "\n\n本文转载自GEI。\n", doc_id="tail")
    articles = normalize(raw)
    assert len(articles) == 2
    assert articles[1].text.endswith("本文转载自GEI。")


def test_a_short_closing_sentence_after_a_wide_gap_is_kept() -> None:
    articles = normalize(make_raw(seed_text("000") + "\n\n上海代表团表示将继续推进合作。\n", doc_id="close"))
    assert articles[0].text.endswith("上海代表团表示将继续推进合作。")
