"""The aggregator's small HTTP surface (ASGI, served by uvicorn):

    GET /events /series /targets /people /articles   ?<field>=<substring>&limit=N  → JSON list
    GET /articles/{article_id}                       → one article result, or 404
    GET /events|series|targets|people/{id}/history   ?cursor=&limit=N → one page of an aggregate's
        full history, every source in source order: {"total", "items": [{"source", "fact"}],
        "next_cursor"} (null on the last page); 404 unknown id, 400 bad cursor or limit, 503 on a
        replica that holds no aggregator state (the records carry the latest sources only)
    GET /health                                      → 200 when the consumers run, else 503
    GET /metrics                                     → Prometheus
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from .view import QUERIES, ResultsView

if TYPE_CHECKING:
    from .logic import AggregatorState

HISTORY_KINDS = ("events", "series", "targets", "people")
DEFAULT_PAGE = 50
MAX_PAGE = 500

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# (endpoint, aggregate id, cursor, limit) -> a page, or None for an unknown id
HistoryFn = Callable[[str, str, "str | None", int], "dict[str, Any] | None"]


class NoState(Exception):
    """This replica holds no aggregator state: another replica owns the bundles partition."""


def state_history(states: Mapping[int, AggregatorState]) -> HistoryFn:
    """History pages from the states this process holds (the service's `states`, read live)."""

    def history(endpoint: str, ident: str, cursor: str | None, limit: int) -> dict[str, Any] | None:
        if not states:
            raise NoState("this replica holds no aggregator state; the one holding it serves history")
        for state in states.values():
            found = state.history(endpoint, ident, cursor, limit)
            if found is not None:
                return found
        return None

    return history


def make_app(view: ResultsView, health: Callable[[], tuple[bool, dict[str, Any]]], metrics_app: ASGIApp,
             history: HistoryFn | None = None) -> ASGIApp:
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
        if len(parts) == 3 and parts[0] in HISTORY_KINDS and parts[2] == "history":
            await _history(send, history, parts[0], parts[1], params)
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


async def _history(send: Send, history: HistoryFn | None, endpoint: str, ident: str,
                   params: dict[str, str]) -> None:
    if history is None:
        await _json(send, 503, {"error": "history is not served by this process"})
        return
    try:
        limit = int(params.get("limit", DEFAULT_PAGE))
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be 1..{MAX_PAGE}")
        found = history(endpoint, ident, params.get("cursor") or None, limit)
    except NoState as e:
        await _json(send, 503, {"error": str(e)})
        return
    except ValueError as e:
        await _json(send, 400, {"error": str(e)})
        return
    if found is None:
        await _json(send, 404, {"error": f"no {endpoint} aggregate {ident}"})
    else:
        await _json(send, 200, found)


async def _json(send: Send, status: int, body: Any) -> None:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})
