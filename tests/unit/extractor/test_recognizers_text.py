"""A peer project's Chinese test suites (Microsoft Recognizers-Text, MIT) run against our number,
unit and date code.

The specs are read from the shared benchmarks folder at test time (never copied into the project).
Cases outside ecowire's scope are excluded by the named rules below, each counted; every other
case must be answered exactly (same spans, same values). Pass counts may not fall below the
figures measured when the rules were written (`FLOORS`), so a regression fails the test.
The period parser's intervals are compared as day bounds: where ecowire's convention differs
from the peer's (docs/time.md), a pass is counted under the named convention (`CLOSED_END`,
`SEASONS`). The period suites must also reach issue 12's goals over every case but weeks.
Run with `-s` to see the table.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ecowire.extractor import timex
from ecowire.extractor.dates import find_dates
from ecowire.extractor.numbers import find_numbers
from ecowire.extractor.quantities import find_quantities

BENCH = Path(__file__).parents[3] / ".." / "shared" / "benchmarks" / "recognizers-text"
pytestmark = pytest.mark.skipif(not BENCH.is_dir(), reason=f"peer benchmark specs not present at {BENCH.resolve()}")

Case = dict[str, Any]
Rule = tuple[str, Callable[[Case], bool]]
Verdict = tuple[bool, str | None]  # (passed, the named convention a pass needed, if any)


def _input_has(pattern: str) -> Callable[[Case], bool]:
    rx = re.compile(pattern)
    return lambda c: bool(rx.search(c["Input"]))


def _expected_values(c: Case) -> list[Any]:
    return [(r.get("Resolution") or {}).get("value") for r in c.get("Results", [])]


_NUMERAL = "0-9０-９零一二三四五六七八九十百千万亿两兩萬億点點分之个個"
_WHITESPACE_IN_NUMERAL = rf"[{_NUMERAL}kK]\s+[{_NUMERAL}kK]"

CANON_CURRENCIES = {"CNY", "USD", "EUR", "GBP", "HKD", "MOP"}
# The peer's dimension units that have a canonical ecowire unit: name → (unit, factor).
DIMENSION_UNITS: dict[str, tuple[str, float]] = {
    "Mu": ("mu", 1), "Kilogram": ("kg", 1), "Gram": ("kg", 1e-3), "Ton": ("t", 1),
    "Kilowatt": ("kW", 1), "Square meter": ("m2", 1), "Square kilometer": ("km2", 1), "Hectare": ("ha", 1),
}  # fmt: skip
MONEY_UNITS = CANON_CURRENCIES
PHYSICAL = {"t", "kg", "tCO2e", "tce", "kWh", "kW", "m2", "km2", "ha", "mu", "ug/m3", "mg/m3"}

_WEEKS = ("weeks (下周, 上上周末, 十月的第一周, 四月的最后一个星期一): no reporting period of news is a week",
          _input_has(r"[周週]|星期|礼拜"))
_PERIOD_RULES: list[Rule] = [
    _WEEKS,
    ("eras before the Qing (神龙元年): outside ecowire's era table", _input_has(r"神龙")),
    ("three-digit years (在789年): a count of years in news", _input_has(r"(?<![0-9])[0-9]{3}年")),
    (
        "four-digit numbers without 年 (2018看起来…): numbers in ecowire, not years",
        lambda c: any(re.fullmatch(r"[0-9]{4}", r["Text"]) for r in c.get("Results", [])),
    ),
]

# Out-of-scope rules per file: (name, predicate). The first rule that matches excludes a case.
RULES: dict[str, list[Rule]] = {
    "Number_Chinese_NumberModel.json": [
        ("fractions (分之, a/b): not quantities in ecowire", _input_has(r"分\s*之|\d\s*[/／]\s*\d")),
        ("exponents and scientific notation", _input_has(r"\^|\d[eE][+\-－]?\d|[0-9]e－")),
        ("Latin magnitude suffixes (40k, 2.5 M)", _input_has(r"\d\s*[kKM](?![a-zA-Z])")),
        ("dozens and pairs (打, 对, 双)", _input_has(r"[打对對双雙]")),
        ("whitespace inside a numeral", _input_has(_WHITESPACE_IN_NUMERAL)),
        ("vague amounts (多/余/几 inside the numeral: a qualifier in ecowire)", _input_has(r"[多余几幾]")),
    ],
    "Number_Chinese_PercentModel.json": [
        ("discounts and tenths (折, 成): not quantities in ecowire", _input_has(r"[折成]")),
        ("parts per million and smaller (百万分之 …)", _input_has(r"(?:百万|千万|万万|百万万)分之")),
        ("Latin magnitude suffixes (15k)", _input_has(r"\d\s*[kK]")),
        ("whitespace inside a numeral", _input_has(_WHITESPACE_IN_NUMERAL)),
        ("ranges (5-20%: one range quantity in ecowire)", _input_has(r"\d\s*[-~～]\s*\d+\s*[%％]")),
    ],
    "NumberWithUnit_Chinese_CurrencyModel.json": [
        (
            "currencies outside the canonical list (JPY, CHF, TWD, NGN, bitcoin, bare $)",
            lambda c: any(
                (r.get("Resolution") or {}).get("isoCurrency") not in CANON_CURRENCIES for r in c.get("Results", [])
            ),
        ),
        (
            "currency names without an amount",
            lambda c: bool(c.get("Results")) and all(v is None for v in _expected_values(c)),
        ),
        ("currency sub-units (角, 毛, 分, 美分)", _input_has(r"[角毛]|美分|[0-9一二三四五六七八九]分")),
    ],
    "NumberWithUnit_Chinese_DimensionModel.json": [
        (
            "units outside the canonical list (cm, m, km, 斤, 两, bits, bytes, Hz, kcal, µg)",
            lambda c: any((r.get("Resolution") or {}).get("unit") not in DIMENSION_UNITS for r in c.get("Results", [])),
        ),
        ("trailing 半 (一吨半)", _input_has(r"[吨米斤]半")),
    ],
    "DateTime_Chinese_DateExtractor.json": [
        ("lunar calendar and imperial eras", _input_has(r"农历|正月|初[一二三四五六七八九十]|大年|神龙|雍正|腊月")),
        ("vague recency (最近)", _input_has(r"最近")),
        ("ordinal weekdays (最后一个, 上一个, 下下周)", _input_has(r"最后一个|上一个|下下|上上")),
        ("bare month/day with a slash (collides with fractions)", _input_has(r"^\d{1,2}/\d{1,2}$")),
        ("bare day with 号 (collides with document numbers)", _input_has(r"(?<![月0-9])\d{1,2}号")),
    ],
    "DateTime_Chinese_DateParser.json": [
        ("lunar calendar and imperial eras", _input_has(r"农历|正月|初[一二三四五六七八九十]|大年|神龙|雍正|腊月")),
        ("vague recency (最近)", _input_has(r"最近")),
        ("ordinal weekdays (最后一个, 上一个, 下下周)", _input_has(r"最后一个|上一个|下下|上上")),
        ("bare month/day with a slash (collides with fractions)", _input_has(r"^\d{1,2}/\d{1,2}$")),
        ("bare day with 号 (collides with document numbers)", _input_has(r"(?<![月0-9])\d{1,2}号")),
        (
            "invalid calendar dates (the peer emits a 0001-01-01 sentinel)",
            lambda c: any("0001-01-01" in json.dumps(r.get("Value")) for r in c.get("Results", [])),
        ),
    ],
    "DateTime_Chinese_DatePeriodExtractor.json": _PERIOD_RULES,
    "DateTime_Chinese_DatePeriodParser.json": _PERIOD_RULES,
}


# Pass counts measured on the in-scope cases when these rules were written: the regression floor.
FLOORS: dict[str, int] = {
    "Number_Chinese_NumberModel.json": 213,
    "Number_Chinese_PercentModel.json": 69,
    "NumberWithUnit_Chinese_CurrencyModel.json": 18,
    "NumberWithUnit_Chinese_DimensionModel.json": 10,
    "DateTime_Chinese_DateExtractor.json": 40,
    "DateTime_Chinese_DateParser.json": 49,
    "DateTime_Chinese_DatePeriodExtractor.json": 48,
    "DateTime_Chinese_DatePeriodParser.json": 55,
}
# Issue 12's goals for the period suites: the pass rate over every case that is not a week.
WEEK_RATE_GOALS: dict[str, float] = {
    "DateTime_Chinese_DatePeriodExtractor.json": 0.90,
    "DateTime_Chinese_DatePeriodParser.json": 0.85,
}


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _span(r: dict[str, Any]) -> tuple[int, int]:
    start = int(r["Start"])
    end = int(r["End"]) + 1 if "End" in r else start + int(r["Length"])
    return start, end


def _check_numbers(c: Case) -> bool:
    got = [(n.start, n.end, n.value) for n in find_numbers(c["Input"])]
    exp = [(*_span(r), float(r["Resolution"]["value"])) for r in c.get("Results", [])]
    return len(got) == len(exp) and all(g[:2] == e[:2] and _close(g[2], e[2]) for g, e in zip(got, exp, strict=True))


def _check_percent(c: Case) -> bool:
    got = [(q.start, q.end, q.value) for q in find_quantities(c["Input"], None) if q.unit in ("%", "pp")]
    exp = [(*_span(r), float(str(r["Resolution"]["value"]).rstrip("%"))) for r in c.get("Results", [])]
    return len(got) == len(exp) and all(g[:2] == e[:2] and _close(g[2], e[2]) for g, e in zip(got, exp, strict=True))


def _check_currency(c: Case) -> bool:
    got = [(q.start, q.end, q.unit, q.value) for q in find_quantities(c["Input"], None) if q.unit in MONEY_UNITS]
    exp = [(*_span(r), r["Resolution"]["isoCurrency"], float(r["Resolution"]["value"])) for r in c.get("Results", [])]
    return len(got) == len(exp) and all(g[:3] == e[:3] and _close(g[3], e[3]) for g, e in zip(got, exp, strict=True))


def _check_dimension(c: Case) -> bool:
    got = [(q.start, q.end, q.unit, q.value) for q in find_quantities(c["Input"], None) if q.unit in PHYSICAL]
    exp = []
    for r in c.get("Results", []):
        unit, factor = DIMENSION_UNITS[r["Resolution"]["unit"]]
        exp.append((*_span(r), unit, float(r["Resolution"]["value"]) * factor))

    # Our span may include a qualifier written before the number (近一吨): compare the ends,
    # and the start only up to such a prefix.
    def same(g: tuple[Any, ...], e: tuple[Any, ...]) -> bool:
        prefix = c["Input"][g[0] : e[0]]
        return g[1] == e[1] and g[2] == e[2] and _close(g[3], e[3]) and prefix in ("", "近", "约", "超过", "超")

    return len(got) == len(exp) and all(same(g, e) for g, e in zip(got, exp, strict=True))


def _check_date_extractor(c: Case) -> bool:
    got = [(d.start, d.end) for d in find_dates(c["Input"], "2017-03-22")]
    exp = [_span(r) for r in c.get("Results", [])]
    return got == exp


def _check_date_parser(c: Case) -> bool:
    ref = c.get("Context", {}).get("ReferenceDateTime", "2017-03-22")[:10]
    got = [(d.start, d.end, d.value) for d in find_dates(c["Input"], ref)]
    exp = c.get("Results", [])
    if len(got) != len(exp):
        return False
    for g, r in zip(got, exp, strict=True):
        readings = {r["Value"]["FutureResolution"]["date"], r["Value"]["PastResolution"]["date"]}
        if g[:2] != _span(r) or g[2] not in readings:
            return False
    return True


# Where the peer's interval and ecowire's differ by convention, not by reading (counted, named).
# ecowire writes both ends included at their own precision ('2016/2018' covers 2018); the peer's
# end is exclusive for one unit (2018 → [2018-01-01, 2019-01-01)) but, for a range, is the first
# day of its last unit (从2016到2018 → [2016-01-01, 2018-01-01); 近三年 ends on the reference day).
CLOSED_END = "closed end: the peer ends a range on the first day of its last unit, ecowire includes that unit"
# The peer leaves seasons unresolved (Timex 2017-SU); ecowire's are meteorological seasons.
SEASONS = "seasons: the peer leaves 2017-SU unresolved, ecowire reads 夏 as June–August"
_SEASON_MONTHS = {"SP": ("03", "05"), "SU": ("06", "08"), "FA": ("09", "11")}


def _peer_intervals(r: dict[str, Any]) -> tuple[set[tuple[str, str]], str | None]:
    """The peer's (start, exclusive end) readings of a result, and the convention used to read them."""
    v = r["Value"]
    got = {(res["startDate"], res["endDate"]) for res in (v["FutureResolution"], v["PastResolution"]) if res}
    season = re.fullmatch(r"([0-9]{4})-(SP|SU|FA)", v.get("Timex", ""))
    if not got and season:
        lo, hi = _SEASON_MONTHS[season[2]]
        end = timex.day_after(f"{season[1]}-{hi}").isoformat()
        return {(f"{season[1]}-{lo}-01", end)}, SEASONS
    return got, None


