"""Choose the development set: 50 corpus articles, stratified by source and year, not hand-picked.

Rule (rerun it and the same ids come out):
1. Candidates: every article of `../shared/corpus/articles.jsonl` whose body is at most 4,000
   characters (97 % of the corpus; the longer ones are regulations that would take an annotator
   hours each and are not news).
2. Strata: source (the URL's host) x year band of `published_at` (<=2016, 2017-2020, 2021+).
3. Allocation: 50 slots in proportion to each stratum's size among the candidates (largest
   remainder), at least one per non-empty stratum.
4. Within a stratum: articles ordered by sha1("ecowire-dev-v1:" + doc_id); the first n are taken.

Usage: python tests/gold/dev/select.py [CORPUS] > tests/gold/dev/ids.txt
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

SIZE = 50
MAX_CHARS = 4000
SALT = "ecowire-dev-v1:"


def band(published_at: str | None) -> str:
    year = int((published_at or "0")[:4] or 0)
    return "-2016" if year <= 2016 else ("2017-2020" if year <= 2020 else "2021-")


def select(rows: list[dict[str, str]], size: int = SIZE) -> list[dict[str, str]]:
    strata: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        if len(r["text"]) <= MAX_CHARS:
            strata[(r["url"].split("/")[2], band(r.get("published_at")))].append(r)
    total = sum(len(v) for v in strata.values())
    quotas = {k: max(1, int(size * len(v) / total)) for k, v in strata.items()}
    rest = sorted(strata, key=lambda k: -(size * len(strata[k]) / total - int(size * len(strata[k]) / total)))
    for k in rest[: size - sum(quotas.values())]:
        quotas[k] += 1
    chosen = []
    for k in sorted(strata):
        ordered = sorted(strata[k], key=lambda r: hashlib.sha1((SALT + r["doc_id"]).encode()).hexdigest())
        chosen += ordered[: quotas[k]]
    return chosen


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parents[4] / "shared/corpus/articles.jsonl")
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    for r in select(rows):
        print(r["doc_id"], r["url"].split("/")[2], r["published_at"], len(r["text"]), sep="\t")


if __name__ == "__main__":
    main()
