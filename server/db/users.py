"""Back-office accounts and their logins (SQLAlchemy Core); part of `Repository`.

Lockout bookkeeping happens inside the writer's transaction, so concurrent failed logins of one account
count one by one; audit records of account changes are written in the same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import msgspec
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from server.db.audit import insert_audit
from server.db.database import Database
from server.db.rows import AuditRow, LoginRow, UserRow
from server.db.schema import logins, users
from server.db.sql import row_of

LockPolicy = Callable[[int], dt.timedelta | None]
"""consecutive failures -> how long the account is locked after this one (None: not locked)"""


def _user(conn: Connection, user_id: str) -> UserRow | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    found: UserRow | None = row_of(UserRow, row) if row is not None else None
    return found


class UserRecords:
    """Mixed into `Repository`."""

    db: Database

    # --- accounts -------------------------------------------------------------

    async def add_user(self, row: UserRow, audit: AuditRow) -> bool:
        """The account and its audit record; False (nothing written) when the email is taken."""

        def write(conn: Connection) -> bool:
            if conn.execute(select(users.c.id).where(users.c.email == row.email)).first() is not None:
                return False
            conn.execute(insert(users).values(id=row.id, tenant=row.tenant, email=row.email, role=row.role,
                                              password_hash=row.password_hash, created_at=row.created_at))
            insert_audit(conn, audit)
            return True

        return await self.db.write(write)

    async def user_by_email(self, email: str) -> UserRow | None:
        row = await self.db.read(lambda conn: conn.execute(select(users).where(users.c.email == email)).first())
        found: UserRow | None = row_of(UserRow, row) if row is not None else None
        return found

    async def get_user(self, user_id: str) -> UserRow | None:
        return await self.db.read(lambda conn: _user(conn, user_id))

    async def list_users(self, tenant: str | None = None) -> list[UserRow]:
        statement = select(users).order_by(users.c.tenant, users.c.email)
        if tenant is not None:
            statement = statement.where(users.c.tenant == tenant)
        rows = await self.db.read(lambda conn: conn.execute(statement).all())
        return [row_of(UserRow, r) for r in rows]

    async def disable_user(self, user_id: str, now: dt.datetime, audit: AuditRow) -> bool:
        """Disable the account and end its logins; False when it was disabled already (nothing written)."""

        def write(conn: Connection) -> bool:
            done = conn.execute(update(users).where(users.c.id == user_id).where(users.c.disabled_at.is_(None))
                                .values(disabled_at=now)).rowcount == 1
            if done:
                conn.execute(delete(logins).where(logins.c.user_id == user_id))
                insert_audit(conn, audit)
            return done

        return await self.db.write(write)

    # --- lockout bookkeeping ----------------------------------------------------

    async def record_login_failure(self, user_id: str, now: dt.datetime, lock_for: LockPolicy) -> UserRow:
        """One more consecutive failure; the account is locked for `lock_for(failures)` from now, if any."""

        def write(conn: Connection) -> UserRow:
            found = _user(conn, user_id)
            if found is None:
                raise LookupError(user_id)
            failures = found.failed_logins + 1
            lock = lock_for(failures)
            locked_until = now + lock if lock is not None else found.locked_until
            conn.execute(update(users).where(users.c.id == user_id).values(failed_logins=failures,
                                                                           locked_until=locked_until))
            return msgspec.structs.replace(found, failed_logins=failures, locked_until=locked_until)

        return await self.db.write(write)

    async def record_login_success(self, login: LoginRow, audit: AuditRow, *, password_hash: str | None = None) -> None:
        """The new login, the failure count back to zero, and (when the hash's parameters changed) a new hash."""
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": login.created_at}
        if password_hash is not None:
            values["password_hash"] = password_hash

        def write(conn: Connection) -> None:
            conn.execute(update(users).where(users.c.id == login.user_id).values(**values))
            conn.execute(insert(logins).values(id_hash=login.id_hash, user_id=login.user_id,
                                               csrf_token=login.csrf_token, created_at=login.created_at,
                                               expires_at=login.expires_at, ip=login.ip[:64],
                                               user_agent=login.user_agent[:300]))
            insert_audit(conn, audit)

        await self.db.write(write)

    # --- logins -----------------------------------------------------------------

    async def login(self, id_hash: str) -> tuple[LoginRow, UserRow] | None:
        """The login with this cookie hash and its account (the caller checks expiry and the account's state)."""

        def read(conn: Connection) -> tuple[LoginRow, UserRow] | None:
            row = conn.execute(select(logins).where(logins.c.id_hash == id_hash)).first()
            if row is None:
                return None
            account = _user(conn, row.user_id)
            return (row_of(LoginRow, row), account) if account is not None else None

        return await self.db.read(read)

    async def delete_login(self, id_hash: str, audit: AuditRow | None = None) -> bool:
        def write(conn: Connection) -> bool:
            done = conn.execute(delete(logins).where(logins.c.id_hash == id_hash)).rowcount == 1
            if done and audit is not None:
                insert_audit(conn, audit)
            return done

        return await self.db.write(write)

    async def delete_expired_logins(self, now: dt.datetime) -> int:
        count: int = await self.db.write(lambda conn: conn.execute(delete(logins).where(logins.c.expires_at <= now))
                                         .rowcount)
        return count


__all__ = ["LockPolicy", "UserRecords"]
