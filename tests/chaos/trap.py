"""Local listeners for the hostile part.

- The **trap**: one port on 127.0.0.1, 127.0.0.2 and [::1]. Every hostile URL that names a
  loopback address in some spelling points at it; the fetcher must refuse them all, so any
  accepted connection is a failure of its safety rules. Every connection is counted, HTTP or not
  (gopher/ftp would speak something else), before anything is read.
- The **redirector**: on 127.0.0.5, the one host the fetcher's allow-list opens for the run.
  It answers `/robots.txt` and redirects `/to?u=<url>` to the URL given, so redirects towards the
  trap, the metadata address and `file:` are tried *after* an allowed first hop.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit


@dataclass
class Hit:
    at: float  # time.time()
    listener: str
    peer: str
    first_line: str


@dataclass
class HitLog:
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, hit: Hit) -> None:
        with self.lock:
            self.hits.append(hit)

    def snapshot(self) -> list[Hit]:
        with self.lock:
            return list(self.hits)


def _handler(name: str, log: HitLog, redirect: bool) -> type[socketserver.BaseRequestHandler]:
    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            sock.settimeout(2.0)
            peer = str(self.client_address[0])
            try:
                data = sock.recv(4096)
            except OSError as e:
                data = f"<recv failed: {e}>".encode()
            first = data.split(b"\r\n", 1)[0].decode("latin-1")[:200]
            log.add(Hit(time.time(), name, peer, first))
            body, status, extra = b"trap", "200 OK", ""
            if redirect:
                target = first.split(" ")[1] if first.count(" ") >= 2 else "/"
                if target.startswith("/robots.txt"):
                    body = b"User-agent: *\nAllow: /\n"
                else:
                    to = parse_qs(urlsplit(target).query).get("u", [""])[0]
                    status, extra, body = "302 Found", f"Location: {to}\r\n", b""
            head = (f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
                    f"{extra}Connection: close\r\n\r\n")
            with contextlib.suppress(OSError):  # the client went away: the hit is what counts
                sock.sendall(head.encode() + body)

    return Handler


class _V6Server(socketserver.ThreadingTCPServer):
    address_family = socket.AF_INET6


class Listener:
    """A threaded TCP server on several addresses and one port, logging every connection."""

    def __init__(self, name: str, hosts: list[str], log: HitLog, *, redirect: bool = False, port: int = 0) -> None:
        self.name = name
        self.log = log
        self.servers: list[socketserver.ThreadingTCPServer] = []
        handler = _handler(name, log, redirect)
        try:
            for host in hosts:
                cls = _V6Server if ":" in host else socketserver.ThreadingTCPServer
                cls.allow_reuse_address = True
                cls.daemon_threads = True
                server = cls((host, port), handler)
                port = server.server_address[1]  # the first bind picks the port; the others share it
                self.servers.append(server)
        except OSError:
            for s in self.servers:
                s.server_close()
            raise
        self.port = port
        self.hosts = hosts
        self.threads = [threading.Thread(target=s.serve_forever, daemon=True, name=f"{name}-{i}")
                        for i, s in enumerate(self.servers)]

    def __enter__(self) -> Listener:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for s in self.servers:
            s.shutdown()
            s.server_close()

    def hits(self) -> list[Hit]:
        return [h for h in self.log.snapshot() if h.listener == self.name]


def bind_with_retry(name: str, hosts: list[str], log: HitLog, *, redirect: bool = False,
                    attempts: int = 20) -> Listener:
    """A Listener on a port free on every one of `hosts` (the first host's free port may be
    taken on another)."""
    last: OSError | None = None
    for _ in range(attempts):
        try:
            return Listener(name, hosts, log, redirect=redirect)
        except OSError as e:
            last = e
    raise RuntimeError(f"no port free on all of {hosts}: {last}")
