"""REST routes of handoff links: create one (a session's device with its token, or an API key that may write
sessions), and exchange one (no credential: the code is the credential, rate-limited per client IP)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import sdk_protocol as p
from server.access import Permission
from server.api_types import ExchangeHandoff, HandoffCreated, HandoffExchanged
from server.auth import SESSION_TOKEN_PREFIX, Authenticator, bearer
from server.handoffs import Handoffs
from server.http import Guard, json_response
from server.http_input import read_json
from server.openapi.spec import Doc, DocumentedRoute
from server.ratelimit import RateLimiter
from server.sessions import IntegratorSessions


def _ip(request: Request) -> str:
    return request.client.host if request.client is not None else ""


def build_handoff_routes(*, handoffs: Handoffs, sessions: IntegratorSessions, auth: Authenticator, guard: Guard,
                         sdk_limiter: RateLimiter, exchange_limiter: RateLimiter,
                         limits: p.Limits = p.DEFAULT_LIMITS) -> list[Route]:
    async def create(request: Request) -> Response:
        """The session's own token (its device), or an API key or login with `sessions.write` in the session's
        tenant (the integrator sends the link to the person)."""
        session_id = str(request.path_params["session_id"])
        header = request.headers.get("authorization")
        if (bearer(header) or "").startswith(SESSION_TOKEN_PREFIX):
            await auth.session_token(header, session_id)
            sdk_limiter.check(session_id)
            by = None
        else:
            by = await guard.admit(request, Permission.SESSIONS_WRITE)
            await sessions.owned(session_id, by.tenant)
        created = await handoffs.create(session_id, by=by, ip=_ip(request), base_url=str(request.base_url))
        return json_response(created, 201)

    async def exchange(request: Request) -> Response:
        ip = _ip(request)
        exchange_limiter.check(ip)
        body = await read_json(request, ExchangeHandoff, limits)
        return json_response(await handoffs.exchange(body.code, ip=ip), 201)

    return [
        DocumentedRoute("/v1/sessions/{session_id}/handoffs", create, methods=["POST"], doc=Doc(
            summary="A one-time, short-lived link (and its QR code) that continues the session on another device",
            description="With the session's token (its device), or an API key with `sessions.write`. No body "
                        "(or `{}`); a retry makes another link.",
            ok={201: (HandoffCreated,)}, auth="api_key_or_session_token", permission=Permission.SESSIONS_WRITE.value,
            errors=(p.SessionNotFound, p.SessionErased), tag="handoffs")),
        DocumentedRoute("/v1/handoffs/exchange", exchange, methods=["POST"], doc=Doc(
            summary="Exchange a handoff link's code, once, for a fresh token of its session (no credential)",
            body=ExchangeHandoff, ok={201: (HandoffExchanged,)}, auth="none",
            errors=(p.HandoffNotFound, p.HandoffUsed, p.HandoffExpired, p.SessionErased, p.RateLimited,
                    p.ServerBusy), tag="handoffs")),
    ]


__all__ = ["build_handoff_routes"]
