"""The normalizer's pieces: dates, folding, offsets, fields, debris, fingerprints."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecowire.normalizer import dates, debris, fields
from ecowire.normalizer.fingerprint import content_hash, jaccard, minhash
from ecowire.normalizer.fold import fold, fold_chars, t2s, width_fold
from ecowire.normalizer.layout import Line, classify, paragraphs, split_lines
from ecowire.normalizer.mapped import Mapped

from .conftest import seed_text


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("发布时间：2024年12月12日", "2024-12-12"),
        ("发布日期:2024-12-12 10:30", "2024-12-12T10:30:00"),
        ("时间：2024/1/5", "2024-01-05"),
        ("成文日期：二〇二四年十二月十二日", "2024-12-12"),
        ("发布时间：2024年13月12日", None),
        ("今年12月14日举行", None),
    ],
)
def test_labelled_dates(text: str, iso: str | None) -> None:
    assert dates.labelled_date(text) == iso


@pytest.mark.parametrize(
    ("line", "iso"),
    [("2024-11-22", "2024-11-22"), ("2024年12月12日", "2024-12-12"), ("[2024-12-10]", "2024-12-10"),
     ("2024-12-10 会议", None), ("2024年", None), ("1999-02-30", None)],
)
def test_date_lines(line: str, iso: str | None) -> None:
    assert dates.date_line(line) == iso


@pytest.mark.parametrize(
    ("url", "iso"),
    [
        ("https://www.mee.gov.cn/ywdt/xwfb/202412/t20241212_1098765.shtml", "2024-12-12"),
        ("http://www.news.cn/2024-11/22/c_1130.htm", "2024-11-22"),
        ("https://example.com/news/20240305/abc.html", "2024-03-05"),
        ("https://example.com/about.html", None),
        (None, None),
    ],
)
def test_url_dates(url: str | None, iso: str | None) -> None:
    assert dates.url_date(url) == iso


def test_month_day_needs_a_dated_context() -> None:
    from datetime import date

    assert dates.resolve_year((12, 14), []) is None
    assert dates.resolve_year((1, 28), [date(2023, 1, 19)]) == date(2023, 1, 28)
    assert dates.resolve_year((1, 5), [date(2023, 12, 28)]) == date(2024, 1, 5)  # next January
    assert dates.resolve_year((3, 1), [date(2022, 5, 1), date(2023, 5, 1)]) is None  # two years: unknown


def test_publisher_dates_normalised() -> None:
    assert dates.normalize_iso("2024-12-12") == "2024-12-12"
    assert dates.normalize_iso("2024-12-12 08:30") == "2024-12-12T08:30:00"
    assert dates.normalize_iso("2024年12月12日") == "2024-12-12"
    assert dates.normalize_iso("yesterday") is None


def test_width_folding_is_an_explicit_table_not_nfkc() -> None:
    assert width_fold("ＰＭ２．５ ＣＯ２ ９６％") == "PM2.5 CO2 96%"
    assert width_fold("①②③ m² ㎡ ，。") == "①②③ m² ㎡ ，。"  # NFKC would rewrite these


def test_t2s_keeps_length_per_character() -> None:
    trad = "臺灣環境部發布淨零排放路徑，碳費制度於明年上路；乾隆年間的頭髮與理髮"
    out = t2s(trad)
    assert len(out) == len(trad)
    assert out.startswith("台湾环境部发布净零排放路径")


@pytest.mark.parametrize(
    "src", ["PM_{2.5}", "PM₂.₅", "PM2.5", "PM 2.5", "ＰＭ２.５", "PM_{ 2.5 }", "pm2.5"],
)
def test_pm25_written_one_way(src: str) -> None:
    out = fold(Mapped.of(f"全区{src}浓度")).text
    assert out.upper() == "全区PM2.5浓度"


def test_pm10_and_formulas() -> None:
    assert fold(Mapped.of("PM₁₀和PM_{10}与CO₂、SO_{2}")).text == "PM10和PM10与CO2、SO2"


_PIECES = st.sampled_from(
    ["臺灣", "環境", "PM_{2.5}", "PM₂.₅", "ＡＢＣ１２３", "碳排放", "\n\n", " ", "發展", "CO₂", "，"]
)


@settings(max_examples=100, deadline=None)
@given(st.lists(_PIECES, max_size=25))
def test_fold_keeps_the_map_to_the_raw_text(pieces: list[str]) -> None:
    raw = "".join(pieces)
    out = fold(Mapped.of(raw))
    for seg in out.segments():
        got = out.text[seg.start : seg.start + seg.length]
        assert got == fold_chars(raw[seg.orig_start : seg.orig_start + seg.length])
    assert all(p >= 0 for p in out.pos)
    assert "_{" not in out.text and "₂" not in out.text


def test_segments_cover_joins_and_inserted_text() -> None:
    a = Mapped.of("标题", 10)
    b = Mapped.of("正文第一句。", 20)
    m = a + Mapped.inserted("\n\n") + b
    segs = m.segments()
    assert [(s.start, s.orig_start, s.length) for s in segs] == [(0, 10, 2), (4, 20, 6)]


def test_mapped_delete_and_strip() -> None:
    m = Mapped.of("  一二三四五  ", 5).strip()
    assert (m.text, m.pos[0]) == ("一二三四五", 7)
    d = m.delete([(1, 2), (3, 4)])
    assert d.text == "一三五" and d.pos.tolist() == [7, 9, 11]


@pytest.mark.parametrize(
    "line",
    ["深圳湾公园 宁杰文 摄", "深圳参加联合国气候变化大会“中国角”。 深圳市生态环境局供图", "图片来源:GEI",
     "长江武汉段（新华社记者 李鑫 摄）", "图/视觉中国", "摄影：张三"],
)
def test_credit_captions(line: str) -> None:
    assert debris.is_credit_caption(line)


@pytest.mark.parametrize(
    "line",
    ["会议要求各区各部门要坚决扛起碳达峰责任。", "来源于生活的绿色实践", "他拍摄了大量照片记录红树林的变化情况。"],
)
def test_not_captions(line: str) -> None:
    assert not debris.is_credit_caption(line)


@pytest.mark.parametrize(
    "line",
    ["使用微信“扫一扫”功能添加“谷腾环保网”", "分享到：微信 微博", "版权所有：深圳市生态环境局", "首页 > 新闻 > 正文",
     "责任编辑：王芳", "首页 机构概况 信息公开 政务服务 互动交流"],
)
def test_footer_lines(line: str) -> None:
    assert debris.is_footer(line)


def test_footer_rule_never_drops_a_long_paragraph() -> None:
    para = "会议强调，要扫一扫清障碍，" + "推动生态环境质量持续改善，" * 10
    assert not debris.is_footer(para)


def test_markers() -> None:
    assert debris.is_comment("0 Comment") and debris.is_comment("12 Comments") and debris.is_comment("3条评论")
    assert debris.is_more("Read More") and debris.is_more("详情") and debris.is_more("阅读全文>>")
    assert not debris.is_more("详情请见附件。")


def test_bylines_and_sources() -> None:
    assert fields.byline_line("◆申生") == "申生"
    assert fields.byline_line("记者 章轲") == "章轲"
    assert fields.byline_line("作者：张三、李四") == "张三 李四"
    assert fields.closing_byline("(吴洁 黄沁)") == "吴洁 黄沁"
    assert fields.closing_byline("(一)主要目标") is None
    assert fields.source_line("来源:深圳晚报") == "深圳晚报"
    info = fields.info_line("发布时间：2024-12-12 10:00　来源：生态环境部　作者：王芳　【字体：大 中 小】")
    assert info is not None
    assert (info.date, info.source, info.byline) == ("2024-12-12T10:00:00", "生态环境部", "王芳")
    assert fields.info_line("会议指出，来源于基层的经验要及时总结推广，时间紧任务重。") is None


def test_news_leads() -> None:
    assert fields.lead_fields("【谷腾环保网讯】获悉,1月28日,上海市") == ("谷腾环保网", None, None)
    assert fields.lead_fields("新华社北京12月12日电（记者 李鑫）生态环境部") == ("新华社", "李鑫", (12, 12))
    assert fields.lead_fields("本报讯（记者 章轲）记者从") == (None, "章轲", None)
    assert fields.lead_fields("12月12日，生态环境部召开") == (None, None, None)


@pytest.mark.parametrize(
    ("title", "clean"),
    [
        ("深圳召开碳达峰推进会_深圳市生态环境局", "深圳召开碳达峰推进会"),
        ("GEI参加COP29中国角边会 | 永续全球环境研究所", "GEI参加COP29中国角边会"),
        ("长江经济带生态环境保护取得新进展-中国环境网", "长江经济带生态环境保护取得新进展"),
        ("外滩-滨江低碳发展示范区建设方案", "外滩-滨江低碳发展示范区建设方案"),
        ("黄浦区碳达峰实施方案", "黄浦区碳达峰实施方案"),
    ],
)
def test_site_suffix(title: str, clean: str) -> None:
    assert fields.strip_site_suffix(title) == clean


def test_clean_title() -> None:
    t = fields.clean_title("媒体纵览 | 创新交流合作机制 打造绿色丝绸之路“智”基石(新华社)")
    assert (t.text, t.source) == ("创新交流合作机制 打造绿色丝绸之路“智”基石", "新华社")
    assert fields.clean_title("【IUCN报告系列】恢复生态系统,降低干旱风险").text == "恢复生态系统,降低干旱风险"
    assert fields.clean_title("204亿!财政部提前下达2025年大气污染防治资金预算").text.startswith("204亿!")


def _paras(text: str) -> list[str]:
    lines = split_lines(Mapped.of(text))
    classify(lines)
    body: list[Line] = [ln for ln in lines if ln.kind == "text"]
    return [p.text for p in paragraphs(body)[0]]


def test_layout_break_joined_but_headings_kept() -> None:
    long = (
        "柏国强在会谈中表示,上海是BIOFIN中国项目中第一个试点城市,"
        "这也是我国第一次把生物多样性金融写入法律文件,也是BIOFIN中国"
    )
    text = f"{long}\n\n试点项目取得的可喜阶段性成果。\n\n上海代表团与UNDP代表举行会谈\n\n当地时间12月13日,会谈举行。"
    assert _paras(text) == [
        long + "试点项目取得的可喜阶段性成果。", "上海代表团与UNDP代表举行会谈", "当地时间12月13日,会谈举行。",
    ]


def test_flattened_paragraphs_split_and_inline_captions_dropped() -> None:
    text = "会议指出,要加快推进。 考察团合影 图片来源:GEI 随后,专家介绍了经验。  双方进行了讨论。"
    assert _paras(text) == ["会议指出,要加快推进。", "随后,专家介绍了经验。", "双方进行了讨论。"]


def test_exact_repeated_paragraphs_dropped_once() -> None:
    p = "“十五五”期间,产业结构和发展能级全面提升,能源利用水平再上新台阶。"
    assert _paras(f"{p}\n中间一段文字也很重要,不能丢掉。\n{p}") == [p, "中间一段文字也很重要,不能丢掉。"]


def test_fingerprints() -> None:
    body = seed_text("004")
    assert content_hash(body) == content_hash(body.replace("。", "。\n\n"))  # whitespace-insensitive
    a, b = minhash(body), minhash(body + "另外补充一句话。")
    assert len(a) == 64 and a == minhash(body)
    assert jaccard(a, b) > 0.7
    assert jaccard(a, minhash("完全不同的一篇关于海洋保护的文章内容。" * 5)) < 0.3
    assert minhash("") == []


def test_signature_works_with_datasketch() -> None:
    from datasketch import MinHash, MinHashLSH

    body = seed_text("004")
    near = body.replace("深圳", "深圳市", 3) + "补充一句。"
    a = MinHash(num_perm=64, seed=1, hashvalues=minhash(body), scheme="legacy")
    b = MinHash(num_perm=64, seed=1, hashvalues=minhash(near), scheme="legacy")
    c = MinHash(num_perm=64, seed=1, hashvalues=minhash(seed_text("003")), scheme="legacy")
    assert a.jaccard(b) > 0.8 and a.jaccard(c) < 0.2
    lsh = MinHashLSH(threshold=0.7, num_perm=64)
    lsh.insert("a", a)
    assert lsh.query(b) == ["a"] and lsh.query(c) == []


def test_minhash_estimates_shingle_jaccard() -> None:
    s1 = seed_text("000")[:3000]
    s2 = s1[:2000] + seed_text("002")[:1000]
    sh = [{x[i : i + 3] for i in range(len(x) - 2)} for x in ("".join(s1.split()), "".join(s2.split()))]
    true = len(sh[0] & sh[1]) / len(sh[0] | sh[1])
    est = jaccard(minhash(s1, num_perm=128), minhash(s2, num_perm=128))
    assert abs(est - true) < 0.15
