"""Extraction quality against the hand-made gold in `tests/gold/` (`ecowire eval`).

What is measured
    Per fact type: gold count, predicted count, true positives, precision, recall and F1, micro-averaged
    over all articles (sum the counts, then divide). For matched pairs, per-field accuracy of the fields
    consumers rely on. Articles are paired by (seed file stem, index of the article in its document);
    the titles of each pair are compared and a warning is printed when they disagree, because a
    wrong split of a listing page makes every later score meaningless.

Matching rule (per article and per type, one-to-one)
    A predicted fact may match a gold fact when they are *compatible*:

    quantity      same canonical unit and value within 0.5 % (relative; value_max is not required)
    target        deadlines compatible, and either both values null or both set with the same unit
                  and values within 0.5 %, and indicators overlap (see below; a null indicator
                  overlaps anything)
    person        same name (after text normalisation)
    organization  same name, or one's name is the other's alias (alias equivalence); as a weaker
                  match, one name starts with the other (a department folded into its body,
                  e.g. 生态环境部气候司 / 生态环境部)
    location      same name, or the same after dropping an administrative suffix (省 市 区 县 …)
                  or a parent prefix (上海市黄浦区 / 黄浦区), or a gold `alt_names` entry (京 / 北京)
    document      same title after normalising brackets, quotes, dashes, spaces and width; as a
                  weaker match, the predicted title is the gold alias or the other way round
    event         same kind and compatible dates; among several candidates, name similarity,
                  shared participants and location break the tie

    Dates (and deadlines) are compatible when both are null, equal, or one is a more precise form of
    the other ("2024-12" and "2024-12-09"). Indicators overlap when at least half of the characters of
    the shorter one occur in the other. Text normalisation: NFKC-free width folding of ASCII, no
    whitespace, brackets and quotes removed (《》“”「」…), dashes and middle dots unified, lower case.

    Among compatible pairs an optimal assignment (scipy's `linear_sum_assignment`) first maximises the number of
    matches, then the tie-break score (exact rather than weak name matches, agreeing qualifier and
    indicator, …). Each gold fact and each predicted fact is used at most once, so a duplicate
    prediction of one claim counts as a false positive.

Field accuracy compares the fields of matched pairs: numbers within 0.5 %, vocabulary fields
(unit, qualifier, kind, direction, dates, admin_code) exactly, free-text fields (indicator, subject,
actor, org, issuer, name, location) loosely (normalised equal or one contains the other), lists
(titles, aliases, participants, organizations) as sets under the same loose equality. Null agrees
only with null.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz
from scipy.optimize import linear_sum_assignment

from ecowire_schemas import FACT_TYPES
from ecowire_schemas.facts import CANONICAL_UNITS

# Quality the extractor must reach on the gold (issue #4).
QUALITY_TARGETS: dict[str, float] = {
    "quantity": 0.90, "document": 0.90, "person": 0.90,
    "organization": 0.80, "location": 0.80, "target": 0.80,
    "event": 0.70,
}

REL_TOLERANCE = 0.005
INDICATOR_OVERLAP = 0.5
TITLE_SIMILARITY = 60.0  # rapidfuzz ratio (0-100) under which a title pair is reported

ArticleKey = tuple[str, int]
FactDict = Mapping[str, Any]

# Gold-only keys of a fact line: bookkeeping and matching aids, not contract fields.
GOLD_META_KEYS = frozenset({"seed", "article", "article_title", "alt_names"})

# ------------------------------------------------------------------ normalisation

_DROP = re.compile(r"[\s《》〈〉“”‘’\"'「」『』【】]")
_DASHES = re.compile(r"[—–－―‐‑−~～]")
_DOTS = re.compile(r"[·•・‧∙]")
_ADMIN_SUFFIX = re.compile(
    r"(特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|街道|新区|地区|省|市|区|县)$")

_UNIT_SPELLINGS = {u.lower(): u for u in CANONICAL_UNITS} | {
    "μg/m3": "ug/m3", "µg/m3": "ug/m3", "ug/m³": "ug/m3", "mg/m³": "mg/m3", "m²": "m2", "km²": "km2",
    "rmb": "CNY", "元": "CNY",
}


def fold_width(s: str) -> str:
    """Full-width ASCII to half-width (not NFKC: that would also rewrite ① and ²)."""
    return "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in s).replace("\u3000", " ")


def norm_text(s: str | None) -> str:
    """The comparison form of a name, title or indicator."""
    if s is None:
        return ""
    s = fold_width(unicodedata.normalize("NFC", s))  # also folds （）［］，：
    s = _DASHES.sub("-", _DOTS.sub("·", s))
    return _DROP.sub("", s).lower()


def canonical_unit(unit: str | None) -> str | None:
    if unit is None:
        return None
    u = fold_width(unit).strip()
    return _UNIT_SPELLINGS.get(u.lower(), u)


def values_close(a: float | None, b: float | None, rel: float = REL_TOLERANCE) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if a == b:
        return True
    return abs(a - b) <= rel * max(abs(a), abs(b))


def dates_compatible(a: str | None, b: str | None) -> bool:
    """Null with null; otherwise equal, one a more precise form of the other (2024-12 / 2024-12-09),
    or a point inside an interval (2012-07-03 / 2012-07-01/2012-07-05; open ends as ..END)."""
    if a is None or b is None:
        return a is None and b is None
    a, b = a.strip(), b.strip()
    if a == b or a.startswith(b + "-") or b.startswith(a + "-"):
        return True
    for interval, point in ((a, b), (b, a)):
        if "/" in interval and "/" not in point:
            lo, hi = interval.split("/", 1)
            lo, hi = lo.removeprefix(".."), hi.removeprefix("..")
            if (not lo or lo[: len(point)] <= point) and (not hi or point[: len(hi)] <= hi):
                return True
    return False


def char_overlap(a: str | None, b: str | None) -> float:
    """Share of the shorter string's characters found in the other (1.0 if either is empty)."""
    na, nb = norm_text(a), norm_text(b)
    if not na or not nb:
        return 1.0
    short, long_ = (na, nb) if len(na) <= len(nb) else (nb, na)
    return sum(1 for c in short if c in long_) / len(short)


