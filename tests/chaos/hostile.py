"""The catalogue of hostile inputs for the ingest topic, as data.

Each `Hostile` is the exact record to put on `ecowire.ingest.v1`: value bytes (None for a null
value), headers (raw bytes, so a header can be non-UTF-8) and the key. Inputs that name URLs point
at the local trap (every loopback spelling), at the metadata address, or at the redirector (the
one allowed host) which sends the fetcher on towards them. `expect` says what a safe pipeline does:

- `dead_letter`: rejected with a reason (any stage);
- `processed`: a legitimate if odd document, which should come out as an article (or be
  dead-lettered by the normalizer for a content reason: both are safe);
- `either`: dead letter or article, both safe;
- `publish_refused`: the broker itself must refuse it (over the topic's max.message.bytes).
"""

from __future__ import annotations

import base64
import codecs
import gzip
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

Expect = Literal["dead_letter", "processed", "either", "publish_refused"]
CATEGORIES = ("malformed_json", "truncated_json", "wrong_shape", "wrong_version", "size", "encoding",
              "markup", "invisible", "scheme", "address", "redirect")

SAMPLE = ("生态环境部今天召开新闻发布会，通报2024年全国空气质量状况。全国地级及以上城市PM2.5平均浓度为"
          "29.3微克/立方米，同比下降2.7%。生态环境部部长黄润秋出席会议并讲话。")


@dataclass(frozen=True)
class Hostile:
    name: str  # unique, short, ascii
    category: str
    value: bytes | None
    key: bytes
    headers: tuple[tuple[str, bytes], ...] = ((("schema-version", b"1")),)
    expect: Expect = "dead_letter"
    note: str = ""
    doc_ids: tuple[str, ...] = field(default=())  # doc_ids its downstream records carry, when known

    @property
    def size(self) -> int:
        return len(self.value or b"")


@dataclass(frozen=True)
class Targets:
    trap_port: int  # the trap listens on 127.0.0.1, 127.0.0.2 and [::1] at this port
    redirector: str  # "127.0.0.5:<port>", the only host the fetcher may fetch


def _req(doc_id: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"schema_version": 1, "doc_id": doc_id}
    base.update(fields)
    return base


