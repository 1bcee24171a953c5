"""Synthetic facts.v1 streams: articles with known duplicates, shared events, series, targets and
people. Used by the tests and by the restore benchmark to feed the aggregator without depending on
the normalizer and extractor; the records are exactly what the extractor publishes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from ecowire_schemas.common import H_INGESTED_AT, H_RECORD, H_SCHEMA_VERSION, stable_id
from ecowire_schemas.facts import Evidence, ExtractionRecord, Fact

from .dedup import signature

EXTRACTOR_VERSION = "synthetic-1"
_FACT: TypeAdapter[Any] = TypeAdapter(Fact)


@dataclass(frozen=True)
class SyntheticArticle:
    record: ExtractionRecord
    facts: list[Any]  # Fact models
    text: str

    def records(self, topic_key: str | None = None) -> list[tuple[bytes, bytes, dict[str, str]]]:
        """(key, value, headers) of its facts.v1 records: the facts, then the extraction record."""
        key = (topic_key or self.record.article_id).encode()
        ing = self.record.ingested_at.isoformat()
        out = [
            (key, f.model_dump_json().encode(), {H_SCHEMA_VERSION: "1", H_RECORD: "fact", H_INGESTED_AT: ing})
            for f in self.facts
        ]
        out.append((key, self.record.model_dump_json().encode(),
                    {H_SCHEMA_VERSION: "1", H_RECORD: "extraction", H_INGESTED_AT: ing}))
        return out


def make_article(
    body: str,
    facts: list[dict[str, Any]],
    *,
    title: str,
    published_at: str | None,
    source: str | None = None,
    doc_id: str | None = None,
    ingested_at: datetime | None = None,
) -> SyntheticArticle:
    """An article from its body and fact specs; each spec's `surface` must occur in the text."""
    text = f"{title}\n\n{body}"
    content_hash = stable_id("content", body, length=64)
    doc_id = doc_id or "c-" + stable_id("doc", text, source or "")
    article_id = stable_id(doc_id, 0, content_hash)
    built = []
    for spec in facts:
        surface = spec["surface"]
        start = text.find(surface)
        if start < 0:
            raise ValueError(f"surface {surface!r} is not in the text")
        end = start + len(surface)
        fact_id = stable_id(article_id, spec["type"], start, end, EXTRACTOR_VERSION)
        built.append(_FACT.validate_python({
            **spec, "fact_id": fact_id, "article_id": article_id, "extractor_version": EXTRACTOR_VERSION,
            "evidence": Evidence(start=start, end=end, text=surface).model_dump(),
        }))
    record = ExtractionRecord(
        article_id=article_id, doc_id=doc_id, extractor_version=EXTRACTOR_VERSION, title=title,
        published_at=published_at, source=source, url=None, content_hash=content_hash,
        minhash=signature(body), text_length=len(text), fact_ids=[f.fact_id for f in built],
        ingested_at=ingested_at or datetime(2026, 1, 1, tzinfo=UTC),
    )
    return SyntheticArticle(record, built, text)


def truncated_copy(article: SyntheticArticle, share: float = 0.5, source: str | None = None) -> SyntheticArticle:
    """A copy of an article cut to the first `share` of its body, with the facts still inside."""
    title, _, body = article.text.partition("\n\n")
    cut = body[: max(1, int(len(body) * share))]
    facts = [_spec(f) for f in article.facts if f.surface in cut]
    return make_article(cut, facts, title=title, published_at=article.record.published_at,
                        source=source or article.record.source, ingested_at=article.record.ingested_at)


def republished(article: SyntheticArticle, source: str) -> SyntheticArticle:
    """The same text published again under another source (another document, same content)."""
    title, _, body = article.text.partition("\n\n")
    return make_article(body, [_spec(f) for f in article.facts], title=title,
                        published_at=article.record.published_at, source=source,
                        ingested_at=article.record.ingested_at + timedelta(seconds=1))


def _spec(fact: Any) -> dict[str, Any]:
    return fact.model_dump(exclude={"fact_id", "article_id", "extractor_version", "evidence", "mentions",
                                    "schema_version"})


# ---------------------------------------------------------------- a corpus with known structure

_WORDS = ("生态环境", "碳排放", "绿色低碳", "大气污染", "水环境", "固体废物", "节能降碳", "新能源", "碳市场",
          "排污许可", "生物多样性", "气候变化", "清洁能源", "循环经济", "环境监测", "土壤修复", "森林碳汇",
          "污水处理", "光伏发电", "风电项目", "电动汽车", "工业园区", "城市更新", "海洋保护", "湿地公园")
_ORGS = ("生态环境部", "国家发展改革委", "广东省生态环境厅", "深圳市生态环境局", "上海环境能源交易所",
         "广州碳排放权交易所", "北京市生态环境局", "中国环境科学研究院", "世界自然基金会", "联合国环境规划署")
_PEOPLE = ("黄润秋", "赵英民", "许化", "王金南", "李高", "刘友宾", "叶雅伦", "孙金龙", "陈吉宁", "翟青")
_TITLES = ("部长", "副部长", "局长", "副局长", "党组书记", "主任", "副主任", "院长", "司长", "处长")
_PLACES = ("深圳", "广州", "上海", "北京", "杭州", "成都", "武汉", "南京")
_INDICATORS = ("PM2.5浓度", "成交量", "单位GDP能耗", "碳排放强度", "森林覆盖率", "装机容量")
_UNITS = {"PM2.5浓度": "ug/m3", "成交量": "tCO2e", "单位GDP能耗": "%", "碳排放强度": "%",
          "森林覆盖率": "%", "装机容量": "kW"}
