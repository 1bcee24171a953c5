"""robots.txt matching as RFC 9309 says (longest match, wildcards, merged groups)."""

from __future__ import annotations

import pytest

from ecowire.fetcher.robotsrules import RobotsRules

UA = "ecowire-fetcher/0.1 (+https://github.com/ecowire/ecowire)"


def allowed(robots: str, path: str, ua: str = UA) -> bool:
    return RobotsRules.parse(robots).allowed(ua, f"https://www.example.gov.cn{path}")


@pytest.mark.parametrize(("robots", "path", "expected"), [
    ("User-agent: *\nDisallow: /\nAllow: /public\n", "/public/a.html", True),  # longest match, not first
    ("User-agent: *\nAllow: /public\nDisallow: /\n", "/private", False),
    ("User-agent: *\nDisallow: /*.pdf$\n", "/files/plan.pdf", False),  # wildcard + anchor
    ("User-agent: *\nDisallow: /*.pdf$\n", "/files/plan.pdf.html", True),
    ("User-agent: *\nDisallow: /*?\n", "/list.html?page=2", False),  # query strings count
    ("User-agent: *\nDisallow: /*?\n", "/list.html", True),
    ("User-agent: *\nDisallow: /a\nAllow: /a\n", "/a/b", True),  # a tie goes to Allow
    ("User-agent: *\nDisallow:\n", "/anything", True),  # empty Disallow: no rule
    ("User-agent: *\nDisallow: /\n", "/robots.txt", True),
    ("User-agent: *\nDisallow: /新闻\n", "/%E6%96%B0%E9%97%BB/1.html", False),  # percent-encoding
    ("", "/x", True),
    ("# only comments\nSitemap: https://x/sitemap.xml\n", "/x", True),
])
def test_matching(robots: str, path: str, expected: bool) -> None:
    assert allowed(robots, path) is expected


def test_our_group_wins_over_star_and_same_agent_groups_merge() -> None:
    robots = (
        "User-agent: *\nDisallow: /\n\n"
        "User-agent: ECOWIRE-FETCHER\nDisallow: /private\n\n"
        "User-agent: googlebot\nDisallow: /g\n\n"
        "User-agent: ecowire-fetcher\nDisallow: /drafts\nCrawl-delay: 5\n"
    )
    rules = RobotsRules.parse(robots)
    assert rules.allowed(UA, "https://x/news/1") and not rules.allowed(UA, "https://x/private/1")
    assert not rules.allowed(UA, "https://x/drafts/1") and rules.allowed(UA, "https://x/g")
    assert not rules.allowed("otherbot/1.0", "https://x/news/1")
    assert rules.crawl_delay(UA) == 5.0 and rules.crawl_delay("otherbot/1.0") is None


def test_grouped_agents_and_prefix_token() -> None:
    robots = "User-agent: foo\nUser-agent: ecowire\nDisallow: /x\n\nUser-agent: *\nDisallow: /\n"
    rules = RobotsRules.parse(robots)
    assert not rules.allowed(UA, "https://x/x/1") and rules.allowed(UA, "https://x/y")
    assert RobotsRules.parse("User-agent: e\nDisallow: /\n").allowed(UA, "https://x/a")  # "e" is not us


def test_rules_before_any_agent_and_bad_delays_are_ignored() -> None:
    rules = RobotsRules.parse("Disallow: /\nUser-agent: *\nCrawl-delay: soon\nDisallow: /tmp\n")
    assert rules.allowed(UA, "https://x/a") and not rules.allowed(UA, "https://x/tmp/1")
    assert rules.crawl_delay(UA) is None
