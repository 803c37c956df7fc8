"""Persistence of sessions, their timeline, tokens, files and idempotent replies (SQLAlchemy Core).

Each method is a small synchronous function of a connection handed to `Database.read` or
`Database.write`; writes are committed in batches by one writer (see `database.py`).
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

import msgspec
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from server.db.database import Database
from server.db.schema import (
    api_keys,
    events,
    files,
    idempotency,
    session_tokens,
    sessions,
    uploads,
)


class Conflict(Exception):
    """Another writer changed the session first (optimistic concurrency)."""


class SessionRow(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    tenant: str
    journey: str
    journey_version: int
    reference: str
    locale: str
    state: str
    status: str
    outcome: str | None
    version: int
    snapshot: str
    next_due_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    completed_at: dt.datetime | None
    event_seq: int = 0
    """the `seq` of the session's last timeline entry"""


class EventRow(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a session's timeline."""

    at: dt.datetime
    kind: str
    from_state: str
    to_state: str
    revision: int
    data: dict[str, object] = {}


class FileRow(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    session_id: str
    tenant: str
    storage_key: str
    sha256: str
    size: int
    content_type: str
    original_name: str
    created_at: dt.datetime


class UploadRow(msgspec.Struct, frozen=True, kw_only=True):
    """A direct upload the server handed out: where it must land, what it must be."""

    id: str
    session_id: str
    file_id: str
    storage_key: str
    content_type: str
    max_bytes: int
    original_name: str
    field: str
    status: str
    created_at: dt.datetime
    expires_at: dt.datetime


class ErasureRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What is left of a session after erasure: enough to audit, nothing personal."""

    session_id: str
    journey: str
    outcome: str | None
    created_at: dt.datetime
    completed_at: dt.datetime | None
    erased_at: dt.datetime
    erased_by: str


class SessionUpdate(msgspec.Struct, frozen=True, kw_only=True):
    state: str
    status: str
    outcome: str | None
    snapshot: str
    next_due_at: dt.datetime | None
    completed: bool


_SESSION_COLUMNS = [sessions.c[name] for name in SessionRow.__struct_fields__]
_PERSONAL_TABLES = (events, idempotency, files, uploads, session_tokens)


def _row(kind: type[Any], row: Any) -> Any:
    mapping = row._mapping
    return kind(**{name: mapping[name] for name in kind.__struct_fields__ if name in mapping})


def _insert_ignoring_duplicates(conn: Connection, table: Table, values: dict[str, object]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: a key written before keeps its first value, and the batch goes on."""
    dialect = conn.dialect.name
    statement = sqlite_insert(table) if dialect == "sqlite" else postgresql_insert(table)
    conn.execute(statement.values(**values).on_conflict_do_nothing())


def _event_values(session_id: str, entries: list[EventRow], start_seq: int) -> list[dict[str, object]]:
    return [{"session_id": session_id, "seq": start_seq + i, "at": e.at, "kind": e.kind, "from_state": e.from_state,
             "to_state": e.to_state, "revision": e.revision, "data": msgspec.json.encode(e.data).decode()}
            for i, e in enumerate(entries)]


class Repository:
    """All database access; one instance per process, built in server/app.py."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def close(self) -> None:
        await self.db.close()

    async def ping(self) -> None:
        await self.db.read(lambda conn: conn.execute(select(1)).scalar_one())

    # --- API keys -------------------------------------------------------------

    async def ensure_api_key(self, key_id: str, name: str, key_hash: str, now: dt.datetime) -> None:
        """Make `key_id` the key with this hash: a changed key (ARABESQUE_API_KEY) replaces the old one's hash, so
        the old key stops working and the new one works."""

        def write(conn: Connection) -> None:
            if conn.execute(select(api_keys.c.id).where(api_keys.c.key_hash == key_hash)).first() is not None:
                return  # this key is known already (perhaps made with `arabesque keys`)
            found = conn.execute(select(api_keys.c.id, api_keys.c.key_hash)
                                 .where(api_keys.c.id == key_id)).first()
            if found is None:
                conn.execute(insert(api_keys).values(id=key_id, name=name, key_hash=key_hash, created_at=now))
            elif found.key_hash != key_hash:
                conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(key_hash=key_hash))

        await self.db.write(write)

    async def api_key_id(self, key_hash: str) -> str | None:
        """The id of the active key with this hash, compared in constant time against every active key."""
        rows = await self.db.read(lambda conn: conn.execute(
            select(api_keys.c.id, api_keys.c.key_hash).where(api_keys.c.revoked_at.is_(None))).all())
        found = None
        for key_id, stored in rows:
            if hmac.compare_digest(stored, key_hash):
                found = key_id
        return found

    # --- sessions -------------------------------------------------------------

    async def create_session(self, row: SessionRow, first: EventRow, *, api_key_id: str | None,
                             token_hash: str, token_expires_at: dt.datetime) -> None:
        """The session, its first timeline entry and its first token, in one transaction."""
        values = msgspec.structs.asdict(row)

        def write(conn: Connection) -> None:
            conn.execute(insert(sessions).values(**values, api_key_id=api_key_id))
            conn.execute(insert(events), _event_values(row.id, [first], start_seq=1))
            conn.execute(insert(session_tokens).values(token_hash=token_hash, session_id=row.id,
                                                       expires_at=token_expires_at, created_at=row.created_at))

        await self.db.write(write)

    async def load_session(self, session_id: str) -> SessionRow | None:
        row = await self.db.read(lambda conn: conn.execute(
            select(*_SESSION_COLUMNS).where(sessions.c.id == session_id)).first())
        return _row(SessionRow, row) if row is not None else None

    async def save_transition(self, row: SessionRow, update_: SessionUpdate, entries: list[EventRow],
                              now: dt.datetime, reply: tuple[str, bytes] | None = None) -> SessionRow:
        """Commit the new snapshot, its timeline entries and an idempotent reply in one transaction.

        Returns the row as stored; raises Conflict when the session's version is no longer `row.version`.
        """
        values: dict[str, object] = {
            "state": update_.state, "status": update_.status, "outcome": update_.outcome,
            "snapshot": update_.snapshot, "next_due_at": update_.next_due_at, "updated_at": now,
            "version": row.version + 1, "event_seq": row.event_seq + len(entries),
        }
        if update_.completed:
            values["completed_at"] = now
        event_values = _event_values(row.id, entries, start_seq=row.event_seq + 1)
        statement = (update(sessions).where(sessions.c.id == row.id).where(sessions.c.version == row.version)
                     .values(**values))

        def write(conn: Connection) -> bool:
            if conn.execute(statement).rowcount != 1:
                return False  # nothing written: the caller reloads and tries again
            if event_values:
                conn.execute(insert(events), event_values)
            if reply is not None:
                _insert_ignoring_duplicates(conn, idempotency, {"session_id": row.id, "key": reply[0],
                                                                "reply": reply[1].decode(), "created_at": now})
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

    # --- files --------------------------------------------------------------

    async def add_file(self, row: FileRow, *, upload_id: str | None = None) -> bool:
        """Record a stored file (closing its direct upload, if any), only while its session is active: False
        when the session is being erased or gone. The session row is locked for the check (PostgreSQL), so an
        erasure starting meanwhile waits for this row and then deletes it with the rest."""
        values = msgspec.structs.asdict(row)

        def write(conn: Connection) -> bool:
            status = conn.execute(select(sessions.c.status).where(sessions.c.id == row.session_id)
                                  .with_for_update(read=True)).scalar_one_or_none()
            if status is None or status in ("erasing", "erased"):
                return False
            conn.execute(insert(files).values(**values))
            if upload_id is not None:
                conn.execute(update(uploads).where(uploads.c.id == upload_id).values(status="completed"))
            return True

        return await self.db.write(write)

    async def get_file(self, session_id: str, file_id: str) -> FileRow | None:
        row = await self.db.read(lambda conn: conn.execute(
            select(files).where(files.c.id == file_id).where(files.c.session_id == session_id)).first())
        found: FileRow | None = _row(FileRow, row) if row is not None else None
        return found

    async def list_files(self, session_id: str) -> list[FileRow]:
        rows = await self.db.read(lambda conn: conn.execute(
            select(files).where(files.c.session_id == session_id).order_by(files.c.created_at)).all())
        return [_row(FileRow, r) for r in rows]

    async def delete_file(self, file_id: str) -> None:
        await self.db.write(lambda conn: conn.execute(delete(files).where(files.c.id == file_id)))

    # --- direct uploads -------------------------------------------------------

    async def add_upload(self, row: UploadRow) -> None:
        values = msgspec.structs.asdict(row)
        await self.db.write(lambda conn: conn.execute(insert(uploads).values(**values)))

    async def get_upload(self, session_id: str, upload_id: str) -> UploadRow | None:
        row = await self.db.read(lambda conn: conn.execute(
            select(uploads).where(uploads.c.id == upload_id).where(uploads.c.session_id == session_id)).first())
        found: UploadRow | None = _row(UploadRow, row) if row is not None else None
        return found

    async def reject_upload(self, upload_id: str) -> None:
        await self.db.write(lambda conn: conn.execute(
            update(uploads).where(uploads.c.id == upload_id).values(status="rejected")))

    # --- erasure and retention ------------------------------------------------

    async def mark_erasing(self, session_id: str, erased_by: str, now: dt.datetime) -> None:
        await self.db.write(lambda conn: conn.execute(update(sessions).where(sessions.c.id == session_id).values(
            status="erasing", erased_by=erased_by, next_due_at=None, updated_at=now,
            version=sessions.c.version + 1)))

    async def finish_erasure(self, session_id: str, now: dt.datetime) -> None:
        """Delete everything personal; keep id, journey, outcome, timestamps and who erased it."""

        def write(conn: Connection) -> None:
            for table in _PERSONAL_TABLES:
                conn.execute(delete(table).where(table.c.session_id == session_id))
            conn.execute(update(sessions).where(sessions.c.id == session_id).values(
                status="erased", state="erased", reference="", snapshot="{}", next_due_at=None, erased_at=now,
                updated_at=now, version=sessions.c.version + 1))

        await self.db.write(write)

    async def erasure_record(self, session_id: str) -> ErasureRecord | None:
        row = await self.db.read(lambda conn: conn.execute(
            select(sessions).where(sessions.c.id == session_id).where(sessions.c.status == "erased")).first())
        if row is None:
            return None
        return ErasureRecord(session_id=row.id, journey=row.journey, outcome=row.outcome, created_at=row.created_at,
                             completed_at=row.completed_at, erased_at=row.erased_at, erased_by=row.erased_by or "")

    async def erased_by(self, session_id: str) -> str | None:
        """Who asked for the erasure of a session being erased (None when it is not)."""
        return await self.db.read(lambda conn: conn.execute(
            select(sessions.c.erased_by).where(sessions.c.id == session_id)
            .where(sessions.c.status == "erasing")).scalar_one_or_none())

    async def count_rows(self, session_id: str) -> int:
        """Personal rows still held for a session (0 after a verified erasure)."""

        def read(conn: Connection) -> int:
            return sum(conn.execute(select(func.count()).select_from(table).where(table.c.session_id == session_id)
                                    ).scalar_one() for table in _PERSONAL_TABLES)

        return await self.db.read(read)

    async def due_for_erasure(self, completed_before: dt.datetime | None, limit: int = 50) -> list[str]:
        """Sessions whose erasure was interrupted, and (with a retention period) completed ones past it."""

        def read(conn: Connection) -> list[str]:
            found = [r[0] for r in conn.execute(select(sessions.c.id).where(sessions.c.status == "erasing")
                                                .limit(limit))]
            if completed_before is not None:
                found += [r[0] for r in conn.execute(
                    select(sessions.c.id).where(sessions.c.status == "final")
                    .where(sessions.c.completed_at < completed_before).limit(limit))]
            return found

        return await self.db.read(read)


__all__ = ["Conflict", "ErasureRecord", "EventRow", "FileRow", "Repository", "SessionRow", "SessionUpdate",
           "UploadRow"]
