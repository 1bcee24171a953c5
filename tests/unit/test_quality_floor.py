"""The real pipeline against the gold: the seed set and the development set at their goals.

The seed gold covers 15 articles the rules were first developed beside: a regression floor. The
development set (`tests/gold/dev/`, 50 corpus articles chosen by a written rule and annotated twice)
is what quality is tuned and judged on; its texts are read from `../shared/corpus` at test time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ecowire import corpus
from ecowire.evaluation import GOLD_ROOT, SEEDS_DIR, main, run


def test_every_fact_type_meets_its_quality_target_on_the_seed_gold() -> None:
    report = run(SEEDS_DIR, GOLD_ROOT)
    assert not [w for w in report.warnings if "pipeline failed" in w]
    assert report.below_targets() == [], report.to_json()


@pytest.mark.skipif(not corpus.default_path().is_file(),
                    reason="../shared/corpus/articles.jsonl is absent: the development gold reads its texts there")
def test_the_development_set_meets_its_goals() -> None:
    # the goals per type and micro-F1 are tests/gold/dev/targets.json (the extraction issue's figures)
    report = run(SEEDS_DIR, GOLD_ROOT / "dev")
    assert not [w for w in report.warnings if "pipeline failed" in w]
    assert report.overall.gold == 675
    assert report.below_targets() == [], {t: round(s.f1, 3) for t, s in report.scores.items()}


def test_eval_names_the_missing_corpus_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["--set", "dev", "--corpus", str(tmp_path / "absent.jsonl")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "absent.jsonl" in err and "--corpus" in err


@pytest.mark.skipif(not corpus.default_path().is_file(),
                    reason="../shared/corpus/articles.jsonl is absent: the selection rule reads it")
def test_the_development_set_is_what_its_written_rule_selects() -> None:
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("select_dev", GOLD_ROOT / "dev" / "select.py")
    assert spec and spec.loader
    select = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(select)
    rows = [json.loads(line) for line in corpus.default_path().open(encoding="utf-8")]
    chosen = {r["doc_id"] for r in select.select(rows)}
    listed = {json.loads(line)["doc_id"] for line in (GOLD_ROOT / "dev" / "articles.jsonl").open(encoding="utf-8")}
    assert chosen == listed and len(listed) == 50
