"""Small helpers shared by the repository's modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection


def row_of(kind: type[Any], row: Any) -> Any:
    mapping = row._mapping
    return kind(**{name: mapping[name] for name in kind.__struct_fields__ if name in mapping})


def insert_ignoring_duplicates(conn: Connection, table: Table, values: dict[str, object]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: a key written before keeps its first value, and the batch goes on."""
    dialect = conn.dialect.name
    statement = sqlite_insert(table) if dialect == "sqlite" else postgresql_insert(table)
    conn.execute(statement.values(**values).on_conflict_do_nothing())


__all__ = ["insert_ignoring_duplicates", "row_of"]
