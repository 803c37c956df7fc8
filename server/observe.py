"""ASGI middleware around the whole app (Socket.IO included): each HTTP request gets a request id (the
caller's `X-Request-Id` when it is a plain token, else a new one), returned in `X-Request-Id`, and the log
context (request id, the path's session id); when it is answered, the HTTP series count it by route template.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import context
from server.metrics import Metrics

UNMATCHED = "unmatched"
"""the route label of a path no route matches (scanners' paths would make the label unbounded)"""


def route_of(routes: Sequence[BaseRoute], scope: Scope, prefixes: Sequence[str] = ()) -> tuple[str, dict[str, str]]:
    """The template of the route the request goes to (also when its method is not allowed) and the path's
    parameters; a path under one of `prefixes` (Socket.IO's) is that prefix."""
    path = str(scope.get("path", ""))
    for prefix in prefixes:
        if path.startswith(prefix):
            return prefix, {}
    partial: str | None = None
    for route in routes:
        match, child = route.matches(scope)
        template = f"{route.path}/{{path}}" if isinstance(route, Mount) else str(getattr(route, "path", UNMATCHED))
        if match == Match.FULL:
            params = child.get("path_params", {})
            return template, {str(k): str(v) for k, v in params.items()}
        if match == Match.PARTIAL and partial is None:
            partial = template
    return partial or UNMATCHED, {}


class Observe:
    """Request ids, the log context and the HTTP series; wraps the ASGI app built in server/app.py."""

    def __init__(self, app: ASGIApp, *, routes: Sequence[BaseRoute], metrics: Metrics,
                 prefixes: Sequence[str] = ("/socket.io/",)) -> None:
        self.app = app
        self.routes = routes
        self.metrics = metrics
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            with context.scope(request_id=context.new_request_id(), session_id="", tenant="", started=0.0):
                await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        given = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-request-id"), None)
        request_id = context.accept_request_id(given)
        template, params = route_of(self.routes, scope, self.prefixes)
        status = 500

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        with context.scope(request_id=request_id, session_id=params.get("session_id", ""), tenant="",
                           started=started):
            try:
                await self.app(scope, receive, answer)
            finally:
                self.metrics.http_request(route=template, method=str(scope.get("method", "")), status=status,
                                          seconds=time.monotonic() - started)


__all__ = ["UNMATCHED", "Observe", "route_of"]
