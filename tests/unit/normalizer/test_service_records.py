"""The normalizer's worker hands back its articles already encoded: the records the service
produces are byte for byte those of the `Article` models `normalize()` returns."""

from __future__ import annotations

import pickle

from ecowire.core.records import InRecord, OutRecord
from ecowire.inprocess import raw_for_file
from ecowire.normalizer import normalize
from ecowire.normalizer.app import handle, work
from tests.support import SEEDS


def test_the_records_are_those_of_the_articles_normalize_returns() -> None:
    seeds = sorted(SEEDS.glob("*.txt"))
    assert seeds, "no seed documents"
    for path in seeds:
        raw = raw_for_file(path)
        record = InRecord(value=b"{}", key=raw.doc_id.encode(), topic="raw", partition=0, offset=0)
        shipped = pickle.loads(pickle.dumps(work(raw)))  # as it crosses from the worker process
        got = handle(raw, record, shipped)
        want = [OutRecord(r.topic, a.article_id, a, ingested_at=raw.ingested_at)
                for r, a in zip(got, normalize(raw), strict=True)]
        assert [(r.topic, r.key, r.encode(), r.headers()) for r in got] == \
               [(r.topic, r.key, r.encode(), r.headers()) for r in want]
