"""Events: kinds, dates, places, participants; main event, dated side events, signings."""

from __future__ import annotations

from ecowire.extractor import extract

from .helpers import by_type, make_article


def _events(body: str, title: str = "标题", published_at: str | None = "2015-09-23") -> list:
    return by_type(extract(make_article(body, title=title, published_at=published_at)), "event")


def test_meeting_with_date_organisers_and_place() -> None:
    evs = _events("2015年9月22日上午，由广州碳排放权交易所和英国驻广州总领事馆联合主办的"
                  "伦敦金融城市长访问暨中英碳金融合作座谈会在广州举行。伦敦金融城市长叶雅伦出席。")
    assert len(evs) == 1
    e = evs[0]
    assert (e.kind, e.date, e.location) == ("meeting", "2015-09-22", "广州")
    assert e.name == "伦敦金融城市长访问暨中英碳金融合作座谈会"
    assert set(e.organizations) >= {"广州碳排放权交易所", "英国驻广州总领事馆"}
    assert e.surface.startswith("2015年9月22日上午")


def test_title_event_takes_the_date_of_its_body_mention() -> None:
    evs = _events("2024年7月29日，永续全球环境研究所(GEI)在北京举办“非国家主体推进昆蒙框架实施”座谈会。",
                  title="GEI成功举办“非国家主体推进昆蒙框架实施”座谈会", published_at="2024-08-05")
    assert len(evs) == 1
    assert (evs[0].kind, evs[0].date, evs[0].location) == ("meeting", "2024-07-29", "北京")
    assert len(evs[0].mentions) == 1


def test_signing_inside_the_main_event_is_its_own_event() -> None:
    evs = _events("当地时间11月21日下午，主题边会在阿塞拜疆首都巴库举行。本次边会活动中，"
                  "深圳绿色交易所与世界资源研究所正式签署合作备忘录。", published_at="2024-11-22")
    kinds = {e.kind: e for e in evs}
    assert set(kinds) == {"meeting", "signing"}
    s = kinds["signing"]
    assert (s.date, s.instrument) == ("2024-11-21", "合作备忘录")
    assert set(s.organizations) == {"深圳绿色交易所", "世界资源研究所"}
    assert kinds["meeting"].location == "巴库"


def test_undated_side_events_are_not_reported() -> None:
    evs = _events("9月22日，中英碳金融合作座谈会在广州举行。与会代表还参观了交易大厅，并举办了培训。")
    assert [e.kind for e in evs] == ["meeting"]


def test_dated_past_events_are_reported() -> None:
    evs = _events("该所于2012年9月挂牌成立。9月22日，碳金融座谈会在广州举行。")
    assert {(e.kind, e.date) for e in evs} == {("launch", "2012-09"), ("meeting", "2015-09-22")}


def test_conjoined_dates_are_separate_events() -> None:
    evs = _events("2023年8月和2024年11月先后在北京举办生物多样性相关研讨会。", published_at="2024-12-01")
    assert sorted(e.date for e in evs) == ["2023-08", "2024-11"]


def test_a_session_of_the_main_meeting_is_part_of_it() -> None:
    evs = _events("9月22日，碳金融座谈会在广州举行。下午的会议讨论了合作。", published_at="2015-09-23")
    assert len(evs) == 1 and len(evs[0].mentions) == 1


def test_opening_ceremony_is_part_of_the_meeting() -> None:
    evs = _events("11月8日，2024湖州绿色低碳发展论坛在浙江省湖州市安吉县开幕。"
                  "浙江省人民政府副省长徐文光出席开幕式并致辞。"
                  "论坛期间，湖州市人民政府与某电力公司签署战略合作框架协议。", title="湖州举办绿色低碳发展论坛",
                  published_at="2024-11-09")
    kinds = {e.kind: e for e in evs}
    assert set(kinds) == {"meeting", "signing"}
    assert kinds["meeting"].participants == ["徐文光"] and kinds["meeting"].date == "2024-11-08"
    assert kinds["signing"].date == "2024-11-08" and kinds["signing"].instrument == "战略合作框架协议"
