"""Pages of one tenant's sessions (SQLAlchemy Core); part of `Repository`.

Newest first by (created_at, id), a total order: the cursor is the last row's pair, so a session created while
a client pages (newer than every cursor) never shifts a page, and none is seen twice or skipped.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection

from server.db.cases import decode_cursor, encode_cursor
from server.db.database import Database
from server.db.schema import sessions
from server.db.sql import row_of


class SessionFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Which sessions of `tenant` (every filter optional, combined with AND; times `after` inclusive, `before`
    exclusive), from `cursor` on (a `next_cursor` of an earlier page)."""

    tenant: str
    status: str | None = None
    outcome: str | None = None
    journey: str | None = None
    reference: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    updated_after: dt.datetime | None = None
    updated_before: dt.datetime | None = None
    cursor: str | None = None
    limit: int = 50


class SessionHead(msgspec.Struct, frozen=True, kw_only=True):
    """A session's row without its snapshot: what a list shows."""

    id: str
    journey: str
    journey_version: int
    reference: str
    locale: str
    state: str
    status: str
    outcome: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    completed_at: dt.datetime | None


_HEAD_COLUMNS = [sessions.c[name] for name in SessionHead.__struct_fields__]


class SessionPages:
    """Mixed into `Repository`."""

    db: Database

    async def list_sessions(self, query: SessionFilter) -> tuple[list[SessionHead], str | None]:
        """One page and the cursor of the next (None on the last); a cursor this server did not make is a
        ValueError."""
        page = select(*_HEAD_COLUMNS).where(sessions.c.tenant == query.tenant)
        for column, value in ((sessions.c.status, query.status), (sessions.c.outcome, query.outcome),
                              (sessions.c.journey, query.journey), (sessions.c.reference, query.reference)):
            if value is not None:
                page = page.where(column == value)
        for column, low, high in ((sessions.c.created_at, query.created_after, query.created_before),
                                  (sessions.c.updated_at, query.updated_after, query.updated_before)):
            if low is not None:
                page = page.where(column >= low)
            if high is not None:
                page = page.where(column < high)
        if query.cursor is not None:
            at, session_id = decode_cursor(query.cursor)
            page = page.where(or_(sessions.c.created_at < at,
                                  and_(sessions.c.created_at == at, sessions.c.id < session_id)))
        page = page.order_by(sessions.c.created_at.desc(), sessions.c.id.desc()).limit(query.limit + 1)

        def read(conn: Connection) -> list[SessionHead]:
            return [row_of(SessionHead, r) for r in conn.execute(page).all()]

        rows = await self.db.read(read)
        if len(rows) <= query.limit:
            return rows, None
        rows = rows[:query.limit]
        return rows, encode_cursor(rows[-1].created_at, rows[-1].id)


__all__ = ["SessionFilter", "SessionHead", "SessionPages"]
