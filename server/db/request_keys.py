"""Idempotency keys of REST requests (SQLAlchemy Core); part of `Repository`.

A key is claimed by inserting its row (INSERT ... ON CONFLICT DO NOTHING on the primary key tenant, actor,
key): exactly one of any number of concurrent requests, on one node or several, gets it; the others read the
row the winner wrote. The winner then stores its answer (`complete_key`), or gives the key up
(`release_key`) when its answer must not be replayed.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from server.db.database import Database
from server.db.schema import request_keys


class KeyClaim(msgspec.Struct, frozen=True, kw_only=True):
    """One use of a key: who (tenant, actor), which request (`request` for people, `fingerprint` to compare)."""

    tenant: str
    actor: str
    key: str
    request: str
    fingerprint: str
    created_at: dt.datetime
    expires_at: dt.datetime


class StoredAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """The row of a key someone holds: its request, and its answer once there is one (None: in progress)."""

    request: str
    fingerprint: str
    status: int | None
    media_type: str | None
    body: bytes | None
    created_at: dt.datetime


def _of(claim: KeyClaim) -> ColumnElement[bool]:
    table = request_keys.c
    return and_(table.tenant == claim.tenant, table.actor == claim.actor, table.key == claim.key)


def _held(claim: KeyClaim) -> ColumnElement[bool]:
    """The row of this very claim, still in progress (not one that replaced it after it went stale)."""
    table = request_keys.c
    return and_(_of(claim), table.created_at == claim.created_at, table.status.is_(None))


class RequestKeys:
    """Mixed into `Repository`."""

    db: Database

    async def claim_key(self, claim: KeyClaim, *, stale_before: dt.datetime,
                        purge: bool = False) -> StoredAnswer | None:
        """None when this request now holds the key; else the row of whoever does (or did). An expired row, or
        one still in progress since before `stale_before` (its node died mid-request), is replaced. `purge`
        also deletes every expired key."""
        values = msgspec.structs.asdict(claim)
        table = request_keys.c
        gone = or_(table.expires_at <= claim.created_at,
                   and_(table.status.is_(None), table.created_at < stale_before))

        def write(conn: Connection) -> StoredAnswer | None:
            if purge:
                conn.execute(delete(request_keys).where(table.expires_at <= claim.created_at))
            conn.execute(delete(request_keys).where(_of(claim)).where(gone))
            insert = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
            won = conn.execute(insert(request_keys).values(**values).on_conflict_do_nothing()
                               .returning(table.key)).first()
            if won is not None:
                return None
            row = conn.execute(select(table.request, table.fingerprint, table.status, table.media_type, table.body,
                                      table.created_at).where(_of(claim))).one()
            return StoredAnswer(request=row.request, fingerprint=row.fingerprint, status=row.status,
                                media_type=row.media_type, body=row.body, created_at=row.created_at)

        return await self.db.write(write)

    async def complete_key(self, claim: KeyClaim, *, status: int, media_type: str | None, body: bytes) -> None:
        statement = update(request_keys).where(_held(claim)).values(status=status, media_type=media_type, body=body)
        await self.db.write(lambda conn: conn.execute(statement))

    async def release_key(self, claim: KeyClaim) -> None:
        statement = delete(request_keys).where(_held(claim))
        await self.db.write(lambda conn: conn.execute(statement))


__all__ = ["KeyClaim", "RequestKeys", "StoredAnswer"]