def _check_period_parser(c: Case) -> Verdict:
    """(passed, the convention that made it pass or None). Spans must be equal; the interval must
    be the peer's under exclusive ends, or under the closed-end convention above."""
    ref = c.get("Context", {}).get("ReferenceDateTime", "2017-03-22")[:10]
    got = [(d.start, d.end, d.value) for d in find_dates(c["Input"], ref)]
    exp = c.get("Results", [])
    if len(got) != len(exp):
        return False, None
    convention = None
    for (start, end, value), r in zip(got, exp, strict=True):
        readings, how = _peer_intervals(r)
        if (start, end) != _span(r) or value.startswith("..") or value.endswith(".."):
            return False, None
        lo, hi = timex.bounds(value)
        assert lo is not None and hi is not None
        last_unit = timex.first_day(value.rsplit("/", 1)[-1])
        if (lo.isoformat(), hi.isoformat()) in readings:
            convention = convention or how
        elif "/" in value and (lo.isoformat(), last_unit.isoformat()) in readings:
            convention = CLOSED_END
        else:
            return False, None
    return True, convention


def _exact(check: Callable[[Case], bool]) -> Callable[[Case], Verdict]:
    return lambda c: (check(c), None)


CHECKS: dict[str, Callable[[Case], Verdict]] = {
    "Number_Chinese_NumberModel.json": _exact(_check_numbers),
    "Number_Chinese_PercentModel.json": _exact(_check_percent),
    "NumberWithUnit_Chinese_CurrencyModel.json": _exact(_check_currency),
    "NumberWithUnit_Chinese_DimensionModel.json": _exact(_check_dimension),
    "DateTime_Chinese_DateExtractor.json": _exact(_check_date_extractor),
    "DateTime_Chinese_DateParser.json": _exact(_check_date_parser),
    "DateTime_Chinese_DatePeriodExtractor.json": _exact(_check_date_extractor),
    "DateTime_Chinese_DatePeriodParser.json": _check_period_parser,
}


