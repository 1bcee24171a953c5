"""What the rules do with the tagger's recognitions, one behaviour per test, through `extract`:
organisations checked and completed, people trimmed, places below the county table, and the
contract's amended cases for targets, events, quantities and documents."""

from __future__ import annotations

from ecowire.extractor import extract
from ecowire.extractor.organizations import is_abbreviation

from .helpers import by_type, make_article


def _facts(body: str, published_at: str | None = "2023-07-10", title: str = "标题") -> list:
    return extract(make_article(body, title=title, published_at=published_at))


def _names(body: str, fact_type: str, **kw: str) -> list[str]:
    key = "title" if fact_type == "document" else "name"
    return [getattr(f, key) for f in by_type(_facts(body, **kw), fact_type)]


# ---------------------------------------------------------------- organisations

def test_generic_phrases_are_not_organisations() -> None:
    names = _names("湖北碳交将助力政策性银行实现碳中和，并为碳资产管理公司提供服务。", "organization")
    assert "政策性银行" not in names and "碳资产管理公司" not in names


def test_a_leading_preposition_is_not_part_of_the_name() -> None:
    names = _names("中心领导对省生态环境厅的支持表示感谢。", "organization")
    assert "省生态环境厅" in names and "对省生态环境厅" not in names


def test_two_names_written_back_to_back_are_two_organisations() -> None:
    names = _names("广州市金融局毕节市人民政府金融服务办公室签订帮扶协议。", "organization")
    assert "广州市金融局" in names and not any(n.startswith("广州市金融局毕节") for n in names)


def test_a_department_folds_into_its_body() -> None:
    names = _names("生态环境部办公厅印发通知，生态环境部有关负责人介绍了情况。", "organization")
    assert names == ["生态环境部"]


def test_a_venue_and_a_body_with_a_title_are_not_organisations() -> None:
    names = _names("会议在联交所五楼多功能厅举行，省委常委王晓东出席。", "organization")
    assert not any("多功能厅" in n or n.endswith("常委") for n in names)


def test_an_abbreviation_joins_the_full_name() -> None:
    facts = by_type(_facts("国家发展和改革委员会发布通知，国家发改委表示支持。"), "organization")
    by_name = {f.name: f for f in facts}
    assert "国家发改委" in by_name["国家发展和改革委员会"].aliases and "国家发改委" not in by_name
    assert is_abbreviation("广碳所", "广州碳排放权交易所")
    assert not is_abbreviation("生态环境部", "生态环境部环境规划院")  # the parent, not a short form
    assert not is_abbreviation("中国银行", "中国人民银行")


def test_a_remit_verb_joins_a_name_across_he() -> None:
    names = _names("国家应对气候变化战略研究和国际合作中心专家出席。", "organization")
    assert "国家应对气候变化战略研究和国际合作中心" in names


# ---------------------------------------------------------------- people

def test_a_name_does_not_swallow_the_next_word() -> None:
    people = {f.name for f in by_type(_facts("广碳所董事、总经理孟萌也出席了会议，孟萌作了报告。"), "person")}
    assert "孟萌" in people and not {"孟萌也", "孟萌作"} & people


def test_a_name_found_only_by_the_model_needs_a_surname() -> None:
    people = {f.name for f in by_type(_facts("通讯员：丘楚怡。碳普惠和冬奥会是主题，约50余人参加。"), "person")}
    assert people == {"丘楚怡"}


def test_an_ideology_and_a_name_inside_a_title_are_not_people() -> None:
    facts = _facts("学习习近平生态文明思想。职工观看了《金沙讲坛：陶维东 生活中遇见宪法》。")
    assert by_type(facts, "person") == []


def test_roles_without_a_name_are_not_people() -> None:
    assert by_type(_facts("黄老师和张教授为学员授课。"), "person") == []


# ---------------------------------------------------------------- places

def test_towns_villages_and_regions_are_places_without_a_code() -> None:
    places = {f.name: f.admin_code for f in by_type(_facts(
        "项目位于清远市英德市横石塘镇前锋村，覆盖珠三角和粤北地区，服务长江经济带。"), "location")}
    assert places.get("横石塘镇") is None and "横石塘镇" in places and "前锋村" in places
    assert {"珠三角", "粤北地区", "长江经济带"} <= set(places)


def test_an_ambiguous_short_form_is_a_place_in_a_list_of_places() -> None:
    names = _names("来自广州、佛山、中山、东莞的代表参加。", "location")
    assert "中山" in names
    assert "中山" not in _names("代表们参观了中山大学。", "location")


def test_an_autonomous_prefecture_by_its_short_form() -> None:
    facts = by_type(_facts("广州市金融局赴黔南州开展帮扶。"), "location")
    assert any(f.name == "黔南州" and f.admin_code == "522700" for f in facts)


