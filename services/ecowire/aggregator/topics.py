"""The aggregator's internal topics, from the one declaration in `ecowire_schemas.topics`.

Both have ONE partition on purpose: duplicates of an article carry other article_ids and land on
other facts.v1 partitions, and an event or a series gathers facts from any article, so the
aggregating step needs every article in one place and one order. The heavy work (NLP) is
upstream; applying a bundle costs about 2 ms with 1k articles held (see docs/aggregator.md).
"""

from __future__ import annotations

from ecowire_schemas.topics import BY_BASE

BUNDLES = BY_BASE["aggregator-bundles"]
STATE = BY_BASE["aggregator-state"]

# The changelog needs at least as many partitions as the bundles topic (partition p backs bundles
# partition p); the service checks the actual counts at start-up.
INTERNAL = (BUNDLES, STATE)
