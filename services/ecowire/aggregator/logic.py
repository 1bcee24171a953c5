"""The aggregator's state machine: apply one article bundle, get the results to publish and the
changelog records to write. Plain data in and out; no Kafka.

Determinism is the point. The final state is a function of the SET of articles applied, never of
their order: duplicate links are symmetric and found whichever article comes second; a cluster's
original is its best-ranked member (earliest publication, then longest text, then id); aggregates
hold the facts of originals only and are rebuilt from them. So a replay, a SIGKILL, or a
rebalance onto another process ends in exactly the aggregates of an undisturbed run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ecowire_schemas.common import Contract
from ecowire_schemas.results import ArticleResult

from .dedup import DedupConfig, DedupIndex, Fingerprint, similarity
from .events import EventIndex
from .index import FactIndex, origin
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
    return Fingerprint(r.article_id, r.content_hash, tuple(r.minhash), r.text_length)


def rank(article: StoredArticle) -> tuple[str, int, str]:
    """Which member of a duplicate cluster is the original: earliest published, then the longest
    (a truncated copy is not the original), then the smallest id."""
    r = article.record
    return (r.published_at or "9999", -r.text_length, r.article_id)


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

    # ------------------------------------------------------------------ queries

    def original_of(self, article_id: str) -> str:
        return min(self.dedup.cluster(article_id), key=lambda m: rank(self.articles[m]))

    def duplicate_found(self, article_id: str) -> str | None:
        """"exact" or "near" when the article joined a cluster of copies, None when it is alone.

        Which member is labelled the original can change as copies arrive (the earliest published
        wins), so a duplicate is counted when a copy arrives, whichever member it makes the copy."""
        others = [m for m in self.dedup.cluster(article_id) if m != article_id]
        if not others:
            return None
        h = self.articles[article_id].record.content_hash
        return "exact" if any(self.articles[m].record.content_hash == h for m in others) else "near"

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
            for key in list(index.groups):
                out.update(index.outputs(key))
        return out

    def key_count(self) -> int:
        return len(self.articles)

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
        old_originals: dict[str, str] = {}  # member of a linked cluster -> its original before
        for root in {self.dedup.root(o) for o in links}:
            orig = self.original_of(root)
            for m in self.dedup.cluster(root):
                old_originals[m] = orig
        self.articles[aid] = stored
        self.dedup.add(fp, links)
        new_orig = self.original_of(aid)
        demoted = sorted(set(old_originals.values()) - {new_orig})
        promoted = [] if new_orig in old_originals.values() else [new_orig]
        aggregates = self._swap_contributions(remove=demoted, add=promoted)
        changed = [aid, *sorted(m for m, o in old_originals.items() if o != new_orig)]
        return stored, [ResultOut(article_key(m), self.article_result(m)) for m in changed] + aggregates

    def _replace(self, old: StoredArticle, new: StoredArticle) -> list[ResultOut]:
        """The same article with other facts (re-extracted by a newer extractor)."""
        aid = old.article_id
        is_original = self.original_of(aid) == aid
        keys = self._keys_of([old, new]) if is_original else set()
        before = self._outputs(keys)
        if is_original:
            self._contribute(old, add=False)
        self.articles[aid] = new
        if is_original:
            self._contribute(new, add=True)
        return [ResultOut(article_key(aid), self.article_result(aid)), *self._diff(before, keys)]

    def _swap_contributions(self, remove: list[str], add: list[str]) -> list[ResultOut]:
        arts = [self.articles[a] for a in [*remove, *add]]
        keys = self._keys_of(arts)
        before = self._outputs(keys)
        for a in remove:
            self._contribute(self.articles[a], add=False)
        for a in add:
            self._contribute(self.articles[a], add=True)
        return self._diff(before, keys)

    def _contribute(self, article: StoredArticle, add: bool) -> None:
        for fact in article.facts:
            index = INDEX_OF_FACT_TYPE.get(fact.type)
            if index is None:
                continue
            if add:
                self.indexes[index].add(fact, origin(article.record, fact.fact_id))
            else:
                self.indexes[index].remove(fact.fact_id)

    def _keys_of(self, articles: Iterable[StoredArticle]) -> set[tuple[str, Hashable]]:
        keys: set[tuple[str, Hashable]] = set()
        for a in articles:
            for fact in a.facts:
                index = INDEX_OF_FACT_TYPE.get(fact.type)
                if index is None:
                    continue
                k = self.indexes[index].key(fact)
                if k is not None:
                    keys.add((index, k))
        return keys

    def _outputs(self, keys: set[tuple[str, Hashable]]) -> dict[tuple[str, Hashable], dict[str, Contract | None]]:
        """What each key publishes now. An index with one fixed result key per aggregate key
        (series, target, person) only names it (its value is compared after the change: no need
        to build a long entry twice); events are built, since merging can change their ids."""
        out: dict[tuple[str, Hashable], dict[str, Contract | None]] = {}
        for k in keys:
            index = self.indexes[k[0]]
            fixed = index.result_key(k[1])
            if fixed is not None:
                out[k] = {fixed: None} if k[1] in index.groups else {}
            else:
                out[k] = dict(index.outputs(k[1]))
        return out

    def _diff(
        self, before: dict[tuple[str, Hashable], dict[str, Contract | None]], keys: set[tuple[str, Hashable]]
    ) -> list[ResultOut]:
        """Results to publish: new or changed outputs, and tombstones for outputs that are gone."""
        out: list[ResultOut] = []
        for k in sorted(keys, key=repr):
            old = before[k]
            new = self.indexes[k[0]].outputs(k[1])
            out += [ResultOut(rk, v) for rk, v in new.items() if old.get(rk) != v]
            out += [ResultOut(rk, None) for rk in old if rk not in new]
            self.entries[self.indexes[k[0]].kind] += len(set(new) - set(old)) - len(set(old) - set(new))
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
        for aid in sorted(originals):
            state._contribute(state.articles[aid], add=True)
        for index in state.indexes.values():
            if index.kind == "event":
                state.entries[index.kind] = sum(len(index.outputs(k)) for k in index.groups)
            else:
                state.entries[index.kind] = len(index.groups)
        return state
