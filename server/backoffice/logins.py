"""Back-office logins: a random cookie whose SHA-256 is the `logins` row, with a per-login CSRF token.

The cookie (`arabesque_session`) is HttpOnly, SameSite=Lax, Path=/, and Secure over TLS. Cookie-authenticated
requests with an unsafe method must carry the login's CSRF token: the JSON API in the `X-CSRF-Token` header
(checked here, in `principal`), the back office's forms in a hidden `csrf_token` field (checked by the pages).
It is a synchronizer token kept with the server-side login, compared in constant time. The login form itself,
before any login exists, uses a double-submit cookie.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Callable
from typing import Protocol

import msgspec
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from server.access import USER_ROLES, CsrfFailed, LoginRequired, Principal
from server.audit import Audit
from server.auth import digest
from server.db.rows import AuditRow, LoginRow, UserRow
from server.ratelimit import RateLimiter
from server.users import Users

COOKIE = "arabesque_session"
LOGIN_CSRF_COOKIE = "arabesque_login_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginStore(Protocol):
    """What logins need from persistence (the repository's `UserRecords`)."""

    async def login(self, id_hash: str) -> tuple[LoginRow, UserRow] | None: ...

    async def record_login_success(self, login: LoginRow, audit: AuditRow, *, password_hash: str | None = None
                                   ) -> None: ...

    async def delete_login(self, id_hash: str, audit: AuditRow | None = None) -> bool: ...

    async def delete_expired_logins(self, now: dt.datetime) -> int: ...


class Login(msgspec.Struct, frozen=True, kw_only=True):
    """A checked login: who it acts as, its CSRF token, until when it counts."""

    principal: Principal
    csrf_token: str
    id_hash: str
    expires_at: dt.datetime


def client_ip(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client is not None else ""


def check_csrf(expected: str, given: str | None) -> None:
    """`auth.csrf_failed` unless `given` is the expected token (constant-time comparison)."""
    if not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise CsrfFailed("Expected the login's CSRF token (X-CSRF-Token header or csrf_token field), got "
                         + ("another" if given else "none"))


class Logins:
    """Implements `server.auth.LoginLookup`; built once in server/app.py."""

    def __init__(self, store: LoginStore, users: Users, audit: Audit, clock: Callable[[], dt.datetime], *,
                 ttl: dt.timedelta, cookie_secure: str, limiter: RateLimiter) -> None:
        self.store = store
        self.users = users
        self.audit = audit
        self.clock = clock
        self.ttl = ttl
        self.cookie_secure = cookie_secure
        self.limiter = limiter

    # --- logging in and out ---------------------------------------------------------

    async def log_in(self, email: str, password: str, *, ip: str, user_agent: str) -> tuple[str, Login]:
        """(the cookie value, the login); `request.rate_limited` per IP, then whatever `Users.authenticate` says."""
        self.limiter.check(ip)
        verified = await self.users.authenticate(email, password, ip)
        user = verified.user
        token = secrets.token_urlsafe(32)
        now = self.clock()
        row = LoginRow(id_hash=digest(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32), created_at=now,
                       expires_at=now + self.ttl, ip=ip, user_agent=user_agent)
        login = self._login(row, user, ip)
        entry = self.audit.entry(login.principal, "user.login", "user", user.id, expires_at=row.expires_at.isoformat())
        await self.store.record_login_success(row, entry, password_hash=verified.new_hash)
        await self.store.delete_expired_logins(now)  # logins never shown again would otherwise stay
        return token, login

    async def log_out(self, login: Login) -> None:
        await self.store.delete_login(login.id_hash, self.audit.entry(login.principal, "user.logout", "user",
                                                                      login.principal.actor.removeprefix("user:")))

    # --- who a request is -------------------------------------------------------------

    async def from_cookie(self, token: str, ip: str) -> Login:
        """The login a cookie value stands for; `auth.login_required` when unknown, expired or disabled."""
        found = await self.store.login(digest(token))
        if found is None:
            raise LoginRequired("Expected a current back-office login, got a cookie of none (ended or unknown)")
        row, user = found
        if row.expires_at <= self.clock():
            await self.store.delete_login(row.id_hash)
            raise LoginRequired(f"Expected a current back-office login, got one that expired at "
                                f"{row.expires_at.isoformat()}")
        if user.disabled_at is not None or user.role not in USER_ROLES:
            raise LoginRequired("Expected a login of an active account, got one of a disabled account")
        return self._login(row, user, ip)

    async def resolve(self, connection: HTTPConnection) -> Login | None:
        """The request's login, or None without a cookie (no CSRF check: the caller checks its form field)."""
        token = connection.cookies.get(COOKIE)
        if not token:
            return None
        return await self.from_cookie(token, client_ip(connection))

    async def principal(self, request: Request) -> Principal | None:
        """`LoginLookup`: the REST API with a login cookie; unsafe methods need the `X-CSRF-Token` header."""
        login = await self.resolve(request)
        if login is None:
            return None
        if request.method in UNSAFE_METHODS:
            check_csrf(login.csrf_token, request.headers.get(CSRF_HEADER))
        return login.principal

    @staticmethod
    def _login(row: LoginRow, user: UserRow, ip: str) -> Login:
        role = next(r for r in USER_ROLES if r == user.role)
        principal = Principal(tenant=user.tenant, role=role, actor=f"user:{user.id}", name=user.email, ip=ip)
        return Login(principal=principal, csrf_token=row.csrf_token, id_hash=row.id_hash, expires_at=row.expires_at)

    # --- cookies ------------------------------------------------------------------------

    def secure(self, connection: HTTPConnection) -> bool:
        """Secure cookies over TLS (`auto`: the request's scheme, which uvicorn takes from a trusted proxy's
        X-Forwarded-Proto), or as configured."""
        if self.cookie_secure == "auto":
            return connection.url.scheme in ("https", "wss")
        return self.cookie_secure == "true"

    def set_login_cookie(self, response: Response, connection: HTTPConnection, token: str, login: Login) -> None:
        response.set_cookie(COOKIE, token, max_age=int(self.ttl.total_seconds()), path="/", httponly=True,
                            samesite="lax", secure=self.secure(connection))

    def clear_login_cookie(self, response: Response, connection: HTTPConnection) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=self.secure(connection))

    def login_form_token(self, connection: HTTPConnection) -> str:
        """The login form's double-submit token: the one its cookie holds, or a new one."""
        return connection.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)

    def set_login_form_cookie(self, response: Response, connection: HTTPConnection, token: str) -> None:
        response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, path="/backoffice", httponly=True,
                            samesite="strict", secure=self.secure(connection))


__all__ = ["COOKIE", "CSRF_FIELD", "CSRF_HEADER", "LOGIN_CSRF_COOKIE", "UNSAFE_METHODS", "Login", "LoginStore",
           "Logins", "check_csrf", "client_ip"]
