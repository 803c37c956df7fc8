"""Persistence of sessions, their timeline, tokens, files and idempotent replies (async Core)."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

import msgspec
from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from server.db.schema import (
    api_keys,
    events,
    files,
    idempotency,
    session_clients,
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


class ClientProfile(msgspec.Struct, frozen=True, kw_only=True):
    """How one kind of connected client wants screens: its locale and the components it renders."""

    profile: str
    locale: str
    components: list[str]


class SessionUpdate(msgspec.Struct, frozen=True, kw_only=True):
    state: str
    status: str
    outcome: str | None
    snapshot: str
    next_due_at: dt.datetime | None
    completed: bool


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def make_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    engine = create_async_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        sync: Engine = engine.sync_engine
        event.listen(sync, "connect", _sqlite_pragmas)
    return engine


def _session_row(row: Any) -> SessionRow:
    return SessionRow(**{name: row._mapping[name] for name in SessionRow.__struct_fields__})


class Repository:
    """All database access; one instance per process, built in server/app.py."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def close(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(select(1))

    # --- API keys -------------------------------------------------------------

    async def ensure_api_key(self, key_id: str, name: str, key_hash: str, now: dt.datetime) -> None:
        async with self.engine.begin() as conn:
            found = (await conn.execute(select(api_keys.c.id).where(api_keys.c.key_hash == key_hash))).first()
            if found is None:
                await conn.execute(insert(api_keys).values(id=key_id, name=name, key_hash=key_hash, created_at=now))

    async def api_key_id(self, key_hash: str) -> str | None:
        """The id of the active key with this hash, compared in constant time against every active key."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(api_keys.c.id, api_keys.c.key_hash)
                                       .where(api_keys.c.revoked_at.is_(None)))).all()
        found = None
        for key_id, stored in rows:
            if hmac.compare_digest(stored, key_hash):
                found = key_id
        return found

    # --- sessions -------------------------------------------------------------

    async def create_session(self, row: SessionRow, first: EventRow, *, api_key_id: str | None) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(sessions).values(**msgspec.structs.asdict(row), api_key_id=api_key_id))
            await self._append(conn, row.id, [first], start_seq=1)

    async def load_session(self, session_id: str) -> SessionRow | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(*[sessions.c[n] for n in SessionRow.__struct_fields__])
                                      .where(sessions.c.id == session_id))).first()
        return _session_row(row) if row is not None else None

    async def save_transition(self, session_id: str, expected_version: int, update_: SessionUpdate,
                              entries: list[EventRow], now: dt.datetime,
                              reply: tuple[str, bytes] | None = None) -> int:
        """Commit the new snapshot, its timeline entries and an idempotent reply in one transaction.

        Raises Conflict when the session's version is no longer `expected_version`.
        """
        async with self.engine.begin() as conn:
            values: dict[str, object] = {
                "state": update_.state, "status": update_.status, "outcome": update_.outcome,
                "snapshot": update_.snapshot, "next_due_at": update_.next_due_at, "updated_at": now,
                "version": expected_version + 1,
            }
            if update_.completed:
                values["completed_at"] = now
            result = await conn.execute(update(sessions).where(sessions.c.id == session_id)
                                        .where(sessions.c.version == expected_version).values(**values))
            if result.rowcount != 1:
                raise Conflict(session_id)
            seq = (await conn.execute(select(events.c.seq).where(events.c.session_id == session_id)
                                      .order_by(events.c.seq.desc()).limit(1))).scalar_one_or_none() or 0
            await self._append(conn, session_id, entries, start_seq=seq + 1)
            if reply is not None:
                await self._remember(conn, session_id, reply[0], reply[1], now)
        return expected_version + 1

    async def _append(self, conn: AsyncConnection, session_id: str, entries: list[EventRow], start_seq: int) -> None:
        if entries:
            await conn.execute(insert(events), [
                {"session_id": session_id, "seq": start_seq + i, "at": e.at, "kind": e.kind,
                 "from_state": e.from_state, "to_state": e.to_state, "revision": e.revision,
                 "data": msgspec.json.encode(e.data).decode()}
                for i, e in enumerate(entries)
            ])

    async def _remember(self, conn: AsyncConnection, session_id: str, key: str, reply: bytes,
                        now: dt.datetime) -> None:
        await conn.execute(insert(idempotency).values(session_id=session_id, key=key, reply=reply.decode(),
                                                      created_at=now))

    async def remember_reply(self, session_id: str, key: str, reply: bytes, now: dt.datetime) -> None:
        """Store the reply to a request that changed nothing (e.g. refused values), for retries."""
        try:
            async with self.engine.begin() as conn:
                await self._remember(conn, session_id, key, reply, now)
        except IntegrityError:
            pass  # the same key raced in: the first reply stands

    async def replay(self, session_id: str, key: str) -> bytes | None:
        async with self.engine.connect() as conn:
            found = (await conn.execute(select(idempotency.c.reply).where(idempotency.c.session_id == session_id)
                                        .where(idempotency.c.key == key))).scalar_one_or_none()
        return found.encode() if found is not None else None

    async def timeline(self, session_id: str) -> list[EventRow]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(events).where(events.c.session_id == session_id)
                                       .order_by(events.c.seq))).all()
        return [EventRow(at=r.at, kind=r.kind, from_state=r.from_state, to_state=r.to_state, revision=r.revision,
                         data=msgspec.json.decode(r.data)) for r in rows]

    async def due_sessions(self, now: dt.datetime, limit: int = 100) -> list[str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(sessions.c.id).where(sessions.c.next_due_at.is_not(None))
                                      .where(sessions.c.next_due_at <= now).order_by(sessions.c.next_due_at)
                                      .limit(limit))
            return [r[0] for r in rows]

    async def waiting_sessions(self) -> list[str]:
        async with self.engine.connect() as conn:
            return [r[0] for r in await conn.execute(select(sessions.c.id).where(sessions.c.status == "waiting"))]

    # --- tokens -------------------------------------------------------------

    async def add_token(self, token_hash: str, session_id: str, expires_at: dt.datetime, now: dt.datetime) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(session_tokens).values(token_hash=token_hash, session_id=session_id,
                                                             expires_at=expires_at, created_at=now))

    async def token(self, token_hash: str) -> tuple[str, dt.datetime] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(session_tokens.c.session_id, session_tokens.c.expires_at)
                                      .where(session_tokens.c.token_hash == token_hash))).first()
        return (row[0], row[1]) if row is not None else None

    # --- files --------------------------------------------------------------

    async def add_file(self, row: FileRow) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(files).values(**msgspec.structs.asdict(row)))

    async def get_file(self, session_id: str, file_id: str) -> FileRow | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(files).where(files.c.id == file_id)
                                      .where(files.c.session_id == session_id))).first()
        return FileRow(**{n: row._mapping[n] for n in FileRow.__struct_fields__}) if row is not None else None

    async def list_files(self, session_id: str) -> list[FileRow]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(files).where(files.c.session_id == session_id)
                                       .order_by(files.c.created_at))).all()
        return [FileRow(**{n: r._mapping[n] for n in FileRow.__struct_fields__}) for r in rows]

    async def delete_file(self, file_id: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(files).where(files.c.id == file_id))

    # --- direct uploads -------------------------------------------------------

    async def add_upload(self, row: UploadRow) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(uploads).values(**msgspec.structs.asdict(row)))

    async def get_upload(self, session_id: str, upload_id: str) -> UploadRow | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(uploads).where(uploads.c.id == upload_id)
                                      .where(uploads.c.session_id == session_id))).first()
        return UploadRow(**{n: row._mapping[n] for n in UploadRow.__struct_fields__}) if row is not None else None

    async def finish_upload(self, upload_id: str, status: str, file: FileRow | None) -> None:
        """Mark an upload done; when accepted, its file row is written in the same transaction."""
        async with self.engine.begin() as conn:
            await conn.execute(update(uploads).where(uploads.c.id == upload_id).values(status=status))
            if file is not None:
                await conn.execute(insert(files).values(**msgspec.structs.asdict(file)))

    # --- erasure and retention ------------------------------------------------

    async def mark_erasing(self, session_id: str, erased_by: str, now: dt.datetime) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(update(sessions).where(sessions.c.id == session_id)
                               .values(status="erasing", erased_by=erased_by, next_due_at=None, updated_at=now))

    async def finish_erasure(self, session_id: str, now: dt.datetime) -> None:
        """Delete everything personal; keep id, journey, outcome, timestamps and who erased it."""
        async with self.engine.begin() as conn:
            for table in (events, idempotency, files, uploads, session_tokens, session_clients):
                await conn.execute(delete(table).where(table.c.session_id == session_id))
            await conn.execute(update(sessions).where(sessions.c.id == session_id).values(
                status="erased", state="erased", reference="", snapshot="{}", next_due_at=None, erased_at=now,
                updated_at=now, version=sessions.c.version + 1))

    async def erasure_record(self, session_id: str) -> ErasureRecord | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(sessions).where(sessions.c.id == session_id)
                                      .where(sessions.c.status == "erased"))).first()
        if row is None:
            return None
        return ErasureRecord(session_id=row.id, journey=row.journey, outcome=row.outcome, created_at=row.created_at,
                             completed_at=row.completed_at, erased_at=row.erased_at, erased_by=row.erased_by or "")

    async def count_rows(self, session_id: str) -> int:
        """Personal rows still held for a session (0 after a verified erasure)."""
        total = 0
        async with self.engine.connect() as conn:
            for table in (events, idempotency, files, uploads, session_tokens, session_clients):
                total += len((await conn.execute(select(table.c.session_id).where(table.c.session_id == session_id)
                                                 )).all())
        return total

    async def due_for_erasure(self, completed_before: dt.datetime | None, limit: int = 50) -> list[str]:
        """Sessions whose erasure was interrupted, and (with a retention period) completed ones past it."""
        async with self.engine.connect() as conn:
            found = [r[0] for r in await conn.execute(select(sessions.c.id).where(sessions.c.status == "erasing")
                                                      .limit(limit))]
            if completed_before is not None:
                found += [r[0] for r in await conn.execute(
                    select(sessions.c.id).where(sessions.c.status == "final")
                    .where(sessions.c.completed_at < completed_before).limit(limit))]
        return found

    # --- connected client profiles ------------------------------------------

    async def upsert_client(self, session_id: str, profile: ClientProfile, now: dt.datetime) -> None:
        components = msgspec.json.encode(profile.components).decode()
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(session_clients).values(
                    session_id=session_id, profile=profile.profile, locale=profile.locale, components=components,
                    updated_at=now))
        except IntegrityError:
            async with self.engine.begin() as conn:
                await conn.execute(update(session_clients).where(session_clients.c.session_id == session_id)
                                   .where(session_clients.c.profile == profile.profile).values(updated_at=now))

    async def clients(self, session_id: str) -> list[ClientProfile]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(session_clients).where(session_clients.c.session_id == session_id)
                                       .order_by(session_clients.c.updated_at.desc()).limit(16))).all()
        return [ClientProfile(profile=r.profile, locale=r.locale, components=msgspec.json.decode(r.components))
                for r in rows]


__all__ = ["ClientProfile", "Conflict", "ErasureRecord", "EventRow", "FileRow", "Repository", "SessionRow",
           "SessionUpdate", "UploadRow", "make_engine"]
