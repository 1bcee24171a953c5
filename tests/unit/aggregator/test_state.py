from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ecowire.aggregator.state import OffsetMark, RestoredState, StoredArticle, article_key, encode, offset_key
from ecowire.aggregator.synthetic import corpus


def test_restored_state_takes_latest_values_offsets_and_tombstones() -> None:
    a, b = corpus(2, duplicate_every=0, truncated_every=0)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    sa = StoredArticle(record=a.record, facts=a.facts, completed_at=when, applied_offset=3)
    sb = StoredArticle(record=b.record, facts=b.facts, completed_at=when, applied_offset=4, links=["x"])
    r = RestoredState()
    r.apply(article_key(a.record.article_id), encode(sa))
    r.apply(article_key(b.record.article_id), encode(sb))
    r.apply(offset_key(0), encode(OffsetMark(partition=0, applied_offset=9)))
    r.apply(article_key(a.record.article_id), None)
    assert list(r.articles) == [b.record.article_id]
    assert r.articles[b.record.article_id] == sb
    assert r.applied_offset == 9 and r.records_read == 4


def test_restored_state_refuses_what_is_not_its_changelog() -> None:
    r = RestoredState()
    with pytest.raises(ValueError, match="unknown changelog key"):
        r.apply("stuff:1", b"{}")
    with pytest.raises(ValueError, match="holds a 'offset' record"):
        r.apply("article:x", encode(OffsetMark(partition=0, applied_offset=1)))
    with pytest.raises(ValueError):
        r.apply("offset:0", b'{"kind": "offset"}')
