"""Plain-text layouts beyond the seeds: newspaper, notice, date-first listing, WeChat post."""

from __future__ import annotations

from ecowire.normalizer import normalize

from .conftest import check_offsets, make_raw

NEWSPAPER = """国家碳市场扩围 钢铁水泥铝冶炼纳入
本报记者 张三 李四
2024年12月12日 星期四

　　生态环境部12日发布消息，全国碳排放权交易市场覆盖范围扩大工作方案正式印发，钢铁、水泥、铝冶炼三个行业纳入。

　　据介绍，三个行业新增纳入重点排放单位约1500家，新增覆盖二氧化碳排放量约30亿吨。

(责任编辑：王五)"""


def test_newspaper_text() -> None:
    raw = make_raw(NEWSPAPER)
    (a,) = normalize(raw)
    check_offsets(raw, a)
    assert a.title == "国家碳市场扩围 钢铁水泥铝冶炼纳入"
    assert (a.published_at, a.published_at_source) == ("2024-12-12", "text")
    assert a.byline == "张三 李四"
    assert a.text.endswith("新增覆盖二氧化碳排放量约30亿吨。")
    assert "责任编辑" not in a.text and "星期四" not in a.text


NOTICE = """关于印发《某市空气质量持续改善行动计划》的通知
——聚焦PM２．５与臭氧协同控制
发布时间：2024-12-12 10:00  来源：某市生态环境局
各区人民政府，市政府各委、办、局：
现将《某市空气质量持续改善行动计划》印发给你们，请认真贯彻执行。
某市人民政府
2024年12月10日"""


def test_notice_with_subtitle_and_info_line() -> None:
    raw = make_raw(NOTICE)
    (a,) = normalize(raw)
    check_offsets(raw, a)
    assert a.title == "关于印发《某市空气质量持续改善行动计划》的通知"
    assert (a.published_at, a.published_at_source) == ("2024-12-12T10:00:00", "text")
    assert a.source == "某市生态环境局"
    body = a.text[a.body_start :]
    # The subtitle and the signature date are article text; the info line is not.
    assert body.startswith("——聚焦PM2.5与臭氧协同控制\n\n各区人民政府")
    assert body.endswith("某市人民政府\n\n2024年12月10日")
    assert "发布时间" not in body


DATE_FIRST_LISTING = """2024-12-10
关于开展2024年度环境统计工作的通知
各区生态环境局：为做好2024年度环境统计工作，现将有关事项通知如下，请各单位认真组织实施。
2024-12-09
市生态环境局召开全面从严治党工作会议
12月9日，市生态环境局召开全面从严治党工作会议，总结2024年工作，部署2025年任务。
2024-12-05
2024年11月全市空气质量状况
11月，全市空气质量优良天数比例为93.3%，PM2.5平均浓度为28微克/立方米，同比下降6.7%。"""


def test_date_first_listing() -> None:
    arts = normalize(make_raw(DATE_FIRST_LISTING))
    assert [(a.title, a.published_at) for a in arts] == [
        ("关于开展2024年度环境统计工作的通知", "2024-12-10"),
        ("市生态环境局召开全面从严治党工作会议", "2024-12-09"),
        ("2024年11月全市空气质量状况", "2024-12-05"),
    ]


WECHAT = """原創 綠色和平 綠色和平 2024年12月12日 10:00 北京
台灣淨零轉型的下一步
「淨零排放」已成為全球共識。台灣在2022年公布淨零路徑，預計2050年達成淨零目標。
專家指出，再生能源發展速度仍需加快，才能達成2030年的階段目標。
掃碼關注我們
閱讀原文
點贊 在看"""


def test_wechat_post_in_traditional() -> None:
    raw = make_raw(WECHAT)
    (a,) = normalize(raw)
    check_offsets(raw, a)
    assert a.original_script == "traditional"
    assert a.title == "台湾净零转型的下一步"
    assert (a.published_at, a.source) == ("2024-12-12T10:00:00", "绿色和平")
    assert a.text.endswith("才能达成2030年的阶段目标。")
    assert "「净零排放」已成为全球共识。" in a.text


def test_event_dates_are_not_publication_dates() -> None:
    text = "深圳举办碳市场论坛\n\n12月14日，深圳举办碳市场论坛，来自各地的专家围绕碳市场扩容展开讨论，会议持续两天。"
    (a,) = normalize(make_raw(text))
    assert a.published_at is None and a.published_at_source == "none:no_date_found"


def test_dateline_without_dated_context_has_unknown_year() -> None:
    text = "碳市场扩容\n\n新华社北京12月12日电 生态环境部12日发布消息，全国碳排放权交易市场覆盖范围将进一步扩大。"
    (a,) = normalize(make_raw(text))
    assert a.source == "新华社"
    assert a.published_at is None and a.published_at_source == "none:year_unknown"


def test_wire_dateline_year_from_the_document() -> None:
    text = ("生态环境部印发通知\n\n新华社北京1月28日电 生态环境部日前印发通知，要求做好2023年度碳排放数据质量管理工作。"
            "通知落款日期为2023年1月19日，自印发之日起施行。")
    (a,) = normalize(make_raw(text))
    assert (a.published_at, a.published_at_source, a.source) == ("2023-01-28", "dateline", "新华社")