@dataclass
class Report:
    total: int = 0
    passed: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    conventions: Counter[str] = field(default_factory=Counter)  # passes that needed a convention
    failures: list[str] = field(default_factory=list)

    @property
    def in_scope(self) -> int:
        return self.total - sum(self.excluded.values())

    @property
    def rate(self) -> float:
        return self.passed / self.in_scope if self.in_scope else 0.0


def run_suite(name: str) -> Report:
    cases = json.loads((BENCH / name).read_text(encoding="utf-8-sig"))
    rep = Report(total=len(cases))
    for c in cases:
        rule = next((label for label, pred in RULES[name] if pred(c)), None)
        if rule is not None:
            rep.excluded[rule] += 1
            continue
        ok, how = CHECKS[name](c)
        if ok:
            rep.passed += 1
            if how is not None:
                rep.conventions[how] += 1
        else:
            rep.failures.append(c["Input"])
    return rep


def _table(reports: dict[str, Report]) -> str:
    lines = [f"{'file':45} {'cases':>5} {'excl':>5} {'in':>4} {'pass':>4} {'rate':>6}"]
    for name, rep in reports.items():
        lines.append(
            f"{name:45} {rep.total:5} {sum(rep.excluded.values()):5} {rep.in_scope:4} {rep.passed:4} {rep.rate:6.1%}"
        )
        for rule, n in rep.excluded.most_common():
            lines.append(f"    excluded {n:3}: {rule}")
        for rule, n in rep.conventions.most_common():
            lines.append(f"    passed by convention {n:3}: {rule}")
    return "\n".join(lines)


