"""What a REST route takes and answers, written beside the route (`Doc`), for the OpenAPI document.

A route carries its `Doc` (`DocumentedRoute`), so the document is read off the app's own routes: a route
cannot exist undocumented without the meta-test noticing, and the types named are the ones its handler
decodes and encodes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import msgspec
from starlette.routing import Route

import sdk_protocol as p

Auth = Literal["api_key", "session_token", "api_key_or_session_token", "none"]
"""api_key: an API key (or a back-office login cookie); session_token: an SDK session's token;
api_key_or_session_token: either (the key needs the route's permission); none: open"""


class Binary:
    """A body of raw bytes (a file), not JSON."""


class Html:
    """An HTML page."""


Body = type[Any] | object
"""a msgspec-encodable type (a Struct, `list[Struct]`...), `Binary` or `Html`"""


class Doc(msgspec.Struct, frozen=True, kw_only=True):
    """One operation: `ok` maps each success status to the types its body may have (none: no body); `errors`
    are the route's own error classes (the guard's, the body's and the query's are added by the document)."""

    summary: str
    ok: Mapping[int, tuple[Body, ...]]
    body: Body | None = None
    query: type[Any] | None = None
    errors: tuple[type[p.SdkError], ...] = ()
    auth: Auth = "api_key"
    permission: str = ""
    description: str = ""
    tag: str = "sessions"
    idempotent: bool = False
    """takes an Idempotency-Key (every POST behind the guard)"""


class DocumentedRoute(Route):
    """A Starlette route with its `Doc`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], *, methods: list[str], doc: Doc) -> None:
        super().__init__(path, endpoint, methods=methods)
        self.doc = doc


__all__ = ["Auth", "Binary", "Body", "Doc", "DocumentedRoute", "Html"]