# ---------------------------------------------------------------- targets, events, quantities, documents

def test_compliance_deadlines_and_time_limits_are_targets() -> None:
    targets = by_type(_facts("控排企业配额清缴（履约）时间为7月20日。请会员务必于7月14日下午16:00之前将资金转入账户。"
                             "以上用途的豁免期至2023年12月31日止。", published_at="2023-07-10"), "target")
    assert {t.deadline for t in targets} == {"2023-07-20", "2023-07-14", "2023-12-31"}
    assert all(t.value is None for t in targets)


def test_going_somewhere_is_not_a_deadline_and_a_past_plan_sets_no_goal() -> None:
    facts = _facts("工作组于7月9日前往建行江汉支行，为近50位客服经理授课。十二五碳强度下降目标超额完成，"
                   "交易额突破十亿元。", published_at="2016-07-10")
    assert by_type(facts, "target") == []
    assert {(q.value, q.unit) for q in by_type(facts, "quantity")} >= {(50.0, "count"), (1e9, "CNY")}


def test_dated_milestones_are_events_of_kind_other() -> None:
    events = by_type(_facts("2015年3月，湖北碳交获批开展试点。广碳所成立于2012年9月。"), "event")
    assert {(e.kind, e.date) for e in events} == {("other", "2015-03"), ("other", "2012-09")}


def test_a_full_date_before_an_event_name_wins_over_the_year_inside_it() -> None:
    events = by_type(_facts("2022年3月13日晚，北京2022年冬残奥会闭幕式在国家体育场隆重举行。"), "event")
    assert [(e.date, e.name) for e in events] == [("2022-03-13", "北京2022年冬残奥会闭幕式")]


def test_online_and_offline_is_no_launch_and_an_undated_headline_event_has_no_date() -> None:
    facts = _facts("中心以线上线下相结合的方式开展宣传。", title="关于举办温室气体管理师培训的通知")
    assert [(e.kind, e.date) for e in by_type(facts, "event")] == [("training", None)]


def test_over_a_hundred_cities_and_kinds_counted() -> None:
    qs = {(q.value, q.qualifier, q.classifier) for q in by_type(
        _facts("开展百余场宣传活动，来自6市的两个以上单位参加，新增5种类持久性有机污染物。"), "quantity")}
    assert qs == {(100.0, "more_than", "场"), (6.0, "exact", "市"), (2.0, "at_least", "个"), (5.0, "exact", "种类")}


def test_named_plans_and_issuing_notices_are_documents() -> None:
    docs = {d.title: d for d in by_type(_facts(
        "为落实“十二五”规划和2024年政府工作报告，依据《国务院办公厅关于印发控制污染物排放许可制实施方案的通知》，"
        "职工观看了《宪法的精神》。"), "document")}
    assert set(docs) == {"十二五规划", "2024年政府工作报告", "控制污染物排放许可制实施方案"}
    assert docs["控制污染物排放许可制实施方案"].issuer == "国务院办公厅"
    assert docs["控制污染物排放许可制实施方案"].action == "印发"


def test_a_stated_plan_for_parts_of_the_year_sets_deadlines() -> None:
    targets = by_type(_facts("吴宏表示在2016年上半年制定碳币量化的方法学和规则，下半年开发相关系统。",
                             published_at="2016-03-16"), "target")
    assert [(t.deadline, t.value) for t in targets] == [("2016-06", None), ("2016-12", None)]
    assert by_type(_facts("交易所将于7月17日下午收市后统一清结算。", published_at="2023-07-10"), "target") == []


def test_themed_activities_and_games_ceremonies_are_other_events() -> None:
    events = by_type(_facts("9月18日，广碳所举办2023年广州市全国科普日主题活动。2022年3月13日晚，北京2022年冬残奥会"
                            "闭幕式在国家体育场举行。", published_at="2023-09-20"), "event")
    assert {(e.kind, e.date) for e in events} == {("other", "2023-09-18"), ("other", "2022-03-13")}


def test_a_phrase_the_model_calls_a_name_needs_a_surname_even_before_a_speech_verb() -> None:
    facts = _facts("仅对浓度大于30%的抽采瓦斯提出了强制性要求。古特雷斯表示支持。")
    assert "抽采瓦斯" not in {f.name for f in by_type(facts, "person")}


def test_counts_inside_a_project_name_are_not_quantities() -> None:
    facts = _facts("同意广宁县13个镇109个村林业碳汇碳普惠项目核证减排量备案。广东省10个城市开展试点项目，"
                   "计划建设20个分布式光伏项目。")
    assert {q.value for q in by_type(facts, "quantity")} == {10.0, 20.0}
