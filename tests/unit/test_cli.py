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
    assert {"extract", "run", "publish", "tail", "topics", "eval", "sources", "query",
            "reprocess"} <= set(sub.choices)


def _cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None,
         module: str = "ecowire", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, input=stdin,
                          cwd=cwd or ROOT, timeout=300, check=False, env={**os.environ, **(env or {})})


def test_version_and_python_dash_m() -> None:
    r = _cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("ecowire ")
    assert _cli("--help").returncode == 0


def test_a_malformed_setting_is_one_line_and_help_still_works() -> None:
    env = {"ECOWIRE_PARTITIONS": "abc"}
    assert _cli("--help", env=env).returncode == 0
    r = _cli("topics", "list", env=env)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "ECOWIRE_PARTITIONS='abc'" in r.stderr


def test_extract_reads_stdin_and_dates_only_what_the_text_leaves_undated(tmp_path: Path) -> None:
    r = _cli("extract", "-", "--published-at", "2024-12-20", stdin="生态环境部12月14日召开会议。")
    assert r.returncode == 0, r.stderr
    assert any(json.loads(line).get("date") == "2024-12-14" for line in r.stdout.splitlines())
    # a date the page states wins over the option (the option is a fallback, as its help says)
    r = _cli("extract", str(SEEDS / "004_911120dd2951dd3b.txt"), "--published-at", "2020-01-01", "--format", "json")
    assert json.loads(r.stdout)[0]["article"]["published_at"] == "2024-11-22"


def test_extract_usage_errors_are_one_line_with_status_two(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for args, needle in ((["extract", str(empty)], "holds no files"),
                         (["extract", str(tmp_path / "nope.txt")], "no such file"),
                         (["extract", "-", "--published-at", "yesterday"], "not a date"),
                         (["reprocess", "--since", "yesterday"], "not a date")):
        r = _cli(*args, stdin="")
        assert r.returncode == 2 and needle in r.stderr, (args, r.stderr)


def test_an_unreachable_broker_is_one_line_naming_it() -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    for args in (["tail", "facts"], ["publish", str(SEEDS / "004_911120dd2951dd3b.txt")],
                 ["topics", "create", "--wait", "1"], ["reprocess"], ["reprocess", "--dry-run"]):
        r = _cli(*args, env=env)
        assert r.returncode == 1, (args, r.stderr)
        assert r.stderr.count("\n") == 1 and "127.0.0.1:1" in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr and "Unclosed" not in r.stderr


def test_eval_works_from_any_directory(tmp_path: Path) -> None:
    r = _cli("eval", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["overall"]["gold"] == 463
