"""Persistence: SQLAlchemy Core over SQLite (default) or PostgreSQL, migrated by Alembic."""

from server.db.repository import (
    ClientProfile,
    Conflict,
    ErasureRecord,
    EventRow,
    FileRow,
    Repository,
    SessionRow,
    SessionUpdate,
    UploadRow,
    make_engine,
)

__all__ = ["ClientProfile", "Conflict", "ErasureRecord", "EventRow", "FileRow", "Repository", "SessionRow",
           "SessionUpdate", "UploadRow", "make_engine"]
