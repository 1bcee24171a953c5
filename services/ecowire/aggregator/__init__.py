"""The aggregator: facts across articles → results (duplicates, merged events, indicator series,
target registry, officials' titles), with state that survives restarts and rebalances.

Pure logic: `logic.AggregatorState` (with `dedup`, `events`, `series`, `targets`, `people`);
the service shell: `app`; the read side: `view`, `http`, `cli`. See docs/aggregator.md.
"""
