"""Cases and their notes (SQLAlchemy Core); part of `Repository`.

A case row follows its session: `write_case` runs inside the transaction that commits the session's
transition, so the queue never disagrees with the journey. People's actions on a case (claim, assign,
release) are compare-and-set on the case's `version`, with their audit record in the same transaction.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import msgspec
from sqlalchemy import Select, and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from server.db.audit import insert_audit
from server.db.database import Database
from server.db.outbox import Outbox, write_outbox
from server.db.rows import AuditRow, CaseRow, CaseWrite, NoteRow
from server.db.schema import api_keys, case_notes, cases, users
from server.db.sql import row_of

_SORTS = {"created_at": (cases.c.created_at, False), "-created_at": (cases.c.created_at, True),
          "updated_at": (cases.c.updated_at, False), "-updated_at": (cases.c.updated_at, True)}
REVIEWING_ROLES = ("reviewer", "admin")


class CaseFilter(msgspec.Struct, frozen=True, kw_only=True):
    """`CaseQuery` with `assignee: me` resolved; the repository's own copy (no import from the app layer)."""

    tenant: str
    status: str | None = None
    assignee: str | None = None
    journey: str | None = None
    outcome: str | None = None
    reference: str | None = None
    flag: str | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    updated_from: dt.datetime | None = None
    updated_to: dt.datetime | None = None
    q: str | None = None
    sort: str = "created_at"
    cursor: str | None = None
    limit: int = 50


class _Cursor(msgspec.Struct, array_like=True):
    at: dt.datetime
    session_id: str


def write_case(conn: Connection, write: CaseWrite) -> bool:
    """Apply a transition's effect on its case; False when there was nothing to change."""
    found = conn.execute(select(cases.c.assignee).where(cases.c.session_id == write.session_id)).first()
    flags = msgspec.json.encode(write.flags).decode()
    if write.kind == "review":
        if found is None:
            conn.execute(insert(cases).values(
                session_id=write.session_id, tenant=write.tenant, journey=write.journey,
                journey_version=write.journey_version, reference=write.reference, name=write.name[:240],
                status="waiting", flags=flags, round=write.round, version=1, created_at=write.at,
                updated_at=write.at))
            return True
        status = "waiting" if found.assignee is None else "assigned"
        values: dict[str, object] = {"status": status, "flags": flags, "round": write.round, "outcome": None,
                                     "decided_at": None, "name": write.name[:240]}
    elif found is None:
        return False
    elif write.kind == "changes_requested":
        values = {"status": "changes_requested"}
    else:
        values = {"status": "decided", "outcome": write.outcome, "decided_at": write.at}
    conn.execute(update(cases).where(cases.c.session_id == write.session_id)
                 .values(**values, updated_at=write.at, version=cases.c.version + 1))
    return True


def _filtered(statement: Select[Any], query: CaseFilter) -> Select[Any]:
    statement = statement.where(cases.c.tenant == query.tenant)
    if query.assignee == "none":
        statement = statement.where(cases.c.assignee.is_(None))
    elif query.assignee is not None:
        statement = statement.where(cases.c.assignee == query.assignee)
    for column, value in ((cases.c.journey, query.journey), (cases.c.outcome, query.outcome),
                          (cases.c.reference, query.reference)):
        if value is not None:
            statement = statement.where(column == value)
    if query.flag is not None:
        statement = statement.where(cases.c.flags.contains(msgspec.json.encode(query.flag).decode(),
                                                           autoescape=True))
    for column, low, high in ((cases.c.created_at, query.created_from, query.created_to),
                              (cases.c.updated_at, query.updated_from, query.updated_to)):
        if low is not None:
            statement = statement.where(column >= low)
        if high is not None:
            statement = statement.where(column < high)
    if query.q:
        text = query.q.lower()
        statement = statement.where(or_(func.lower(cases.c.reference).contains(text, autoescape=True),
                                        func.lower(cases.c.name).contains(text, autoescape=True)))
    return statement


