"""Organisations: boundaries, kinds, aliases, departments, acronyms."""

from __future__ import annotations

from ecowire.extractor import extract
from ecowire.extractor.organizations import build_organizations, find_org_spans, org_kind
from ecowire.extractor.textscan import sentences, tokenize

from .helpers import by_type, make_article


def _orgs(text: str) -> dict[str, object]:
    spans = find_org_spans(text, tokenize(text), {s.start for s in sentences(text)})
    return {o.name: o for o in build_organizations(text, spans)}


def test_names_stop_at_boundary_words() -> None:
    names = set(_orgs("2015年9月22日上午，由广州碳排放权交易所和英国驻广州总领事馆联合主办的座谈会在广州举行。"))
    assert names == {"广州碳排放权交易所", "英国驻广州总领事馆"}


def test_ministries_joined_by_conjunction_inside_a_name() -> None:
    names = set(_orgs("深圳市规划和自然资源局与住房和城乡建设部，以及广东省生态环境厅和深圳市生态环境局。"))
    assert {"深圳市规划和自然资源局", "住房和城乡建设部", "广东省生态环境厅", "深圳市生态环境局"} <= names
    assert not any("厅和" in n for n in names)


def test_alias_by_jiancheng_and_by_acronym() -> None:
    orgs = _orgs("广州碳排放权交易所(简称广碳所)昨日成立。广碳所表示欢迎。永续全球环境研究所(GEI)主办，GEI表示。")
    gz = orgs["广州碳排放权交易所"]
    assert gz.aliases == ["广碳所"] and len(gz.mentions) == 2  # type: ignore[attr-defined]
    gei = [o for o in orgs.values() if "GEI" in o.aliases]  # type: ignore[attr-defined]
    assert gei and len(gei[0].mentions) == 2  # type: ignore[attr-defined]


def test_department_folds_into_its_parent() -> None:
    orgs = _orgs("生态环境部应对气候变化司负责同志回答了提问。生态环境部印发通知。")
    assert list(orgs) == ["生态环境部"]
    assert len(orgs["生态环境部"].mentions) == 2  # type: ignore[attr-defined]


def test_short_form_after_place_prefix_is_an_alias() -> None:
    orgs = _orgs("深圳市规划和自然资源局长期坚持修复。同时，市规划和自然资源局还积极配合。")
    assert orgs["深圳市规划和自然资源局"].aliases == ["市规划和自然资源局"]  # type: ignore[attr-defined]


def test_generic_phrases_are_not_organisations() -> None:
    names = set(_orgs("相关部门和重点企业要形成新发展格局，优化产业布局，各级政府加强指导。"))
    assert names == set()


def test_kinds() -> None:
    assert org_kind("深圳市生态环境局") == "government"
    assert org_kind("上海市黄浦区人民政府") == "government"
    assert org_kind("广州碳排放权交易所") == "enterprise"
    assert org_kind("蚂蚁集团") == "enterprise"
    assert org_kind("中国绿色碳汇基金会") == "ngo"
    assert org_kind("中国科学院植物研究所") == "academic"
    assert org_kind("联合国开发计划署") == "international"
    assert org_kind("IUCN") == "international"
    assert org_kind("新华社") == "media"


def test_newspaper_in_brackets_is_a_media_organisation() -> None:
    facts = extract(make_article("据《人民日报》报道，生态环境部印发《碳排放权交易管理办法》。"))
    orgs = {f.name: f.kind for f in by_type(facts, "organization")}
    assert orgs.get("人民日报") == "media"
    assert [d.title for d in by_type(facts, "document")] == ["碳排放权交易管理办法"]


def test_one_fact_per_organisation_with_mentions() -> None:
    art = make_article("蚂蚁集团发起项目。蚂蚁集团捐资。上海蚂蚁森林生态绿色发展基金会由蚂蚁集团设立。")
    orgs = {f.name: f for f in by_type(extract(art), "organization")}
    assert set(orgs) == {"蚂蚁集团", "上海蚂蚁森林生态绿色发展基金会"}
    ant = orgs["蚂蚁集团"]
    assert ant.surface == "蚂蚁集团" and len(ant.mentions) == 2
    assert ant.evidence.start < ant.mentions[0].start


def test_domain_vocabulary_keeps_names_whole() -> None:
    names = set(_orgs("区住建委配合住建部开展工作，澳门碳中和标准建设联盟参加。"))
    assert {"住建部", "澳门碳中和标准建设联盟"} <= names


def test_convention_secretariat_is_international() -> None:
    orgs = _orgs("《公约》秘书处执行秘书肖梅克出席。生物多样性公约秘书处发布报告。")
    assert {o.name: o.kind for o in orgs.values()} == {  # type: ignore[attr-defined]
        "《公约》秘书处": "international", "生物多样性公约秘书处": "international"}


def test_company_suffix_is_not_a_department() -> None:
    orgs = _orgs("中国石油化工集团有限公司（简称“中国石化”）与宁德时代新能源科技股份有限公司签约。")
    assert orgs["中国石油化工集团有限公司"].aliases == ["中国石化"]  # type: ignore[attr-defined]
    assert "宁德时代新能源科技股份有限公司" in orgs
