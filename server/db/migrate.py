"""Bring a database to the newest schema with Alembic (run at start, and by `arabesque db upgrade`)."""

from __future__ import annotations

from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 7_246_100_010
"""PostgreSQL advisory lock held while migrating: nodes starting together migrate one after the other"""


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Blocking: call it from a thread when an event loop is running."""
    scheme, _, rest = url.partition("://")
    if not scheme.startswith("postgresql"):
        command.upgrade(alembic_config(url), "head")  # SQLite: one node, and its own file lock
        return
    with psycopg.connect(f"postgresql://{rest}", autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))  # released when the connection closes
        command.upgrade(alembic_config(url), "head")


__all__ = ["alembic_config", "upgrade"]
