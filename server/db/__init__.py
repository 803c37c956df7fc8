"""Persistence: SQLAlchemy Core over SQLite (default) or PostgreSQL, migrated by Alembic."""

from server.db.repository import (
    ClientProfile,
    Conflict,
    EventRow,
    FileRow,
    Repository,
    SessionRow,
    SessionUpdate,
    make_engine,
)

__all__ = ["ClientProfile", "Conflict", "EventRow", "FileRow", "Repository", "SessionRow", "SessionUpdate",
           "make_engine"]
