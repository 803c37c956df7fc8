"""Persistence of sessions, their timeline, tokens and idempotent replies (SQLAlchemy Core); files, uploads
and erasure are in documents.py.

Each method is a small synchronous function of a connection handed to `Database.read` or
`Database.write`; writes are committed in batches by one writer (see `database.py`).
"""

from __future__ import annotations

import datetime as dt
import hmac

import msgspec
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import Update

from server.db.audit import AuditRecords, insert_audit
from server.db.cases import CaseRecords, write_case
from server.db.database import Database
from server.db.documents import FileRecords
from server.db.handoffs import HandoffRecords
from server.db.keys import KeyRecords
from server.db.outbox import Outbox, write_outbox
from server.db.request_keys import RequestKeys
from server.db.rows import (
    AuditRow,
    CaseWrite,
    Conflict,
    ErasureRecord,
    EventRow,
    FileRow,
    KeyGrant,
    KeyRow,
    SessionRow,
    SessionUpdate,
    UploadRow,
)
from server.db.schema import api_keys, events, idempotency, session_tokens, sessions
from server.db.session_pages import SessionPages
from server.db.sql import insert_ignoring_duplicates, row_of
from server.db.users import UserRecords
from server.db.webhooks import WebhookRecords

_SESSION_COLUMNS = [sessions.c[name] for name in SessionRow.__struct_fields__]


def _save_statement(completed: bool) -> Update:
    """The optimistic UPDATE of a transition, built once (building it for every step cost more than running
    it): the row `b_id` at version `b_version` gets the `v_<column>` values."""
    columns = [*_SAVED, *(["completed_at"] if completed else [])]
    return (update(sessions).where(sessions.c.id == bindparam("b_id"))
            .where(sessions.c.version == bindparam("b_version"))
            .values({name: bindparam(f"v_{name}") for name in columns}))


_SAVED = ("state", "status", "outcome", "snapshot", "next_due_at", "updated_at", "version", "event_seq")
_SAVE = {False: _save_statement(False), True: _save_statement(True)}
_INSERT_EVENTS = insert(events)


def _event_values(session_id: str, entries: list[EventRow], start_seq: int) -> list[dict[str, object]]:
    return [{"session_id": session_id, "seq": start_seq + i, "at": e.at, "kind": e.kind, "from_state": e.from_state,
             "to_state": e.to_state, "revision": e.revision, "data": msgspec.json.encode(e.data).decode()}
            for i, e in enumerate(entries)]


