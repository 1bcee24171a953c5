"""Charset detection: BOM, declarations (believed only when the bytes agree), UTF-8, detection."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecowire.core.records import Reject
from ecowire.fetcher.decode import (
    canonical,
    decode_bytes,
    header_charset,
    is_textual,
    markup_charset,
    sniff_content_type,
)
from tests.support import SEEDS

SIMPLIFIED = (SEEDS / "004_911120dd2951dd3b.txt").read_text("utf-8")[:800].replace("\xa0", " ")  # GBK has no NBSP
TRADITIONAL = (SEEDS / "002_83f491876b27a32f.txt").read_text("utf-8")[:800]


@pytest.mark.parametrize(("label", "codec"), [
    ("GB2312", "gb18030"), ("gbk", "gb18030"), ("x-gbk", "gb18030"), ("GB18030", "gb18030"), ("cp936", "gb18030"),
    ("Big5", "big5"), ("big5-hkscs", "big5"), ("cp950", "big5"), ("UTF-8", "utf-8"), ("utf8", "utf-8"),
    ("no-such-charset", None), (None, None),
])
def test_labels_map_to_superset_codecs(label: str | None, codec: str | None) -> None:
    assert canonical(label) == codec


def test_declarations_are_found_in_headers_meta_and_xml() -> None:
    assert header_charset("text/html; charset=\"GBK\"") == "GBK"
    assert header_charset("text/html") is None
    meta = b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    assert markup_charset(meta) == "gb2312"
    assert markup_charset(b"<meta charset='big5'>") == "big5"
    assert markup_charset(b'<?xml version="1.0" encoding="GB2312"?><rss/>') == "GB2312"
    assert markup_charset(b"<html><body>no declaration</body></html>") is None


def test_simplified_as_gbk_declared_and_undeclared() -> None:
    data = SIMPLIFIED.encode("gbk")
    declared = decode_bytes(data, "text/html; charset=gb2312")
    assert (declared.text, declared.encoding, declared.source) == (SIMPLIFIED, "gb18030", "declared")
    detected = decode_bytes(data)
    assert detected.text == SIMPLIFIED and detected.source == "detected"


def test_traditional_as_big5_declared_and_undeclared() -> None:
    data = TRADITIONAL.encode("big5")
    declared = decode_bytes(data, "text/html; charset=big5")
    assert declared.text == TRADITIONAL and declared.source == "declared" and declared.encoding == "big5hkscs"
    detected = decode_bytes(data)
    assert detected.text == TRADITIONAL and detected.source == "detected"


def test_hkscs_characters_decode() -> None:
    text = "香港特區政府環境局：" + "㗎" + TRADITIONAL[:200]  # 㗎 is in HKSCS, not plain Big5
    assert decode_bytes(text.encode("big5hkscs"), "text/plain; charset=big5").text == text


def test_a_wrong_declaration_is_not_believed() -> None:
    gbk_page = f"<html><head><meta charset='utf-8'></head><body>{SIMPLIFIED}</body></html>".encode("gbk")
    d = decode_bytes(gbk_page, "text/html; charset=utf-8")
    assert SIMPLIFIED in d.text and d.encoding == "gb18030" and d.source == "detected"


def test_utf8_bytes_under_a_gbk_label_are_utf8() -> None:
    # UTF-8 Chinese often decodes "fine" as GB18030 (mojibake): valid UTF-8 wins over the label.
    data = "<html><head><meta charset=gbk></head><body><p>空气质量</p><p>节能减排</p></body></html>".encode()
    assert data.decode("gb18030", errors="strict") != data.decode()  # the trap: it decodes, to mojibake
    d = decode_bytes(data, "text/html; charset=gb2312")
    assert "空气质量" in d.text and (d.encoding, d.source) == ("utf-8", "detected")
    assert decode_bytes(SIMPLIFIED.encode(), "text/plain; charset=utf-8").source == "declared"
    assert decode_bytes(b"plain ascii", "text/plain; charset=gbk").text == "plain ascii"


def test_a_servers_default_latin1_label_loses_to_the_bytes() -> None:
    d = decode_bytes(SIMPLIFIED.encode("utf-8"), "text/html; charset=ISO-8859-1")
    assert d.text == SIMPLIFIED and d.encoding == "utf-8"
    d2 = decode_bytes(SIMPLIFIED.encode("gbk"), "text/html; charset=iso-8859-1")
    assert d2.text == SIMPLIFIED


@pytest.mark.parametrize(("bom", "codec"), [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                                            (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_bom_wins(bom: bytes, codec: str) -> None:
    d = decode_bytes(bom + SIMPLIFIED.encode(codec), "text/html; charset=gbk")
    assert d.text.lstrip("\ufeff") == SIMPLIFIED and d.source == "bom"


def test_binary_and_undecodable_are_rejected() -> None:
    with pytest.raises(Reject) as e:
        decode_bytes(b"%PDF-1.7\x00\x00\x01binary")
    assert e.value.reason == "binary"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=300))
def test_any_utf8_text_round_trips(text: str) -> None:
    assert decode_bytes(text.encode("utf-8")).text == text


def test_content_type_sniffing() -> None:
    assert sniff_content_type("text/html; charset=gbk", "x") == "text/html"
    assert sniff_content_type(None, "<!DOCTYPE html><html><body>x</body></html>") == "text/html"
    assert sniff_content_type(None, "  <div>正文</div>") == "text/html"
    assert sniff_content_type(None, "生态环境部 2024年12月12日") == "text/plain"
    assert sniff_content_type("text/plain", "<p>a</p>") == "text/plain"
    assert is_textual("text/html; charset=utf-8") and is_textual("application/rss+xml") and is_textual(None)
    assert not is_textual("application/pdf") and not is_textual("image/png")
