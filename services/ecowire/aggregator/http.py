"""The aggregator's small HTTP surface (ASGI, served by uvicorn):

    GET /events /series /targets /people /articles   ?<field>=<substring>&limit=N  → JSON list
    GET /articles/{article_id}                       → one article result, or 404
    GET /health                                      → 200 when the consumers run, else 503
    GET /metrics                                     → Prometheus
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from .view import QUERIES, ResultsView

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def make_app(view: ResultsView, health: Callable[[], tuple[bool, dict[str, Any]]], metrics_app: ASGIApp) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # lifespan is off; websockets are not served
        path: str = scope["path"].rstrip("/") or "/"
        if path == "/metrics":
            await metrics_app(scope, receive, send)
            return
        if scope["method"] != "GET":
            await _json(send, 405, {"error": "only GET"})
            return
        if path == "/health":
            ok, detail = health()
            await _json(send, 200 if ok else 503, detail)
            return
        params = dict(parse_qsl(scope.get("query_string", b"").decode("utf-8", "replace")))
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "articles":
            result = view.get("article", parts[1])
            if result is None:
                await _json(send, 404, {"error": f"no article {parts[1]}"})
            else:
                await _json(send, 200, result.model_dump(mode="json"))
            return
        if len(parts) == 1 and parts[0] in QUERIES:
            limit_raw = params.pop("limit", None)
            try:
                limit = int(limit_raw) if limit_raw is not None else None
                found = view.query(parts[0], params, limit)
            except ValueError as e:
                await _json(send, 400, {"error": str(e)})
                return
            await _json(send, 200, [r.model_dump(mode="json") for r in found])
            return
        await _json(send, 404, {"error": "not found", "endpoints": [f"/{q}" for q in QUERIES]})

    return app


async def _json(send: Send, status: int, body: Any) -> None:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})
