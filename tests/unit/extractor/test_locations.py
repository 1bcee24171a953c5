"""Places: the GB/T 2260 table, short forms, same-name divisions, foreign places, exclusions."""

from __future__ import annotations

from ecowire.extractor import extract
from ecowire.extractor.locations import division_table, find_places, resolve_codes

from .helpers import by_type, make_article


def test_table_is_complete_to_county_level() -> None:
    t = division_table()
    provinces = [d for d in t.by_code.values() if d.level == "province"]
    assert len(provinces) == 34  # 23 provinces, 5 autonomous regions, 4 municipalities, 2 SARs
    assert len([d for d in t.by_code.values() if d.level == "prefecture"]) >= 330
    assert len([d for d in t.by_code.values() if d.level == "county"]) >= 2800
    assert all(len(c) == 6 and c.isdigit() for c in t.by_code)


def test_full_and_short_names_resolve() -> None:
    t = division_table()
    assert [d.code for d in t.lookup("广东省")] == ["440000"]
    assert [d.code for d in t.lookup("广东")] == ["440000"]
    assert [d.code for d in t.lookup("深圳")] == ["440300"]
    assert [d.code for d in t.lookup("上海市")] == ["310000"]  # not its 310100 "city" row
    assert [d.code for d in t.lookup("吉林")] == ["220000"]  # the province wins a short form
    assert [d.code for d in t.lookup("延边")] == ["222400"]  # 延边朝鲜族自治州
    assert t.lookup("大同") == ()  # a common word: only 大同市 is a place


def test_same_name_district_takes_code_from_context() -> None:
    text = "深圳市南山区今年新建公园。"
    codes = resolve_codes(find_places(text))
    assert codes["南山区"] == "440305"
    alone = resolve_codes(find_places("南山区今年新建公园。"))
    assert alone["南山区"] is None  # two 南山区 (Shenzhen, Hegang): not sure, no code


def test_foreign_places_and_regions_after_country() -> None:
    found = {p.surface for p in find_places("会议在阿塞拜疆首都巴库举行，哥伦比亚卡利市市长出席。")}
    assert {"阿塞拜疆", "巴库", "哥伦比亚", "卡利市"} <= found


def test_streets_and_landmarks_are_not_their_city() -> None:
    found = {p.surface for p in find_places("南京东路街道和苏州河沿岸，深圳湾公园。")}
    assert "南京" not in found and "苏州" not in found and "深圳" not in found
    assert "南京东路街道" in found


def test_beijing_abbreviation() -> None:
    places = find_places("部长在京会见来宾。")
    assert [(p.surface, p.candidates[0].code) for p in places] == [("京", "110000")]


def test_location_facts_one_per_place_and_not_inside_names() -> None:
    art = make_article("深圳市生态环境局发布报告。深圳参加大会，深圳市代表发言。广州市生态环境局也参加。")
    locs = by_type(extract(art), "location")
    assert [(f.name, f.admin_code) for f in locs] == [("深圳", "440300")]
    assert len(locs[0].mentions) == 1  # 深圳市 later is the same place; 深圳市 in the bureau name is not
    assert all(art.text[m.start:m.end] == m.text for m in locs[0].mentions)


def test_nested_divisions_are_all_places() -> None:
    found = [(p.surface, p.candidates[0].code) for p in find_places("论坛在浙江省湖州市安吉县开幕。")]
    assert found == [("浙江省", "330000"), ("湖州市", "330500"), ("安吉县", "330523")]
