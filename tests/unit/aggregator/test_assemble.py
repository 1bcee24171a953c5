from __future__ import annotations

from ecowire.aggregator.assemble import Assembler
from ecowire.aggregator.synthetic import corpus


def test_bundle_holds_listed_facts_and_commit_waits_for_open_articles() -> None:
    a, b = corpus(2, duplicate_every=0, truncated_every=0)
    asm = Assembler()
    asm.add_fact(0, 10, a.facts[0])
    asm.add_fact(0, 11, b.facts[0])
    for i, f in enumerate(a.facts[1:], start=12):
        asm.add_fact(0, i, f)
    asm.add_fact(0, 20, a.facts[0])  # read twice (an extractor retry): kept once
    assert asm.safe_commit(0, 21) == 10
    bundle = asm.close("facts", 0, 21, a.record)
    assert [f.fact_id for f in bundle.facts] == a.record.fact_ids
    assert bundle.missing_fact_ids == []
    # b is still open since offset 11: the partition may not be committed past it
    assert asm.safe_commit(0, 22) == 11
    bundle_b = asm.close("facts", 0, 22, b.record)
    assert bundle_b.missing_fact_ids == b.record.fact_ids[1:]
    assert asm.safe_commit(0, 23) == 23
    assert asm.open_count() == 0


def test_unlisted_facts_are_dropped_and_partitions_forgotten() -> None:
    a, b = corpus(2, duplicate_every=0, truncated_every=0)
    asm = Assembler()
    asm.add_fact(1, 0, b.facts[0].model_copy(update={"article_id": a.record.article_id}))
    for f in a.facts:
        asm.add_fact(1, 1, f)
    bundle = asm.close("facts", 1, 9, a.record)
    assert {f.fact_id for f in bundle.facts} == set(a.record.fact_ids)
    asm.add_fact(2, 5, b.facts[0])
    asm.drop_partition(2)
    assert asm.safe_commit(2, 6) == 6
