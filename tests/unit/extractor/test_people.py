"""People: names, titles, bodies, inherited bodies, merging, with and without the NER."""

from __future__ import annotations

import pytest

from ecowire.extractor import extract
from ecowire.extractor.locations import find_places
from ecowire.extractor.ner import Tagger, default_tagger
from ecowire.extractor.organizations import find_org_spans
from ecowire.extractor.people import Person, find_people
from ecowire.extractor.textscan import sentences, tokenize

from .helpers import by_type, make_article


def _people(text: str, tagger: Tagger | None) -> dict[str, Person]:
    sents = sentences(text)
    orgs = find_org_spans(text, tokenize(text), {s.start for s in sents})
    ner = tagger.tag(text) if tagger is not None else None
    return {p.name: p for p in find_people(text, orgs, find_places(text), sents, ner)}


@pytest.fixture(scope="module")
def lac() -> Tagger:
    return default_tagger()


@pytest.mark.parametrize("use_lac", [True, False])
def test_minister_with_title_and_body(lac: Tagger, use_lac: bool) -> None:
    people = _people("生态环境部部长黄润秋出席会议并讲话。", lac if use_lac else None)
    p = people["黄润秋"]
    assert (p.titles, p.org) == (["部长"], "生态环境部")


def test_title_chain_and_inherited_body(lac: Tagger) -> None:
    people = _people("上海市生态环境局党组书记、局长程鹏，副局长柏国强参加会谈并讲话。", lac)
    assert (people["程鹏"].titles, people["程鹏"].org) == (["党组书记", "局长"], "上海市生态环境局")
    assert (people["柏国强"].titles, people["柏国强"].org) == (["副局长"], "上海市生态环境局")


def test_foreign_official_needs_the_ner(lac: Tagger) -> None:
    text = "12月10日，生态环境部部长黄润秋会见巴基斯坦旁遮普省首席部长玛里雅姆。"
    p = _people(text, lac)["玛里雅姆"]
    assert (p.titles, p.org) == (["首席部长"], "巴基斯坦旁遮普省")


def test_body_without_title_and_honorifics(lac: Tagger) -> None:
    people = _people("随后，中国绿色碳汇基金会侯远青分享了实践。GEI的彭奎博士主持了讨论。", lac)
    assert people["侯远青"].org == "中国绿色碳汇基金会"
    assert "博士" in people["彭奎"].titles


def test_no_person_without_a_name(lac: Tagger) -> None:
    people = _people("记者从生态环境部获悉，有关负责人表示，主席国的职责重大。", lac)
    assert people == {}


def test_one_fact_per_person_with_all_titles_and_mentions() -> None:
    art = make_article("上海市生态环境局局长程鹏出席。程鹏指出，要加强保护。程鹏最后表示感谢。")
    people = by_type(extract(art), "person")
    assert [p.name for p in people] == ["程鹏"]
    p = people[0]
    assert p.surface == "上海市生态环境局局长程鹏" and p.org == "上海市生态环境局" and p.titles == ["局长"]
    assert [m.text for m in p.mentions] == ["程鹏", "程鹏"]


def test_rules_alone_do_not_invent_names() -> None:
    people = _people("主席国的职责包括主持会议，局长会议将于明年召开。", None)
    assert people == {}


def test_listed_names_share_the_office(lac: Tagger) -> None:
    people = _people("生态环境部副部长庄国泰、叶民出席会议。", lac)
    assert (people["叶民"].titles, people["叶民"].org) == (["副部长"], "生态环境部")


def test_title_qualified_by_a_code(lac: Tagger) -> None:
    people = _people("联合国开发计划署(UNDP)BIOFIN项目负责人樊维诺先生介绍了案例。", lac)
    assert (people["樊维诺"].titles, people["樊维诺"].org) == (["BIOFIN项目负责人"], "联合国开发计划署")
