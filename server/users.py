"""Back-office accounts: create, list, disable, and check a password (with lockout after repeated failures).

Passwords are hashed with Argon2id (argon2-cffi's defaults, rehashed on login when they change); hashing
and verifying run on a thread, never on the event loop. An unknown email costs the same verification as a
wrong password and gets the same answer, so the answer does not tell which emails have accounts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import re
import secrets
from collections.abc import Callable
from typing import Protocol

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

import sdk_protocol as p
from server.access import (
    TENANT_PATTERN,
    USER_ROLES,
    AccountLocked,
    InvalidCredentials,
    Permission,
    Principal,
    UserExists,
    UserNotFound,
    require,
)
from server.audit import Audit
from server.auth import new_id
from server.db.rows import AuditRow, UserRow
from server.db.users import LockPolicy

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
"""Argon2 hashes anything, but a megabyte-long password is a denial-of-service attempt, not a password."""
LOCK_AFTER = 5
LOCK_FIRST = dt.timedelta(seconds=60)
LOCK_MAX = dt.timedelta(hours=1)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class WeakPassword(p.SdkError):
    """The password does not meet the policy (at least 12 characters, not only spaces, not the email)."""

    code = "user.weak_password"
    http_status = 422


class InvalidAccount(p.SdkError):
    """An account needs an email address, a role (reviewer, admin, viewer) and a tenant name."""

    code = "user.invalid"
    http_status = 422


class UserView(msgspec.Struct, frozen=True, kw_only=True):
    """An account as operators see it (never its hash)."""

    id: str
    tenant: str
    email: str
    role: str
    created_at: dt.datetime
    disabled_at: dt.datetime | None = None
    last_login_at: dt.datetime | None = None
    locked_until: dt.datetime | None = None


class Verified(msgspec.Struct, frozen=True, kw_only=True):
    """A password that matched: the account, and a new hash when the stored one's parameters are outdated."""

    user: UserRow
    new_hash: str | None = None


class UserStore(Protocol):
    """What accounts need from persistence (the repository's `UserRecords`)."""

    async def add_user(self, row: UserRow, audit: AuditRow) -> bool: ...

    async def user_by_email(self, email: str) -> UserRow | None: ...

    async def list_users(self, tenant: str | None = None) -> list[UserRow]: ...

    async def disable_user(self, user_id: str, now: dt.datetime, audit: AuditRow) -> bool: ...

    async def record_login_failure(self, user_id: str, now: dt.datetime, lock_for: LockPolicy) -> UserRow: ...


