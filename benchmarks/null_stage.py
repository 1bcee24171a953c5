"""A stage that does no work: each raw.v1 record re-emitted as it came, on the articles topic.
What it costs per record is the runtime's own cost (consume, decode, produce, commit, metrics),
the floor under every stage. Run by `runtime_floor.py`:

    python benchmarks/null_stage.py worker    # through a worker process, as the normalizer runs
    python benchmarks/null_stage.py inline    # a handler in the service process
"""

from __future__ import annotations

import sys

from ecowire.core.app import serve
from ecowire.core.records import InRecord, OutRecord
from ecowire.core.settings import get_settings
from ecowire.core.stage import Stage
from ecowire_schemas import RawDocument


def same(raw: RawDocument) -> RawDocument:
    """The work step (module level: the worker process imports it by name)."""
    return raw


def after_work(raw: RawDocument, record: InRecord, out: RawDocument) -> list[OutRecord]:
    return [OutRecord(get_settings().topic("articles"), out.doc_id, out)]


async def inline(raw: RawDocument, record: InRecord) -> list[OutRecord]:
    # async: a sync handler would run in a thread, a hop per record that no real stage pays
    return [OutRecord(get_settings().topic("articles"), raw.doc_id, raw)]


def main() -> None:
    if sys.argv[1:] == ["worker"]:
        serve(Stage("normalizer", "raw", RawDocument, after_work, work=same, outputs=("articles",)))
    elif sys.argv[1:] == ["inline"]:
        serve(Stage("normalizer", "raw", RawDocument, inline, outputs=("articles",)))
    else:
        raise SystemExit("usage: null_stage.py worker|inline")


if __name__ == "__main__":
    main()
