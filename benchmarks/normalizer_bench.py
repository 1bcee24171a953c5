"""Benchmark of the normalizer stage: documents/s and characters/s per core.

Corpora:
- seeds: the five seed documents (plain text), as they are;
- generated-text: plain-text documents built from the seeds' paragraphs (shuffled, resized,
  some converted to Traditional characters, some with captions, footers and listing markers);
- generated-html: the same documents wrapped in government / newspaper / blog page templates
  (trafilatura runs on these).

Throughput is per core: documents divided by the process CPU time spent in `normalize` (one
process, one thread), so it does not depend on what else the shared machine is doing.

    .venv/bin/python benchmarks/normalizer_bench.py [--docs 300] [--repeat 5] [--out benchmarks/results/normalizer.md]
"""

from __future__ import annotations

import argparse
import html
import platform
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import opencc

from ecowire.normalizer import NormalizeError, normalize
from ecowire_schemas import RawDocument

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
T0 = datetime(2025, 1, 1, tzinfo=UTC)

TEMPLATES = [
    # government CMS page
    """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_某市生态环境局</title>
<meta name="ArticleTitle" content="{title}"><meta name="PubDate" content="{date} 09:00">
<meta name="ContentSource" content="某市生态环境局"></head><body>
<div class="nav"><a>首页</a> <a>机构概况</a> <a>信息公开</a> <a>政务服务</a> <a>互动交流</a></div>
<div class="crumb">当前位置：<a>首页</a> &gt; <a>工作动态</a></div>
<h1>{title}</h1><div class="info">发布时间：{date}　来源：某市生态环境局　【字体：大 中 小】</div>
<div class="TRS_Editor">{body}</div><div class="share">分享到：微信 微博</div>
<div class="footer">版权所有：某市生态环境局 ICP备000号</div></body></html>""",
    # newspaper page
    """<html><head><meta charset="gbk"><title>{title}-某某日报</title></head><body>
<div id="nav"><a>要闻</a> | <a>政策</a> | <a>地方</a></div><h1>{title}</h1>
<div class="source">{date} 08:30　来源：某某日报　记者 章轲</div><div class="content">{body}
<p>责任编辑：王芳</p></div><div class="bottom">上一篇：<a>x</a>　下一篇：<a>y</a></div></body></html>""",
    # blog post
    """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title} | 某研究所</title>
<meta property="og:site_name" content="某研究所">
<meta property="article:published_time" content="{date}T10:00:00+08:00">
</head><body><header><nav><ul><li><a>首页</a></li><li><a>关于我们</a></li><li><a>项目</a></li></ul></nav></header>
<main><article><h1 class="entry-title">{title}</h1>
<div class="entry-meta"><time>{date}</time> <span>0 Comment</span></div>
<div class="entry-content">{body}</div></article></main><aside><h3>最新文章</h3><ul><li><a>另一篇</a></li></ul></aside>
<footer>Copyright © 2024</footer></body></html>""",
]
DEBRIS = ["宁杰文 摄", "图片来源:GEI", "使用微信“扫一扫”功能添加“谷腾环保网”", "0 Comment", "Read More", "详情"]


@dataclass
class Result:
    corpus: str
    unique: int  # distinct documents in the corpus
    docs: int  # documents processed (unique × passes)
    chars: int
    articles: int
    errors: int
    cpu_s: float
    wall_s: float

    @property
    def docs_per_s(self) -> float:
        return self.docs / self.cpu_s

    @property
    def chars_per_s(self) -> float:
        return self.chars / self.cpu_s


def raw_doc(i: int, text: str, content_type: str) -> RawDocument:
    return RawDocument(doc_id=f"bench-{i}", text=text, content_type=content_type, encoding="utf-8",
                       byte_length=len(text.encode()), ingested_at=T0)


def seed_docs() -> list[RawDocument]:
    return [raw_doc(i, p.read_text(encoding="utf-8"), "text/plain") for i, p in enumerate(sorted(SEEDS.glob("*.txt")))]


def _paragraphs() -> list[str]:
    paras: list[str] = []
    for p in sorted(SEEDS.glob("*.txt")):
        for line in p.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) >= 30:
                # Long flattened lines become several paragraphs of a readable size.
                paras.extend(s + "。" for s in line.split("。") if len(s) >= 20)
    return paras


def generated(n: int, seed: int = 42) -> tuple[list[RawDocument], list[RawDocument]]:
    rnd = random.Random(seed)
    paras = _paragraphs()
    s2t = opencc.OpenCC("s2t")
    texts: list[RawDocument] = []
    pages: list[RawDocument] = []
    for i in range(n):
        k = rnd.choice([3, 6, 10, 20, 40])
        body = rnd.sample(paras, min(k, len(paras)))
        title = body[0][: rnd.randrange(12, 30)].rstrip("。,，")
        date = f"2024-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}"
        if rnd.random() < 0.3:
            body.insert(rnd.randrange(1, len(body)), rnd.choice(DEBRIS[:2]))
        text = "\n\n".join([title, date, "来源:某某日报", *body, rnd.choice([*DEBRIS[2:3], ""])])
        if rnd.random() < 0.2:
            text = s2t.convert(text)
        if rnd.random() < 0.1:  # a small listing page
            items = [f"{p[:20]}\n{p}\n详情\n{date}" for p in rnd.sample(paras, 5)]
            text = "\n".join(items)
        texts.append(raw_doc(i, text, "text/plain"))
        page = rnd.choice(TEMPLATES).format(
            title=html.escape(title), date=date, body="".join(f"<p>{html.escape(p)}</p>" for p in body),
        )
        pages.append(raw_doc(n + i, page, "text/html"))
    return texts, pages


def run(name: str, docs: list[RawDocument], repeat: int, fn: Callable[[RawDocument], object] = normalize) -> Result:
    for d in docs[: min(5, len(docs))]:  # warm caches (OpenCC, trafilatura) outside the timing
        try:
            fn(d)
        except NormalizeError as e:
            print(f"warm-up: {d.doc_id} dead-lettered ({e.reason})")
    articles = errors = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(repeat):
        for d in docs:
            try:
                out = fn(d)
                articles += len(out) if isinstance(out, list) else 1
            except NormalizeError:
                errors += 1
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return Result(name, len(docs), len(docs) * repeat, sum(len(d.text) for d in docs) * repeat, articles // repeat,
                  errors // repeat, cpu, wall)


def markdown(results: list[Result]) -> str:
    lines = [
        "# Normalizer benchmark",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} / Python "
        f"{platform.python_version()}, one process, one thread; per-core figures use the process CPU time.",
        "",
        "| corpus | documents | avg chars/doc | articles out | dead letters | docs/s per core | chars/s per core |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines.extend(
        f"| {r.corpus} | {r.unique} | {r.chars // max(1, r.docs):,} | {r.articles} | {r.errors} | "
        f"{r.docs_per_s:,.0f} | {r.chars_per_s:,.0f} |"
        for r in results
    )
    lines += ["", "Reproduce: `.venv/bin/python benchmarks/normalizer_bench.py`", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=300, help="generated documents per corpus")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "normalizer.md")
    args = ap.parse_args()
    texts, pages = generated(args.docs)
    results = [
        run("seeds (plain text)", seed_docs(), args.repeat * 10),
        run("generated plain text", texts, args.repeat),
        run("generated HTML (trafilatura)", pages, args.repeat),
    ]
    md = markdown(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md, encoding="utf-8")
    print(md)


if __name__ == "__main__":
    main()