@pytest.mark.parametrize("name", list(CHECKS))
def test_peer_suite_pass_rate_does_not_regress(name: str) -> None:
    rep = run_suite(name)
    print("\n" + _table({name: rep}))
    if rep.failures:
        print("  failing inputs:", " | ".join(f[:40] for f in rep.failures[:40]))
    assert rep.in_scope > 0
    assert rep.passed >= FLOORS[name], f"{name}: {rep.passed}/{rep.in_scope} < floor {FLOORS[name]}"


@pytest.mark.parametrize("name", list(WEEK_RATE_GOALS))
def test_period_suites_reach_the_issue_goals_on_all_cases_but_weeks(name: str) -> None:
    """Issue 12: the goal counts every case but weeks, so the other exclusions cost pass rate here."""
    rep = run_suite(name)
    cases = rep.total - rep.excluded[_WEEKS[0]]
    assert rep.passed / cases >= WEEK_RATE_GOALS[name], f"{name}: {rep.passed}/{cases}"


def test_every_convention_is_needed() -> None:
    """A convention no case needs is no difference from the peer: drop it rather than keep it."""
    rep = run_suite("DateTime_Chinese_DatePeriodParser.json")
    assert rep.conventions[CLOSED_END] > 0 and rep.conventions[SEASONS] > 0, rep.conventions


def test_every_exclusion_rule_is_used() -> None:
    """A rule that excludes nothing is dead weight (or a typo): every named rule must fire."""
    for name in CHECKS:
        rep = run_suite(name)
        unused = [label for label, _ in RULES[name] if rep.excluded[label] == 0]
        assert not unused, f"{name}: unused exclusion rules {unused}"


if __name__ == "__main__":  # print the whole table: python tests/unit/extractor/test_recognizers_text.py
    print(_table({n: run_suite(n) for n in CHECKS}))
