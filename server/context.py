"""What the request or SDK message being handled is about: its id, session, tenant and when it arrived.

The log formatter adds these to every record, and the screen-push timer measures from `started`. They live in
one ContextVar, created once at module level as the standard library asks (a ContextVar made in a function or
closure is a new, empty one each time); its value belongs to the running asyncio task, so it is never shared
between requests. Tasks started while handling something inherit a copy (a verification task logs the request
that started it).
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Iterator
from contextvars import ContextVar

import msgspec

_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestContext(msgspec.Struct, frozen=True, kw_only=True):
    """Ids only, never what a person entered."""

    request_id: str = ""
    session_id: str = ""
    tenant: str = ""
    started: float = 0.0
    """time.monotonic() when the transport received the request or message (0: not known)"""


_EMPTY = RequestContext()  # frozen: a shared default cannot be changed in place
_current: ContextVar[RequestContext] = ContextVar("arabesque_request_context", default=_EMPTY)


def current() -> RequestContext:
    return _current.get()


def new_request_id() -> str:
    return f"req_{secrets.token_hex(8)}"


def accept_request_id(given: str | None) -> str:
    """A caller's `X-Request-Id` when it is a plain token (letters, digits, `._:-`, at most 128), else a new id:
    a header is never logged as it came if it could be anything."""
    return given if given is not None and _SAFE_REQUEST_ID.fullmatch(given) else new_request_id()


def _with(base: RequestContext, request_id: str | None, session_id: str | None, tenant: str | None,
          started: float | None) -> RequestContext:
    return RequestContext(request_id=base.request_id if request_id is None else request_id,
                          session_id=base.session_id if session_id is None else session_id,
                          tenant=base.tenant if tenant is None else tenant,
                          started=base.started if started is None else started)


@contextlib.contextmanager
def scope(*, request_id: str | None = None, session_id: str | None = None, tenant: str | None = None,
          started: float | None = None) -> Iterator[RequestContext]:
    """Handle something under these ids (the others are kept); the context before comes back on exit."""
    token = _current.set(_with(_current.get(), request_id, session_id, tenant, started))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def bind(*, session_id: str | None = None, tenant: str | None = None) -> None:
    """Add what became known while handling (the tenant once authenticated); undone when the enclosing `scope`
    ends, so call it only inside one."""
    _current.set(_with(_current.get(), None, session_id, tenant, None))


__all__ = ["RequestContext", "accept_request_id", "bind", "current", "new_request_id", "scope"]
