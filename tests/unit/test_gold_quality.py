"""The gold annotations are well-formed: contract vocabularies, ISO dates, surfaces found in the seeds.

A gold file that drifts from FACTS.md or from the seed text would silently skew every score.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import opencc
from pydantic import TypeAdapter

from ecowire.evaluation import CANONICAL_UNITS, GOLD_META_KEYS, load_gold, norm_text
from ecowire_schemas import FACT_TYPES, Fact

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "tests" / "gold"
SEEDS = ROOT / "seeds"

ARTICLES_PER_SEED = {"000": 1, "001": 10, "002": 1, "003": 2, "004": 1}
ISO_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
FACT_ADAPTER: TypeAdapter[Any] = TypeAdapter(Fact)


def _iso(s: str) -> bool:
    return bool(ISO_DATE.match(s))


def _period_ok(s: str) -> bool:
    """'2024', '2024-01/2024-11', '..2016-03-29' (FACTS.md)."""
    if s.startswith(".."):
        return _iso(s[2:])
    parts = s.split("/")
    return len(parts) <= 2 and all(_iso(p) for p in parts)


def _unit_ok(unit: str) -> bool:
    return unit in CANONICAL_UNITS or (
        "/" in unit and all(part in CANONICAL_UNITS for part in unit.split("/", 1)))


@cache
def _seed_text(stem: str) -> str:
    """The seed as annotated: Simplified (t2s), whitespace removed (layout breaks are joined)."""
    text = (SEEDS / f"{stem}.txt").read_text(encoding="utf-8")
    return re.sub(r"\s+", "", opencc.OpenCC("t2s").convert(text))


def _gold_lines() -> Iterator[tuple[str, int, dict[str, Any]]]:
    for path in sorted(GOLD.glob("*.jsonl")):
        if path.name == "articles.jsonl":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            yield path.name, n, json.loads(line)


GOLD_FACTS = list(_gold_lines())


def _in_seed(stem: str, s: str) -> bool:
    # quotes inside a title (“十五五”规划 → 十五五规划) are dropped, as the scorer drops them
    return re.sub(r"\s+", "", s) in _seed_text(stem) or re.sub(r"\s+", "", s) in re.sub(r"[“”\"]", "", _seed_text(stem))


def test_gold_files_cover_every_seed_and_load() -> None:
    gold = load_gold(GOLD)
    per_seed = Counter(seed[:3] for seed, _ in gold.articles)
    assert dict(per_seed) == ARTICLES_PER_SEED
    assert {p.stem for p in SEEDS.glob("*.txt")} == {seed for seed, _ in gold.articles}
    for key, facts in gold.facts.items():
        assert facts, f"{key} has no gold facts"


def test_articles_file() -> None:
    gold = load_gold(GOLD)
    for (seed, _index), rec in gold.articles.items():
        assert set(rec) == {"seed", "index", "title", "published_at", "source"}
        assert rec["published_at"] is None or _iso(rec["published_at"]), rec
        assert rec["title"] and _in_seed(seed, rec["title"]), rec
        assert rec["source"] is None or _in_seed(seed, rec["source"]), rec
    indexes: dict[str, list[int]] = {}
    for seed, index in sorted(gold.articles):
        indexes.setdefault(seed, []).append(index)
    assert all(v == list(range(len(v))) for v in indexes.values()), indexes


def _problems(check: Any) -> list[str]:
    """Run a per-line check over every gold line; collect every failure (not only the first)."""
    out = []
    for name, n, rec in GOLD_FACTS:
        try:
            check(name, rec)
        except (AssertionError, ValueError) as e:  # pydantic's ValidationError is a ValueError
            out.append(f"{name}:{n} {rec['type']} {rec['surface']!r}: {e}")
    return out


def test_every_fact_validates_against_the_contract() -> None:
    assert _problems(_check_contract) == []


def test_every_fact_uses_the_vocabularies_and_iso_dates() -> None:
    assert _problems(_check_vocabularies) == []


def test_every_surface_and_name_occurs_in_the_seed() -> None:
    assert _problems(_check_in_seed) == []


def _check_contract(name: str, rec: dict[str, Any]) -> None:
    assert rec["type"] in FACT_TYPES
    assert name == f"{rec['seed']}.jsonl"
    contract = {k: v for k, v in rec.items() if k not in GOLD_META_KEYS}
    fact = FACT_ADAPTER.validate_python(contract | {
        "fact_id": "gold", "article_id": "gold", "extractor_version": "gold",
        "evidence": {"start": 0, "end": len(rec["surface"]), "text": rec["surface"]}})
    # every typed field of the contract is written out (null or empty when the text gives nothing)
    typed = set(type(fact).model_fields) - {"schema_version", "fact_id", "article_id", "extractor_version",
                                            "evidence", "mentions"}
    assert typed <= set(rec), typed - set(rec)


def _check_vocabularies(name: str, rec: dict[str, Any]) -> None:
    t = rec["type"]
    if t == "quantity":
        assert _unit_ok(rec["unit"]), rec["unit"]
        assert (rec["unit"] == "count") == (rec["classifier"] is not None)
        assert (rec["qualifier"] == "range") == (rec["value_max"] is not None)
        assert rec["period"] is None or _period_ok(rec["period"])
        if rec["change"]:
            assert rec["change"]["baseline"] is None or _period_ok(rec["change"]["baseline"])
    elif t == "target":
        assert rec["deadline"] and _iso(rec["deadline"])
        assert rec["baseline"] is None or _iso(rec["baseline"])
        assert (rec["value"] is None) == (rec["unit"] is None)
        assert rec["unit"] is None or _unit_ok(rec["unit"])
    elif t in ("document", "event"):
        assert rec["date"] is None or _iso(rec["date"])
    elif t == "location":
        assert all(isinstance(a, str) and a for a in rec.get("alt_names", []))


def _check_in_seed(name: str, rec: dict[str, Any]) -> None:
    seed = rec["seed"]
    assert _in_seed(seed, rec["surface"]), rec["surface"]
    t = rec["type"]
    written: list[str | None] = []
    if t in ("person", "organization"):
        written = [rec["name"], *rec.get("titles", []), *rec.get("aliases", [])]
    elif t == "location":
        written = [rec["surface"], *rec.get("alt_names", [])]  # name may be the full form of a short mention
    elif t == "document":
        written = [rec["title"], rec["alias"]]
    for s in written:
        assert s is None or _in_seed(seed, s), s


def _entity_key(rec: dict[str, Any]) -> str | None:
    field = {"person": "name", "organization": "name", "location": "name", "document": "title"}.get(rec["type"])
    return norm_text(rec[field]) if field else None


def test_one_fact_per_entity_per_article() -> None:
    seen: Counter[tuple[Any, ...]] = Counter()
    for _, _, rec in GOLD_FACTS:
        key = _entity_key(rec)
        if key is not None:
            seen[(rec["seed"], rec["article"], rec["type"], key)] += 1
    assert [k for k, c in seen.items() if c > 1] == []


def test_article_titles_agree_with_articles_file() -> None:
    gold = load_gold(GOLD)
    for _, _, rec in GOLD_FACTS:
        assert rec["article_title"] == gold.articles[(rec["seed"], rec["article"])]["title"]


def test_event_participants_and_organizations_are_annotated_entities() -> None:
    names: dict[tuple[str, int], set[str]] = {}
    for _, _, rec in GOLD_FACTS:
        if rec["type"] in ("person", "organization"):
            names.setdefault((rec["seed"], rec["article"]), set()).update(
                norm_text(x) for x in [rec["name"], *rec.get("aliases", [])])
    for _, _, rec in GOLD_FACTS:
        if rec["type"] == "event":
            known = names.get((rec["seed"], rec["article"]), set())
            for x in rec["participants"] + rec["organizations"]:
                assert norm_text(x) in known, (rec["surface"], x)
