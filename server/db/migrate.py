"""Bring a database to the newest schema with Alembic (run at start, and by `arabesque db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Blocking: call it from a thread when an event loop is running."""
    command.upgrade(alembic_config(url), "head")


__all__ = ["alembic_config", "upgrade"]
