"""Which URLs and addresses the fetcher may connect to."""

from __future__ import annotations

import ipaddress

import httpcore
import pytest

from ecowire.fetcher.safety import (
    GuardedBackend,
    HostAllowList,
    InvalidURL,
    Refused,
    check_url,
    forbidden_reason,
    safe_addresses,
)


@pytest.mark.parametrize(("addr", "why"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"),
    ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"), ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("100.64.0.1", "not globally routable"),
    ("fc00::1", "private"),
    ("93.184.216.34", None), ("2606:2800:220:1:248:1893:25c8:1946", None), ("1.1.1.1", None),
])
def test_forbidden_addresses(addr: str, why: str | None) -> None:
    assert forbidden_reason(ipaddress.ip_address(addr)) == why


def test_reserved_and_documentation_ranges_are_forbidden() -> None:
    for addr in ("240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1", "2001:db8::1"):
        assert forbidden_reason(ipaddress.ip_address(addr)) is not None, addr


def test_schemes_and_literals() -> None:
    allow = HostAllowList()
    assert check_url("https://www.mee.gov.cn/ywdt/", allow) == "www.mee.gov.cn"
    for bad in ("file:///etc/passwd", "ftp://x.org/", "javascript:alert(1)", "http:///nohost", "http://127.0.0.1/",
                "http://[::1]/", "http://10.0.0.8:8080/", "http://x.org:99999/"):
        with pytest.raises(Refused):
            check_url(bad, allow)


def test_allow_list_by_name_ip_and_suffix() -> None:
    allow = HostAllowList(["127.0.0.1", "*.internal.example", "LocalHost", "[::1]"])
    assert allow.allows("127.0.0.1") and allow.allows("localhost") and allow.allows("::1")
    assert allow.allows("a.b.internal.example") and not allow.allows("internal.example.com")
    assert not allow.allows("10.0.0.1")
    assert check_url("http://127.0.0.1:8080/x", allow) == "127.0.0.1"


async def test_names_are_checked_after_resolution() -> None:
    with pytest.raises(Refused, match="resolves to"):
        await safe_addresses("localhost", 80, HostAllowList())
    assert await safe_addresses("localhost", 80, HostAllowList(["localhost"])) == ["localhost"]
    assert await safe_addresses("127.0.0.1", 80, HostAllowList(["127.0.0.1"])) == ["127.0.0.1"]


async def test_unresolvable_names_are_a_connect_error_not_a_refusal() -> None:
    with pytest.raises(httpcore.ConnectError):
        await safe_addresses("no-such-host.invalid", 80, HostAllowList())


async def test_the_backend_refuses_before_connecting() -> None:
    class Exploding(httpcore.AsyncNetworkBackend):
        async def connect_tcp(self, *a: object, **k: object) -> httpcore.AsyncNetworkStream:
            raise AssertionError("must not connect")

    backend = GuardedBackend(HostAllowList(), inner=Exploding())
    with pytest.raises(Refused):
        await backend.connect_tcp("localhost", 80)
    with pytest.raises(Refused):
        await backend.connect_tcp("169.254.169.254", 80)
    with pytest.raises(Refused):
        await backend.connect_unix_socket("/var/run/docker.sock")


@pytest.mark.parametrize("url", ["http://0177.0.0.1/", "http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/", "http://[::1/"])
def test_urls_the_client_cannot_parse_are_invalid_not_errors(url: str) -> None:
    with pytest.raises(InvalidURL):
        check_url(url, HostAllowList())
