"""Documents: titles, aliases, issuer, action, date, back-references; media and videos excluded."""

from __future__ import annotations

from ecowire.extractor import extract

from .helpers import by_type, make_article


def _docs(body: str, published_at: str | None = "2025-01-08") -> list:
    return by_type(extract(make_article(body, published_at=published_at)), "document")


def test_alias_issuer_action() -> None:
    docs = _docs("近日，生态环境部联合国家发展改革委等相关部门印发《产品碳足迹核算标准编制工作指引》"
                 "(以下简称《工作指引》)。《工作指引》提出四方面任务。")
    assert len(docs) == 1
    d = docs[0]
    assert (d.title, d.alias) == ("产品碳足迹核算标准编制工作指引", "工作指引")
    assert (d.issuer, d.action) == ("生态环境部", "印发")
    assert d.surface == "《产品碳足迹核算标准编制工作指引》"
    assert [m.text for m in d.mentions] == ["《工作指引》", "《工作指引》"]


def test_date_from_the_clause() -> None:
    d = _docs("“生物多样性金融”被写入了今年6月发布的《上海市浦东新区绿色金融发展若干规定》。",
              published_at="2022-12-20")[0]
    assert (d.action, d.date) == ("发布", "2022-06")


def test_issuer_written_right_before_the_title() -> None:
    d = _docs("依照国务院《关于鼓励和引导社会资本参与生态保护修复的意见》开展工作。")[0]
    assert d.issuer == "国务院" and d.action is None


def test_short_back_reference_is_a_mention() -> None:
    docs = _docs("1月28日，上海市黄浦区人民政府发布了关于印发《黄浦区碳达峰实施方案》的通知。《方案》提出了主要目标。",
                 published_at="2023-01-30")
    assert [d.title for d in docs] == ["黄浦区碳达峰实施方案"]
    d = docs[0]
    assert d.issuer == "上海市黄浦区人民政府" and d.action == "印发" and d.date == "2023-01-28"
    assert [m.text for m in d.mentions] == ["《方案》"]


def test_newspapers_and_videos_are_not_documents() -> None:
    docs = _docs("《人民日报》记者报道，现场播放了《可持续发展的新蓝海》宣传视频，《中国环境报》刊发评论。")
    assert docs == []


def test_action_after_the_titles_and_date_of_the_main_event() -> None:
    art_body = ("12日，“一带一路”绿色低碳专家网络对话会在北京举办。会上，绿色联盟完成的《绿色发展展望》"
                "《南南合作中国行动》等政策研究报告正式发布。")
    docs = {d.title: d for d in _docs(art_body, published_at="2024-12-19")}
    assert set(docs) == {"绿色发展展望", "南南合作中国行动"}
    for d in docs.values():
        assert (d.action, d.date) == ("发布", "2024-12-12")


def test_place_as_issuer_and_adjectival_action() -> None:
    docs = {d.title: d for d in _docs("在政策方面，深圳科学制定政策文件，出台《深圳市碳排放权交易管理办法》。"
                                      "12月1日，生态环境部联合发布了新修订的《煤层气排放标准》。",
                                      published_at="2024-12-12")}
    assert docs["深圳市碳排放权交易管理办法"].issuer == "深圳"
    d = docs["煤层气排放标准"]
    assert (d.issuer, d.action, d.date) == ("生态环境部", "发布", "2024-12-01")
