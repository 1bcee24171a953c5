"""What the fetcher may connect to.

Anyone who can write to the ingest topic chooses URLs, so by default the fetcher refuses schemes
other than http(s) and any host that is, or resolves to, a loopback, private, link-local,
multicast, reserved or unspecified address (cloud metadata endpoints, the broker, admin ports).
The check runs twice: on the URL of every hop before a request (a clean refusal), and on the
address actually connected to, inside the HTTP transport (`GuardedBackend`), so a DNS answer that
changes between the check and the connection (DNS rebinding) cannot slip through.
An allow-list (`ECOWIRE_FETCH_ALLOW_HOSTS`) opens chosen hosts by name or IP literal.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from httpcore import AsyncNetworkBackend, AsyncNetworkStream

ALLOWED_SCHEMES = ("http", "https")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """The URL or the address it leads to is not one the fetcher may connect to."""


class InvalidURL(Refused):
    """The URL cannot be parsed as the HTTP client would (dead-lettered as `invalid_url`)."""


class HostAllowList:
    """Hosts exempt from the address check: exact names / IP literals, or `*.suffix` patterns."""

    def __init__(self, hosts: Iterable[str] = ()) -> None:
        self.exact: set[str] = set()
        self.suffixes: list[str] = []
        for h in hosts:
            h = h.strip().lower().rstrip(".")
            if h.startswith("*."):
                self.suffixes.append(h[1:])
            elif h:
                self.exact.add(h.strip("[]"))

    def allows(self, host: str) -> bool:
        host = host.lower().rstrip(".").strip("[]")
        return host in self.exact or any(host.endswith(s) for s in self.suffixes)


def forbidden_reason(addr: IPAddress) -> str | None:
    """Why an address is off limits, or None when it is a public unicast address."""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return forbidden_reason(addr.ipv4_mapped)
    checks = (
        ("loopback", addr.is_loopback),
        ("unspecified", addr.is_unspecified),
        ("link-local", addr.is_link_local),
        ("multicast", addr.is_multicast),
        ("private", addr.is_private),
        ("reserved", addr.is_reserved),
        ("not globally routable", not addr.is_global),
    )
    for name, hit in checks:
        if hit:
            return name
    return None


def parse_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_url(url: str, allow: HostAllowList) -> str:
    """Refuse a URL by its scheme, missing host or an IP-literal host; returns the host name.

    Host names are resolved and checked at connection time (`GuardedBackend`).
    """
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a malformed port
        httpx.URL(url)  # as the client will parse it: 0177.0.0.1 or an invalid IDNA host fail here
    except (ValueError, httpx.InvalidURL) as e:
        raise InvalidURL(f"malformed URL {url!r}: {e}") from e
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise Refused(f"scheme {parts.scheme!r} is not http(s): {url}")
    host = parts.hostname
    if not host:
        raise Refused(f"URL has no host: {url}")
    if port == 0:
        raise Refused(f"port 0 in {url}")
    if allow.allows(host):
        return host
    ip = parse_ip(host)
    if ip is not None:
        why = forbidden_reason(ip)
        if why:
            raise Refused(f"{host} is a {why} address (allow it with ECOWIRE_FETCH_ALLOW_HOSTS)")
    return host


async def resolve(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        ip = parse_ip(str(sockaddr[0]).split("%", 1)[0])  # drop an IPv6 zone id
        if ip is not None and ip not in out:
            out.append(ip)
    return out


async def safe_addresses(host: str, port: int, allow: HostAllowList) -> Sequence[str]:
    """The addresses to connect to for host:port; raises `Refused` if any answer is forbidden.

    Any forbidden answer refuses the host: connecting to the public one of a mixed answer would
    leave the choice to whoever controls the DNS.
    """
    literal = parse_ip(host)
    if allow.allows(host):
        return [host]
    if literal is not None:
        why = forbidden_reason(literal)
        if why:
            raise Refused(f"{host} is a {why} address (allow it with ECOWIRE_FETCH_ALLOW_HOSTS)")
        return [str(literal)]
    try:
        addrs = await resolve(host, port)
    except OSError as e:
        raise httpcore.ConnectError(f"cannot resolve {host}: {e}") from e
    if not addrs:
        raise httpcore.ConnectError(f"{host} has no addresses")
    for ip in addrs:
        why = forbidden_reason(ip)
        if why:
            raise Refused(f"{host} resolves to {ip}, a {why} address (allow it with ECOWIRE_FETCH_ALLOW_HOSTS)")
    return [str(ip) for ip in addrs]


class GuardedBackend(AsyncNetworkBackend):
    """httpcore network backend that resolves, checks, and connects to the checked address only.

    TLS still uses the URL's host name for SNI and certificate checks (httpcore passes the origin
    host to `start_tls`), so connecting by IP changes nothing else.
    """

    def __init__(self, allow: HostAllowList, inner: AsyncNetworkBackend | None = None) -> None:
        self.allow = allow
        self.inner: AsyncNetworkBackend = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        addrs = await safe_addresses(host, port, self.allow)
        last: Exception | None = None
        for addr in addrs:
            try:
                return await self.inner.connect_tcp(
                    addr, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                last = e  # try the host's next address, like a browser would
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        raise Refused("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
