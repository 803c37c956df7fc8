"""Persistence of API keys (SQLAlchemy Core); part of `Repository`.

Every change to a key is written with its audit records in one transaction, and only if the key is still as
the caller read it (so two admins revoking or rotating one key at once get one change, not two).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from server.db.audit import insert_audit
from server.db.database import Database
from server.db.rows import AuditRow, KeyRow
from server.db.schema import api_keys
from server.db.sql import row_of

_KEY_COLUMNS = [api_keys.c[name] for name in KeyRow.__struct_fields__]


def _insert_key(conn: Connection, row: KeyRow, key_hash: str) -> None:
    conn.execute(insert(api_keys).values(**msgspec.structs.asdict(row), key_hash=key_hash))


class KeyRecords:
    """Mixed into `Repository`."""

    db: Database

    async def add_key(self, row: KeyRow, key_hash: str, audit: Sequence[AuditRow] = ()) -> None:
        def write(conn: Connection) -> None:
            _insert_key(conn, row, key_hash)
            for entry in audit:
                insert_audit(conn, entry)

        await self.db.write(write)

    async def list_keys(self, tenant: str | None) -> list[KeyRow]:
        """The keys of `tenant` (of every tenant for None), oldest first."""
        statement = select(*_KEY_COLUMNS).order_by(api_keys.c.created_at, api_keys.c.id)
        if tenant is not None:
            statement = statement.where(api_keys.c.tenant == tenant)
        rows = await self.db.read(lambda conn: conn.execute(statement).all())
        return [row_of(KeyRow, r) for r in rows]

    async def get_key(self, key_id: str) -> KeyRow | None:
        row = await self.db.read(lambda conn: conn.execute(
            select(*_KEY_COLUMNS).where(api_keys.c.id == key_id)).first())
        found: KeyRow | None = row_of(KeyRow, row) if row is not None else None
        return found

    async def revoke_key(self, key_id: str, now: dt.datetime, audit: Sequence[AuditRow] = ()) -> bool:
        """Revoke an unrevoked key (and record it); False when it was revoked already."""

        def write(conn: Connection) -> bool:
            changed = conn.execute(update(api_keys).where(api_keys.c.id == key_id)
                                   .where(api_keys.c.revoked_at.is_(None)).values(revoked_at=now)).rowcount
            if changed != 1:
                return False
            for entry in audit:
                insert_audit(conn, entry)
            return True

        return await self.db.write(write)

    async def rotate_key(self, old: KeyRow, *, expires_at: dt.datetime | None, revoked_at: dt.datetime | None,
                         new: KeyRow, new_hash: str, audit: Sequence[AuditRow] = ()) -> bool:
        """End `old` (at `expires_at`, or now with `revoked_at`) and add `new`, in one transaction; False when
        `old` changed since it was read (revoked, or rotated by someone else)."""

        def write(conn: Connection) -> bool:
            changed = conn.execute(
                update(api_keys).where(api_keys.c.id == old.id).where(api_keys.c.revoked_at.is_(None))
                .where(api_keys.c.expires_at.is_not_distinct_from(old.expires_at))
                .values(expires_at=expires_at, revoked_at=revoked_at)).rowcount
            if changed != 1:
                return False
            _insert_key(conn, new, new_hash)
            for entry in audit:
                insert_audit(conn, entry)
            return True

        return await self.db.write(write)


__all__ = ["KeyRecords"]
