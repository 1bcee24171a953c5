"""HTTP fetching: safe, polite, bounded.

One `HttpFetcher.fetch(url)` call:
- checks every hop's URL (`safety`) and robots.txt (`robots`), and connects only to checked
  addresses (`GuardedBackend`);
- follows redirects itself, up to `max_redirects`, stopping at the first URL seen twice;
- retries a hop on transient failures only (5xx, timeouts, connection errors/resets) with
  exponential backoff and jitter (a 503's Retry-After is honoured up to the backoff cap); a 4xx
  is final;
- streams the body and stops at `max_body_bytes` (a declared Content-Length over the cap is
  refused before reading);
- holds a per-host slot (concurrency + minimum gap between starts) for each attempt;
- sends `If-None-Match` / `If-Modified-Since` when validators are given; a 304 is `not_modified`;
- never runs longer than `deadline_s` in total.
Every call ends in exactly one outcome, counted in `ecowire_fetch_total{outcome}`.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from ecowire.core import metrics
from ecowire.core.logs import get_logger

from .decode import is_textual
from .politeness import HostLimiter
from .robots import MAX_ROBOTS_BYTES, RobotsCache, RobotsResponse
from .safety import GuardedBackend, HostAllowList, InvalidURL, Refused, check_url
from .settings import FetchSettings

log = get_logger("ecowire.fetcher.http")

REDIRECT_CODES = (301, 302, 303, 307, 308)
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml;q=0.9,text/plain;q=0.8,*/*;q=0.5"
TRANSIENT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class Validators:
    """Conditional-GET validators remembered from a previous response."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        h = {}
        if self.etag:
            h["If-None-Match"] = self.etag
        if self.last_modified:
            h["If-Modified-Since"] = self.last_modified
        return h

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)


@dataclass(frozen=True)
class FetchResult:
    url: str
    final_url: str
    status: int
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    redirects: int
    elapsed_ms: float
    attempts: int

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def validators(self) -> Validators:
        return Validators(self.etag, self.last_modified)


