"""The session row keeps its last timeline seq (no max() query per transition); connected clients are
no longer stored (each node knows its own sockets), so `session_clients` goes.

Not for a rolling deploy: nodes of the earlier release write `session_clients` and number timeline
entries without `event_seq`, so stop them before this runs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("event_seq", sa.Integer, nullable=False, server_default="0"))
    op.execute("UPDATE sessions SET event_seq = (SELECT COALESCE(MAX(events.seq), 0) FROM events "
               "WHERE events.session_id = sessions.id)")
    op.drop_table("session_clients")


def downgrade() -> None:
    op.create_table(
        "session_clients",
        sa.Column("session_id", sa.String(40), sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("profile", sa.String(64), primary_key=True),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("components", sa.Text, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("event_seq")
