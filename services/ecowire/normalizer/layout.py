"""Lines of a document, what each one is, and layout repair of the body paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import dates, debris, fields
from .mapped import Mapped

# Sentence-final punctuation (closing quotes/brackets after it count as part of the ending).
TERMINAL = "。！？!?…；;：:"
_CREDIT_HINTS = ("摄", "供图", "来源", "图/", "图／")
_SENTENCE_END = "。！？!?"
_CLOSERS = "”’」』)）】》\"'"
# A paragraph this long that stops mid-sentence was broken by page layout, not ended.
MIN_BROKEN_LEN = 40
# Image-gap captions: one short sentence isolated by two or more blank lines (where a photo was).
MAX_GAP_CAPTION_LEN = 70
# Exact repeats shorter than this (list markers, short headings) are kept.
MIN_DEDUP_LEN = 20

_NEWLINE = re.compile(r"\r\n|\r|\n")
# Paragraphs flattened into one line by the page: whitespace after a sentence end.
_FLAT_BREAK = re.compile(r"(?<=[。！？!?])\s+(?=\S)|(?<=[。！？!?][”’」』])\s+(?=\S)")
# Counters next to a post's date: `2024年11月20日 0 Comment`, `阅读 1024`.
# (?<!\d) and possessive \d++: a run of digits is tried once, from its start, never backtracked
# into (otherwise a 40k-digit line costs quadratic time, 37 s).
_COUNTERS = re.compile(
    r"\s*(?:(?<!\d)\d++\s*(?:comments?|responses?|条评论|评论|次阅读|阅读)|(?:阅读|浏览|评论)(?:数|量)?\s*[:：]?\s*\d++)\s*",
    re.IGNORECASE,
)
_LIST_START = re.compile(r"^(?:[(（]?[一二三四五六七八九十\d]{1,3}[)）、.．]|第[一二三四五六七八九十\d]+[章节条部分])")


@dataclass
class Line:
    m: Mapped
    gap: int = 0  # blank lines before it
    kind: str = "text"  # text | date | source | info | byline | comment | more | footer | caption
    date: str | None = None
    source: str | None = None
    byline: str | None = None
    excerpt: bool = False  # a trailing `Read More` was cut off
    flags: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        return self.m.text


def split_lines(doc: Mapped) -> list[Line]:
    out: list[Line] = []
    gap = 0
    for piece in doc.split(_NEWLINE):
        s = piece.strip()
        if not s.text:
            gap += 1
            continue
        out.append(Line(s, gap))
        gap = 0
    return out


def ends_sentence(text: str) -> bool:
    t = text.rstrip(_CLOSERS) if text and text[-1] in _CLOSERS else text
    return bool(t) and t[-1] in TERMINAL


def is_body_like(text: str) -> bool:
    """A paragraph rather than a heading/title: long, or a finished sentence."""
    return len(text) >= 60 or (ends_sentence(text) and text[-1] not in "!！?？" and len(text) >= 12)


def is_title_like(text: str) -> bool:
    """A headline: short, not a finished sentence (`!`/`?` allowed), not a list item or salutation."""
    if not 4 <= len(text) <= 80 or is_body_like(text) or _LIST_START.match(text):
        return False
    return not ends_sentence(text) or text.rstrip(_CLOSERS)[-1:] in ("!", "！", "?", "？")


def classify(lines: list[Line]) -> None:
    """Set each line's kind (in place). Everything not recognised stays `text`."""
    for i, ln in enumerate(lines):
        t = ln.text
        if (d := dates.date_line(t) or dates.date_line(_COUNTERS.sub(" ", t).strip(" |｜丨·"))) is not None:
            ln.kind, ln.date = "date", d
        elif (s := fields.source_line(t)) is not None:
            ln.kind, ln.source = "source", s
        elif debris.is_credit_caption(t):
            ln.kind = "caption"
        elif (info := fields.info_line(t)) is not None:
            ln.kind, ln.date, ln.source, ln.byline = "info", info.date, info.source, info.byline
        elif (b := fields.byline_line(t)) is not None:
            ln.kind, ln.byline = "byline", b
        elif debris.is_comment(t):
            ln.kind = "comment"
        elif debris.is_more(t):
            ln.kind = "more"
        elif debris.is_footer(t):
            ln.kind = "footer"
        elif _is_gap_caption(lines, i):
            ln.kind = "caption"
        else:
            cut = debris.TRAILING_MORE.search(t)
            if cut and cut.start() > 0:
                ln.m = ln.m[: cut.start()].strip()
                ln.flags.add("more")
                # `…… Read More` says the text was cut; a bare link after a full stop does not.
                ln.excerpt = "..." in cut.group(0) or "…" in cut.group(0) or not ends_sentence(ln.text)