_KINDS = ("meeting", "visit", "signing", "launch", "training")
_KIND_WORDS = {"meeting": "座谈会", "visit": "调研", "signing": "签约仪式", "launch": "启动仪式", "training": "培训班"}


def _filler(rng: random.Random, n: int) -> str:
    return "，".join("".join(rng.sample(_WORDS, 3)) for _ in range(n)) + "。"


def corpus(n: int, seed: int = 0, duplicate_every: int = 7, truncated_every: int = 11) -> list[SyntheticArticle]:
    """`n` distinct articles plus exact republications and truncated copies of some of them.

    Events are drawn from a small pool of (kind, date, organisation) so several articles report
    the same event; quantities and targets from a small pool of keys so series and target entries
    gather points from many sources, with differing target values.
    """
    return list(iter_corpus(n, seed, duplicate_every, truncated_every))


def iter_corpus(n: int, seed: int = 0, duplicate_every: int = 7,
                truncated_every: int = 11) -> Iterator[SyntheticArticle]:
    """`corpus` one article at a time (the benchmark streams 200 000 of them)."""
    rng = random.Random(seed)
    base_day = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(n):
        org = rng.choice(_ORGS)
        person, ptitle = rng.choice(_PEOPLE), rng.choice(_TITLES)
        place = rng.choice(_PLACES)
        kind = rng.choice(_KINDS)
        day = (base_day + timedelta(days=rng.randrange(20))).date().isoformat()
        published = (base_day + timedelta(days=20 + i % 30)).date().isoformat()
        indicator = rng.choice(_INDICATORS)
        value = float(rng.randrange(1, 50) * 10)
        year = rng.choice(("2022", "2023", "2024"))
        t_value = float(rng.choice((10, 12, 15)))
        t_deadline = rng.choice(("2025", "2030"))
        ev_surface = f"{day}，{org}{_KIND_WORDS[kind]}第{i}场"
        person_surface = f"{org}{ptitle}{person}"
        q_surface = f"{year}年{place}{indicator}为{value:g}第{i}号"
        t_surface = f"到{t_deadline}年{place}{indicator}下降{t_value:g}%目标{i}"
        body = "".join([
            _filler(rng, 4), ev_surface, "。", person_surface, "出席。", _filler(rng, 3),
            q_surface, "。", t_surface, "。", _filler(rng, 6),
        ])
        facts: list[dict[str, Any]] = [
            {"type": "event", "surface": ev_surface, "kind": kind, "date": day, "name": None,
             "participants": [person], "organizations": [org]},
            {"type": "person", "surface": person_surface, "name": person, "titles": [ptitle], "org": org},
            {"type": "quantity", "surface": q_surface, "value": value, "unit": _UNITS[indicator],
             "indicator": indicator, "subject": place, "period": year},
            {"type": "target", "surface": t_surface, "actor": place, "indicator": indicator, "value": t_value,
             "unit": "%", "direction": "decrease", "qualifier": "exact", "deadline": t_deadline},
            {"type": "organization", "surface": org, "name": org, "kind": "government", "aliases": []},
        ]
        art = make_article(body, facts, title=f"{place}{rng.choice(_WORDS)}新闻{i}", published_at=published,
                           source=rng.choice(("新华网", "人民网", "中国环境报")),
                           ingested_at=base_day + timedelta(days=40, seconds=i))
        yield art
        if duplicate_every and i % duplicate_every == duplicate_every - 1:
            yield republished(art, source="转载网")
        if truncated_every and i % truncated_every == truncated_every - 1:
            yield truncated_copy(art)


def hot_corpus(n: int, seed: int = 0, url_length: int = 0) -> Iterator[SyntheticArticle]:
    """`n` distinct articles that all report one meeting and name one official: the hot aggregate
    (a national leader, a ministry) whose record must stay bounded. `url_length` pads each
    article's URL, for records whose sources are long."""
    rng = random.Random(seed)
    base_day = datetime(2024, 3, 1, tzinfo=UTC)
    for i in range(n):
        lead = f"第{i}篇：生态环境部部长黄润秋出席全国生态环境保护工作会议。"
        body = lead + _filler(rng, 12)
        meeting = "全国生态环境保护工作会议"
        art = make_article(body, [
            {"type": "event", "surface": lead, "kind": "meeting", "date": "2024-03-01", "name": meeting,
             "participants": ["黄润秋"], "organizations": ["生态环境部"]},
            {"type": "person", "surface": "生态环境部部长黄润秋", "name": "黄润秋", "titles": ["部长"],
             "org": "生态环境部"},
        ], title=f"{meeting}报道{i}", published_at=(base_day + timedelta(days=i % 400)).date().isoformat(),
            source=rng.choice(("新华网", "人民网", "中国环境报")), ingested_at=base_day + timedelta(seconds=i))
        if url_length:
            url = f"https://example.org/{i}/" + "x" * url_length
            art = SyntheticArticle(art.record.model_copy(update={"url": url}), art.facts, art.text)
        yield art
