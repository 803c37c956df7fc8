"""API keys: create (the secret is shown once), list, revoke, rotate with a grace period; every change audited.

Used by the admin REST API (`/v1/keys`, within the caller's tenant) and by `arabesque keys` (any tenant, as
`cli`). Keys are high-entropy secrets stored as SHA-256 digests; neither the secret nor its digest ever
reaches an audit record or a listing, only the key's first characters (`prefix`) to recognise it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Annotated, Literal, Protocol

import msgspec

import sdk_protocol as p
from server.access import TENANT_PATTERN, KeyNotFound, KeyRole, Principal
from server.audit import Audit
from server.auth import digest, new_api_key, new_id
from server.db.rows import AuditRow, KeyRow

PREFIX_CHARS = 11
"""`ak_` and 8 characters of the secret (48 of its 256 bits): enough to tell keys apart, not to guess one"""
MAX_GRACE = dt.timedelta(days=30)
_DURATION = re.compile(r"^(\d{1,6})([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

KeyStatus = Literal["active", "expired", "revoked"]
Timestamp = Annotated[dt.datetime, msgspec.Meta(tz=True)]


class KeyInactive(p.SdkError):
    """Only an active key can be rotated: this one is revoked or expired (create a new key instead)."""

    code = "key.inactive"
    http_status = 409


class CreateKey(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`POST /v1/keys`: a key of the caller's tenant."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    role: KeyRole
    expires_at: Timestamp | None = None


class RotateKey(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`POST /v1/keys/{id}/rotate`: the old key keeps working for `grace_seconds` (0: it stops now)."""

    grace_seconds: Annotated[int, msgspec.Meta(ge=0, le=int(MAX_GRACE.total_seconds()))] = 0


class KeyView(msgspec.Struct, frozen=True, kw_only=True):
    """A key as listed: never its secret or digest."""

    id: str
    tenant: str
    name: str
    role: str
    prefix: str
    status: KeyStatus
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class KeyCreated(KeyView, frozen=True, kw_only=True):
    """A new key with its secret, `api_key`, shown this once (only its digest is kept)."""

    api_key: str


class KeyRotated(KeyCreated, frozen=True, kw_only=True):
    """The new key (with its secret) and the old one as it is now (expiring at the end of the grace period)."""

    replaced: KeyView


class KeyStore(Protocol):
    """The repository's key records (server/db/keys.py)."""

    async def add_key(self, row: KeyRow, key_hash: str, audit: Sequence[AuditRow] = ()) -> None: ...

    async def list_keys(self, tenant: str | None) -> list[KeyRow]: ...

    async def get_key(self, key_id: str) -> KeyRow | None: ...

    async def revoke_key(self, key_id: str, now: dt.datetime, audit: Sequence[AuditRow] = ()) -> bool: ...

    async def rotate_key(self, old: KeyRow, *, expires_at: dt.datetime | None, revoked_at: dt.datetime | None,
                         new: KeyRow, new_hash: str, audit: Sequence[AuditRow] = ()) -> bool: ...


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _ending(row: KeyRow) -> dict[str, object]:
    return {"expires_at": _iso(row.expires_at), "revoked_at": _iso(row.revoked_at)}


