"""The aggregator's state machine: apply one article bundle, get the results to publish and the
changelog records to write. Plain data in and out; no Kafka.

Determinism is the point. The final state is a function of the SET of articles applied, never of
their order: duplicate links are symmetric and found whichever article comes second; a cluster's
original is its best-ranked member (earliest publication, then longest text, then id); aggregates
hold the facts of originals only and are rebuilt from them. So a replay, a SIGKILL, or a
rebalance onto another process ends in exactly the aggregates of an undisturbed run.

Bounded: an apply touches the duplicate index through capped LSH buckets, and each aggregate it
touches through O(log n) updates of that aggregate's sorted history; each touched record is built
from the aggregate's running figures and latest sources and compared with what was published by
a digest, so nothing walks all held articles nor any aggregate's full history.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ecowire_schemas.common import Contract
from ecowire_schemas.results import ArticleResult

from .dedup import DedupConfig, DedupIndex, Fingerprint, similarity
from .events import EventIndex
from .index import FactIndex, origin, page
from .people import PeopleIndex
from .series import SeriesIndex
from .state import (
    ArticleBundle,
    OffsetMark,
    RestoredState,
    StoredArticle,
    article_key,
    encode,
    offset_key,
)
from .targets import TargetIndex

INDEX_OF_FACT_TYPE = {"event": "event", "quantity": "series", "target": "target", "person": "person"}
# The query endpoints' names for the aggregate kinds (GET /{endpoint}/{id}/history).
HISTORY_ENDPOINTS = {"events": "event", "series": "series", "targets": "target", "people": "person"}


@dataclass(frozen=True)
class ResultOut:
    """A record for the results topic; `value` None is a tombstone (the aggregate is gone)."""

    key: str
    value: Contract | None

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]


@dataclass
class Update:
    applied: bool = True  # False: the bundle was at or below the last applied offset (a replay)
    results: list[ResultOut] = field(default_factory=list)
    changelog: list[tuple[str, bytes]] = field(default_factory=list)
    new_article: ArticleResult | None = None  # set when the bundle brought an article not seen before


def fingerprint(article: StoredArticle) -> Fingerprint:
    r = article.record
    return Fingerprint(r.article_id, r.content_hash, tuple(r.minhash), r.text_length, r.published_at,
                       r.ingested_at.isoformat())


def rank(article: StoredArticle) -> tuple[str, int, str, str]:
    """Which member of a duplicate cluster is the original (see `Fingerprint.rank`)."""
    return fingerprint(article).rank


def _digest(value: Contract) -> bytes:
    return hashlib.blake2b(value.model_dump_json().encode("utf-8"), digest_size=16).digest()


class AggregatorState:
    """The state of one bundles partition."""

    def __init__(self, partition: int = 0, cfg: DedupConfig | None = None) -> None:
        self.partition = partition
        self.cfg = cfg or DedupConfig()
        self.articles: dict[str, StoredArticle] = {}
        self.dedup = DedupIndex(self.cfg)
        self.indexes: dict[str, FactIndex[Any, Any]] = {
            "event": EventIndex(),
            "series": SeriesIndex(),
            "target": TargetIndex(),
            "person": PeopleIndex(),
        }
        self.applied_offset = -1
        self.entries: Counter[str] = Counter()  # published aggregates by kind (event, series, ...)
        # What each aggregate key was last published as (a digest, not the record: memory stays
        # small), so an unchanged record is not republished and a vanished one gets a tombstone.
        self.published: dict[str, bytes] = {}

    # ------------------------------------------------------------------ queries

    def original_of(self, article_id: str) -> str:
        return self.dedup.original(article_id)

    def duplicate_found(self, article_id: str) -> str | None:
        """"exact" or "near" when the article joined a cluster of copies, None when it is alone.

        Which member is labelled the original can change as copies arrive (the earliest published
        wins), so a duplicate is counted when a copy arrives, whichever member it makes the copy.
        Every copy of one text is in one cluster, so "exact" is: another article has its text."""
        if self.dedup.cluster_size(article_id) < 2:
            return None
        h = self.articles[article_id].record.content_hash
        return "exact" if self.dedup.copies_of_text(h) > 1 else "near"

    def article_result(self, article_id: str) -> ArticleResult:
        a = self.articles[article_id]
        r = a.record
        orig = self.original_of(article_id)
        status, sim, dup_of = "original", None, None
        if orig != article_id:
            o = self.articles[orig]
            dup_of = orig
            if o.record.content_hash == r.content_hash:
                status, sim = "duplicate", 1.0
            else:
                status, sim = "near_duplicate", similarity(fingerprint(a), fingerprint(o), self.cfg)
        return ArticleResult(
            article_id=r.article_id,
            doc_id=r.doc_id,
            title=r.title,
            published_at=r.published_at,
            source=r.source,
            url=r.url,
            content_hash=r.content_hash,
            status=status,
            duplicate_of=dup_of,
            cluster_id=orig,
            similarity=sim,
            facts=a.facts,
            fact_counts=dict(sorted(Counter(f.type for f in a.facts).items())),
            ingested_at=r.ingested_at,
            completed_at=a.completed_at,
        )

    def all_results(self) -> dict[str, Contract]:
        """Every result as the compacted results topic should hold it: key → latest value."""
        out: dict[str, Contract] = {article_key(a): self.article_result(a) for a in sorted(self.articles)}
        for index in self.indexes.values():
            for rk in index.result_keys():
                value = index.output(rk)
                if value is not None:
                    out[rk] = value
        return out

    def key_count(self) -> int:
        return len(self.articles)

    def history(self, endpoint: str, ident: str, cursor: str | None, limit: int) -> dict[str, Any] | None:
        """One page of an aggregate's full history (every source, in source order), None when
        there is no such aggregate. Raises KeyError for an unknown endpoint, ValueError for a bad
        cursor."""
        kind = HISTORY_ENDPOINTS[endpoint]
        history = self.indexes[kind].history(f"{kind}:{ident}")
        return page(history, cursor, limit) if history is not None else None

    # ------------------------------------------------------------------ apply

    def apply(self, bundle: ArticleBundle, offset: int, now: datetime) -> Update:
        """Apply the bundle found at `offset` of this state's bundles partition."""
        if offset <= self.applied_offset:
            return Update(applied=False)
        aid = bundle.article_id
        existing = self.articles.get(aid)
        if existing is not None and existing.same_content(bundle):
            # The same article again (published twice, or replayed after its changelog record was
            # written): nothing changes, but the offset moves on.
            self.applied_offset = offset
            mark = OffsetMark(partition=self.partition, applied_offset=offset)
            return Update(changelog=[(offset_key(self.partition), encode(mark))])

        stored = StoredArticle(
            record=bundle.record,
            facts=bundle.facts,
            completed_at=existing.completed_at if existing is not None else now,
            applied_offset=offset,
        )
        if existing is not None:
            stored = stored.model_copy(update={"links": existing.links})
            results = self._replace(existing, stored)
            new_article = None
        else:
            stored, results = self._insert(stored)
            new_article = next(
                r.value for r in results if r.key == article_key(aid) and isinstance(r.value, ArticleResult)
            )
        self.applied_offset = offset
        return Update(results=results, changelog=[(article_key(aid), encode(stored))], new_article=new_article)

    def _insert(self, stored: StoredArticle) -> tuple[StoredArticle, list[ResultOut]]:
        aid = stored.article_id
        fp = fingerprint(stored)
        links = self.dedup.links(fp)
        stored = stored.model_copy(update={"links": sorted(links)})
        roots = {self.dedup.root(o) for o in links}
        old_originals = {r: self.dedup.original(r) for r in roots}  # linked cluster -> its original
        new_orig = min([(fp.rank, aid), *(self.dedup.best(r) for r in roots)])[1]
        # Only the members of a cluster whose original changes get a new article result (rare).
        moved = sorted(m for r, o in old_originals.items() if o != new_orig for m in self.dedup.cluster(r))
        self.articles[aid] = stored
        self.dedup.add(fp, links)
        demoted = sorted(set(old_originals.values()) - {new_orig})
        promoted = [] if new_orig in old_originals.values() else [new_orig]
        aggregates = self._swap_contributions(remove=demoted, add=promoted)
        return stored, [ResultOut(article_key(m), self.article_result(m)) for m in [aid, *moved]] + aggregates

    def _replace(self, old: StoredArticle, new: StoredArticle) -> list[ResultOut]:
        """The same article with other facts (re-extracted by a newer extractor)."""
        aid = old.article_id
        is_original = self.original_of(aid) == aid
        touched: set[tuple[str, str]] = set()
        if is_original:
            touched |= self._contribute(old, add=False)
        self.articles[aid] = new
        if is_original:
            touched |= self._contribute(new, add=True)
        return [ResultOut(article_key(aid), self.article_result(aid)), *self._publish(touched)]

    def _swap_contributions(self, remove: list[str], add: list[str]) -> list[ResultOut]:
        touched: set[tuple[str, str]] = set()
        for a in remove:
            touched |= self._contribute(self.articles[a], add=False)
        for a in add:
            touched |= self._contribute(self.articles[a], add=True)
        return self._publish(touched)

    def _contribute(self, article: StoredArticle, add: bool) -> set[tuple[str, str]]:
        """Add or remove an article's facts; the (index, result key) pairs touched."""
        touched: set[tuple[str, str]] = set()
        for fact in article.facts:
            name = INDEX_OF_FACT_TYPE.get(fact.type)
            if name is None:
                continue
            index = self.indexes[name]
            keys = index.add(fact, origin(article.record, fact.fact_id)) if add else index.remove(fact.fact_id)
            touched.update((name, k) for k in keys)
        return touched

    def _publish(self, touched: set[tuple[str, str]]) -> list[ResultOut]:
        """Results to publish: new or changed records, and tombstones for records that are gone."""
        out: list[ResultOut] = []
        for name, rk in sorted(touched):
            kind = self.indexes[name].kind
            value = self.indexes[name].output(rk)
            old = self.published.get(rk)
            if value is None:
                if old is not None:
                    del self.published[rk]
                    self.entries[kind] -= 1
                    out.append(ResultOut(rk, None))
                continue
            d = _digest(value)
            if d != old:
                if old is None:
                    self.entries[kind] += 1
                self.published[rk] = d
                out.append(ResultOut(rk, value))
        return out

    # ------------------------------------------------------------------ restore

    @classmethod
    def restore(cls, partition: int, restored: RestoredState, cfg: DedupConfig | None = None) -> AggregatorState:
        """Rebuild the state from its changelog's latest records. Publishes nothing: what the
        restored state implies was published before its changelog records were written."""
        state = cls(partition, cfg)
        state.applied_offset = restored.applied_offset
        for aid in sorted(restored.articles):
            stored = restored.articles[aid]
            state.articles[aid] = stored
            state.dedup.add(fingerprint(stored), ())
        for aid in sorted(restored.articles):
            # The links found when each article arrived: no LSH queries on restore.
            for other in restored.articles[aid].links:
                if other in state.articles:
                    state.dedup.link(aid, other)
        originals = {state.original_of(aid) for aid in state.articles}
        touched: set[tuple[str, str]] = set()
        for aid in sorted(originals):
            touched |= state._contribute(state.articles[aid], add=True)
        state._publish(touched)  # records what the topic holds (digests); the records are dropped
        return state