def encode_cursor(at: dt.datetime, session_id: str) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(_Cursor(at, session_id))).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    """Raises ValueError for anything that is not a cursor this server made."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        found = msgspec.json.decode(raw, type=_Cursor)
    except (ValueError, msgspec.DecodeError) as exc:
        raise ValueError(f"Expected a cursor from a previous page, got {cursor[:40]!r}") from exc
    at = found.at if found.at.tzinfo is not None else found.at.replace(tzinfo=dt.UTC)
    return at, found.session_id


class CaseRecords:
    """Mixed into `Repository`."""

    db: Database

    async def get_case(self, tenant: str, session_id: str) -> CaseRow | None:
        row = await self.db.read(lambda conn: conn.execute(
            select(cases).where(cases.c.session_id == session_id).where(cases.c.tenant == tenant)).first())
        found: CaseRow | None = row_of(CaseRow, row) if row is not None else None
        return found

    async def list_cases(self, query: CaseFilter) -> tuple[list[CaseRow], dict[str, int], str | None]:
        """One page in the query's order, the counts per status (every filter but status), the next cursor."""
        column, descending = _SORTS[query.sort]
        page = _filtered(select(cases), query)
        if query.status is not None:
            page = page.where(cases.c.status == query.status)
        if query.cursor is not None:
            at, session_id = decode_cursor(query.cursor)
            after = or_(column < at, and_(column == at, cases.c.session_id < session_id)) if descending else \
                or_(column > at, and_(column == at, cases.c.session_id > session_id))
            page = page.where(after)
        order = (column.desc(), cases.c.session_id.desc()) if descending else (column, cases.c.session_id)
        page = page.order_by(*order).limit(query.limit + 1)
        counting = _filtered(select(cases.c.status, func.count()), query).group_by(cases.c.status)

        def read(conn: Connection) -> tuple[list[CaseRow], dict[str, int]]:
            rows = [row_of(CaseRow, r) for r in conn.execute(page).all()]
            return rows, {str(r[0]): int(r[1]) for r in conn.execute(counting).all()}

        rows, counts = await self.db.read(read)
        next_cursor = None
        if len(rows) > query.limit:
            rows = rows[:query.limit]
            last = rows[-1]
            next_cursor = encode_cursor(last.created_at if column is cases.c.created_at else last.updated_at,
                                        last.session_id)
        return rows, counts, next_cursor

    async def oldest_waiting(self, tenant: str) -> str | None:
        return await self.db.read(lambda conn: conn.execute(
            select(cases.c.session_id).where(cases.c.tenant == tenant).where(cases.c.status == "waiting")
            .order_by(cases.c.updated_at, cases.c.session_id).limit(1)).scalar_one_or_none())

    async def change_case(self, session_id: str, version: int, values: dict[str, object],
                          audit: AuditRow, outbox: Outbox | None = None) -> bool:
        """Compare-and-set on the case's version, with its audit record; False when someone changed it first."""

        def write(conn: Connection) -> bool:
            changed = conn.execute(update(cases).where(cases.c.session_id == session_id)
                                   .where(cases.c.version == version)
                                   .values(**values, version=version + 1)).rowcount == 1
            if changed:
                insert_audit(conn, audit)
                write_outbox(conn, outbox)
            return changed

        return await self.db.write(write)

    async def add_note(self, note: NoteRow, audit: AuditRow) -> None:
        values = msgspec.structs.asdict(note)

        def write(conn: Connection) -> None:
            conn.execute(insert(case_notes).values(**values))
            insert_audit(conn, audit)

        await self.db.write(write)

    async def list_notes(self, session_id: str) -> list[NoteRow]:
        rows = await self.db.read(lambda conn: conn.execute(
            select(case_notes).where(case_notes.c.session_id == session_id).order_by(case_notes.c.created_at)
        ).all())
        return [row_of(NoteRow, r) for r in rows]

    async def reviewer_name(self, tenant: str, actor: str) -> str | None:
        """The name of a reviewer or admin of `tenant` (`user:<id>` or `api_key:<id>`), None if there is none."""
        kind, _, actor_id = actor.partition(":")
        if kind == "user":
            statement = select(users.c.email).where(users.c.id == actor_id).where(users.c.tenant == tenant) \
                .where(users.c.role.in_(REVIEWING_ROLES)).where(users.c.disabled_at.is_(None))
        elif kind == "api_key":
            statement = select(api_keys.c.name).where(api_keys.c.id == actor_id) \
                .where(api_keys.c.tenant == tenant).where(api_keys.c.role.in_(REVIEWING_ROLES)) \
                .where(api_keys.c.revoked_at.is_(None))
        else:
            return None
        found = await self.db.read(lambda conn: conn.execute(statement).scalar_one_or_none())
        return str(found) if found is not None else None


__all__ = ["REVIEWING_ROLES", "CaseFilter", "CaseRecords", "decode_cursor", "encode_cursor", "write_case"]
