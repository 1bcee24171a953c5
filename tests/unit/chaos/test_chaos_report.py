"""The chaos report: figures rendered into markdown between markers, prose outside kept."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.chaos.compare import Diff, Duplicates
from tests.chaos.faults import BrokerEvent, FaultsResult, RunState
from tests.chaos.hostile import Hostile
from tests.chaos.hostile_run import HostileResult, Outcome
from tests.chaos.report import BEGIN, END, Figures, render, write_between_markers
from tests.chaos.services import Action, Crash


def _faults(lost: list[str]) -> FaultsResult:
    state = {"article:a": {"type": "article"}, "event:e": {"type": "event"}}
    base = RunState(None, 10.0, state, ["f1"], {"a"}, [])  # type: ignore[arg-type]
    run = RunState(None, 60.0, {k: v for k, v in state.items() if k not in lost}, ["f1", "f1"], set(), [])  # type: ignore[arg-type]
    dups = Duplicates(1, 1, 0, 0, 0)
    return FaultsResult(
        articles=1, seed=1, baseline=base, run=run, diff=Diff(lost=lost, same=2 - len(lost)),
        dups_baseline=Duplicates(0, 1, 0, 0, 0), dups_run=dups,
        schedule=[(3.0, Action(3.0, "sigkill", "fetcher")), (7.0, Action(7.0, "broker_restart", "broker"))],
        kills=Counter({"fetcher": 1}), broker_events=[BrokerEvent("broker_restart", 0.0, 5.0, 6.0, 15.0, 1.5)],
        crashes=[], missing_docs=[], settle_s=10.0, publish_attempts=2)


def _hostile(delay: float, hits: int = 0) -> HostileResult:
    item = Hostile("loopback", "address", b"{}", b"h000")
    o = Outcome(item, dead_letters=[("fetcher", "refused", "127.0.0.1 is a loopback address")], good_delay_s=delay)
    return HostileResult([o], [], 0, [], [], budget_s=30.0, wall_s=5.0) if not hits else \
        HostileResult([o], [object()] * hits, 0, [], [], budget_s=30.0, wall_s=5.0)  # type: ignore[list-item]


def test_clean_figures_render_ok() -> None:
    fig = Figures("python -m tests.chaos", "x86_64", "2026-01-01 00:00 UTC", 30.0, 60.0, _faults([]), _hostile(0.5))
    text = render(fig)
    assert fig.ok and "all done-when conditions hold" in text
    assert "| all | 2 | 2 | 0 | 0 | 0 | 2 |" in text
    assert "| broker restart | 5.0 | 6.0 | 15.0 | 1.5 s |" in text
    assert "fetcher/refused" in text and "Trap hits" in text


def test_findings_make_the_verdict_fail() -> None:
    assert not Figures("c", "m", "s", 30.0, 1.0, _faults(["event:e"]), None).ok
    assert "lost `event:e`" in render(Figures("c", "m", "s", 30.0, 1.0, _faults(["event:e"]), None))
    slow = Figures("c", "m", "s", 30.0, 1.0, None, _hostile(31.0))
    assert not slow.ok and "delayed 31.0 s > 30 s" in render(slow)
    assert not Figures("c", "m", "s", 30.0, 1.0, None, _hostile(0.5, hits=1)).ok


def test_a_hang_is_reported_as_such() -> None:
    f = _faults([])
    f.crashes = [Crash("normalizer", None, 0.0, "line one\nKafkaConnectionError: Unable to bootstrap", True)]
    text = render(Figures("c", "m", "s", 30.0, 1.0, f, None))
    assert "normalizer alive but /health failing" in text and "Unable to bootstrap" in text
    assert not f.ok


def test_write_between_markers_keeps_the_prose(tmp_path: Path) -> None:
    doc = tmp_path / "reliability.md"
    doc.write_text("# Reliability\n\nMethod prose.\n", "utf-8")
    write_between_markers(doc, "figures one")
    write_between_markers(doc, "figures two")
    text = doc.read_text("utf-8")
    assert text.startswith("# Reliability\n\nMethod prose.\n")
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert "figures two" in text and "figures one" not in text
    doc.write_text(text + "\nAfter the figures.\n", "utf-8")
    write_between_markers(doc, "figures three")
    assert doc.read_text("utf-8").endswith("\nAfter the figures.\n")
