"""Face collections and their enrolled faces (Rekognition's collections, and the KYC enrolment of approved
sessions); used by server/faces.py.

A face is kept as Rekognition keeps it: a descriptor (float32 bytes), its bounding box and confidence, and the
caller's ExternalImageId; never the image. Every write bumps the collection's `revision` in its transaction,
which is how in-memory indexes on every node know they are behind. A KYC face carries its `session_id`, and
the session's erasure deletes it (`forget_session_faces`, in the erasure's transaction).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec
import numpy as np
from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from server.db.database import Database
from server.db.schema import UTCDateTime, metadata, sessions
from server.db.sql import row_of

face_collections = Table(
    "face_collections", metadata,
    Column("tenant", String(64), primary_key=True),
    Column("id", String(255), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("model_version", String(32), nullable=False),
    Column("revision", Integer, nullable=False, server_default="0"),
)

faces = Table(
    "faces", metadata,
    Column("id", String(40), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("collection_id", String(255), nullable=False),
    Column("image_id", String(40), nullable=False),
    Column("external_image_id", String(255), nullable=False, server_default=""),
    Column("session_id", String(40), ForeignKey("sessions.id", ondelete="CASCADE"), index=True),
    Column("confidence", Float, nullable=False),
    Column("box_width", Float, nullable=False),
    Column("box_height", Float, nullable=False),
    Column("box_left", Float, nullable=False),
    Column("box_top", Float, nullable=False),
    Column("descriptor", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_faces_collection", "tenant", "collection_id", "id"),
)

face_enrolments = Table(
    "face_enrolments", metadata,
    Column("session_id", String(40), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("face_id", String(40)),
    Column("at", UTCDateTime(), nullable=False),
)
"""one row per approved session looked at for enrolment, enrolled or not (`outcome` says why not)"""


class CollectionRow(msgspec.Struct, frozen=True, kw_only=True):
    tenant: str
    id: str
    created_at: dt.datetime
    model_version: str
    revision: int


class FaceRow(msgspec.Struct, frozen=True, kw_only=True):
    """One enrolled face; `descriptor` is float32 bytes."""

    id: str
    tenant: str
    collection_id: str
    image_id: str
    external_image_id: str = ""
    session_id: str | None = None
    confidence: float
    box_width: float
    box_height: float
    box_left: float
    box_top: float
    descriptor: bytes
    created_at: dt.datetime

    def vector(self) -> np.ndarray:
        return np.frombuffer(self.descriptor, np.float32)


def _bump(conn: Connection, tenant: str, collection_id: str) -> int | None:
    """The collection's next revision, written (None: no such collection)."""
    where = (face_collections.c.tenant == tenant) & (face_collections.c.id == collection_id)
    if conn.execute(update(face_collections).where(where)
                    .values(revision=face_collections.c.revision + 1)).rowcount != 1:
        return None
    revision: int = conn.execute(select(face_collections.c.revision).where(where)).scalar_one()
    return revision


def forget_session_faces(conn: Connection, session_id: str) -> None:
    """Delete a session's enrolled faces, bumping each collection they were in (part of its erasure)."""
    held = conn.execute(select(faces.c.tenant, faces.c.collection_id).where(faces.c.session_id == session_id)
                        .distinct()).all()
    for tenant, collection_id in held:
        _bump(conn, tenant, collection_id)
    conn.execute(delete(faces).where(faces.c.session_id == session_id))


