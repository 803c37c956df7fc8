"""The back office's live channel: Socket.IO namespace /backoffice, one room per tenant.

A browser connects with its login cookie (sent with the WebSocket handshake); the connection is refused
without a current login, or from a page of another origin. Every change of a case on this node is sent to
its tenant's room as `case.changed` {session_id, status, version}: ids and states only, the pages fetch the
rest through their own (authorised) fragments.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import socketio
from starlette.requests import cookie_parser

import sdk_protocol as p
from server.access import LoginRequired, Permission, require
from server.backoffice.logins import COOKIE, Logins
from server.backoffice.ports import CaseService
from server.cases.types import CaseSummary

NAMESPACE = "/backoffice"
EVENT = "case.changed"
log = logging.getLogger("arabesque.backoffice")


def tenant_room(tenant: str) -> str:
    return f"tenant:{tenant}"


def same_origin(environ: dict[str, object]) -> bool:
    """A browser's handshake from another site's page (cross-site WebSocket hijacking) is refused; clients
    without an Origin header (not browsers) are judged by their cookie alone."""
    origin, host = environ.get("HTTP_ORIGIN"), environ.get("HTTP_HOST")
    if not isinstance(origin, str) or not origin:
        return True
    return isinstance(host, str) and urlsplit(origin).netloc.lower() == host.lower()


def register_live(sio: socketio.AsyncServer, *, logins: Logins, cases: CaseService) -> None:
    async def connect(sid: str, environ: dict[str, object], auth_data: object) -> None:
        cookies = cookie_parser(str(environ.get("HTTP_COOKIE", "")))
        address = environ.get("REMOTE_ADDR")
        try:
            if not same_origin(environ):
                raise LoginRequired("Expected a page of this server, got a connection from another origin")
            token = cookies.get(COOKIE)
            if not token:
                raise LoginRequired("Expected a back-office login cookie, got none")
            login = await logins.from_cookie(token, address if isinstance(address, str) else "")
            require(login.principal, Permission.CASES_READ)
        except p.SdkError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.message, p.to_wire(p.error_message(exc))) from None
        await sio.enter_room(sid, tenant_room(login.principal.tenant), namespace=NAMESPACE)

    async def changed(tenant: str, summary: CaseSummary) -> None:
        try:
            await sio.emit(EVENT, {"session_id": summary.session_id, "status": summary.status,
                                   "version": summary.version}, to=tenant_room(tenant), namespace=NAMESPACE)
        except Exception:  # a page that misses one change refreshes on the next; the case change stands
            log.exception("could not send %s of %s", EVENT, summary.session_id)

    sio.on("connect", connect, namespace=NAMESPACE)
    cases.subscribe(changed)


__all__ = ["EVENT", "NAMESPACE", "register_live", "same_origin", "tenant_room"]