class FetchError(Exception):
    """A fetch that produced no document. `reason` names the dead letter, `outcome` the metric."""

    def __init__(self, reason: str, message: str, outcome: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.outcome = outcome or reason
        self.status = status


class _Transient(Exception):
    def __init__(self, message: str, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


@dataclass(frozen=True)
class _Hop:
    status: int
    headers: httpx.Headers
    body: bytes


class GuardedTransport(httpx.AsyncHTTPTransport):
    """The default transport, with connections made through `GuardedBackend`."""

    def __init__(self, allow: HostAllowList, max_connections: int = 100) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=max_connections,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(allow),
        )


def host_key(url: str) -> str:
    p = urlsplit(url)
    port = p.port or (443 if p.scheme == "https" else 80)
    return f"{(p.hostname or '').lower()}:{port}"


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with jitter: somewhere in [d/2, d] for d = min(cap, base * 2**attempt)."""
    d = min(cap, base * (2**attempt))
    return d / 2 + rng.uniform(0, d / 2)


def retry_after_s(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpFetcher:
    def __init__(
        self,
        settings: FetchSettings,
        transport: httpx.AsyncBaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.allow = HostAllowList(settings.allow_hosts)
        self.rng = rng or random.Random()
        self.limiter = HostLimiter(settings.per_host_concurrency, settings.per_host_interval_s)
        self.client = httpx.AsyncClient(
            transport=transport or GuardedTransport(self.allow),
            timeout=httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s),
            follow_redirects=False,
            trust_env=False,
            headers={
                "User-Agent": settings.user_agent,
                "Accept": ACCEPT,
                "Accept-Language": "zh-CN,zh;q=0.9,zh-TW;q=0.8,en;q=0.5",
            },
        )
        self.robots = RobotsCache(
            self._fetch_robots, settings.user_agent, settings.robots_ttl_s, settings.robots_error_ttl_s
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __aenter__(self) -> HttpFetcher:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def fetch(self, url: str, validators: Validators | None = None, robots: bool = True) -> FetchResult:
        """Fetch a URL; raises `FetchError`. Counts the outcome in `ecowire_fetch_total`.

        `robots=False` skips robots.txt for this URL (a source the operator configured so, e.g.
        their own RSSHub, which can serve `Disallow: /` to keep search engines out).
        """
        try:
            async with asyncio.timeout(self.settings.deadline_s):
                result = await self._follow(url, validators, check_robots=robots and self.settings.respect_robots)
        except FetchError as e:
            metrics.FETCHES.labels(e.outcome).inc()
            log.info("fetch_failed", url=url, reason=e.reason, outcome=e.outcome, error=e.message)
            raise
        except TimeoutError as e:
            metrics.FETCHES.labels("gave_up").inc()
            log.info("fetch_failed", url=url, reason="unreachable", outcome="gave_up", error="deadline")
            raise FetchError(
                "unreachable", f"gave up on {url} after the {self.settings.deadline_s:g}s deadline", "gave_up"
            ) from e
        metrics.FETCHES.labels("not_modified" if result.not_modified else "fetched").inc()
        return result

    async def _fetch_robots(self, url: str) -> RobotsResponse:
        try:
            r = await self._follow(url, None, check_robots=False, cap=MAX_ROBOTS_BYTES, truncate=True)
        except FetchError as e:
            if e.reason == "refused":
                raise  # the host itself is off limits: the page is refused, not "disallowed"
            return RobotsResponse(e.status or 0, error=e.message)
        return RobotsResponse(r.status, r.body)

    async def _follow(
        self,
        url: str,
        validators: Validators | None,
        check_robots: bool,
        cap: int | None = None,
        truncate: bool = False,
    ) -> FetchResult:
        started = time.perf_counter()
        seen: list[str] = []
        current = url
        attempts = 0
        while True:
            try:
                check_url(current, self.allow)
            except InvalidURL as e:
                raise FetchError("invalid_url", str(e), "refused") from e
            except Refused as e:
                raise FetchError("refused", str(e), "refused") from e
            if check_robots:
                verdict = await self.robots.check(current)
                if verdict.crawl_delay is not None:
                    self.limiter.set_crawl_delay(host_key(current), min(verdict.crawl_delay,
                                                                         self.settings.max_crawl_delay_s))
                if verdict.unreachable:
                    raise FetchError("unreachable", f"{current}: {verdict.reason}", "gave_up")
                if not verdict.allowed:
                    raise FetchError("robots_disallowed", f"{current}: {verdict.reason}", "robots_disallowed")
            seen.append(current)
            hop, n = await self._with_retries(current, validators, cap or self.settings.max_body_bytes, truncate)
            attempts += n
            if hop.status in REDIRECT_CODES and hop.headers.get("location"):
                nxt = urljoin(current, hop.headers["location"].strip())
                if nxt in seen:
                    raise FetchError("redirect_loop", f"redirect loop: {' -> '.join([*seen, nxt])}")
                if len(seen) > self.settings.max_redirects:
                    raise FetchError(
                        "redirect_loop", f"more than {self.settings.max_redirects} redirects from {url}"
                    )
                current = nxt
                continue
            if hop.status != 304 and not 200 <= hop.status < 300:
                raise FetchError("http_error", f"HTTP {hop.status} from {current}", "http_error", hop.status)
            return FetchResult(
                url=url,
                final_url=current,
                status=hop.status,
                body=hop.body,
                content_type=hop.headers.get("content-type"),
                etag=hop.headers.get("etag"),
                last_modified=hop.headers.get("last-modified"),
                redirects=len(seen) - 1,
                elapsed_ms=(time.perf_counter() - started) * 1000,
                attempts=attempts,
            )

    async def _with_retries(
        self, url: str, validators: Validators | None, cap: int, truncate: bool
    ) -> tuple[_Hop, int]:
        """One hop, retried on transient failures. Returns the response and the attempts made."""
        max_attempts = self.settings.max_retries + 1
        for attempt in range(max_attempts):
            try:
                return await self._once(url, validators, cap, truncate), attempt + 1
            except _Transient as e:
                if attempt + 1 >= max_attempts:
                    if e.status is not None:
                        raise FetchError("http_error", f"{e} after {max_attempts} attempts", "gave_up",
                                         e.status) from e
                    raise FetchError("unreachable", f"{e} after {max_attempts} attempts", "gave_up") from e
                delay = backoff_delay(attempt, self.settings.backoff_base_s, self.settings.backoff_max_s, self.rng)
                if e.retry_after is not None:
                    delay = max(delay, min(e.retry_after, self.settings.backoff_max_s))
                log.info("fetch_retry", url=url, attempt=attempt + 1, error=str(e), delay_s=round(delay, 3))
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")

    async def _once(self, url: str, validators: Validators | None, cap: int, truncate: bool) -> _Hop:
        headers = validators.headers() if validators else {}
        async with self.limiter.slot(host_key(url)):
            try:
                resp = await self.client.send(self.client.build_request("GET", url, headers=headers), stream=True)
            except Refused as e:
                raise FetchError("refused", str(e), "refused") from e
            except TRANSIENT_ERRORS as e:
                raise _Transient(f"{type(e).__name__} on {url}: {e}") from e
            except httpx.HTTPError as e:  # e.g. an unsupported protocol: retrying cannot help
                raise FetchError("unreachable", f"{type(e).__name__} on {url}: {e}", "gave_up") from e
            try:
                if resp.status_code >= 500:
                    raise _Transient(f"HTTP {resp.status_code} from {url}", retry_after_s(
                        resp.headers.get("retry-after")), resp.status_code)
                if not 200 <= resp.status_code < 300:
                    return _Hop(resp.status_code, resp.headers, b"")  # redirects, 304, 4xx: no body needed
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > cap and not truncate:
                    raise FetchError("too_large", f"{url} declares {int(declared)} bytes, over the {cap}-byte cap")
                if not is_textual(resp.headers.get("content-type")):
                    raise FetchError("binary", f"{url} is {resp.headers.get('content-type')}, not a text document")
                body = bytearray()
                async for chunk in resp.aiter_bytes():
                    body += chunk
                    if len(body) > cap:
                        if truncate:
                            del body[cap:]
                            break
                        raise FetchError("too_large", f"{url} sent more than the {cap}-byte cap; stopped reading")
                return _Hop(resp.status_code, resp.headers, bytes(body))
            except TRANSIENT_ERRORS as e:  # the connection broke while reading the body
                raise _Transient(f"{type(e).__name__} reading {url}: {e}") from e
            except httpx.DecodingError as e:
                raise FetchError("undecodable", f"bad content-encoding from {url}: {e}") from e
            finally:
                await resp.aclose()