def loose_equal(a: str | None, b: str | None) -> bool:
    """Both null, or normalised equal, or one contains the other."""
    if a is None or b is None:
        return a is None and b is None
    na, nb = norm_text(a), norm_text(b)
    return bool(na and nb) and (na == nb or na in nb or nb in na)


def _strip_admin(name: str) -> str:
    return _ADMIN_SUFFIX.sub("", name) or name


# ------------------------------------------------------------------ compatibility per type
# Each returns None when the pair may not match, else a tie-break score in [0, 1].

def _quantity(g: FactDict, p: FactDict) -> float | None:
    if canonical_unit(g.get("unit")) != canonical_unit(p.get("unit")):
        return None
    if not values_close(g.get("value"), p.get("value")):
        return None
    parts = [g.get("qualifier") == p.get("qualifier"), loose_equal(g.get("indicator"), p.get("indicator")),
             g.get("period") == p.get("period"), char_overlap(g.get("surface"), p.get("surface")) >= 0.5]
    return sum(parts) / len(parts)


def _target(g: FactDict, p: FactDict) -> float | None:
    if not dates_compatible(g.get("deadline"), p.get("deadline")):
        return None
    gv, pv = g.get("value"), p.get("value")
    if (gv is None) != (pv is None):
        return None
    if gv is not None and (canonical_unit(g.get("unit")) != canonical_unit(p.get("unit"))
                           or not values_close(gv, pv)):
        return None
    overlap = char_overlap(g.get("indicator"), p.get("indicator"))
    if overlap < INDICATOR_OVERLAP:
        return None
    return overlap


def _person(g: FactDict, p: FactDict) -> float | None:
    return 1.0 if norm_text(g.get("name")) == norm_text(p.get("name")) else None


def _names(f: FactDict) -> set[str]:
    return {norm_text(n) for n in [f.get("name"), *(f.get("aliases") or [])] if n}