def _is_gap_caption(lines: list[Line], i: int) -> bool:
    ln = lines[i]
    t = ln.text
    if ln.gap < 2 or len(t) > MAX_GAP_CAPTION_LEN or not t.endswith("。"):
        return False
    if any(c in t[:-1] for c in "。！？!?；;"):
        return False
    if i and _broken(lines[i - 1].text, t):
        return False  # the rest of a sentence the layout broke, not a caption
    nxt = lines[i + 1] if i + 1 < len(lines) else None
    # A caption sits where the photo was, between paragraphs; a short last line closes the article.
    return nxt is not None and nxt.gap >= 1


def inline_clean(m: Mapped) -> tuple[Mapped, bool]:
    """Drop photo credits inside a flattened paragraph together with their caption words (the
    unpunctuated run since the last sentence end). Returns the text and whether anything went."""
    t = m.text
    if not any(k in t for k in _CREDIT_HINTS):
        return m, False
    spans: list[tuple[int, int]] = []
    for c in debris.INLINE_CREDIT.finditer(t):
        start = c.start()
        # Walk back over the caption: text since the previous sentence end, if it holds none.
        j = start
        while j > 0 and t[j - 1] not in _SENTENCE_END:
            j -= 1
        if start - j <= debris.MAX_CAPTION_LEN:
            start = j
        end = c.end()
        if spans and start < spans[-1][1]:
            start = spans[-1][1]
        spans.append((start, end))
    if not spans:
        return m, False
    return m.delete(spans), True


def paragraphs(body: list[Line]) -> tuple[list[Mapped], set[str]]:
    """Body lines → paragraphs: flattened lines split, credits dropped, layout breaks joined,
    exact repeats dropped."""
    flags: set[str] = set()
    paras: list[Mapped] = []
    for ln in body:
        m, cut = inline_clean(ln.m)
        if cut:
            flags.add("captions_removed")
        for piece in m.split(_FLAT_BREAK):
            p = piece.strip()
            if p.text:
                paras.append(p)
    # Group the pieces of each broken paragraph, then concatenate each group once (joining one by
    # one would copy a long run of broken lines quadratically).
    groups: list[list[Mapped]] = []
    group_len = 0
    for p in paras:
        if groups and _broken(groups[-1][-1].text, p.text, group_len):
            prev = groups[-1][-1]
            if prev.text[-1].isascii() and prev.text[-1].isalnum() and p.text[0].isascii():
                groups[-1].append(Mapped.inserted(" "))
            groups[-1].append(p)
            group_len += len(p)
            flags.add("layout_joined")
        else:
            groups.append([p])
            group_len = len(p)
    joined = [g[0] if len(g) == 1 else Mapped.join("", g) for g in groups]
    seen: set[str] = set()
    out: list[Mapped] = []
    for p in joined:
        key = p.text
        if len(key) >= MIN_DEDUP_LEN and key in seen:
            flags.add("duplicates_removed")
            continue
        seen.add(key)
        out.append(p)
    return out, flags


def _broken(prev: str, nxt: str, prev_len: int | None = None) -> bool:
    """`…也是BIOFIN中国` + `试点项目取得的…`: a long paragraph cut mid-sentence (`prev_len`: the
    length of the paragraph `prev` ends, when it is already a join of several pieces)."""
    if (prev_len if prev_len is not None else len(prev)) < MIN_BROKEN_LEN or ends_sentence(prev):
        return False
    if _LIST_START.match(nxt):
        return False
    last = prev[-1]
    return last.isalnum() or last in "，,、“‘《(（-"  # never after a closing bracket or quote
