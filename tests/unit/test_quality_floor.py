"""The real pipeline on the seeds against the gold: every fact type at or above its target.

A floor, not a proof: the gold covers 15 articles the rules were developed beside; quality on
unseen articles is lower (see docs/evaluation.md)."""

from __future__ import annotations

from ecowire.evaluation import run
from tests.support import ROOT


def test_every_fact_type_meets_its_quality_target_on_the_seed_gold() -> None:
    report = run(ROOT / "seeds", ROOT / "tests" / "gold")
    assert not [w for w in report.warnings if "pipeline failed" in w]
    assert report.below_targets() == [], report.to_json()
