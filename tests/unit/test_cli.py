"""The `ecowire` command as a newcomer uses it: extract on any seed, with no broker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from ecowire.cli import build_parser
from ecowire_schemas import FactsRecord
from tests.support import ROOT, SEEDS

FACT = TypeAdapter(FactsRecord)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecowire.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, check=False)


@pytest.mark.parametrize("seed", sorted(p.name for p in SEEDS.glob("*.txt")))
def test_extract_prints_contract_facts_for_every_seed(seed: str) -> None:
    r = run_cli("extract", str(SEEDS / seed), "--format", "jsonl")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines, "no facts"
    types = set()
    for line in lines:
        fact = FACT.validate_json(line)
        assert fact.type != "extraction"
        assert fact.surface == fact.evidence.text
        types.add(fact.type)
    assert "quantity" in types or "organization" in types


def test_extract_json_format_groups_facts_by_article(tmp_path: Path) -> None:
    r = run_cli("extract", str(SEEDS / "001_c89da7afd5c4699d.txt"), "--format", "json")
    assert r.returncode == 0, r.stderr
    items = json.loads(r.stdout)
    assert len(items) == 10  # a listing page of ten news items
    for item in items:
        text = item["article"]["text"]
        for f in item["facts"]:
            ev = f["evidence"]
            assert text[ev["start"]:ev["end"]] == ev["text"]


def test_extract_resolves_dates_against_published_at(tmp_path: Path) -> None:
    doc = tmp_path / "note.txt"
    doc.write_text("生态环境部召开部常务会议\n\n12月10日,生态环境部部长黄润秋主持召开部常务会议。", "utf-8")
    r = run_cli("extract", str(doc), "--published-at", "2024-12-12")
    assert r.returncode == 0, r.stderr
    facts = [json.loads(line) for line in r.stdout.splitlines()]
    events = [f for f in facts if f["type"] == "event"]
    assert any(e["date"] == "2024-12-10" for e in events), facts
    people = [f for f in facts if f["type"] == "person"]
    assert any(p["name"] == "黄润秋" and "部长" in p["titles"] for p in people)


def test_extract_reports_a_bad_file_clearly(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01\x02\xff" * 100)
    good = SEEDS / "004_911120dd2951dd3b.txt"
    r = run_cli("extract", str(junk), str(good))
    assert r.returncode == 1
    assert "junk.bin" in r.stderr and "binary" in r.stderr
    assert r.stdout.strip(), "the good file's facts are still printed"


def test_every_subcommand_is_registered() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"extract", "run", "publish", "tail", "topics", "eval", "sources", "query"} <= set(sub.choices)
