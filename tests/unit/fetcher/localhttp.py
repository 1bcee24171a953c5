"""A real HTTP/1.1 server on 127.0.0.1 for the fetcher's tests (asyncio streams, same event loop).

Handlers return a `Reply`; the server records every request (path, headers, start time) and how
many were in flight at once, and how many body bytes it managed to send before the client hung up.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified", 404: "Not Found",
           500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    started: float


@dataclass
class Reply:
    status: int = 200
    body: bytes | AsyncIterator[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait before sending anything (a slow server / a read timeout)
    hold_s: float = 0.0  # keep the request "in flight" this long after answering (concurrency tests)


Handler = Callable[[Seen], Awaitable[Reply] | Reply]


async def stream_bytes(total: int, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    block = b"x" * chunk
    while sent < total:
        n = min(chunk, total - sent)
        yield block[:n]
        sent += n


class LocalServer:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Seen] = []
        self.active = 0
        self.max_active = 0
        self.body_bytes_sent = 0
        self.server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> LocalServer:
        self.server = await asyncio.start_server(self._conn, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.server.wait_closed(), 2)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            if not line:
                return
            method, path, _ = line.decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while True:
                h = await reader.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                k, _, v = h.decode("latin-1").partition(":")
                headers[k.strip().lower()] = v.strip()
            seen = Seen(method, path, headers, time.monotonic())
            self.requests.append(seen)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            try:
                reply = self.handler(seen)
                if not isinstance(reply, Reply):
                    reply = await reply
                if reply.delay_s:
                    await asyncio.sleep(reply.delay_s)
                await self._write(writer, reply)
                if reply.hold_s:
                    await asyncio.sleep(reply.hold_s)
            finally:
                self.active -= 1
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client hung up (a cap or a timeout on its side) or the server closed mid-reply
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _write(self, writer: asyncio.StreamWriter, reply: Reply) -> None:
        headers = {"connection": "close", **{k.lower(): v for k, v in reply.headers.items()}}
        if isinstance(reply.body, bytes):
            headers.setdefault("content-length", str(len(reply.body)))
        elif "content-length" not in headers:
            headers["transfer-encoding"] = "chunked"
        head = f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Status')}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        writer.write(head.encode("latin-1"))
        if isinstance(reply.body, bytes):
            writer.write(reply.body)
            self.body_bytes_sent += len(reply.body)
            await writer.drain()
            return
        chunked = headers.get("transfer-encoding") == "chunked"
        async for chunk in reply.body:
            writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk)
            await writer.drain()
            self.body_bytes_sent += len(chunk)
        if chunked:
            writer.write(b"0\r\n\r\n")
        await writer.drain()