def _j(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _text(doc_id: str, text: str, **fields: Any) -> bytes:
    return _j(_req(doc_id, content=text, content_type="text/plain", **fields))


def _html(doc_id: str, html: str) -> bytes:
    return _j(_req(doc_id, content=html, content_type="text/html"))


def _b64(doc_id: str, data: bytes, content_type: str | None = None) -> bytes:
    req = _req(doc_id, content_b64=base64.b64encode(data).decode("ascii"))
    if content_type:
        req["content_type"] = content_type
    return _j(req)


def _url(doc_id: str, url: str) -> bytes:
    return _j(_req(doc_id, url=url))


def _truncated(good: bytes, frac: float, doc_id: str) -> bytes:
    g = good.replace(b'"X"', f'"{doc_id}"'.encode())
    return g[: max(1, int(len(g) * frac))]


def _versioned(version: Any, doc_id: str) -> bytes:
    return _j({"schema_version": version, "doc_id": doc_id, "content": SAMPLE})


def catalogue(t: Targets, seed: int = 11) -> list[Hostile]:
    """About 150 hostile inputs; keys and doc_ids are `h<NNN>` in catalogue order."""
    rng = random.Random(seed)
    P = t.trap_port
    R = t.redirector
    items: list[tuple[str, str, Callable[[str], bytes | None], dict[str, Any]]] = []

    def add(category: str, name: str, build: Callable[[str], bytes | None], **kw: Any) -> None:
        items.append((category, name, build, kw))

    good = _text("X", SAMPLE)  # a valid request, for truncation (doc_id patched below)

    # -------------------------------------------------------------- malformed JSON
    mj = "malformed_json"
    add(mj, "empty_value", lambda d: b"")
    add(mj, "null_value", lambda d: None, note="a Kafka null value (tombstone)")
    add(mj, "whitespace_only", lambda d: b" \n\t ")
    add(mj, "open_brace", lambda d: b"{")
    add(mj, "close_brace", lambda d: b"}")
    add(mj, "json_null", lambda d: b"null")
    add(mj, "single_quotes", lambda d: f"{{'doc_id': '{d}', 'content': '环境'}}".encode())
    add(mj, "trailing_comma", lambda d: f'{{"doc_id": "{d}", "content": "环境",}}'.encode())
    add(mj, "unterminated_string", lambda d: f'{{"doc_id": "{d}", "content": "环境'.encode())
    add(mj, "nan_value", lambda d: f'{{"doc_id": "{d}", "content": NaN}}'.encode())
    add(mj, "infinity_title",
        lambda d: f'{{"doc_id": "{d}", "content": "环境", "metadata": {{"title": 1e999}}}}'.encode())
    add(mj, "comment", lambda d: f'{{"doc_id": "{d}", /* x */ "content": "环境"}}'.encode())
    add(mj, "two_objects", lambda d: _text(d, SAMPLE) + _text(d, SAMPLE))
    add(mj, "trailing_garbage", lambda d: _text(d, SAMPLE) + b"garbage")
    add(mj, "utf8_bom", lambda d: codecs.BOM_UTF8 + _text(d, SAMPLE))
    add(mj, "utf16_json", lambda d: _text(d, SAMPLE).decode().encode("utf-16"))
    add(mj, "random_binary_1k", lambda d: rng.randbytes(1024))
    add(mj, "png_header", lambda d: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(200))
    add(mj, "gzip_json", lambda d: gzip.compress(_text(d, SAMPLE), mtime=0))
    add(mj, "int_5000_digits", lambda d: f'{{"doc_id": "{d}", "content": "环境", "n": {"7" * 5000}}}'.encode(),
        note="Python's int parser refuses more than 4300 digits with ValueError, not JSONDecodeError")
    add(mj, "arrays_20k_deep", lambda d: b"[" * 20000 + b"]" * 20000)
    add(mj, "objects_20k_deep_in_metadata",
        lambda d: f'{{"doc_id": "{d}", "content": "环境", "metadata": '.encode() + b'{"a":' * 20000 + b"1"
        + b"}" * 20000 + b"}")
    add(mj, "bad_escape", lambda d: f'{{"doc_id": "{d}", "content": "\\q环境"}}'.encode())
    add(mj, "raw_control_in_string", lambda d: f'{{"doc_id": "{d}", "content": "环\x01境"}}'.encode())

    # -------------------------------------------------------------- truncated JSON
    tj = "truncated_json"
    for frac in (0.01, 0.1, 0.5, 0.9, 0.99):
        add(tj, f"truncated_{int(frac * 100)}pct",
            partial(_truncated, good, frac))
    add(tj, "truncated_mid_utf8",
        lambda d: (g := good.replace(b'"X"', f'"{d}"'.encode()))[: g.index("环".encode()) + 1])
    add(tj, "truncated_b64_request", lambda d: _b64(d, SAMPLE.encode())[:-10])
    add(tj, "truncated_in_escape", lambda d: f'{{"doc_id": "{d}", "content": "\\u4e'.encode())

    # -------------------------------------------------------------- wrong shapes
    ws = "wrong_shape"
    add(ws, "empty_array", lambda d: b"[]")
    add(ws, "array_of_request", lambda d: b"[" + _text(d, SAMPLE) + b"]")
    add(ws, "json_string", lambda d: _j(SAMPLE))
    add(ws, "json_number", lambda d: b"42")
    add(ws, "json_true", lambda d: b"true")
    add(ws, "empty_object", lambda d: b"{}")
    add(ws, "no_payload", lambda d: _j(_req(d, metadata={"title": "x"})))
    add(ws, "url_and_content", lambda d: _j(_req(d, url=f"http://127.0.0.1:{P}/", content=SAMPLE)))
    add(ws, "content_and_b64", lambda d: _j(_req(d, content=SAMPLE, content_b64="YQ==")))
    add(ws, "content_number", lambda d: _j(_req(d, content=12345)))
    add(ws, "content_list", lambda d: _j(_req(d, content=[SAMPLE])))
    add(ws, "content_object", lambda d: _j(_req(d, content={"text": SAMPLE})))
    add(ws, "content_null_only", lambda d: _j(_req(d, content=None)))
    add(ws, "content_empty_string", lambda d: _text(d, ""), expect="dead_letter")
    add(ws, "metadata_string", lambda d: _j(_req(d, content=SAMPLE, metadata="生态环境部")))
    add(ws, "published_at_number", lambda d: _text(d, SAMPLE, metadata={"published_at": 20241212}))
    add(ws, "published_at_garbage", lambda d: _text(d, SAMPLE, metadata={"published_at": "去年某天' OR 1=1"}),
        expect="either")
    add(ws, "published_at_year_99999", lambda d: _text(d, SAMPLE, metadata={"published_at": "99999-01-01"}),
        expect="either")
    add(ws, "doc_id_slash_space", lambda d: _j({"doc_id": f"{d}/../ x", "content": SAMPLE}))
    add(ws, "doc_id_500_chars", lambda d: _j({"doc_id": d + "a" * 500, "content": SAMPLE}))
    add(ws, "doc_id_empty", lambda d: _j({"doc_id": "", "content": SAMPLE}), expect="either",
        note="empty doc_id: derived from the content")
    add(ws, "doc_id_number", lambda d: _j({"doc_id": 7, "content": SAMPLE}))
    add(ws, "url_empty", lambda d: _j(_req(d, url="")))
    add(ws, "url_blank", lambda d: _j(_req(d, url="   ")))
    add(ws, "url_5000_chars", lambda d: _j(_req(d, url=f"http://127.0.0.1:{P}/" + "a" * 5000)))
    add(ws, "unknown_field", lambda d: _text(d, SAMPLE, evil={"__class__": "x"}), expect="either")
    add(ws, "submitted_at_garbage", lambda d: _text(d, SAMPLE, submitted_at="yesterday"))
    add(ws, "content_type_binary_for_text",
        lambda d: _j(_req(d, content=SAMPLE, content_type="application/octet-stream")),
        expect="either")

    # -------------------------------------------------------------- wrong versions
    wv = "wrong_version"
    for v, label in ((2, "2"), ("1", "string_1"), (0, "0"), (-1, "minus_1"), (None, "null"), (1.5, "1_5"),
                     (True, "true")):
        add(wv, f"schema_version_{label}",
            partial(_versioned, v),
            expect="either" if v is True else "dead_letter",
            note="true == 1 in Python" if v is True else "")
    add(wv, "header_version_2", lambda d: _text(d, SAMPLE), headers=(("schema-version", b"2"),))
    add(wv, "header_version_abc", lambda d: _text(d, SAMPLE), headers=(("schema-version", b"abc"),))
    add(wv, "header_version_not_utf8", lambda d: _text(d, SAMPLE), headers=(("schema-version", b"\xff\xfe1"),))
    add(wv, "header_version_empty", lambda d: _text(d, SAMPLE), headers=(("schema-version", b""),))
    add(wv, "header_version_twice", lambda d: _text(d, SAMPLE),
        headers=(("schema-version", b"1"), ("schema-version", b"2")))
    add(wv, "header_other_not_utf8", lambda d: _text(d, SAMPLE),
        headers=(("schema-version", b"1"), ("x-trace", b"\xc3\x28\xa0\xa1")), expect="either")
    add(wv, "header_value_1mb", lambda d: _text(d, SAMPLE),
        headers=(("schema-version", b"1"), ("x-big", b"x" * 1_000_000)), expect="either")
    add(wv, "no_headers", lambda d: _text(d, SAMPLE), headers=(), expect="processed")

    # -------------------------------------------------------------- size
    sz = "size"
    add(sz, "content_9mb", lambda d: _text(d, "环境数据" * (9_000_000 // 12)), expect="publish_refused")
    add(sz, "content_7_9mb_ascii", lambda d: _text(d, ("pm25 " * 1_600_000)[:7_900_000]),
        note="under the topic limit, over the normalizer's 5M-character cap")
    add(sz, "content_2_4m_han", lambda d: _text(d, (SAMPLE * (2_400_000 // len(SAMPLE)))), expect="either",
        note="7.2 MB of real Chinese sentences, under every cap: the slowest legitimate input")
    add(sz, "b64_5mb_random", lambda d: _b64(d, rng.randbytes(5_000_000)))
    add(sz, "title_1mb", lambda d: _text(d, SAMPLE, metadata={"title": "标题" * 500_000}), expect="either")
    add(sz, "ten_thousand_short_lines", lambda d: _text(d, "\n".join(["环境"] * 10_000)), expect="either")

    # -------------------------------------------------------------- encodings
    en = "encoding"
    add(en, "b64_bad_chars", lambda d: _j(_req(d, content_b64="!!!!****")))
    add(en, "b64_bad_padding", lambda d: _j(_req(d, content_b64="YWJj=")))
    add(en, "b64_with_newlines", lambda d: _j(_req(d, content_b64=base64.encodebytes(SAMPLE.encode()).decode())),
        expect="either")
    add(en, "b64_urlsafe_alphabet", lambda d: _j(_req(d, content_b64=base64.urlsafe_b64encode(
        ("环境" * 50).encode("gbk") + b"\xff\xfe").decode())), expect="either")
    add(en, "b64_empty", lambda d: _j(_req(d, content_b64="")))
    add(en, "b64_invalid_utf8", lambda d: _b64(d, b"\xff\xfe\xfd\xc3\x28" * 200, "text/plain; charset=utf-8"),
        expect="either", note="starts with a UTF-16 BOM, which outranks the declared charset (WHATWG): valid UTF-16")
    add(en, "gbk_undeclared", lambda d: _b64(d, SAMPLE.encode("gbk")), expect="processed")
    add(en, "gbk_declared_utf8", lambda d: _b64(d, SAMPLE.encode("gbk"), "text/plain; charset=utf-8"),
        expect="either")
    add(en, "gbk_html_meta_utf8", lambda d: _b64(d, f'<html><head><meta charset="utf-8"></head><body><p>{SAMPLE}</p>'
                                                 f"</body></html>".encode("gbk"), "text/html"), expect="either")
    add(en, "big5_undeclared",
        lambda d: _b64(d, "環境保護署今天公布空氣品質監測結果，細懸浮微粒濃度下降。".encode("big5") * 5),
        expect="processed")
    add(en, "gb18030_4byte", lambda d: _b64(d, (SAMPLE + "𠀀𠀁") .encode("gb18030")), expect="processed")
    add(en, "utf16le_no_bom", lambda d: _b64(d, SAMPLE.encode("utf-16-le")), expect="either")
    add(en, "shift_jis", lambda d: _b64(d, "環境省は本日、大気汚染の状況を発表した。".encode("shift_jis") * 5),
        expect="either")
    add(en, "half_utf8_half_gbk", lambda d: _b64(d, SAMPLE.encode() + SAMPLE.encode("gbk")), expect="either")
    add(en, "raw_value_invalid_utf8", lambda d: b'{"doc_id": "' + d.encode() + b'", "content": "\xff\xfe"}')
    add(en, "raw_value_overlong_utf8", lambda d: b'{"doc_id": "' + d.encode() + b'", "content": "\xc0\xaf"}')
    add(en, "lone_surrogate_escape", lambda d: f'{{"doc_id": "{d}", "content": "\\ud800{SAMPLE}"}}'.encode(),
        expect="either", note="valid JSON, a str that cannot be encoded as UTF-8: the surrogate is mended to U+FFFD")
    add(en, "nul_in_content", lambda d: _text(d, SAMPLE + "\x00" * 10 + SAMPLE))

    # -------------------------------------------------------------- markup and pathological text
    mk = "markup"
    add(mk, "div_20k_deep", lambda d: _html(d, "<html><body>" + "<div>" * 20000 + SAMPLE + "</div>" * 20000
                                            + "</body></html>"), expect="either")
    add(mk, "b_20k_unclosed", lambda d: _html(d, "<html><body>" + "<b>" * 20000 + SAMPLE), expect="either")
    add(mk, "table_20k_deep", lambda d: _html(d, "<table><tr><td>" * 20000 + SAMPLE), expect="either")
    add(mk, "span_20k_deep_text", lambda d: _j(_req(d, content="<span>" * 20000 + SAMPLE + "</span>" * 20000,
                                                     content_type="text/plain")), expect="either")
    add(mk, "unclosed_comment", lambda d: _html(d, "<html><body><p>" + SAMPLE + "</p><!-- " + "环境" * 100_000),
        expect="either")
    add(mk, "han_line_1m", lambda d: _text(d, ("生态环境部发布空气质量通报" * 80_000)[:1_000_000]), expect="either",
        note="one line of 1M Chinese characters")
    add(mk, "lt_1m", lambda d: _text(d, "<" * 1_000_000), expect="either")
    add(mk, "digits_1m", lambda d: _text(d, "1" * 1_000_000), expect="either")
    add(mk, "digit_runs_units", lambda d: _text(d, ("排放" + "9" * 400 + "万吨，" + "0." + "3" * 300 + "%。") * 500),
        expect="either")
    add(mk, "han_numerals_200k", lambda d: _text(d, "减少" + "一二三四五六七八九十百千万亿" * 15_000 + "吨。"),
        expect="either")
    add(mk, "percent_run", lambda d: _text(d, "浓度下降" + "%" * 200_000), expect="either")
    add(mk, "script_1m", lambda d: _html(d, "<html><body><p>" + SAMPLE + "</p><script>" + "x=1;" * 250_000
                                         + "</script></body></html>"), expect="either")
    add(mk, "attribute_1m", lambda d: _html(d, '<html><body><p title="' + "a" * 1_000_000 + '">' + SAMPLE
                                            + "</p></body></html>"), expect="either")
    add(mk, "entity_200k", lambda d: _html(d, "<html><body><p>" + "&#x4e00;" * 200_000 + "</p></body></html>"),
        expect="either")
    add(mk, "billion_laughs", lambda d: _html(d, '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "哈哈哈哈哈哈哈哈">'
                                              + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">'
                                                        for i in range(8))
                                              + "]><html><body><p>&i;</p><p>" + SAMPLE + "</p></body></html>"),
        expect="either")
    add(mk, "xxe_file", lambda d: _html(d, '<?xml version="1.0"?><!DOCTYPE h [<!ENTITY x SYSTEM '
                                        '"file:///etc/passwd">]><html><body><p>&x;</p><p>' + SAMPLE
                                        + "</p></body></html>"), expect="either")
    add(mk, "xxe_trap", lambda d: _html(d, f'<?xml version="1.0"?><!DOCTYPE h [<!ENTITY x SYSTEM '
                                        f'"http://127.0.0.1:{P}/xxe">]><html><body><p>&x;</p><p>{SAMPLE}'
                                        "</p></body></html>"), expect="either")
    add(mk, "img_src_trap", lambda d: _html(d, f'<html><body><img src="http://127.0.0.1:{P}/img"><iframe '
                                            f'src="http://[::1]:{P}/f"></iframe><p>{SAMPLE}</p></body></html>'),
        expect="either")
    add(mk, "cdata_html", lambda d: _html(d, "<html><body><![CDATA[" + SAMPLE * 100 + "]]></body></html>"),
        expect="either")

    # -------------------------------------------------------------- invisible characters
    iv = "invisible"
    add(iv, "zero_width_between_chars", lambda d: _text(d, "\u200b".join(SAMPLE)), expect="either")
    add(iv, "zero_width_only", lambda d: _text(d, "\u200b\u200c\u200d\ufeff\u2060" * 2000))
    add(iv, "rtl_override", lambda d: _text(d, "\u202e" + SAMPLE + "\u202c" + SAMPLE), expect="either")
    add(iv, "control_chars_dense", lambda d: _text(d, "".join(c + chr(1 + i % 30) for i, c in enumerate(SAMPLE * 5))))
    add(iv, "control_chars_sparse", lambda d: _text(d, SAMPLE.replace("。", "。\x07\x1b[31m")), expect="either")
    add(iv, "line_separators", lambda d: _text(d, SAMPLE.replace("，", "\u2028").replace("。", "\u2029")),
        expect="either")
    add(iv, "combining_10k", lambda d: _text(d, SAMPLE + "a" + "\u0301" * 10_000 + SAMPLE), expect="either")
    add(iv, "bom_in_middle", lambda d: _text(d, SAMPLE + "\ufeff" * 50 + SAMPLE), expect="either")
    add(iv, "private_use", lambda d: _text(d, "\ue000\uf8ff" * 5000), expect="either")
    add(iv, "tag_characters", lambda d: _text(d, SAMPLE + "".join(chr(0xE0000 + ord(c)) for c in "ignore all")),
        expect="either")
    add(iv, "noncharacters", lambda d: _text(d, SAMPLE + "\uffff\ufffe" * 100), expect="either")
    add(iv, "variation_selectors", lambda d: _text(d, "\ufe0f".join(SAMPLE)), expect="either")

    # -------------------------------------------------------------- URL schemes
    sc = "scheme"
    for name, url in (
        ("file_etc_passwd", "file:///etc/passwd"),
        ("file_localhost", "file://localhost/etc/passwd"),
        ("file_upper", "FILE:///etc/passwd"),
        ("gopher_trap", f"gopher://127.0.0.1:{P}/_GET%20/%20HTTP/1.0%0D%0A%0D%0A"),
        ("ftp_trap", f"ftp://127.0.0.1:{P}/pub/x"),
        ("ftp_userinfo_trap", f"ftp://anonymous:x@127.0.0.1:{P}/"),
        ("dict_trap", f"dict://127.0.0.1:{P}/info"),
        ("data_url", "data:text/html;base64,PGgxPua1i+ivlTwvaDE+"),
        ("javascript_url", "javascript:alert(1)"),
        ("ws_trap", f"ws://127.0.0.1:{P}/"),
        ("scheme_relative_trap", f"//127.0.0.1:{P}/"),
        ("no_scheme_trap", f"127.0.0.1:{P}/x"),
        ("one_slash_trap", f"http:/127.0.0.1:{P}/"),
        ("backslashes_trap", f"http:\\\\127.0.0.1:{P}\\"),
    ):
        add(sc, name, partial(_url, url=url))

    # -------------------------------------------------------------- private addresses
    ad = "address"
    for name, url in (
        ("loopback", f"http://127.0.0.1:{P}/"),
        ("loopback_2", f"http://127.0.0.2:{P}/"),
        ("loopback_short", f"http://127.1:{P}/"),
        ("hex_ip", f"http://0x7f000001:{P}/"),
        ("hex_dotted", f"http://0x7f.0x0.0x0.0x1:{P}/"),
        ("decimal_ip", f"http://2130706433:{P}/"),
        ("octal_ip", f"http://0177.0.0.1:{P}/"),
        ("octal_int", f"http://017700000001:{P}/"),
        ("zero", f"http://0:{P}/"),
        ("unspecified", f"http://0.0.0.0:{P}/"),
        ("trailing_dot_ip", f"http://127.0.0.1.:{P}/"),
        ("localhost", f"http://localhost:{P}/"),
        ("localhost_dot", f"http://localhost.:{P}/"),
        ("localhost_upper", f"http://LOCALHOST:{P}/"),
        ("localhost_sub", f"http://trap.localhost:{P}/"),
        ("hostname_vm", f"http://vm:{P}/"),
        ("ipv6_loopback", f"http://[::1]:{P}/"),
        ("ipv6_loopback_long", f"http://[0:0:0:0:0:0:0:1]:{P}/"),
        ("ipv6_mapped_v4", f"http://[::ffff:127.0.0.1]:{P}/"),
        ("ipv6_mapped_hex", f"http://[::ffff:7f00:1]:{P}/"),
        ("ipv6_compat_v4", f"http://[::127.0.0.1]:{P}/"),
        ("ipv6_unspecified", f"http://[::]:{P}/"),
        ("ipv6_zone", f"http://[::1%25lo]:{P}/"),
        ("metadata_aws", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
        ("metadata_decimal", "http://2852039166/latest/meta-data/"),
        ("metadata_mapped_v6", "http://[::ffff:169.254.169.254]/latest/meta-data/"),
        ("metadata_aws_v6", "http://[fd00:ec2::254]/latest/meta-data/"),
        ("metadata_gcp_name", "http://metadata.google.internal/computeMetadata/v1/"),
        ("metadata_alibaba", "http://100.100.100.200/latest/meta-data/"),
        ("private_10", f"http://10.0.0.1:{P}/"),
        ("private_192_168", f"http://192.168.1.1:{P}/"),
        ("private_172_16", f"http://172.16.0.1:{P}/"),
        ("userinfo_to_loopback", f"http://example.com@127.0.0.1:{P}/"),
        ("fragment_at_trick", f"http://127.0.0.1:{P}#@example.com/"),
        ("fullwidth_digits", f"http://１２７．０．０．１:{P}/"),
        ("percent_encoded_host", f"http://%31%32%37.0.0.1:{P}/"),
        ("rebind_nip_io", f"http://127.0.0.1.nip.io:{P}/"),
        ("rebind_rbndr", f"http://7f000001.a9fea9fe.rbndr.us:{P}/"),
        ("rebind_localtest_me", f"http://localtest.me:{P}/"),
        ("whitespace_around", f"  http://127.0.0.1:{P}/  "),
        ("port_zero_loopback", "http://127.0.0.1:0/"),
    ):
        add(ad, name, partial(_url, url=url))

    # -------------------------------------------------------------- redirects from the allowed host
    rd = "redirect"
    for name, to in (
        ("redirect_to_loopback", f"http://127.0.0.1:{P}/"),
        ("redirect_to_ipv6_loopback", f"http://[::1]:{P}/"),
        ("redirect_to_localhost_dot", f"http://localhost.:{P}/"),
        ("redirect_to_hex_ip", f"http://0x7f000001:{P}/"),
        ("redirect_to_metadata", "http://169.254.169.254/latest/meta-data/"),
        ("redirect_to_file", "file:///etc/passwd"),
        ("redirect_to_gopher", f"gopher://127.0.0.1:{P}/_x"),
    ):
        add(rd, name, partial(_url, url=f"http://{R}/to?u={to}"))
    add(rd, "redirect_loop", lambda d: _url(d, f"http://{R}/to?u=http://{R}/to"))

    out: list[Hostile] = []
    for i, (category, name, build, kw) in enumerate(items):
        doc_id = f"h{i:03d}"
        headers = kw.pop("headers", (("schema-version", b"1"),))
        out.append(Hostile(name=name, category=category, value=build(doc_id), key=doc_id.encode(),
                           headers=tuple(headers), doc_ids=(doc_id,), **kw))
    return out


def good_request(doc_id: str, text: str, title: str | None, published_at: str | None, url: str | None) -> bytes:
    """A well-formed inline request for a corpus article (the good article after each hostile)."""
    meta = {k: v for k, v in (("title", title), ("published_at", published_at), ("url", url)) if v}
    return _text(doc_id, text, metadata=meta)
