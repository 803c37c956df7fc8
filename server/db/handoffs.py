"""Persistence of handoff links ("continue on another device"); part of `Repository`.

A link's code is stored as its SHA-256 digest only. It is claimed by one conditional UPDATE (`used_at IS NULL
AND expires_at > now`) whose row count says who won, so exactly one exchange succeeds, however many run at
once and on however many nodes share the database; the winner's session token is inserted in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

import msgspec
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from server.db.audit import insert_audit
from server.db.database import Database
from server.db.rows import AuditRow, EventRow
from server.db.schema import handoffs, session_tokens, sessions
from server.db.sql import row_of

ClaimOutcome = Literal["claimed", "used", "expired", "not_found", "erased"]


class HandoffRow(msgspec.Struct, frozen=True, kw_only=True):
    """One link: never its code, only the code's digest (which stays in the database)."""

    id: str
    session_id: str
    tenant: str
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


class Claim(msgspec.Struct, frozen=True, kw_only=True):
    """What an exchange found: the link (None when no link has the code) and, when claimed, the session's
    locale."""

    outcome: ClaimOutcome
    handoff: HandoffRow | None = None
    locale: str = ""


class NewToken(msgspec.Struct, frozen=True, kw_only=True):
    """The session token a successful claim stores (its digest) in the claim's transaction."""

    token_hash: str
    expires_at: dt.datetime


_GONE = ("erasing", "erased")


def _session_status(conn: Connection, session_id: str) -> tuple[str, str] | None:
    """(status, locale), the session row locked for share (PostgreSQL) so that an erasure starting meanwhile
    waits for this transaction and then deletes what it wrote."""
    row = conn.execute(select(sessions.c.status, sessions.c.locale).where(sessions.c.id == session_id)
                       .with_for_update(read=True)).first()
    return (row[0], row[1]) if row is not None else None


def handoff_timeline(links: list[HandoffRow]) -> list[EventRow]:
    """A session's links as timeline entries (`session.handoff_created`, `session.handoff_claimed`); read from
    the links themselves, so a handoff never takes a place in the session's transition sequence."""
    entries = [EventRow(at=link.created_at, kind="session.handoff_created", from_state="", to_state="", revision=0,
                        data={"handoff_id": link.id, "expires_at": link.expires_at.isoformat()}) for link in links]
    entries += [EventRow(at=link.used_at, kind="session.handoff_claimed", from_state="", to_state="", revision=0,
                         data={"handoff_id": link.id}) for link in links if link.used_at is not None]
    return entries


class HandoffRecords:
    """Mixed into `Repository`."""

    db: Database

    async def add_handoff(self, row: HandoffRow, code_hash: str, *, audit: AuditRow | None = None) -> bool:
        """Record a link (and its audit record) while its session is active: False when it is being erased or
        gone."""
        values = {**msgspec.structs.asdict(row), "code_hash": code_hash}

        def write(conn: Connection) -> bool:
            found = _session_status(conn, row.session_id)
            if found is None or found[0] in _GONE:
                return False
            conn.execute(insert(handoffs).values(**values))
            if audit is not None:
                insert_audit(conn, audit)
            return True

        return await self.db.write(write)

    async def claim_handoff(self, code_hash: str, now: dt.datetime, token: NewToken, *,
                            audit: Callable[[HandoffRow], AuditRow] | None = None) -> Claim:
        """Claim the link with this code digest, at most once ever; on success store `token` for its session
        and the audit record `audit` makes of the link, in the same transaction."""

        def write(conn: Connection) -> Claim:
            found = conn.execute(select(handoffs).where(handoffs.c.code_hash == code_hash)).first()
            if found is None:
                return Claim(outcome="not_found")
            row: HandoffRow = row_of(HandoffRow, found)
            session = _session_status(conn, row.session_id)
            if session is None or session[0] in _GONE:
                return Claim(outcome="erased", handoff=row)
            claimed = conn.execute(update(handoffs).where(handoffs.c.id == row.id)
                                   .where(handoffs.c.used_at.is_(None)).where(handoffs.c.expires_at > now)
                                   .values(used_at=now)).rowcount
            if claimed != 1:  # someone else claimed it (their commit is visible to this statement), or expired
                used_at = conn.execute(select(handoffs.c.used_at).where(handoffs.c.id == row.id)).scalar_one()
                row = msgspec.structs.replace(row, used_at=used_at)
                return Claim(outcome="used" if used_at is not None else "expired", handoff=row)
            conn.execute(insert(session_tokens).values(token_hash=token.token_hash, session_id=row.session_id,
                                                       expires_at=token.expires_at, created_at=now))
            row = msgspec.structs.replace(row, used_at=now)
            if audit is not None:
                insert_audit(conn, audit(row))
            return Claim(outcome="claimed", handoff=row, locale=session[1])

        return await self.db.write(write)

    async def list_handoffs(self, session_id: str) -> list[HandoffRow]:
        rows = await self.db.read(lambda conn: conn.execute(
            select(handoffs).where(handoffs.c.session_id == session_id).order_by(handoffs.c.created_at)).all())
        return [row_of(HandoffRow, r) for r in rows]


__all__ = ["Claim", "ClaimOutcome", "HandoffRecords", "HandoffRow", "NewToken", "handoff_timeline"]
