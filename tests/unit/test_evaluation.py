"""The scorer on small synthetic gold / predicted sets whose counts are worked out by hand.

Nothing here runs the normalizer or the extractor.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecowire import evaluation as ev

K = ("seed", 0)


def q(value: float, unit: str, **kw: Any) -> dict[str, Any]:
    return {"type": "quantity", "surface": f"{value}{unit}", "value": value, "unit": unit,
            "qualifier": "exact"} | kw


def org(name: str, *aliases: str, kind: str = "government") -> dict[str, Any]:
    return {"type": "organization", "surface": name, "name": name, "kind": kind, "aliases": list(aliases)}


def loc(name: str, **kw: Any) -> dict[str, Any]:
    return {"type": "location", "surface": name, "name": name, "admin_code": None} | kw


def doc(title: str, alias: str | None = None, **kw: Any) -> dict[str, Any]:
    return {"type": "document", "surface": title, "title": title, "alias": alias} | kw


def person(name: str, *titles: str, org_: str | None = None) -> dict[str, Any]:
    return {"type": "person", "surface": name, "name": name, "titles": list(titles), "org": org_}


def target(deadline: str | None, indicator: str | None, value: float | None = None,
           unit: str | None = None, **kw: Any) -> dict[str, Any]:
    return {"type": "target", "surface": indicator or "", "deadline": deadline, "indicator": indicator,
            "value": value, "unit": unit} | kw


def event(kind: str, date: str | None, name: str | None = None, **kw: Any) -> dict[str, Any]:
    return {"type": "event", "surface": name or kind, "kind": kind, "date": date, "name": name} | kw


# ------------------------------------------------------------------ helpers

@pytest.mark.parametrize(("a", "b", "close"), [
    (100.0, 100.4, True),     # 0.4 <= 0.5 % of 100.4
    (100.0, 100.6, False),    # 0.6 > 0.5 % of 100.6
    (4.18e6, 4.18e6, True),
    (0.0, 0.0, True),
    (None, None, True),
    (None, 1.0, False),
])
def test_values_close(a: float | None, b: float | None, close: bool) -> None:
    assert ev.values_close(a, b) is close


@pytest.mark.parametrize(("a", "b", "ok"), [
    ("2024-12", "2024-12-09", True), ("2024", "2024-05", True), ("2024-12-09", "2024-12-09", True),
    ("2024-12-09", "2024-12-10", False), ("2024-1", "2024-12", False), (None, None, True), (None, "2024", False),
])
def test_dates_compatible(a: str | None, b: str | None, ok: bool) -> None:
    assert ev.dates_compatible(a, b) is ok


def test_norm_text_folds_brackets_dashes_width_and_quotes() -> None:
    assert ev.norm_text("《煤层气（煤矿瓦斯）排放标准》") == ev.norm_text("煤层气(煤矿瓦斯)排放标准")
    assert ev.norm_text("计划(2023—2030年)") == ev.norm_text("计划（2023-2030年）")
    assert ev.norm_text("法比•图米瓦") == ev.norm_text("法比·图米瓦")
    assert ev.norm_text("ＧＥＩ 与 “绿色联盟”") == "gei与绿色联盟"
    assert ev.norm_text("①") == "①"  # no NFKC


def test_canonical_unit_spellings() -> None:
    assert ev.canonical_unit("μg/m3") == "ug/m3"
    assert ev.canonical_unit("KWH") == "kWh"
    assert ev.canonical_unit("tco2e") == "tCO2e"
    assert ev.canonical_unit("km") == "km"  # not canonical: kept, so it never equals a canonical unit


# ------------------------------------------------------------------ P / R / F1

def test_quantities_value_tolerance_unit_and_duplicates() -> None:
    gold = {K: [q(100, "%"), q(2.5e7, "t")]}
    pred = {K: [q(100.4, "%"), q(2.5e7, "kg"), q(100, "%")]}  # right, wrong unit, duplicate
    s = ev.evaluate(gold, pred).scores["quantity"]
    assert (s.gold, s.predicted, s.tp) == (2, 3, 1)
    assert s.precision == pytest.approx(1 / 3)
    assert s.recall == pytest.approx(1 / 2)
    assert s.f1 == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))  # 0.4


def test_micro_average_sums_counts_over_articles() -> None:
    k2 = ("seed", 1)
    gold = {K: [person("黄润秋"), person("佩兰")], k2: [person("赵英民")]}
    pred = {K: [person("黄润秋")], k2: [person("赵英民"), person("郭敬")]}
    s = ev.evaluate(gold, pred).scores["person"]
    # tp 2 of 3 gold and 3 predicted; a per-article macro average would give a different figure.
    assert (s.gold, s.predicted, s.tp) == (3, 3, 2)
    assert s.precision == pytest.approx(2 / 3) and s.recall == pytest.approx(2 / 3)


def test_facts_only_match_within_their_article() -> None:
    gold = {K: [person("黄润秋")], ("seed", 1): []}
    pred = {K: [], ("seed", 1): [person("黄润秋")]}
    s = ev.evaluate(gold, pred).scores["person"]
    assert (s.gold, s.predicted, s.tp) == (1, 1, 0)


def test_unknown_and_missing_articles_are_warned_and_counted() -> None:
    gold = {K: [org("财政部")], ("seed", 1): [org("外交部")]}
    pred = {K: [org("财政部")], ("seed", 7): [org("外交部")]}
    report = ev.evaluate(gold, pred)
    s = report.scores["organization"]
    assert (s.gold, s.predicted, s.tp) == (2, 2, 1)
    assert any("seed#7" in w and "no gold" in w for w in report.warnings)
    assert any("seed#1" in w and "no predicted" in w for w in report.warnings)


def test_empty_type_scores_one_and_type_with_only_predictions_scores_zero() -> None:
    report = ev.evaluate({K: []}, {K: [loc("广州")]})
    assert report.scores["person"].f1 == 1.0
    assert report.scores["location"].precision == 0.0
    assert report.scores["location"].f1 == 0.0


def test_facts_of_unknown_type_are_warned_about() -> None:
    report = ev.evaluate({K: []}, {K: [{"type": "extraction"}, {"type": "extraction"}, person("王淳")]})
    assert any("2 facts of unknown type ignored: ['extraction']" in w for w in report.warnings)
    assert report.scores["person"].predicted == 1


def test_overall_is_the_sum_of_types() -> None:
    report = ev.evaluate({K: [q(1, "t"), person("王淳")]}, {K: [q(1, "t"), person("叶伟")]})
    o = report.overall
    assert (o.gold, o.predicted, o.tp) == (2, 2, 1)


# ------------------------------------------------------------------ matching rules per type

def test_assignment_is_optimal_not_greedy() -> None:
    # P1 matches G1 exactly and G2 weakly; P2 only matches G1 weakly. Greedy by score takes P1-G1
    # and leaves P2 unmatched; the optimal assignment pairs P1-G2 and P2-G1.
    gold = [org("生态环境部"), org("生态环境部宣传教育中心")]
    pred = [org("生态环境部"), org("生态环境部气候司")]
    assert ev.match("organization", gold, pred) == [(0, 1), (1, 0)]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.integers(1, 5).flatmap(
    lambda m: st.lists(st.lists(st.booleans(), min_size=m, max_size=m), min_size=n, max_size=n))))
def test_matching_pairs_as_many_facts_as_any_one_to_one_assignment(compat: list[list[bool]]) -> None:
    # gold i and prediction j are compatible when compat[i][j]: an organisation name match
    n, m = len(compat), len(compat[0])
    gold = [org(f"机构{i}") for i in range(n)]
    pred = [org("|".join(f"机构{i}" for i in range(n) if compat[i][j]) or "无") for j in range(m)]
    ev.COMPATIBLE["_test"] = lambda g, p: 1.0 if g["name"] in p["name"].split("|") else None
    try:
        pairs = ev.match("_test", gold, pred)
    finally:
        del ev.COMPATIBLE["_test"]
    assert all(compat[g][p] for g, p in pairs)
    assert len({g for g, _ in pairs}) == len(pairs) == len({p for _, p in pairs})
    k = min(n, m)
    best = max((sum(compat[i][c] for i, c in zip(rows, perm, strict=True))
                for rows in itertools.combinations(range(n), k) for perm in itertools.permutations(range(m), k)),
               default=0)
    assert len(pairs) == best


def test_exact_match_preferred_over_weak_when_counts_tie() -> None:
    gold = [org("生态环境部")]
    pred = [org("生态环境部气候司"), org("生态环境部")]
    assert ev.match("organization", gold, pred) == [(0, 1)]


def test_organization_alias_equivalence() -> None:
    gold = [org("上海环境能源交易所", "上海环交所", kind="enterprise")]
    assert ev.match("organization", gold, [org("上海环交所")]) == [(0, 0)]
    assert ev.match("organization", [org("上海环交所")], [org("上海环境能源交易所", "上海环交所")]) == [(0, 0)]
    assert ev.match("organization", gold, [org("上海市生态环境局")]) == []


def test_location_suffix_parent_and_alt_names() -> None:
    gold = [loc("黄浦区", admin_code="310101"), loc("北京", alt_names=["京"]), loc("广州")]
    pred = [loc("上海市黄浦区"), loc("京"), loc("广州市"), loc("州")]
    assert ev.match("location", gold, pred) == [(0, 0), (1, 1), (2, 2)]
    assert ev.match("location", [loc("上海")], [loc("上海市黄浦区")]) == []


def test_document_title_punctuation_and_alias() -> None:
    gold = [doc("中国生物多样性保护战略与行动计划(2023—2030年)", alias="NBSAP"),
            doc("产品碳足迹核算标准编制工作指引", "工作指引")]
    pred = [doc("《中国生物多样性保护战略与行动计划（2023-2030年）》"), doc("工作指引")]
    assert ev.match("document", gold, pred) == [(0, 0), (1, 1)]
    # a different edition is a different document
    assert ev.match("document", [doc("中国生物多样性保护战略与行动计划")], [pred[0]]) == []


def test_person_matches_on_name_only() -> None:
    gold = [person("黄润秋", "部长", org_="生态环境部")]
    report = ev.evaluate({K: gold}, {K: [person("黄润秋", "书记")]})
    assert report.scores["person"].tp == 1
    assert report.fields["person"]["titles"].correct == 0
    assert report.fields["person"]["org"].correct == 0  # null predicted org against a gold org


def test_target_rules() -> None:
    g_num = target("2025", "单位GDP能耗", 13.5, "%")
    g_text = target("2030", "碳达峰")
    assert ev.match("target", [g_num], [target("2025", "单位生产总值(GDP)能耗", 13.52, "%")]) == [(0, 0)]
    assert ev.match("target", [g_num], [target("2025-12", "GDP能耗", 13.5, "%")]) == [(0, 0)]
    assert ev.match("target", [g_num], [target("2030", "单位GDP能耗", 13.5, "%")]) == []  # deadline
    assert ev.match("target", [g_num], [target("2025", "单位GDP能耗", 13.5, "pp")]) == []  # unit
    assert ev.match("target", [g_num], [target("2025", "单位GDP能耗")]) == []  # value null vs set
    assert ev.match("target", [g_text], [target("2030", "实现碳达峰", qualifier="before")]) == [(0, 0)]
    assert ev.match("target", [g_text], [target("2030", "森林覆盖率")]) == []  # no indicator overlap
    assert ev.match("target", [g_text], [target("2030", None)]) == [(0, 0)]  # null indicator overlaps


def test_events_kind_date_and_name_tie_break() -> None:
    gold = [event("meeting", "2024-12-12", "“一带一路”绿色低碳专家网络对话会"),
            event("meeting", "2024-12-12", "合作伙伴交流会"),
            event("signing", "2024-12-12", None, instrument="合作备忘录")]
    pred = [event("meeting", "2024-12", "合作伙伴交流会"),           # less precise date: compatible
            event("meeting", "2024-12-12", "绿色低碳专家网络对话会"),
            event("signing", "2024-12-11"),                           # wrong date
            event("launch", "2024-12-12", "合作伙伴交流会")]            # wrong kind
    assert ev.match("event", gold, pred) == [(0, 1), (1, 0)]
    report = ev.evaluate({K: gold}, {K: pred})
    s = report.scores["event"]
    assert (s.gold, s.predicted, s.tp) == (3, 4, 2)
    assert report.fields["event"]["date"].correct == 1  # "2024-12" is compatible but not the same


def test_field_accuracy_on_matched_pairs() -> None:
    gold = {K: [q(418e4, "kWh", qualifier="approx", indicator="调节电量", subject="深圳虚拟电厂管理中心"),
                q(46, "%", change={"direction": "decrease", "baseline": "2016"})]}
    pred = {K: [q(418e4, "kWh", qualifier="exact", indicator="累计调节电量", subject=None),
                q(46, "%", change={"direction": "decrease", "baseline": "2016"})]}
    report = ev.evaluate(gold, pred)
    f = report.fields["quantity"]
    assert (f["qualifier"].correct, f["qualifier"].total) == (1, 2)
    assert (f["indicator"].correct, f["indicator"].total) == (2, 2)  # loose: one contains the other
    assert (f["subject"].correct, f["subject"].total) == (1, 2)
    assert (f["change"].correct, f["change"].total) == (2, 2)
    assert [(t, name) for t, name, *_ in report.field_errors] == [("quantity", "qualifier"), ("quantity", "subject")]


def test_errors_list_false_negatives_and_positives() -> None:
    report = ev.evaluate({K: [loc("广州"), loc("老挝")]}, {K: [loc("广州"), loc("柬埔寨")]})
    kinds = sorted((m.kind, m.fact["name"]) for m in report.errors)
    assert kinds == [("fn", "老挝"), ("fp", "柬埔寨")]
    text = ev.format_errors(report)
    assert "FN" in text and "老挝" in text and "FP" in text and "柬埔寨" in text


def test_title_warnings() -> None:
    gold = {K: "生态环境部部长黄润秋会见法国议员代表团", ("seed", 1): "204亿!财政部提前下达2025年大气污染防治资金预算"}
    pred = {K: "生态环境部部长黄润秋会见法国议员代表团", ("seed", 1): "详情"}
    warnings = ev.title_warnings(gold, pred)
    assert len(warnings) == 1 and "seed#1" in warnings[0]
    assert ev.title_warnings({K: "《黄浦区碳达峰实施方案》"}, {K: "黄浦区碳达峰实施方案"}) == []


def test_below_targets() -> None:
    gold = {K: [person("王淳"), q(1, "t")]}
    report = ev.evaluate(gold, {K: [person("王淳")]})
    below = report.below_targets()
    assert "quantity" in below and "person" not in below


# ------------------------------------------------------------------ gold files and the command

def _write_gold(tmp: Path, facts: list[dict[str, Any]]) -> Path:
    gold = tmp / "gold"
    gold.mkdir()
    (gold / "articles.jsonl").write_text(
        json.dumps({"seed": "s1", "index": 0, "title": "标题", "published_at": None, "source": None},
                   ensure_ascii=False) + "\n", encoding="utf-8")
    (gold / "s1.jsonl").write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in facts),
                                   encoding="utf-8")
    return gold


def test_load_gold_rejects_facts_of_unknown_articles(tmp_path: Path) -> None:
    gold = _write_gold(tmp_path, [person("王淳") | {"seed": "s1", "article": 3}])
    with pytest.raises(ValueError, match=r"articles\.jsonl does not list"):
        ev.load_gold(gold)


def test_load_gold_reports_bad_json_with_its_line(tmp_path: Path) -> None:
    gold = _write_gold(tmp_path, [person("王淳") | {"seed": "s1", "article": 0}])
    with (gold / "s1.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    with pytest.raises(ValueError, match=r"s1\.jsonl:2"):
        ev.load_gold(gold)


def test_main_table_json_and_strict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    gold_facts = [f | {"seed": "s1", "article": 0} for f in (person("王淳"), q(25, "ug/m3"), loc("徐汇区"))]
    gold = _write_gold(tmp_path, gold_facts)

    def fake_predict(seeds_dir: Path, seeds: Any, runner: Any = None) -> ev.Prediction:
        assert list(seeds) == ["s1"]
        return ev.Prediction(facts={("s1", 0): [person("王淳"), q(25, "ug/m3"), q(36, "ug/m3")]},
                             articles={("s1", 0): {"title": "标题", "published_at": "2024-01-01",
                                                   "source": None}})

    monkeypatch.setattr(ev, "predict", fake_predict)
    assert ev.main(["--gold", str(gold), "--seeds", str(tmp_path), "--errors"]) == 0
    out = capsys.readouterr().out
    assert "quantity" in out and "FN" in out and "徐汇区" in out and "FP" in out
    assert "title 1/1, published_at 0/1, source 1/1" in out

    assert ev.main(["--gold", str(gold), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["types"]["quantity"] == {"gold": 1, "predicted": 2, "tp": 1, "precision": 0.5, "recall": 1.0,
                                         "f1": 0.6667, "goal_f1": 0.9}
    assert data["types"]["location"]["recall"] == 0.0
    assert "location" in data["below_targets"] and "person" not in data["below_targets"]

    assert ev.main(["--gold", str(gold), "--strict"]) == 1


def test_main_reports_a_missing_gold_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ev.main(["--gold", str(tmp_path / "nowhere")]) == 2
    assert "ecowire eval" in capsys.readouterr().err


def test_a_pipeline_failure_is_reported_and_its_gold_counts_as_missed(tmp_path: Path) -> None:
    gold = _write_gold(tmp_path, [person("王淳") | {"seed": "s1", "article": 0}])
    (tmp_path / "s1.txt").write_text("正文", encoding="utf-8")

    def boom(path: Path) -> Any:
        raise RuntimeError("normalizer exploded")

    report = ev.run(tmp_path, gold, runner=boom)
    assert any("s1: pipeline failed: RuntimeError: normalizer exploded" in w for w in report.warnings)
    assert (report.scores["person"].gold, report.scores["person"].tp) == (1, 0)


def test_predict_keys_articles_by_seed_and_index_and_dumps_facts(tmp_path: Path) -> None:
    from ecowire_schemas import PersonFact

    class FakeArticle:
        def __init__(self, index: int, title: str) -> None:
            self.index, self.title, self.published_at, self.source = index, title, "2024-11-22T08:00:00", "晚报"

    def runner(path: Path) -> list[tuple[Any, list[Any]]]:
        fact = PersonFact(fact_id="f", article_id="a", extractor_version="t", surface="王淳",
                          evidence={"start": 0, "end": 2, "text": "王淳"}, name="王淳")
        return [(FakeArticle(0, "甲"), []), (FakeArticle(1, "乙"), [fact])]

    (tmp_path / "s1.txt").write_text("正文", encoding="utf-8")
    pred = ev.predict(tmp_path, ["s1"], runner)
    assert {k: a["title"] for k, a in pred.articles.items()} == {("s1", 0): "甲", ("s1", 1): "乙"}
    assert pred.facts[("s1", 1)][0]["type"] == "person" and pred.facts[("s1", 1)][0]["name"] == "王淳"
    with pytest.raises(FileNotFoundError):
        ev.predict(tmp_path, ["s2"], runner)


def test_article_metadata_agreement() -> None:
    gold: dict[tuple[str, int], dict[str, Any]] = {
        K: {"title": "走出一条碳索未来的新路径", "published_at": "2024-11-22", "source": "深圳晚报"},
            ("seed", 1): {"title": "标题", "published_at": None, "source": None}}
    pred: dict[tuple[str, int], dict[str, Any]] = {
        K: {"title": "走出一条碳索未来的新路径", "published_at": "2024-11-22T00:00:00+08:00", "source": "深圳晚报"},
            ("seed", 1): {"title": "标题", "published_at": "2024-11-22", "source": None}}
    scores = ev.article_metadata(gold, pred)
    assert {k: (v.correct, v.total) for k, v in scores.items()} == {
        "title": (2, 2), "published_at": (1, 2), "source": (2, 2)}


def test_eval_registers_as_a_subcommand() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    ev.add_subcommands(parser.add_subparsers())
    args = parser.parse_args(["eval", "--json", "--gold", "g"])
    # the seeds default to the repository's own folder, so `ecowire eval` works from anywhere
    assert args.func is ev.cmd_eval and args.json and str(args.gold) == "g" and args.seeds == ev.SEEDS_DIR
    assert parser.parse_args(["eval", "--set", "dev"]).gold_set == "dev"
    assert ev.gold_dir_for("dev") == ev.GOLD_ROOT / "dev" and ev.gold_dir_for("x/y") == Path("x/y")


def test_a_point_inside_an_interval_is_a_compatible_date() -> None:
    assert ev.dates_compatible("2012-07-01/2012-07-05", "2012-07-03")
    assert ev.dates_compatible("2012-07", "2012-07-01/2012-07-05")
    assert not ev.dates_compatible("2012-07-01/2012-07-05", "2012-08-01")
    assert not ev.dates_compatible("2012-07-01/2012-07-05", None)


def test_corpus_gold_reads_texts_by_doc_id_and_fills_surfaces_from_offsets(tmp_path: Path) -> None:
    corpus = tmp_path / "articles.jsonl"
    corpus.write_text(json.dumps({"doc_id": "d1", "title": "标题", "url": "https://www.hbets.cn/a",
                                  "published_at": "2024-01-02", "text": "湖北碳排放权交易中心举办培训。"},
                                 ensure_ascii=False) + "\n", "utf-8")
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "articles.jsonl").write_text(json.dumps({"doc_id": "d1", "index": 0, "title": "标题"}) + "\n")
    (gold / "d1.jsonl").write_text(json.dumps(
        {"doc_id": "d1", "article": 0, "type": "organization", "span": [0, 10], "surface": "湖北碳排放权…",
         "name": "湖北碳排放权交易中心", "kind": "enterprise", "aliases": []}, ensure_ascii=False) + "\n")
    (gold / "targets.json").write_text('{"organization": 0.5, "micro": 0.99}')
    seen: list[str] = []

    def runner(rec: Any) -> list[tuple[Any, list[Any]]]:
        seen.append(rec.doc_id)
        article = type("A", (), {"index": 0, "title": "标题", "published_at": None, "source": None})()
        return [(article, [])]

    report = ev.run(tmp_path, gold, corpus=corpus, corpus_runner=runner)
    assert seen == ["d1"]
    miss = [m for m in report.errors if m.kind == "fn"]
    assert miss[0].fact["surface"] == "湖北碳排放权交易中心"  # the full span, read from the corpus
    assert report.targets == {"organization": 0.5} and report.below_targets() == ["organization", "micro"]
    with pytest.raises(FileNotFoundError, match="--corpus"):
        ev.run(tmp_path, gold, corpus=tmp_path / "absent.jsonl", corpus_runner=runner)
