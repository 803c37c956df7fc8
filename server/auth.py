"""API keys and session tokens: random, hashed at rest, compared in constant time."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from starlette.requests import Request

import sdk_protocol as p
from server.access import ROLES, Principal
from server.db.rows import KeyGrant
from server.settings import Settings

DEV_KEY_FILE = "dev-api-key"
DEV_REKOGNITION_FILE = "dev-rekognition-keys"


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (keys and tokens are random, so no slow KDF is needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


SESSION_TOKEN_PREFIX = "st_"
"""every session token starts so (API keys never do), which tells the two bearer credentials apart"""


def new_token() -> str:
    return SESSION_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_api_key() -> str:
    """A new API key: shown once, stored as its SHA-256 digest."""
    return "ak_" + secrets.token_urlsafe(32)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(16).replace('-', 'x').replace('_', 'y')}"


def bearer(header: str | None) -> str | None:
    """The credential in `Authorization: Bearer <credential>`, or None."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def resolve_rekognition_keys(settings: Settings) -> tuple[str, str, bool]:
    """(access key id, secret, generated) for the Rekognition protocol's SigV4. HMAC signatures need the secret
    itself, so unlike API keys it is kept as given (environment or the data dir), not hashed."""
    if settings.rekognition_access_key_id:
        return settings.rekognition_access_key_id, settings.rekognition_secret_access_key, False
    path: Path = settings.data_path / DEV_REKOGNITION_FILE
    if path.is_file():
        key_id, secret = path.read_text(encoding="utf-8").split()
        return key_id, secret, True
    settings.data_path.mkdir(parents=True, exist_ok=True)
    key_id = "AKIA" + secrets.token_hex(8).upper()
    secret = secrets.token_urlsafe(30)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"{key_id} {secret}\n")
    return key_id, secret, True


def resolve_api_key(settings: Settings) -> tuple[str, bool]:
    """(the integrator key, whether it was generated). A generated key is kept in the data dir."""
    if settings.api_key:
        return settings.api_key, False
    path: Path = settings.data_path / DEV_KEY_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip(), True
    settings.data_path.mkdir(parents=True, exist_ok=True)
    key = "ak_dev_" + secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key, True


API_KEY_CACHE_SECONDS = 10.0


class Credentials(Protocol):
    """Where keys and tokens are looked up (the repository)."""

    async def api_key_grant(self, key_hash: str) -> KeyGrant | None: ...

    async def token(self, token_hash: str) -> tuple[str, dt.datetime] | None: ...


class TokenCache(Protocol):
    """Tokens this node has seen (the live-session cache keeps them)."""

    def token(self, token_hash: str) -> tuple[str, dt.datetime] | None: ...

    def remember_token(self, token_hash: str, session_id: str, expires_at: dt.datetime) -> None: ...


class LoginLookup(Protocol):
    """Back-office logins (a session cookie): the principal a request's cookie stands for, or None without one.
    Implementations check the CSRF token on unsafe methods."""

    async def principal(self, request: Request) -> Principal | None: ...


class TokenGrant:
    """A checked session token: whose it is and until when it counts."""

    __slots__ = ("expires_at", "session_id")

    def __init__(self, session_id: str, expires_at: dt.datetime) -> None:
        self.session_id = session_id
        self.expires_at = expires_at


class Authenticator:
    """Checks integrator API keys and SDK session tokens (both hashed at rest)."""

    def __init__(self, credentials: Credentials, tokens: TokenCache, clock: Callable[[], dt.datetime], *,
                 key_cache_seconds: float = API_KEY_CACHE_SECONDS) -> None:
        self._credentials = credentials
        self._tokens = tokens
        self._clock = clock
        self._key_cache_seconds = key_cache_seconds
        self._api_keys: dict[str, tuple[KeyGrant | None, float]] = {}
        self.logins: LoginLookup | None = None
        """set by server/app.py once the back office exists"""

    async def api_key(self, key: str | None) -> KeyGrant:
        """The key's grant; lookups are remembered for a few seconds (a revoked key stops within that time)."""
        if not key:
            raise p.InvalidApiKey("Expected `Authorization: Bearer <API key>`, got no credential")
        key_hash = digest(key)
        cached = self._api_keys.get(key_hash)
        if cached is not None and cached[1] > time.monotonic():
            grant = cached[0]
        else:
            grant = await self._credentials.api_key_grant(key_hash)
            if len(self._api_keys) > 10_000:
                self._api_keys.clear()
            self._api_keys[key_hash] = (grant, time.monotonic() + self._key_cache_seconds)
        if grant is None:
            raise p.InvalidApiKey("Expected a valid API key, got one that is unknown or revoked")
        if grant.expires_at is not None and grant.expires_at <= self._clock():
            raise p.InvalidApiKey(f"Expected an unexpired API key, got one that expired at "
                                  f"{grant.expires_at.isoformat()}", key_id=grant.id)
        return grant

    def forget_keys(self) -> None:
        """Drop remembered key lookups (after a key changed on this node)."""
        self._api_keys.clear()

    async def principal(self, request: Request) -> Principal:
        """Who a REST request acts as: an API key (`Authorization: Bearer`), else a back-office login cookie."""
        ip = request.client.host if request.client is not None else ""
        header = request.headers.get("authorization")
        if header is None and self.logins is not None:
            found = await self.logins.principal(request)
            if found is not None:
                return found
        grant = await self.api_key(bearer(header))
        role = next((r for r in ROLES if r == grant.role), None)
        if role is None:
            raise p.InvalidApiKey(f"Expected a key with a known role, got role {grant.role!r}", key_id=grant.id)
        return Principal(tenant=grant.tenant, role=role, actor=f"api_key:{grant.id}", name=grant.name, ip=ip)

    async def token(self, token: object) -> TokenGrant:
        """The session a token opens, refused once expired."""
        if not isinstance(token, str) or not token:
            raise p.InvalidToken("Expected auth {\"token\": \"<session token>\"}, got no token")
        token_hash = digest(token)
        found = self._tokens.token(token_hash) or await self._credentials.token(token_hash)
        if found is None:
            raise p.InvalidToken("Expected a valid session token, got one that is unknown")
        grant = TokenGrant(*found)
        self.check_unexpired(grant.expires_at)
        self._tokens.remember_token(token_hash, grant.session_id, grant.expires_at)
        return grant

    def check_unexpired(self, expires_at: dt.datetime) -> None:
        """Also for connections opened earlier: a token stops working when it expires, not when it is next shown."""
        if expires_at <= self._clock():
            raise p.TokenExpired(f"Expected an unexpired session token, got one that expired at "
                                 f"{expires_at.isoformat()}", expired_at=expires_at.isoformat())

    async def session_token(self, header: str | None, session_id: str) -> None:
        """An SDK request's token, which must be for the session of the path."""
        if (await self.token(bearer(header))).session_id != session_id:
            raise p.InvalidToken("Expected a token for this session, got one for another session")


__all__ = ["API_KEY_CACHE_SECONDS", "DEV_KEY_FILE", "DEV_REKOGNITION_FILE", "SESSION_TOKEN_PREFIX", "Authenticator",
           "Credentials", "LoginLookup", "TokenCache", "TokenGrant", "bearer", "digest", "new_api_key", "new_id",
           "new_token", "resolve_api_key", "resolve_rekognition_keys"]