def lock_for(failures: int) -> dt.timedelta | None:
    """Locked from the fifth consecutive failure: 60 s, doubling with each further failure, at most an hour."""
    if failures < LOCK_AFTER:
        return None
    return min(LOCK_FIRST * (1 << min(failures - LOCK_AFTER, 16)), LOCK_MAX)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password(password: str, email: str) -> None:
    """The policy (NIST SP 800-63B style: length over composition rules)."""
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(f"Expected a password of at least {MIN_PASSWORD} characters, got {len(password)}",
                           min_length=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise WeakPassword(f"Expected a password of at most {MAX_PASSWORD} characters, got {len(password)}",
                           max_length=MAX_PASSWORD)
    if not password.strip() or password.strip().lower() == normalise_email(email):
        raise WeakPassword("Expected a password that is not blank and not the email, got one that is")


def view(row: UserRow) -> UserView:
    return UserView(id=row.id, tenant=row.tenant, email=row.email, role=row.role, created_at=row.created_at,
                    disabled_at=row.disabled_at, last_login_at=row.last_login_at, locked_until=row.locked_until)


class Users:
    """Built once in server/app.py (and by `arabesque users` on the configured database)."""

    def __init__(self, store: UserStore, audit: Audit, clock: Callable[[], dt.datetime], *,
                 hasher: PasswordHasher | None = None) -> None:
        self.store = store
        self.audit = audit
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    async def create(self, principal: Principal, *, email: str, role: str, password: str) -> UserView:
        """An account in the principal's tenant (audited `user.created`); `user.exists` when the email is taken."""
        require(principal, Permission.USERS_MANAGE)
        email = normalise_email(email)
        if not _EMAIL.match(email) or len(email) > 254:
            raise InvalidAccount(f"Expected an email address, got {email[:80]!r}", field="email")
        known = next((r for r in USER_ROLES if r == role), None)
        if known is None:
            raise InvalidAccount(f"Expected a role of {', '.join(USER_ROLES)}, got {role!r}", field="role")
        if not TENANT_PATTERN.match(principal.tenant):
            raise InvalidAccount(f"Expected a tenant name like {TENANT_PATTERN.pattern}, got {principal.tenant!r}",
                                 field="tenant")
        check_password(password, email)
        password_hash = await asyncio.to_thread(self.hasher.hash, password)
        row = UserRow(id=new_id("u"), tenant=principal.tenant, email=email, role=known, password_hash=password_hash,
                      created_at=self.clock())
        entry = self.audit.entry(principal, "user.created", "user", row.id, after={"email": email, "role": known})
        if not await self.store.add_user(row, entry):
            raise UserExists(f"Expected a new email, got {email!r}, which has an account already", email=email)
        return view(row)

    async def find(self, email: str) -> UserView:
        """An account by email, in any tenant (for operators: the CLI)."""
        row = await self.store.user_by_email(normalise_email(email))
        if row is None:
            raise UserNotFound(f"Expected the email of an account, got {email!r}")
        return view(row)

    async def list(self, tenant: str | None = None) -> list[UserView]:
        return [view(r) for r in await self.store.list_users(tenant)]

    async def disable(self, principal: Principal, email: str) -> UserView:
        """Disable an account of the principal's tenant and end its logins (audited `user.disabled`)."""
        require(principal, Permission.USERS_MANAGE)
        row = await self.store.user_by_email(normalise_email(email))
        if row is None or row.tenant != principal.tenant:
            raise UserNotFound(f"Expected the email of an account of tenant {principal.tenant!r}, got {email!r}")
        now = self.clock()
        entry = self.audit.entry(principal, "user.disabled", "user", row.id, before={"disabled": False},
                                 after={"disabled": True})
        await self.store.disable_user(row.id, now, entry)
        return msgspec.structs.replace(view(row), disabled_at=row.disabled_at or now)

    async def authenticate(self, email: str, password: str, ip: str) -> Verified:
        """The account these credentials open; else `auth.invalid_credentials` (or `auth.locked` with
        `retry_after`), each failure audited `user.login_failed`, a lock `user.locked`."""
        email = normalise_email(email)[:254]
        row = await self.store.user_by_email(email)
        if row is None or row.disabled_at is not None:
            await asyncio.to_thread(self._verify_dummy, password)
            anonymous = Principal(tenant=row.tenant if row else "", role="viewer", actor="anonymous", name=email, ip=ip)
            await self.audit.record(anonymous, "user.login_failed", "user", row.id if row else "",
                                    reason="disabled" if row else "unknown_email")
            raise self._invalid()
        who = Principal(tenant=row.tenant, role="viewer", actor=f"user:{row.id}", name=row.email, ip=ip)
        now = self.clock()
        if row.locked_until is not None and row.locked_until > now:
            await self.audit.record(who, "user.login_failed", "user", row.id, reason="locked")
            raise self._locked(row.locked_until - now)
        if not await asyncio.to_thread(self._verify, row.password_hash, password):
            updated = await self.store.record_login_failure(row.id, now, lock_for)
            await self.audit.record(who, "user.login_failed", "user", row.id, reason="password",
                                    failures=updated.failed_logins)
            if updated.locked_until is not None and updated.locked_until > now:
                await self.audit.record(who, "user.locked", "user", row.id, failures=updated.failed_logins,
                                        until=updated.locked_until.isoformat())
                raise self._locked(updated.locked_until - now)
            raise self._invalid()
        new_hash = None
        if self.hasher.check_needs_rehash(row.password_hash):
            new_hash = await asyncio.to_thread(self.hasher.hash, password)
        return Verified(user=row, new_hash=new_hash)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _verify_dummy(self, password: str) -> None:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        self._verify(self._dummy_hash, password)

    @staticmethod
    def _invalid() -> InvalidCredentials:
        return InvalidCredentials("Expected the email and password of an active account, got a pair that does not "
                                  "match one")

    @staticmethod
    def _locked(remaining: dt.timedelta) -> AccountLocked:
        seconds = max(1, math.ceil(remaining.total_seconds()))
        return AccountLocked(f"Expected a login after the lockout ends, got one {seconds}s before; too many failed "
                             "logins in a row", retry_after=seconds)


__all__ = ["LOCK_AFTER", "MAX_PASSWORD", "MIN_PASSWORD", "InvalidAccount", "UserStore", "UserView", "Users",
           "Verified", "WeakPassword", "check_password", "lock_for", "normalise_email", "view"]
