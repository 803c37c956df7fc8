"""Persistence: SQLAlchemy Core over SQLite (default) or PostgreSQL, migrated by Alembic."""

from server.db.database import Database, make_engine
from server.db.repository import (
    Conflict,
    ErasureRecord,
    EventRow,
    FileRow,
    Repository,
    SessionRow,
    SessionUpdate,
    UploadRow,
)

__all__ = ["Conflict", "Database", "ErasureRecord", "EventRow", "FileRow", "Repository", "SessionRow",
           "SessionUpdate", "UploadRow", "make_engine"]