class Repository(FileRecords, AuditRecords, CaseRecords, UserRecords, KeyRecords, SessionPages, RequestKeys,
                 WebhookRecords, HandoffRecords):
    """All database access; one instance per process, built in server/app.py."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def close(self) -> None:
        await self.db.close()

    async def ping(self) -> None:
        await self.db.read(lambda conn: conn.execute(select(1)).scalar_one())

    # --- API keys -------------------------------------------------------------

    async def ensure_api_key(self, key_id: str, name: str, key_hash: str, now: dt.datetime, *, tenant: str,
                             role: str = "admin") -> None:
        """Make `key_id` the key with this hash, in `tenant` with `role`: a changed key (ARABESQUE_API_KEY)
        replaces the old one's hash, so the old key stops working and the new one works."""

        def write(conn: Connection) -> None:
            if conn.execute(select(api_keys.c.id).where(api_keys.c.key_hash == key_hash)).first() is not None:
                return  # this key is known already (perhaps made with `arabesque keys`)
            found = conn.execute(select(api_keys.c.id, api_keys.c.key_hash)
                                 .where(api_keys.c.id == key_id)).first()
            if found is None:
                conn.execute(insert(api_keys).values(id=key_id, name=name, key_hash=key_hash, created_at=now,
                                                     tenant=tenant, role=role, prefix=key_id,
                                                     created_by="ARABESQUE_API_KEY"))
            else:
                conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(
                    key_hash=key_hash, tenant=tenant, role=role, revoked_at=None, expires_at=None))

        await self.db.write(write)

    async def api_key_grant(self, key_hash: str) -> KeyGrant | None:
        """The active key with this hash, compared in constant time against every unrevoked key (expiry is the
        caller's to check, against its clock)."""
        rows = await self.db.read(lambda conn: conn.execute(
            select(api_keys.c.id, api_keys.c.key_hash, api_keys.c.tenant, api_keys.c.role, api_keys.c.name,
                   api_keys.c.expires_at).where(api_keys.c.revoked_at.is_(None))).all())
        found = None
        for row in rows:
            if hmac.compare_digest(row.key_hash, key_hash):
                found = KeyGrant(id=row.id, tenant=row.tenant, role=row.role, name=row.name, expires_at=row.expires_at)
        return found

    # --- sessions -------------------------------------------------------------

    async def create_session(self, row: SessionRow, first: EventRow, *, api_key_id: str | None,
                             token_hash: str, token_expires_at: dt.datetime, outbox: Outbox | None = None) -> None:
        """The session, its first timeline entry, its first token and its webhook events, in one transaction."""
        values = msgspec.structs.asdict(row)

        def write(conn: Connection) -> None:
            conn.execute(insert(sessions).values(**values, api_key_id=api_key_id))
            conn.execute(insert(events), _event_values(row.id, [first], start_seq=1))
            conn.execute(insert(session_tokens).values(token_hash=token_hash, session_id=row.id,
                                                       expires_at=token_expires_at, created_at=row.created_at))
            write_outbox(conn, outbox)

        try:
            await self.db.write(write)
        except IntegrityError as exc:  # an id taken, or the same child of the same parent started twice
            raise Conflict(row.id) from exc

    async def children_of(self, parent_id: str) -> list[SessionRow]:
        """A parent's child sessions, in the order they were started."""
        rows = await self.db.read(lambda conn: conn.execute(
            select(*_SESSION_COLUMNS).where(sessions.c.parent_id == parent_id)
            .order_by(sessions.c.created_at, sessions.c.child_group, sessions.c.child_key)).all())
        return [row_of(SessionRow, r) for r in rows]

    async def load_session(self, session_id: str) -> SessionRow | None:
        row = await self.db.read(lambda conn: conn.execute(
            select(*_SESSION_COLUMNS).where(sessions.c.id == session_id)).first())
        return row_of(SessionRow, row) if row is not None else None

    async def save_transition(self, row: SessionRow, update_: SessionUpdate, entries: list[EventRow],
                              now: dt.datetime, reply: tuple[str, bytes] | None = None, *,
                              case: CaseWrite | None = None, audit: list[AuditRow] | None = None,
                              outbox: Outbox | None = None) -> SessionRow:
        """Commit the new snapshot, its timeline entries, an idempotent reply, the change to the session's case,
        the audit records of who caused it and its webhook events (`outbox`), in one transaction.

        Returns the row as stored; raises Conflict when the session's version is no longer `row.version`.
        """
        values: dict[str, object] = {
            "b_id": row.id, "b_version": row.version, "v_state": update_.state, "v_status": update_.status,
            "v_outcome": update_.outcome, "v_snapshot": update_.snapshot, "v_next_due_at": update_.next_due_at,
            "v_updated_at": now, "v_version": row.version + 1, "v_event_seq": row.event_seq + len(entries),
        }
        if update_.completed:
            values["v_completed_at"] = now
        event_values = _event_values(row.id, entries, start_seq=row.event_seq + 1)
        statement = _SAVE[update_.completed]

        def write(conn: Connection) -> bool:
            if conn.execute(statement, values).rowcount != 1:
                return False  # nothing written: the caller reloads and tries again
            if event_values:
                conn.execute(_INSERT_EVENTS, event_values)
            if reply is not None:
                insert_ignoring_duplicates(conn, idempotency, {"session_id": row.id, "key": reply[0],
                                                                "reply": reply[1].decode(), "created_at": now})
            if case is not None:
                write_case(conn, case)
            for record in audit or []:
                insert_audit(conn, record)
            write_outbox(conn, outbox)
            return True

        if not await self.db.write(write):
            raise Conflict(row.id)
        return msgspec.structs.replace(row, state=update_.state, status=update_.status, outcome=update_.outcome,
                                       snapshot=update_.snapshot, next_due_at=update_.next_due_at, updated_at=now,
                                       version=row.version + 1, event_seq=row.event_seq + len(entries),
                                       completed_at=now if update_.completed else row.completed_at)

    async def replay(self, session_id: str, key: str) -> bytes | None:
        found = await self.db.read(lambda conn: conn.execute(
            select(idempotency.c.reply).where(idempotency.c.session_id == session_id)
            .where(idempotency.c.key == key)).scalar_one_or_none())
        return found.encode() if found is not None else None

    async def timeline(self, session_id: str) -> list[EventRow]:
        rows = await self.db.read(lambda conn: conn.execute(
            select(events).where(events.c.session_id == session_id).order_by(events.c.seq)).all())
        return [EventRow(at=r.at, kind=r.kind, from_state=r.from_state, to_state=r.to_state, revision=r.revision,
                         data=msgspec.json.decode(r.data)) for r in rows]

    async def due_sessions(self, now: dt.datetime, limit: int = 100) -> list[str]:
        rows = await self.db.read(lambda conn: conn.execute(
            select(sessions.c.id).where(sessions.c.next_due_at.is_not(None)).where(sessions.c.next_due_at <= now)
            .order_by(sessions.c.next_due_at).limit(limit)).all())
        return [r[0] for r in rows]

    async def waiting_sessions(self) -> list[str]:
        rows = await self.db.read(lambda conn: conn.execute(
            select(sessions.c.id).where(sessions.c.status == "waiting")).all())
        return [r[0] for r in rows]

    # --- tokens -------------------------------------------------------------

    async def add_token(self, token_hash: str, session_id: str, expires_at: dt.datetime, now: dt.datetime) -> None:
        await self.db.write(lambda conn: conn.execute(insert(session_tokens).values(
            token_hash=token_hash, session_id=session_id, expires_at=expires_at, created_at=now)))

    async def token(self, token_hash: str) -> tuple[str, dt.datetime] | None:
        row = await self.db.read(lambda conn: conn.execute(
            select(session_tokens.c.session_id, session_tokens.c.expires_at)
            .where(session_tokens.c.token_hash == token_hash)).first())
        return (row[0], row[1]) if row is not None else None


__all__ = ["Conflict", "ErasureRecord", "EventRow", "FileRow", "KeyGrant", "KeyRow", "Repository", "SessionRow",
           "SessionUpdate", "UploadRow"]
