"""robots.txt rules as RFC 9309 defines them.

`urllib.robotparser` applies the first matching line and reads `*` and `$` literally, so
`Disallow: /` before `Allow: /public` blocks /public, and `Disallow: /*.pdf` blocks nothing. Here:
- the groups naming our product token (case-insensitive) apply, all of them merged; else the `*`
  groups, merged;
- the longest matching path pattern wins, `Allow` on a tie; `*` matches any run of characters,
  a final `$` anchors the end; an empty `Disallow:` is no rule;
- `/robots.txt` itself is always allowed; `Crawl-delay` (not in the RFC, widely used) is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Rule:
    allow: bool
    pattern: str
    regex: re.Pattern[str]


@dataclass
class _Group:
    agents: list[str] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    crawl_delay: float | None = None


def _compile(pattern: str) -> re.Pattern[str]:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(part) for part in body.split("*"))
    return re.compile(regex + ("$" if anchored else ""), re.DOTALL)


def _normalise(path: str) -> str:
    # Compare decoded forms so /%E6%96%B0 and /新 are the same path.
    return unquote(path)


@dataclass
class RobotsRules:
    groups: list[_Group]

    @classmethod
    def parse(cls, text: str) -> RobotsRules:
        groups: list[_Group] = []
        current: _Group | None = None
        last_was_agent = False
        for raw in text.splitlines():
            line = raw.split("#", 1)[0].strip()
            if ":" not in line:
                continue
            key, _, value = line.partition(":")
            key, value = key.strip().lower(), value.strip()
            if key in ("user-agent", "useragent"):
                if current is None or not last_was_agent:
                    current = _Group()
                    groups.append(current)
                current.agents.append(value.lower())
                last_was_agent = True
                continue
            last_was_agent = False
            if current is None:
                continue  # rules before any user-agent line belong to no group
            if key in ("allow", "disallow"):
                if not value:
                    continue  # "Disallow:" with nothing: no rule
                pattern = _normalise(value if value.startswith(("/", "*")) else "/" + value)
                current.rules.append(Rule(key == "allow", pattern, _compile(pattern)))
            elif key == "crawl-delay":
                try:
                    current.crawl_delay = max(0.0, float(value))
                except ValueError:
                    continue  # a malformed delay is ignored, like any unknown line
        return cls(groups)

    def _groups_for(self, user_agent: str) -> list[_Group]:
        token = user_agent.split("/", 1)[0].strip().lower()
        named = [g for g in self.groups
                 if any(a not in ("*", "") and (token == a or token.startswith(a + "-")) for a in g.agents)]
        return named or [g for g in self.groups if "*" in g.agents]

    def allowed(self, user_agent: str, url: str) -> bool:
        parts = urlsplit(url)
        path = _normalise((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
        if path == "/robots.txt":
            return True
        best: Rule | None = None
        for g in self._groups_for(user_agent):
            for rule in g.rules:
                if not rule.regex.match(path):
                    continue
                if best is None or len(rule.pattern) > len(best.pattern) or (
                    len(rule.pattern) == len(best.pattern) and rule.allow and not best.allow
                ):
                    best = rule
        return best is None or best.allow

    def crawl_delay(self, user_agent: str) -> float | None:
        delays = [g.crawl_delay for g in self._groups_for(user_agent) if g.crawl_delay is not None]
        return max(delays) if delays else None
