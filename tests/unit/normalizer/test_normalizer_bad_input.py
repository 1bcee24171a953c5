"""Bad input gets a clear outcome: a NormalizeError with its reason (→ dead letter) or a flag."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecowire.normalizer import NormalizeError, NormalizerConfig, normalize

from .conftest import make_raw, seed_text

PARA = "生态环境部12月10日召开新闻发布会，介绍全国碳排放权交易市场扩大覆盖范围的进展情况和下一步工作安排。"


def _reason(text: str, content_type: str = "text/plain", cfg: NormalizerConfig | None = None) -> str:
    with pytest.raises(NormalizeError) as e:
        normalize(make_raw(text, content_type), cfg)
    return e.value.reason


@pytest.mark.parametrize("text", ["", "   \n\n\t ", "\u3000\u3000\n"])
def test_empty(text: str) -> None:
    assert _reason(text) == "empty"


def test_binary_junk() -> None:
    rnd = random.Random(7)
    junk = bytes(rnd.randrange(256) for _ in range(20_000))
    assert _reason(junk.decode("latin-1")) == "binary"
    assert _reason(junk.decode("utf-8", "replace")) in {"binary", "mojibake"}
    assert _reason("%PDF-1.7\n" + "\x00\x01\x02stream" * 100, "text/html") == "binary"


def test_twenty_megabyte_page_is_refused_fast() -> None:
    page = "<html><body>" + ("<p>" + PARA + "</p>") * (20_000_000 // (len(PARA) + 7)) + "</body></html>"
    assert len(page) > 20_000_000 // 2
    t0 = time.perf_counter()
    with pytest.raises(NormalizeError) as e:
        normalize(make_raw(page, "text/html"))
    assert e.value.reason == "too_large"
    assert time.perf_counter() - t0 < 0.5


def test_size_cap_is_configurable() -> None:
    text = seed_text("004")
    assert _reason(text, cfg=NormalizerConfig(max_chars=1000)) == "too_large"
    assert normalize(make_raw(text), NormalizerConfig(max_chars=len(text)))


def test_cap_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOWIRE_NORMALIZER_MAX_CHARS", "123")
    assert NormalizerConfig.from_env().max_chars == 123


NAV_PAGE = """<html><head><title>首页 - 某市生态环境局</title></head><body>
<div class="nav"><a>首页</a> <a>机构概况</a> <a>信息公开</a> <a>政务服务</a> <a>互动交流</a></div>
<ul class="list">
<li><a href="/1.html">关于开展2024年度环境统计工作的通知</a> <span>2024-12-10</span></li>
<li><a href="/2.html">市生态环境局召开全面从严治党工作会议</a> <span>2024-12-09</span></li>
<li><a href="/3.html">2024年11月全市空气质量状况</a> <span>2024-12-05</span></li>
<li><a href="/4.html">关于公开征求意见的公告</a> <span>2024-12-01</span></li>
</ul>
<div class="pages"><a>上一页</a> <a>1</a> <a>2</a> <a>3</a> <a>下一页</a></div>
<div class="footer">版权所有 某市生态环境局 ICP备0000号 网站地图 联系我们</div>
</body></html>"""


def test_navigation_only_html_page_is_dead_lettered() -> None:
    assert _reason(NAV_PAGE, "text/html") == "navigation_only"


def test_navigation_only_plain_text() -> None:
    text = "首页\n新闻中心\n政策法规\n关于我们\n\n联系我们 | 网站地图\n版权所有 © 2024"
    assert _reason(text) == "navigation_only"


def test_html_without_text() -> None:
    assert _reason("<html><body><img src='a.png'><script>x=1</script></body></html>", "text/html") in {
        "no_text", "navigation_only",
    }


def test_mixed_encodings_are_flagged() -> None:
    # UTF-8 Chinese decoded as cp1252 in one paragraph, a few replacement characters in another.
    garbled = "中国碳市场扩容".encode().decode("cp1252", errors="replace")
    text = f"碳市场扩容进展\n\n{PARA}\n\n{PARA[:20]}\ufffd\ufffd{PARA[22:]}\n\n{garbled}\n\n{PARA}"
    (a,) = normalize(make_raw(text))
    assert "mojibake" in a.flags
    assert a.title == "碳市场扩容进展"


def test_mostly_garbled_text_is_dead_lettered() -> None:
    garbled = ("生态环境部召开新闻发布会" * 50).encode().decode("latin-1")
    assert _reason(garbled) in {"mojibake", "binary"}
    assert _reason(("生态环境部" * 10).encode("gbk").decode("latin-1") * 20) in {"mojibake", "binary"}


def test_clean_text_is_not_flagged() -> None:
    (a,) = normalize(make_raw(seed_text("004")))
    assert "mojibake" not in a.flags


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400), st.sampled_from(["text/plain", "text/html"]))
def test_any_text_gives_articles_or_a_normalize_error(text: str, ct: str) -> None:
    """The service keeps running: arbitrary input never raises anything but NormalizeError."""
    try:
        arts = normalize(make_raw(text, ct))
    except NormalizeError as e:
        assert e.reason
        return
    for a in arts:
        assert a.text and a.article_id


PIECES = [PARA, "详情", "0 Comment", "2024-12-10", "通知公告", "", "  ", "图片来源:GEI", "宁杰文 摄", "PM₂.₅浓度下降",
          "\u3000\u3000臺灣環境部發布", "Read More"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_shuffled_page_pieces_never_crash(pieces: list[str]) -> None:
    try:
        normalize(make_raw("\n".join(pieces)))
    except NormalizeError as e:
        assert e.reason in {"empty", "navigation_only", "no_text"}


def test_random_bytes_fuzz() -> None:
    rnd = random.Random(11)
    outcomes: set[str] = set()
    for _ in range(30):
        blob = rnd.randbytes(rnd.randrange(1, 3000))
        for enc in ("utf-8", "gbk", "latin-1"):
            try:
                normalize(make_raw(blob.decode(enc, "replace")))
                outcomes.add("article")
            except NormalizeError as e:
                outcomes.add(e.reason)
    assert outcomes <= {"article", "binary", "mojibake", "navigation_only", "empty"}
    assert "binary" in outcomes


def test_large_document_under_the_cap_is_linear() -> None:
    """3,000 lines broken mid-sentence (every one joined to the next): no quadratic re-copying."""
    line = ("生态环境部召开新闻发布会会议强调要加快推进绿色低碳发展推动经济社会全面绿色转型"
            "持续深入打好蓝天碧水净土保卫战不断提升生态环境质量")
    small, big = (line + "\n") * 300, (line + "\n") * 3000
    t0 = time.process_time()
    normalize(make_raw(small))
    t_small = time.process_time() - t0
    t0 = time.process_time()
    (a,) = normalize(make_raw(big))
    t_big = time.process_time() - t0
    assert "layout_joined" in a.flags
    assert t_big < 30 * max(t_small, 0.01)  # 10× the input, well under 30× the time


def test_a_long_run_of_digits_costs_linear_time() -> None:
    # the counters pattern once backtracked into every digit run: 40k digits took 37 s, 1M hours.
    # A generous budget, far above the linear cost (~40 ms for 1M digits) and far below the old one.
    for n in (40_000, 400_000):
        t0 = time.process_time()
        normalize(make_raw("第一句。\n" + "7" * n + "\n最后一句。"))
        assert time.process_time() - t0 < 5.0, n


@pytest.mark.parametrize("text", ["，。！？、……——" * 30, "\u200b\u200c\u200d\ufeff" * 50, "。\u200b！" * 40])
def test_punctuation_and_invisible_characters_alike_are_no_text(text: str) -> None:
    assert _reason(text) == "no_text"


def test_the_shortest_real_article_is_one_sentence() -> None:
    """A one-sentence news flash is an article: length alone never makes text navigation."""
    (a,) = normalize(make_raw("生态环境部今天发布2024年全国碳排放报告。"))
    assert a.text.endswith("生态环境部今天发布2024年全国碳排放报告。")


def test_an_article_over_the_size_budget_is_too_large() -> None:
    from ecowire.core.budget import MAX_ARTICLE_CHARS

    lines = [f"第{i}段：{PARA}" for i in range(MAX_ARTICLE_CHARS // len(PARA) + 10)]
    assert _reason("全省碳市场情况通报\n\n" + "\n".join(lines)) == "too_large"