def _organization(g: FactDict, p: FactDict) -> float | None:
    gn, pn = norm_text(g.get("name")), norm_text(p.get("name"))
    if gn == pn:
        return 1.0
    if gn in _names(p) or pn in _names(g):
        return 0.8
    if gn and pn and (gn.startswith(pn) or pn.startswith(gn)):
        return 0.3
    return None


def _location(g: FactDict, p: FactDict) -> float | None:
    pn = norm_text(p.get("name"))
    if not pn:
        return None
    names = [norm_text(g.get("name")), *(norm_text(a) for a in g.get("alt_names") or [])]
    if pn in names:
        return 1.0
    ps = _strip_admin(pn)
    for gn in names:
        gs = _strip_admin(gn)
        if gs == ps or (len(min(gs, ps, key=len)) >= 2 and (gn.endswith(pn) or pn.endswith(gn))):
            return 0.5
    return None


def _document(g: FactDict, p: FactDict) -> float | None:
    gt, pt = norm_text(g.get("title")), norm_text(p.get("title"))
    if gt and gt == pt:
        return 1.0
    ga, pa = norm_text(g.get("alias")), norm_text(p.get("alias"))
    if (ga and ga == pt) or (pa and pa == gt):
        return 0.5
    return None


def _jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = {norm_text(x) for x in a}, {norm_text(x) for x in b}
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


def _event(g: FactDict, p: FactDict) -> float | None:
    if g.get("kind") != p.get("kind") or not dates_compatible(g.get("date"), p.get("date")):
        return None
    name = fuzz.partial_ratio(norm_text(g.get("name") or g.get("surface")),
                              norm_text(p.get("name") or p.get("surface"))) / 100.0
    people = _jaccard(g.get("participants") or [], p.get("participants") or [])
    place = 1.0 if loose_equal(g.get("location"), p.get("location")) else 0.0
    return 0.5 * name + 0.3 * people + 0.2 * place


COMPATIBLE: dict[str, Callable[[FactDict, FactDict], float | None]] = {
    "quantity": _quantity, "target": _target, "person": _person, "organization": _organization,
    "location": _location, "document": _document, "event": _event,
}


# ------------------------------------------------------------------ one-to-one assignment

def match(fact_type: str, gold: Sequence[FactDict], pred: Sequence[FactDict]) -> list[tuple[int, int]]:
    """Optimal one-to-one pairs (gold index, predicted index) of compatible facts of one type.

    Maximises the number of pairs first, then the summed tie-break score.
    """
    compatible = COMPATIBLE[fact_type]
    weights = [[0.0] * len(pred) for _ in gold]
    any_pair = False
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            score = compatible(g, p)
            if score is not None:
                weights[gi][pi] = 1000.0 + score  # one more match always beats any tie-break
                any_pair = True
    if not any_pair:
        return []
    # scipy's rectangular assignment (the Hungarian method, as LAPJV) maximising the summed weight
    rows, cols = linear_sum_assignment(weights, maximize=True)
    return sorted((int(gi), int(pi)) for gi, pi in zip(rows, cols, strict=True) if weights[gi][pi] > 0)


# ------------------------------------------------------------------ field accuracy

