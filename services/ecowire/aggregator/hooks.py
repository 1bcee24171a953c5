"""The aggregator steps' partition hooks (core/partitions.py) and how its state is loaded from the
changelog (core/store.py)."""

from __future__ import annotations

from collections.abc import Mapping

from ..core import metrics
from ..core.logs import get_logger
from ..core.partitions import PartitionHooks, Start
from ..core.store import ChangelogStore
from .assemble import Assembler
from .heap import Freezer
from .logic import AggregatorState
from .state import RestoredState

log = get_logger("ecowire.aggregator")


class StateLoader:
    """A changelog partition → the `AggregatorState` of the bundles partition it backs."""

    def __init__(self, partition: int) -> None:
        self.partition = partition
        self.restored = RestoredState()

    def apply(self, key: str, value: bytes | None) -> None:
        self.restored.apply(key, value)

    def finish(self) -> AggregatorState:
        return AggregatorState.restore(self.partition, self.restored)


class AssembleHooks(PartitionHooks):
    """Step 1 keeps no durable state: a revoked (or reset) partition's open articles are simply
    forgotten and read again from the commit, which never passes the oldest open article."""

    def __init__(self, assembler: Assembler) -> None:
        self.assembler = assembler

    async def on_assigned(self, partitions: frozenset[int]) -> Mapping[int, Start]:
        return {}  # from the committed offset

    async def on_revoked(self, partitions: frozenset[int]) -> None:
        for p in partitions:
            self.assembler.drop_partition(p)

    def commit_offset(self, partition: int, next_offset: int) -> int:
        return self.assembler.safe_commit(partition, next_offset)


class AggregateHooks(PartitionHooks):
    """Step 2: restore a bundles partition's state from its changelog before anything of it is
    applied, and start after its last applied offset (or at the beginning of the compacted bundles
    topic when there is no state, so a lost changelog is rebuilt from the bundles)."""

    def __init__(self, store: ChangelogStore[AggregatorState], freezer: Freezer | None = None) -> None:
        self.store = store
        self.freezer = freezer or Freezer()

    async def on_assigned(self, partitions: frozenset[int]) -> Mapping[int, Start]:
        starts: dict[int, Start] = {}
        for p in partitions:
            restored = await self.store.restore(p)
            state = restored.value
            starts[p] = state.applied_offset + 1 if state.applied_offset >= 0 else "beginning"
            metrics.RESTORE_SECONDS.observe(restored.seconds)
            observe_state(state)
            log.info("state_restored", partition=p, articles=state.key_count(), changelog_records=restored.records,
                     kept_in_memory=restored.kept, applied_offset=state.applied_offset,
                     seconds=round(restored.seconds, 3))
        if partitions:
            self.freezer.freeze()  # the restored state is long-lived: no collection walks it again
        return starts

    async def on_revoked(self, partitions: frozenset[int]) -> None:
        self._drop(partitions, keep=True)  # reused if the partition comes back and nobody wrote since

    async def on_lost(self, partitions: frozenset[int]) -> None:
        self._drop(partitions, keep=False)  # memory may be ahead of the changelog

    def commit_offset(self, partition: int, next_offset: int) -> int:
        state = self.store.get(partition)
        # Never behind what the changelog says is applied (a skipped replay must not move it back).
        return max(next_offset, state.applied_offset + 1) if state is not None else next_offset

    def _drop(self, partitions: frozenset[int], keep: bool) -> None:
        for p in partitions:
            self.store.drop(p, keep=keep)
            metrics.STATE_KEYS.labels(str(p)).set(0)  # held by another member (or restoring) now
            for kind in ("event", "series", "target", "person"):
                metrics.AGGREGATE_ENTRIES.labels(kind, str(p)).set(0)


def observe_state(state: AggregatorState) -> None:
    metrics.STATE_KEYS.labels(str(state.partition)).set(state.key_count())
    for kind in ("event", "series", "target", "person"):
        metrics.AGGREGATE_ENTRIES.labels(kind, str(state.partition)).set(state.entries[kind])
