"""Bytes to text: which charset, and how we know.

Order: a byte-order mark; then strict UTF-8 when the bytes hold multi-byte sequences (text in
another charset is practically never valid UTF-8, while UTF-8 often happens to decode as GBK
mojibake); then a declared charset (HTTP `Content-Type`, then `<meta>` / the XML declaration) if
the bytes really decode with it; then charset-normalizer. Chinese sites often declare one charset
and send another, so a declaration is only believed when the bytes decode under it without errors.
GB2312/GBK are decoded as GB18030 (their superset: a page labelled GB2312 routinely carries
GBK-only characters), Big5 as Big5-HKSCS, then CP950.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Literal

import charset_normalizer

from ecowire.core.records import Reject

EncodingSource = Literal["declared", "detected", "inline-text", "bom"]

# Superset decoders for the labels Chinese sites use; first that decodes strictly wins.
_FAMILIES: dict[str, tuple[str, ...]] = {
    "gb18030": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
}
_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "cp936": "gb18030", "x-gbk": "gb18030",
    "gb_2312_80": "gb18030", "euc_cn": "gb18030", "euccn": "gb18030", "x-euc-cn": "gb18030",
    "big5": "big5", "big5hkscs": "big5", "big5-hkscs": "big5", "cp950": "big5", "x-x-big5": "big5",
    "big5_tw": "big5",
}
# Labels servers send by default without knowing: never trusted over the bytes.
_WEAK = {"iso8859-1", "latin_1", "ascii", "cp1252"}

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.\-]+)["']""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_HTML_SNIFF = re.compile(rb"<\s*(!doctype\s+html|html|head|body|meta|title|div|p|table|article)\b", re.I)
_XML_SNIFF = re.compile(rb"^\s*<\?xml|^\s*<(rss|feed|rdf:RDF)\b", re.I)

# A decoded text with more replacement characters than this share is not text.
MAX_REPLACEMENT_SHARE = 0.01


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the codec that decoded it: utf-8, gb18030, big5hkscs, ...
    source: EncodingSource


def canonical(label: str | None) -> str | None:
    """A charset label as a Python codec name (or a family key), None when unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _ALIASES:
        return _ALIASES[label]
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _ALIASES.get(name, name)


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HEADER_CHARSET.search(content_type)
    return m.group(1) if m else None


def markup_charset(data: bytes) -> str | None:
    """The charset a document declares in itself: XML declaration or `<meta>` within the first 4 KiB."""
    head = data[:4096]
    m = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return m.group(1).decode("ascii", "replace") if m else None


def _try(data: bytes, codec_or_family: str) -> tuple[str, str] | None:
    for codec in _FAMILIES.get(codec_or_family, (codec_or_family,)):
        try:
            return data.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def _detect(data: bytes) -> tuple[str, str] | None:
    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.encoding is None:
        return None
    family = canonical(best.encoding) or best.encoding
    got = _try(data, family)
    if got is not None:
        return got
    # charset-normalizer tolerates a few bad bytes; keep its reading when they are rare.
    text = data.decode(_FAMILIES.get(family, (family,))[0], errors="replace")
    if text.count("\ufffd") <= MAX_REPLACEMENT_SHARE * max(1, len(text)):
        return text, _FAMILIES.get(family, (family,))[0]
    return None


def decode_bytes(data: bytes, content_type: str | None = None) -> Decoded:
    """Decode document bytes; `content_type` is the HTTP header or the publisher's type, if any.

    Raises `Reject("binary")` for data that is not text and `Reject("undecodable")` when no
    charset reads it.
    """
    if not data:
        return Decoded("", "utf-8", "detected")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(codec), "utf-8" if codec == "utf-8-sig" else codec, "bom")
            except UnicodeDecodeError as e:
                raise Reject("undecodable", f"bytes start with a {codec} byte-order mark but do not decode: {e}") from e
    if b"\x00" in data[:8192]:
        raise Reject("binary", "NUL bytes in the first 8 KiB: not a text document")
    declared = [canonical(header_charset(content_type)), canonical(markup_charset(data))]
    try:
        text = data.decode("utf-8")
        if not data.isascii():
            return Decoded(text, "utf-8", "declared" if "utf-8" in declared else "detected")
    except UnicodeDecodeError:
        pass  # not UTF-8: a declaration or the detector will say what it is
    for label in declared:
        if label is None or label in _WEAK:
            continue
        got = _try(data, label)
        if got is not None:
            return Decoded(got[0], got[1], "declared")
    if data.isascii():
        return Decoded(data.decode("ascii"), "utf-8", "detected")
    got = _detect(data)
    if got is not None:
        return Decoded(got[0], got[1], "detected")
    for label in declared:  # only a weak label was left (e.g. a server's default ISO-8859-1)
        if label is not None:
            weak = _try(data, label)
            if weak is not None:
                return Decoded(weak[0], weak[1], "declared")
    raise Reject("undecodable", f"no charset decodes these {len(data)} bytes (declared: {declared})")


def sniff_content_type(declared: str | None, text: str) -> str:
    """`text/html` or `text/plain`: the declared media type when it is one of these, else a sniff."""
    media = (declared or "").split(";", 1)[0].strip().lower()
    if media in ("text/html", "application/xhtml+xml"):
        return "text/html"
    if media == "text/plain":
        return "text/plain"
    head = text[:2048].encode("utf-8", "replace")
    if _HTML_SNIFF.search(head) or _XML_SNIFF.search(head):
        return "text/html"
    return "text/plain"


TEXTUAL_MEDIA = re.compile(r"^(text/[\w.+-]+|application/(xhtml\+xml|xml|rss\+xml|atom\+xml|json|[\w.+-]+\+xml))$")


def is_textual(content_type: str | None) -> bool:
    """Whether a response's media type can be a document (absent counts as maybe)."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return bool(TEXTUAL_MEDIA.match(media)) or media in ("", "application/octet-stream")