def _same_exact(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.strip() == b.strip()
    return bool(a == b)


def _same_unit(a: Any, b: Any) -> bool:
    return canonical_unit(a) == canonical_unit(b)


def _same_list(a: Any, b: Any) -> bool:
    la, lb = list(a or []), list(b or [])
    return all(any(loose_equal(x, y) for y in lb) for x in la) and all(any(loose_equal(y, x) for x in la) for y in lb)


def _same_change(a: Any, b: Any) -> bool:
    if not a or not b:
        return not a and not b
    return bool(a.get("direction") == b.get("direction") and a.get("baseline") == b.get("baseline"))


FIELD_CHECKS: dict[str, dict[str, Callable[[Any, Any], bool]]] = {
    "quantity": {"value_max": values_close, "qualifier": _same_exact, "classifier": _same_exact,
                 "indicator": loose_equal, "subject": loose_equal, "period": _same_exact,
                 "change": _same_change},
    "target": {"actor": loose_equal, "indicator": loose_equal, "value": values_close, "unit": _same_unit,
               "direction": _same_exact, "qualifier": _same_exact, "deadline": _same_exact,
               "baseline": _same_exact},
    "person": {"titles": _same_list, "org": loose_equal},
    "organization": {"kind": _same_exact, "aliases": _same_list},
    "location": {"admin_code": _same_exact},
    "document": {"alias": loose_equal, "issuer": loose_equal, "action": _same_exact, "date": _same_exact},
    "event": {"date": _same_exact, "name": loose_equal, "location": loose_equal,
              "participants": _same_list, "organizations": _same_list, "instrument": loose_equal},
}


# ------------------------------------------------------------------ report

@dataclass
class TypeScore:
    type: str
    gold: int = 0
    predicted: int = 0
    tp: int = 0

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else (1.0 if not self.gold else 0.0)

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else (1.0 if not self.predicted else 0.0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class FieldScore:
    correct: int = 0
    total: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 1.0


@dataclass
class Miss:
    """A false negative (a gold fact nobody predicted) or a false positive (a prediction with no gold)."""

    kind: str  # "fn" | "fp"
    type: str
    article: ArticleKey
    fact: dict[str, Any]


@dataclass
class Report:
    scores: dict[str, TypeScore] = field(default_factory=lambda: {t: TypeScore(t) for t in FACT_TYPES})
    fields: dict[str, dict[str, FieldScore]] = field(
        default_factory=lambda: {t: {f: FieldScore() for f in FIELD_CHECKS[t]} for t in FACT_TYPES})
    errors: list[Miss] = field(default_factory=list)
    field_errors: list[tuple[str, str, ArticleKey, Any, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    articles: dict[str, FieldScore] = field(default_factory=dict)  # article metadata vs gold
    targets: dict[str, float] = field(default_factory=lambda: dict(QUALITY_TARGETS))  # F1 floors per type
    micro_target: float | None = None

    @property
    def overall(self) -> TypeScore:
        total = TypeScore("all")
        for s in self.scores.values():
            total.gold += s.gold
            total.predicted += s.predicted
            total.tp += s.tp
        return total

    def below_targets(self) -> list[str]:
        below = [t for t, goal in self.targets.items() if self.scores[t].f1 < goal]
        if self.micro_target is not None and self.overall.f1 < self.micro_target:
            below.append("micro")
        return below

    def to_json(self) -> dict[str, Any]:
        def row(s: TypeScore) -> dict[str, Any]:
            return {"gold": s.gold, "predicted": s.predicted, "tp": s.tp, "precision": round(s.precision, 4),
                    "recall": round(s.recall, 4), "f1": round(s.f1, 4)}

        return {
            "types": {t: row(s) | {"goal_f1": self.targets.get(t)} for t, s in self.scores.items()},
            "overall": row(self.overall) | {"goal_f1": self.micro_target},
            "field_accuracy": {t: {f: {"correct": fs.correct, "total": fs.total, "accuracy": round(fs.accuracy, 4)}
                                   for f, fs in fields.items() if fs.total}
                               for t, fields in self.fields.items()},
            "articles": {name: {"correct": fs.correct, "total": fs.total} for name, fs in self.articles.items()},
            "below_targets": self.below_targets(),
            "warnings": self.warnings,
            "errors": [{"kind": m.kind, "type": m.type, "seed": m.article[0], "article": m.article[1],
                        "fact": m.fact} for m in self.errors],
        }


def _by_type(facts: Iterable[FactDict], unknown: list[str]) -> dict[str, list[FactDict]]:
    out: dict[str, list[FactDict]] = {t: [] for t in FACT_TYPES}
    for f in facts:
        t = str(f.get("type"))
        if t in out:
            out[t].append(f)
        else:
            unknown.append(t)
    return out


def evaluate(gold: Mapping[ArticleKey, Sequence[FactDict]],
             predicted: Mapping[ArticleKey, Sequence[FactDict]]) -> Report:
    """Score predicted facts against gold facts, both keyed by (seed, article index)."""
    report = Report()
    for key in sorted(set(predicted) - set(gold)):
        report.warnings.append(f"{key[0]}#{key[1]}: predicted article has no gold article; its facts count as "
                               "false positives")
    for key in sorted(set(gold) - set(predicted)):
        report.warnings.append(f"{key[0]}#{key[1]}: gold article has no predicted article")
    unknown: list[str] = []
    for key in sorted(set(gold) | set(predicted)):
        g_by, p_by = _by_type(gold.get(key, ()), unknown), _by_type(predicted.get(key, ()), unknown)
        for t in FACT_TYPES:
            gs, ps = g_by[t], p_by[t]
            pairs = match(t, gs, ps) if gs and ps else []
            score = report.scores[t]
            score.gold += len(gs)
            score.predicted += len(ps)
            score.tp += len(pairs)
            for gi, pi in pairs:
                for name, same in FIELD_CHECKS[t].items():
                    fs = report.fields[t][name]
                    fs.total += 1
                    if same(gs[gi].get(name), ps[pi].get(name)):
                        fs.correct += 1
                    else:
                        report.field_errors.append((t, name, key, gs[gi].get(name), ps[pi].get(name)))
            matched_g, matched_p = {gi for gi, _ in pairs}, {pi for _, pi in pairs}
            report.errors += [Miss("fn", t, key, dict(f)) for i, f in enumerate(gs) if i not in matched_g]
            report.errors += [Miss("fp", t, key, dict(f)) for i, f in enumerate(ps) if i not in matched_p]
    if unknown:
        report.warnings.append(f"{len(unknown)} facts of unknown type ignored: {sorted(set(unknown))}")
    return report


def title_warnings(gold_titles: Mapping[ArticleKey, str | None],
                   predicted_titles: Mapping[ArticleKey, str | None]) -> list[str]:
    """Pairs whose titles disagree: the listing split or the title detection is off."""
    out = []
    for key in sorted(set(gold_titles) & set(predicted_titles)):
        g, p = norm_text(gold_titles[key]), norm_text(predicted_titles[key])
        if not g and not p:
            continue
        if not g or not p or not (g in p or p in g or fuzz.ratio(g, p) >= TITLE_SIMILARITY):
            out.append(f"{key[0]}#{key[1]}: title mismatch: gold {gold_titles[key]!r}, "
                       f"predicted {predicted_titles[key]!r}")
    return out


def _same_date_prefix(gold: Any, pred: Any) -> bool:
    """A predicted datetime agrees with a gold date it starts with (2024-11-22T08:00 / 2024-11-22)."""
    if gold is None or pred is None:
        return gold is None and pred is None
    return str(pred).startswith(str(gold))


ARTICLE_CHECKS: dict[str, Callable[[Any, Any], bool]] = {
    "title": lambda g, p: not title_warnings({("", 0): g}, {("", 0): p}),
    "published_at": _same_date_prefix,
    "source": loose_equal,
}


def article_metadata(gold_articles: Mapping[ArticleKey, Mapping[str, Any]],
                     predicted_articles: Mapping[ArticleKey, Mapping[str, Any]]) -> dict[str, FieldScore]:
    """How often the normalizer's title, publication date and source agree with the gold reader's."""
    out = {name: FieldScore() for name in ARTICLE_CHECKS}
    for key in set(gold_articles) & set(predicted_articles):
        for name, same in ARTICLE_CHECKS.items():
            out[name].total += 1
            out[name].correct += same(gold_articles[key].get(name), predicted_articles[key].get(name))
    return out


# ------------------------------------------------------------------ gold files

@dataclass
class GoldSet:
    articles: dict[ArticleKey, dict[str, Any]]
    facts: dict[ArticleKey, list[dict[str, Any]]]
    targets: dict[str, float] = field(default_factory=lambda: dict(QUALITY_TARGETS))
    micro_target: float | None = None

    @property
    def corpus_ids(self) -> set[str]:
        return {str(a["doc_id"]) for a in self.articles.values() if "doc_id" in a}


def _read_jsonl(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield n, json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{n}: not JSON: {e}") from e


def _article_key(rec: Mapping[str, Any], index_field: str) -> ArticleKey:
    """A seed file stem (`seed`) or a corpus record (`doc_id`), and the article's index in it."""
    doc = rec.get("seed") or rec.get("doc_id")
    if not doc:
        raise KeyError("a gold line names neither `seed` nor `doc_id`")
    return (str(doc), int(rec.get(index_field, 0)))


def load_gold(gold_dir: Path) -> GoldSet:
    """`articles.jsonl` (one line per article), the fact files (every other `*.jsonl`) and the
    optional `targets.json` (F1 floors per type and `micro`)."""
    articles: dict[ArticleKey, dict[str, Any]] = {}
    for n, rec in _read_jsonl(gold_dir / "articles.jsonl"):
        key = _article_key(rec, "index")
        if key in articles:
            raise ValueError(f"{gold_dir / 'articles.jsonl'}:{n}: duplicate article {key}")
        articles[key] = rec
    facts: dict[ArticleKey, list[dict[str, Any]]] = {key: [] for key in articles}
    for path in sorted(gold_dir.glob("*.jsonl")):
        if path.name == "articles.jsonl":
            continue
        for n, rec in _read_jsonl(path):
            key = _article_key(rec, "article")
            if key not in articles:
                raise ValueError(f"{path}:{n}: fact for {key}, which articles.jsonl does not list")
            facts[key].append(rec)
    gold = GoldSet(articles, facts)
    targets_file = gold_dir / "targets.json"
    if targets_file.is_file():
        declared = json.loads(targets_file.read_text("utf-8"))
        gold.micro_target = declared.pop("micro", None)
        gold.targets = {t: float(v) for t, v in declared.items()}
    return gold


def fill_surfaces(gold: GoldSet, records: Mapping[str, Any]) -> None:
    """Corpus gold keeps offsets and a short surface; the full surface is read from the corpus.

    A fact's `span` is `[start, end]` of the record's `text` (or of its `title` when `in` says so).
    """
    for key, facts in gold.facts.items():
        rec = records.get(key[0])
        if rec is None:
            continue
        for f in facts:
            span = f.get("span")
            if span:
                source = rec.title if f.get("in") == "title" else rec.text
                f["surface"] = (source or "")[span[0]:span[1]]


# ------------------------------------------------------------------ output

def format_table(report: Report) -> str:
    head = f"{'type':<13}{'gold':>6}{'pred':>6}{'tp':>6}{'P':>8}{'R':>8}{'F1':>8}{'goal':>7}  "
    lines = [head, "-" * len(head)]
    for t in FACT_TYPES:
        s = report.scores[t]
        goal = report.targets.get(t)
        flag = "" if goal is None else ("ok" if s.f1 >= goal else "LOW")
        lines.append(f"{t:<13}{s.gold:>6}{s.predicted:>6}{s.tp:>6}{s.precision:>8.3f}{s.recall:>8.3f}"
                     f"{s.f1:>8.3f}{goal if goal is not None else '':>7}  {flag}")
    o = report.overall
    mgoal = report.micro_target
    mflag = "" if mgoal is None else ("ok" if o.f1 >= mgoal else "LOW")
    lines.append(f"{'all (micro)':<13}{o.gold:>6}{o.predicted:>6}{o.tp:>6}{o.precision:>8.3f}{o.recall:>8.3f}"
                 f"{o.f1:>8.3f}{mgoal if mgoal is not None else '':>7}  {mflag}")
    if report.articles:
        lines += ["", "article metadata agreeing with gold: "
                  + ", ".join(f"{name} {fs.correct}/{fs.total}" for name, fs in report.articles.items())]
    lines += ["", "field accuracy on matched pairs:"]
    for t in FACT_TYPES:
        cells = [f"{name} {fs.correct}/{fs.total}" for name, fs in report.fields[t].items() if fs.total]
        if cells:
            lines.append(f"  {t:<13}" + ", ".join(cells))
    return "\n".join(lines)


def _describe(f: Mapping[str, Any]) -> str:
    keys = {"quantity": ("value", "unit", "qualifier", "indicator"),
            "target": ("indicator", "value", "unit", "deadline"),
            "person": ("name", "titles", "org"), "organization": ("name", "kind", "aliases"),
            "location": ("name", "admin_code"), "document": ("title", "alias", "action", "date"),
            "event": ("kind", "date", "name")}.get(str(f.get("type")), ())
    shown = {k: f.get(k) for k in keys if f.get(k) not in (None, [])}
    return f"{f.get('surface')!r} {json.dumps(shown, ensure_ascii=False)}"


def format_errors(report: Report) -> str:
    lines = []
    for t in FACT_TYPES:
        misses = [m for m in report.errors if m.type == t]
        if not misses:
            continue
        lines.append(f"== {t}")
        lines.extend(f"  {m.kind.upper()} {m.article[0][:3]}#{m.article[1]} {_describe(m.fact)}"
                     for m in sorted(misses, key=lambda m: (m.article, m.kind)))
    if report.field_errors:
        lines.append("== field disagreements on matched pairs (gold -> predicted)")
        for t, name, key, g, p in report.field_errors:
            lines.append(f"  {t}.{name} {key[0][:3]}#{key[1]}: {g!r} -> {p!r}")
    return "\n".join(lines)


# ------------------------------------------------------------------ command

@dataclass
class Prediction:
    facts: dict[ArticleKey, list[dict[str, Any]]] = field(default_factory=dict)
    articles: dict[ArticleKey, dict[str, Any]] = field(default_factory=dict)  # title, published_at, source
    failures: list[str] = field(default_factory=list)


Runner = Callable[[Path], Iterable[tuple[Any, Sequence[Any]]]]
"""path -> [(Article, [Fact])]: `ecowire.inprocess.extract_file` unless a test passes another."""
CorpusRunner = Callable[[Any], Iterable[tuple[Any, Sequence[Any]]]]
"""CorpusRecord -> [(Article, [Fact])]: `ecowire.inprocess.extract_record` unless a test passes another."""

# The gold sets that ship with the project, by name (`ecowire eval --set NAME`).
GOLD_ROOT = Path(__file__).resolve().parents[2] / "tests" / "gold"
GOLD_SETS = {"seeds": GOLD_ROOT, "dev": GOLD_ROOT / "dev"}
SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"


def _collect(out: Prediction, name: str, job: Callable[[], Iterable[tuple[Any, Sequence[Any]]]]) -> None:
    """Run one document; a crash is recorded in `failures` (its gold then counts as missed) so one
    failure does not hide the scores of the other documents."""
    try:
        results = list(job())
    except Exception as e:  # noqa: BLE001 - reported as a failure line and as missed gold facts
        out.failures.append(f"{name}: pipeline failed: {type(e).__name__}: {e}")
        return
    for article, article_facts in results:
        key = (name, article.index)
        out.articles[key] = {"title": article.title, "published_at": article.published_at,
                             "source": article.source}
        out.facts[key] = [f.model_dump(mode="json") for f in article_facts]


def predict(seeds_dir: Path, seeds: Iterable[str], runner: Runner | None = None) -> Prediction:
    """Run the in-process pipeline (normalizer + extractor) on each seed file."""
    if runner is None:
        from .inprocess import extract_file  # the stages are heavy; only the command needs them

        runner = extract_file
    out = Prediction()
    for seed in seeds:
        path = seeds_dir / f"{seed}.txt"
        if not path.is_file():
            raise FileNotFoundError(f"seed file {path} (named by the gold) does not exist")
        _collect(out, seed, lambda path=path: runner(path))  # type: ignore[misc]
    return out


def predict_corpus(records: Mapping[str, Any], doc_ids: Iterable[str],
                   runner: CorpusRunner | None = None) -> Prediction:
    """Run the in-process pipeline on each corpus record the gold names."""
    if runner is None:
        from .inprocess import extract_record

        runner = extract_record
    out = Prediction()
    for doc_id in doc_ids:
        if doc_id not in records:
            raise KeyError(f"corpus record {doc_id} (named by the gold) is not in the corpus")
        _collect(out, doc_id, lambda rec=records[doc_id]: runner(rec))  # type: ignore[misc]
    return out


def run(seeds_dir: Path, gold_dir: Path, runner: Runner | None = None, corpus: Path | None = None,
        corpus_runner: CorpusRunner | None = None) -> Report:
    """Score a gold folder: its articles are seed files (`seed`) or corpus records (`doc_id`)."""
    gold = load_gold(gold_dir)
    seeds = sorted({key[0] for key, a in gold.articles.items() if "doc_id" not in a})
    predicted = predict(seeds_dir, seeds, runner)
    doc_ids = sorted(gold.corpus_ids)
    if doc_ids:
        from . import corpus as corpus_mod

        path = corpus or corpus_mod.default_path()
        if not path.is_file():
            raise FileNotFoundError(f"the gold set {gold_dir} reads its texts from the corpus, and {path} does not "
                                    f"exist: pass --corpus or set {corpus_mod.CORPUS_ENV}")
        records = {r.doc_id: r for r in corpus_mod.read(path, set(doc_ids))}
        fill_surfaces(gold, records)
        from_corpus = predict_corpus(records, doc_ids, corpus_runner)
        predicted.facts.update(from_corpus.facts)
        predicted.articles.update(from_corpus.articles)
        predicted.failures += from_corpus.failures
    report = evaluate(gold.facts, predicted.facts)
    report.targets, report.micro_target = gold.targets, gold.micro_target
    report.articles = article_metadata(gold.articles, predicted.articles)
    report.warnings = predicted.failures + report.warnings + title_warnings(
        {k: a.get("title") for k, a in gold.articles.items()},
        {k: a.get("title") for k, a in predicted.articles.items()})
    return report


def gold_dir_for(name: str) -> Path:
    """A named gold set (`seeds`, `dev`) or a path to a gold folder."""
    return GOLD_SETS.get(name) or Path(name)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", dest="gold_set", default="seeds", metavar="SET",
                   help="gold set: seeds (default), dev, or the path of a gold folder")
    p.add_argument("--gold", type=Path, default=None, help="gold folder (same as --set PATH)")
    p.add_argument("--seeds", type=Path, default=SEEDS_DIR, help="folder of seed files (default: the repo's seeds/)")
    p.add_argument("--corpus", type=Path, default=None,
                   help="corpus file for gold sets of corpus articles (default: $ECOWIRE_CORPUS, else "
                        "../shared/corpus/articles.jsonl beside the repo)")
    p.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    p.add_argument("--errors", action="store_true", help="list false negatives / positives per type")
    p.add_argument("--strict", action="store_true", help="exit 1 when a type is below its quality target")


def cmd_eval(args: argparse.Namespace) -> int:
    gold_dir = args.gold or gold_dir_for(args.gold_set)
    try:
        report = run(args.seeds, gold_dir, corpus=args.corpus)
    except (OSError, ValueError, KeyError) as e:  # unreadable gold, a missing seed or corpus: a usage error
        print(f"ecowire eval: {e}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(report.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for w in report.warnings:
            print(f"warning: {w}", file=sys.stderr)
        print(format_table(report))
        if args.errors:
            print()
            print(format_errors(report))
    below = report.below_targets()
    if below and not args.json:
        print(f"\nbelow quality target: {', '.join(below)}", file=sys.stderr)
    return 1 if (args.strict and below) else 0


def add_subcommands(sub: Any) -> None:
    """Register `ecowire eval` on the CLI's subparsers."""
    p = sub.add_parser("eval", help="extraction quality against the gold annotations (tests/gold/)")
    add_arguments(p)
    p.set_defaults(func=cmd_eval)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ecowire eval", description="Extraction quality against the gold.")
    add_arguments(parser)
    return cmd_eval(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
