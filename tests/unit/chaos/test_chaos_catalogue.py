"""The hostile catalogue is well formed: enough inputs of every category the issue names, unique
names and keys, URLs aimed at the trap, and the inputs that must be valid JSON are."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from ecowire.fetcher.safety import HostAllowList, Refused, check_url
from tests.chaos.hostile import CATEGORIES, Hostile, Targets, catalogue, good_request
from tests.chaos.services import plan

TARGETS = Targets(trap_port=45678, redirector="127.0.0.5:45679")


@pytest.fixture(scope="module")
def items() -> list[Hostile]:
    return catalogue(TARGETS)


def test_about_150_inputs_in_every_category(items: list[Hostile]) -> None:
    assert 140 <= len(items) <= 220
    counts = Counter(h.category for h in items)
    assert set(counts) == set(CATEGORIES)
    assert all(n >= 5 for n in counts.values()), counts


def test_names_and_keys_are_unique(items: list[Hostile]) -> None:
    assert len({h.name for h in items}) == len(items)
    assert len({h.key for h in items}) == len(items)
    assert all(h.doc_ids == (h.key.decode(),) for h in items)


def test_the_issue_s_cases_are_present(items: list[Hostile]) -> None:
    names = {h.name for h in items}
    for required in ("content_9mb", "b64_bad_chars", "raw_value_invalid_utf8", "gbk_undeclared", "div_20k_deep",
                     "han_line_1m", "digits_1m", "zero_width_only", "control_chars_dense", "file_etc_passwd",
                     "gopher_trap", "ftp_trap", "loopback", "metadata_aws", "ipv6_loopback", "hex_ip",
                     "localhost_dot", "rebind_rbndr", "header_version_not_utf8", "schema_version_2",
                     "truncated_50pct"):
        assert required in names


def test_sizes(items: list[Hostile]) -> None:
    by = {h.name: h for h in items}
    assert by["content_9mb"].size > 9_000_000
    assert by["content_9mb"].expect == "publish_refused"
    assert by["content_7_9mb_ascii"].size < 8 * 1024 * 1024  # under the topic's limit: must reach the services
    assert len(json.loads(by["han_line_1m"].value or b"")["content"]) == 1_000_000


def test_url_inputs_are_valid_requests_aimed_at_local_targets(items: list[Hostile]) -> None:
    urls = [json.loads(h.value or b"")["url"] for h in items if h.category in ("address", "redirect")]
    assert len(urls) >= 40
    port = str(TARGETS.trap_port)
    assert sum(port in u for u in urls) >= 30


def test_the_fetcher_refuses_the_literal_private_addresses(items: list[Hostile]) -> None:
    # Not the whole story (names are checked on connection), but the catalogue must not contain a
    # "loopback" case that the URL check would let through by accident of spelling.
    allow = HostAllowList(["127.0.0.5"])
    for name in ("loopback", "ipv6_loopback", "ipv6_mapped_v4", "metadata_aws", "private_10", "unspecified"):
        h = next(x for x in items if x.name == name)
        with pytest.raises(Refused):
            check_url(json.loads(h.value or b"")["url"], allow)


def test_malformed_json_inputs_do_not_parse(items: list[Hostile]) -> None:
    for h in items:
        if h.category in ("malformed_json", "truncated_json") and h.value is not None and h.name not in (
            "json_null", "nan_value", "infinity_title", "int_5000_digits", "arrays_20k_deep",
            "objects_20k_deep_in_metadata",
        ):
            with pytest.raises((ValueError, UnicodeDecodeError)):
                json.loads(h.value.decode("utf-8"))


def test_catalogue_is_deterministic() -> None:
    a, b = catalogue(TARGETS, seed=3), catalogue(TARGETS, seed=3)
    assert [(h.name, h.value) for h in a] == [(h.name, h.value) for h in b]


def test_good_request_is_a_valid_ingest_request() -> None:
    from ecowire_schemas import IngestRequest

    req = IngestRequest.model_validate_json(good_request("g001", "正文", "标题", "2024-01-01", None))
    assert req.doc_id == "g001" and req.metadata.title == "标题" and req.metadata.url is None


def test_plan_spreads_kills_over_every_service_and_places_the_broker_events() -> None:
    actions = plan(random.Random(1), 14)
    kills = Counter(a.target for a in actions if a.kind == "sigkill")
    assert sum(kills.values()) == 14 and min(kills.values()) >= 3 and len(kills) == 4
    kinds = [a.kind for a in actions]
    restart = actions[kinds.index("broker_restart")]
    assert restart.target in ("fetcher", "normalizer", "extractor", "aggregator")  # killed during the outage
    assert kinds.count("broker_restart") == 1 and kinds.count("broker_sigkill") == 1
    assert 0 < kinds.index("broker_restart") < kinds.index("broker_sigkill") < len(kinds) - 1
    assert [a.at_s for a in actions] == sorted(a.at_s for a in actions)
    assert plan(random.Random(1), 14) == actions  # seeded: the same schedule again
    assert all(a.kind == "sigkill" for a in plan(random.Random(1), 12, broker=False))
