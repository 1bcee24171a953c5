"""The normalizer's worker imports its stage and runs one page through the HTML path as it starts,
not with its first input (about 0.8 s of imports, seen with py-spy in a burst)."""

from __future__ import annotations

from ecowire.normalizer import normalize
from ecowire.normalizer.app import stage, warm, warm_document


def test_the_stage_warms_its_worker_with_a_page_that_takes_the_html_path() -> None:
    assert stage.warm is warm
    (article,) = normalize(warm_document())
    assert article.title == "生态环境部召开新闻发布会"
    assert "碳排放权交易市场" in article.text
    assert "<p>" not in article.text