class KeyAdmin:
    """Built once in server/app.py (and by the CLI); `on_change` runs after every change made here (the
    authenticator forgets its cached lookups, so the change counts on this node at once)."""

    def __init__(self, store: KeyStore, audit: Audit, clock: Callable[[], dt.datetime], *,
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.store = store
        self.audit = audit
        self.clock = clock
        self.on_change = on_change

    def view(self, row: KeyRow) -> KeyView:
        status: KeyStatus = "active"
        if row.revoked_at is not None:
            status = "revoked"
        elif row.expires_at is not None and row.expires_at <= self.clock():
            status = "expired"
        return KeyView(id=row.id, tenant=row.tenant, name=row.name, role=row.role, prefix=row.prefix, status=status,
                       created_at=row.created_at, created_by=row.created_by, expires_at=row.expires_at,
                       revoked_at=row.revoked_at)

    def _created(self, row: KeyRow, secret: str) -> KeyCreated:
        return KeyCreated(**msgspec.structs.asdict(self.view(row)), api_key=secret)

    async def create(self, by: Principal, request: CreateKey, *, tenant: str) -> KeyCreated:
        """A new key of `tenant` (the caller's own over REST); its secret is in the answer and nowhere else."""
        if not TENANT_PATTERN.match(tenant):
            raise p.InvalidRequest(f"Expected a tenant of lowercase letters, digits, - and _ (at most 64), got "
                                   f"{tenant[:80]!r}", path="$.tenant")
        now = self.clock()
        if request.expires_at is not None and request.expires_at <= now:
            raise p.InvalidRequest(f"Expected expires_at in the future, got {request.expires_at.isoformat()}",
                                   path="$.expires_at")
        secret = new_api_key()
        row = KeyRow(id=new_id("ak"), tenant=tenant, name=request.name, role=request.role,
                     prefix=secret[:PREFIX_CHARS], created_at=now, created_by=by.actor, expires_at=request.expires_at)
        await self.store.add_key(row, digest(secret), [self._created_entry(by, row)])
        self.on_change()
        return self._created(row, secret)

    def _created_entry(self, by: Principal, row: KeyRow, rotated_from: str | None = None) -> AuditRow:
        return self.audit.entry(by, "key.created", "api_key", row.id, tenant=row.tenant, after={
            "name": row.name, "role": row.role, "prefix": row.prefix, "expires_at": _iso(row.expires_at)},
            rotated_from=rotated_from)

    async def list_keys(self, *, tenant: str | None) -> list[KeyView]:
        """The keys of `tenant`, or of every tenant for None (the CLI)."""
        return [self.view(row) for row in await self.store.list_keys(tenant)]

    async def _find(self, key_id: str, tenant: str | None) -> KeyRow:
        row = await self.store.get_key(key_id)
        if row is None or (tenant is not None and row.tenant != tenant):
            raise KeyNotFound(f"Expected an API key of this tenant, got unknown id {key_id[:80]!r}",
                              key_id=key_id[:80])
        return row

    async def revoke(self, by: Principal, key_id: str, *, tenant: str | None) -> KeyView:
        """Revoke a key of `tenant` (any tenant for None); revoking a revoked key changes nothing."""
        row = await self._find(key_id, tenant)
        if row.revoked_at is None:
            now = self.clock()
            entry = self.audit.entry(by, "key.revoked", "api_key", row.id, tenant=row.tenant, before=_ending(row),
                                     after={"expires_at": _iso(row.expires_at), "revoked_at": _iso(now)})
            if await self.store.revoke_key(row.id, now, [entry]):
                self.on_change()
            row = await self._find(key_id, tenant)
        return self.view(row)

    async def rotate(self, by: Principal, key_id: str, *, grace: dt.timedelta, tenant: str | None) -> KeyRotated:
        """A new key with the old one's tenant, name, role and lifetime; the old one keeps working for `grace`
        (its expiry is brought forward to then), or stops now without one."""
        if not dt.timedelta(0) <= grace <= MAX_GRACE:
            raise p.InvalidRequest(f"Expected a grace period of 0 to {MAX_GRACE.days} days, got {grace}",
                                   path="$.grace_seconds")
        old = await self._find(key_id, tenant)
        now = self.clock()
        if old.revoked_at is not None or (old.expires_at is not None and old.expires_at <= now):
            raise KeyInactive(f"Expected an active key to rotate, got one that is {self.view(old).status}",
                              key_id=old.id)
        secret = new_api_key()
        lifetime = old.expires_at - old.created_at if old.expires_at is not None else None
        new = KeyRow(id=new_id("ak"), tenant=old.tenant, name=old.name, role=old.role, prefix=secret[:PREFIX_CHARS],
                     created_at=now, created_by=by.actor, expires_at=now + lifetime if lifetime else None)
        if grace:
            ends = now + grace
            ended = msgspec.structs.replace(old, expires_at=min(ends, old.expires_at) if old.expires_at else ends)
        else:
            ended = msgspec.structs.replace(old, revoked_at=now)
        entries = [self._created_entry(by, new, rotated_from=old.id),
                   self.audit.entry(by, "key.rotated", "api_key", old.id, tenant=old.tenant, before=_ending(old),
                                    after=_ending(ended), replaced_by=new.id, grace_seconds=int(grace.total_seconds()))]
        if not await self.store.rotate_key(old, expires_at=ended.expires_at, revoked_at=ended.revoked_at, new=new,
                                           new_hash=digest(secret), audit=entries):
            raise KeyInactive("Expected the key as it was read, got one changed meanwhile (revoked or rotated by "
                              "someone else); list the keys again", key_id=old.id)
        self.on_change()
        return KeyRotated(**msgspec.structs.asdict(self._created(new, secret)), replaced=self.view(ended))


def parse_duration(text: str) -> dt.timedelta:
    """`90s`, `15m`, `1h`, `30d`, `2w`."""
    found = _DURATION.match(text.strip())
    if found is None:
        raise p.InvalidRequest(f"Expected a duration like 90s, 15m, 1h, 30d or 2w, got {text[:40]!r}")
    return dt.timedelta(seconds=int(found[1]) * _UNITS[found[2]])


def parse_expiry(text: str, now: dt.datetime) -> dt.datetime:
    """A duration from `now` (`30d`) or an ISO-8601 time with its zone (`2027-01-31T00:00:00Z`)."""
    if _DURATION.match(text.strip()):
        return now + parse_duration(text)
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise p.InvalidRequest(f"Expected a duration like 30d or an ISO-8601 time with a zone like "
                               f"2027-01-31T00:00:00Z, got {text[:40]!r}")
    return when.astimezone(dt.UTC)


__all__ = ["MAX_GRACE", "CreateKey", "KeyAdmin", "KeyCreated", "KeyInactive", "KeyRotated", "KeyStatus", "KeyStore",
           "KeyView", "RotateKey", "parse_duration", "parse_expiry"]