def _claim(conn: Connection, values: dict[str, object]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when this transaction's row went in."""
    statement = sqlite_insert(face_enrolments) if conn.dialect.name == "sqlite" else postgresql_insert(face_enrolments)
    return bool(conn.execute(statement.values(**values).on_conflict_do_nothing()).rowcount == 1)


class FaceRecords:
    """Collections and faces of every tenant; each method names the tenant it acts for."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_collection(self, row: CollectionRow) -> bool:
        """False when the tenant already has a collection of that id."""

        def write(conn: Connection) -> bool:
            if self._collection(conn, row.tenant, row.id) is not None:
                return False
            conn.execute(insert(face_collections).values(**msgspec.structs.asdict(row)))
            return True

        return await self.db.write(write)

    @staticmethod
    def _collection(conn: Connection, tenant: str, collection_id: str) -> CollectionRow | None:
        found = conn.execute(select(face_collections).where(face_collections.c.tenant == tenant)
                             .where(face_collections.c.id == collection_id)).first()
        return row_of(CollectionRow, found) if found is not None else None

    async def collection(self, tenant: str, collection_id: str) -> CollectionRow | None:
        return await self.db.read(lambda conn: self._collection(conn, tenant, collection_id))

    async def delete_collection(self, tenant: str, collection_id: str) -> bool:
        def write(conn: Connection) -> bool:
            conn.execute(delete(faces).where(faces.c.tenant == tenant).where(faces.c.collection_id == collection_id))
            return conn.execute(delete(face_collections).where(face_collections.c.tenant == tenant)
                                .where(face_collections.c.id == collection_id)).rowcount == 1

        return await self.db.write(write)

    async def add_faces(self, tenant: str, collection_id: str, rows: Sequence[FaceRow]) -> int | None:
        """The collection's revision after adding them (None: no such collection, nothing added)."""

        def write(conn: Connection) -> int | None:
            revision = _bump(conn, tenant, collection_id)
            if revision is not None and rows:
                conn.execute(insert(faces), [msgspec.structs.asdict(r) for r in rows])
            return revision

        return await self.db.write(write)

    async def delete_faces(self, tenant: str, collection_id: str,
                           face_ids: Sequence[str]) -> tuple[int, list[str]] | None:
        """(revision after, the ids that were there and are deleted); None: no such collection."""

        def write(conn: Connection) -> tuple[int, list[str]] | None:
            revision = _bump(conn, tenant, collection_id)
            if revision is None:
                return None
            scope = (faces.c.tenant == tenant) & (faces.c.collection_id == collection_id) & faces.c.id.in_(face_ids)
            found = [r[0] for r in conn.execute(select(faces.c.id).where(scope))]
            conn.execute(delete(faces).where(scope))
            return revision, found

        return await self.db.write(write)

    async def list_faces(self, tenant: str, collection_id: str, *, after: str, limit: int) -> list[FaceRow]:
        """Faces in id order, from the first id past `after`."""
        return await self.db.read(lambda conn: [row_of(FaceRow, r) for r in conn.execute(
            select(faces).where(faces.c.tenant == tenant).where(faces.c.collection_id == collection_id)
            .where(faces.c.id > after).order_by(faces.c.id).limit(limit))])

    async def faces_by_id(self, tenant: str, collection_id: str, face_ids: Sequence[str]) -> list[FaceRow]:
        return await self.db.read(lambda conn: [row_of(FaceRow, r) for r in conn.execute(
            select(faces).where(faces.c.tenant == tenant).where(faces.c.collection_id == collection_id)
            .where(faces.c.id.in_(face_ids)))])

    async def count(self, tenant: str, collection_id: str) -> int:
        return await self.db.read(lambda conn: int(conn.execute(
            select(func.count()).select_from(faces).where(faces.c.tenant == tenant)
            .where(faces.c.collection_id == collection_id)).scalar_one()))

    async def due_enrolments(self, limit: int = 50) -> list[tuple[str, str]]:
        """(session id, tenant) of approved sessions not yet looked at for enrolment."""
        return await self.db.read(lambda conn: [(r[0], r[1]) for r in conn.execute(
            select(sessions.c.id, sessions.c.tenant).where(sessions.c.status == "final")
            .where(sessions.c.outcome == "approved")
            .where(~exists().where(face_enrolments.c.session_id == sessions.c.id)).limit(limit))])

    async def enrol(self, session_id: str, tenant: str, *, outcome: str, face: FaceRow | None,
                    collection: CollectionRow, now: dt.datetime) -> int | None:
        """Record the enrolment of an approved session (with its face, creating the collection when needed);
        the collection's revision after it, or None when nothing was added (no face, or enrolled before)."""

        def write(conn: Connection) -> int | None:
            if not _claim(conn, {"session_id": session_id, "tenant": tenant, "outcome": outcome,
                                 "face_id": face.id if face else None, "at": now}) or face is None:
                return None
            if self._collection(conn, tenant, collection.id) is None:
                conn.execute(insert(face_collections).values(**msgspec.structs.asdict(collection)))
            revision = _bump(conn, tenant, collection.id)
            conn.execute(insert(faces).values(**msgspec.structs.asdict(face)))
            return revision

        return await self.db.write(write)

    async def load(self, tenant: str, collection_id: str) -> tuple[int, list[str], np.ndarray] | None:
        """(revision, face ids, their descriptors as rows) read in one transaction; None: no such collection."""

        def read(conn: Connection) -> tuple[int, list[str], np.ndarray] | None:
            found = self._collection(conn, tenant, collection_id)
            if found is None:
                return None
            rows = conn.execute(select(faces.c.id, faces.c.descriptor).where(faces.c.tenant == tenant)
                                .where(faces.c.collection_id == collection_id)).all()
            vectors = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(len(rows), -1) if rows \
                else np.zeros((0, 0), np.float32)
            return found.revision, [r[0] for r in rows], vectors

        return await self.db.read(read)


__all__ = ["CollectionRow", "FaceRecords", "FaceRow", "face_collections", "face_enrolments", "faces",
           "forget_session_faces"]
