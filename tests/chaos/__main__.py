"""`python -m tests.chaos`: the fault-injection suite on a broker of its own (issue 11).

    python -m tests.chaos                         # everything, figures into docs/reliability.md
    python -m tests.chaos --quick                 # ~4 minutes: fewer articles, kills and hostile inputs
    python -m tests.chaos --part hostile --out -  # one part, report on stdout

Starts Kafka from deploy/kafka on --kafka-port (not the shared 19092) with a temporary data dir,
and the four services on --base-port…+3; stops everything it started, and only that.
Exit status 0 when the done-when conditions hold, 1 when a finding breaks one.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ecowire.core.settings import Settings

from .broker import Broker
from .faults import run_faults
from .hostile_run import run_hostile
from .report import Figures, render, write_between_markers

ROOT = Path(__file__).resolve().parents[2]


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=["faults", "hostile", "all"], default="all")
    ap.add_argument("--articles", type=int, default=300, help="corpus articles for part 1 (default 300)")
    ap.add_argument("--kills", type=int, default=14, help="service SIGKILLs in part 1 (default 14, at least 12)")
    ap.add_argument("--hostile", type=int, default=0, help="only the first N hostile inputs (default: all)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--budget-s", type=float, default=Settings().time_budget_s,
                    help="time budget for a good article behind a hostile one (default 30 s)")
    ap.add_argument("--quick", action="store_true",
                    help="60 articles, 12 kills 1.5-3 s apart, 2 s broker outages, 1 in 3 hostile inputs")
    ap.add_argument("--kafka-port", type=int, default=29092)
    ap.add_argument("--base-port", type=int, default=18001, help="HTTP ports of the four services start here")
    ap.add_argument("--keep", action="store_true", help="keep the broker data and service logs")
    ap.add_argument("--out", default=str(ROOT / "docs" / "reliability.md"),
                    help="markdown file whose marked section gets the figures; - prints them")
    args = ap.parse_args(argv)
    if args.quick:
        args.articles, args.kills = min(args.articles, 60), 12
    return args


async def amain(args: argparse.Namespace, work: Path) -> Figures:
    broker = Broker(work / "kafka", port=args.kafka_port, controller_port=args.kafka_port + 1)
    figures = Figures(command=" ".join(["python -m tests.chaos", *sys.argv[1:]]),
                      machine=f"{platform.machine()}, {platform.processor() or 'cpu'}, "
                              f"{_cores()} cores, Python {platform.python_version()}",
                      started=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), budget_s=args.budget_s)
    t0 = time.monotonic()
    print(f"chaos: starting our broker on 127.0.0.1:{broker.port} (data {broker.data_dir})", flush=True)
    broker.start()
    try:
        if args.part in ("faults", "all"):
            figures.faults = await run_faults(broker, args.articles, args.kills, args.seed, work / "logs",
                                              args.base_port, gap_s=(1.5, 3.0) if args.quick else (3.0, 6.0),
                                              outage_s=2.0 if args.quick else 4.0)
        if args.part in ("hostile", "all"):
            figures.hostile = await run_hostile(broker, work / "logs", args.base_port, seed=args.seed,
                                                limit=args.hostile, every=3 if args.quick else 1,
                                                budget_s=args.budget_s)
    finally:
        figures.wall_s = time.monotonic() - t0
        broker.shutdown()
    return figures


def _cores() -> int:
    import os

    return os.cpu_count() or 0


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    work = Path(tempfile.mkdtemp(prefix="ecowire-chaos-"))
    try:
        figures = asyncio.run(amain(args, work))
    finally:
        if args.keep:
            print(f"chaos: kept {work}", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)
    text = render(figures)
    if args.out == "-":
        print(text)
    else:
        write_between_markers(Path(args.out), text)
        print(f"chaos: figures written to {args.out}", flush=True)
    print(figures.summary(), flush=True)
    return 0 if figures.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
