"""Time against length for pathological inputs: normalize and extract, 10K → 1M characters.

    .venv/bin/python benchmarks/scaling_bench.py [--sizes 10000,100000,1000000] [--out FILE]

For each shape of `ecowire.shapes` and each size: CPU seconds of `normalize(raw)` and of
`extract(article)` on each article it gives (the extractor is timed on the article text directly
when the normalizer rejects the document, so that its own scaling is seen). The exponent is the
slope of log(time) against log(length) between the two largest sizes: 1 is linear, 2 quadratic.
"""

from __future__ import annotations

import argparse
import math
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from ecowire.extractor import extract
from ecowire.extractor.ner import default_tagger
from ecowire.normalizer import NormalizeError, normalize
from ecowire.shapes import SHAPES, document
from ecowire_schemas import Article, RawDocument

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def raw_of(content: str, content_type: str) -> RawDocument:
    return RawDocument(doc_id="bench", text=content, content_type=content_type, encoding="utf-8",
                       byte_length=len(content.encode()), ingested_at=T0)


def article_of(text: str) -> Article:
    return Article(article_id="bench", doc_id="bench", index=0, title=None, text=text, body_start=0,
                   published_at="2025-01-01", content_hash="0" * 64, ingested_at=T0)


def measure(shape: str, n: int) -> tuple[float, float, str]:
    content, ctype = document(shape, n)
    t = time.process_time()
    try:
        articles = normalize(raw_of(content, ctype))
        outcome = f"{len(articles)} article(s)"
    except NormalizeError as e:
        articles, outcome = [], e.reason
    t_norm = time.process_time() - t
    texts = [a.text for a in articles] or [content]
    t = time.process_time()
    for text in texts:
        extract(article_of(text))
    return t_norm, time.process_time() - t, outcome


def slope(sizes: list[int], secs: list[float]) -> float:
    a, b = max(secs[-2], 1e-4), max(secs[-1], 1e-4)
    return math.log(b / a) / math.log(sizes[-1] / sizes[-2])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "scaling.md")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    default_tagger()
    extract(article_of("生态环境部部长黄润秋出席会议。"))  # load models and lexicons outside the timings
    rows = []
    for shape in args.shapes.split(","):
        norm, ext, outcomes = [], [], []
        for n in sizes:
            tn, te, outcome = measure(shape, n)
            norm.append(tn)
            ext.append(te)
            outcomes.append(outcome)
            print(f"{shape:18} {n:>9,} normalize {tn:8.3f}s  extract {te:8.3f}s  {outcome}", flush=True)
        rows.append((shape, norm, ext, outcomes))
    head = " | ".join(f"{n:,}" for n in sizes)
    lines = [
        "# Scaling with length: pathological inputs",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} / Python "
        f"{platform.python_version()}, one process; CPU seconds per document (normalize / extract). "
        "Exponent: slope of log time against log length between the two largest sizes (1 = linear).",
        "",
        f"| shape | {head} | exponent (normalize / extract) | normalizer outcome at the largest |",
        "|---|" + "---:|" * len(sizes) + "---:|---|",
    ]
    for shape, norm, ext, outcomes in rows:
        cells = " | ".join(f"{a:.2f} / {b:.2f}" for a, b in zip(norm, ext, strict=True))
        lines.append(f"| {shape} | {cells} | {slope(sizes, norm):.2f} / {slope(sizes, ext):.2f} | {outcomes[-1]} |")
    lines += ["", "Reproduce: `.venv/bin/python benchmarks/scaling_bench.py`", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
