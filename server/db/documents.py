"""Persistence of a session's files, direct uploads and erasure (SQLAlchemy Core); part of `Repository`."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from server.db.audit import insert_audit
from server.db.database import Database
from server.db.faces import face_enrolments, faces, forget_session_faces
from server.db.outbox import Outbox, forget_personal, write_outbox
from server.db.rows import AuditRow, ErasureRecord, FileRow, UploadRow
from server.db.schema import (
    case_notes,
    cases,
    events,
    files,
    handoffs,
    idempotency,
    session_tokens,
    sessions,
    uploads,
)
from server.db.sql import row_of

_PERSONAL_TABLES = (events, idempotency, files, uploads, session_tokens, cases, case_notes, handoffs, faces,
                    face_enrolments)
"""Everything kept about a session's person; erasure deletes it (the audit log keeps ids and codes only)."""


class FileRecords:
    """Files, uploads and erasure: what `Repository` does for a session's documents."""

    db: Database

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
        found: FileRow | None = row_of(FileRow, row) if row is not None else None
        return found

    async def list_files(self, session_id: str) -> list[FileRow]:
        rows = await self.db.read(lambda conn: conn.execute(
            select(files).where(files.c.session_id == session_id).order_by(files.c.created_at)).all())
        return [row_of(FileRow, r) for r in rows]

    async def delete_file(self, file_id: str) -> None:
        await self.db.write(lambda conn: conn.execute(delete(files).where(files.c.id == file_id)))

    # --- direct uploads -------------------------------------------------------

    async def add_upload(self, row: UploadRow) -> None:
        values = msgspec.structs.asdict(row)
        await self.db.write(lambda conn: conn.execute(insert(uploads).values(**values)))

    async def get_upload(self, session_id: str, upload_id: str) -> UploadRow | None:
        row = await self.db.read(lambda conn: conn.execute(
            select(uploads).where(uploads.c.id == upload_id).where(uploads.c.session_id == session_id)).first())
        found: UploadRow | None = row_of(UploadRow, row) if row is not None else None
        return found

    async def reject_upload(self, upload_id: str) -> None:
        await self.db.write(lambda conn: conn.execute(
            update(uploads).where(uploads.c.id == upload_id).values(status="rejected")))

    # --- erasure and retention ------------------------------------------------

    async def mark_erasing(self, session_id: str, erased_by: str, now: dt.datetime) -> None:
        await self.db.write(lambda conn: conn.execute(update(sessions).where(sessions.c.id == session_id).values(
            status="erasing", erased_by=erased_by, next_due_at=None, updated_at=now,
            version=sessions.c.version + 1)))

    async def finish_erasure(self, session_id: str, now: dt.datetime, *, audit: AuditRow | None = None,
                             outbox: Outbox | None = None) -> bool:
        """Delete everything personal; keep id, journey, outcome, timestamps and who erased it (and the audit
        record, in the same transaction). False when the session was not `erasing` any more: another node or
        the sweep finished the same erasure first, and it is neither finished nor audited twice."""

        def write(conn: Connection) -> bool:
            if conn.execute(update(sessions).where(sessions.c.id == session_id).where(sessions.c.status == "erasing")
                            .values(status="erased", state="erased", reference="", snapshot="{}", next_due_at=None,
                                    erased_at=now, updated_at=now, version=sessions.c.version + 1)).rowcount != 1:
                return False
            forget_session_faces(conn, session_id)  # before the loop: it bumps the collections they were in
            for table in _PERSONAL_TABLES:
                conn.execute(delete(table).where(table.c.session_id == session_id))
            if audit is not None:
                insert_audit(conn, audit)
            forget_personal(conn, session_id)
            write_outbox(conn, outbox)
            return True

        return await self.db.write(write)

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


__all__ = ["FileRecords"]
