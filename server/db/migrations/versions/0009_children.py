"""Child sessions: a session started by a parent's `children` state names its parent, its group and its key
(unique together, so starting the same child twice, after a restart or on two nodes, starts one).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("parent_id", sa.String(40)))
        batch.add_column(sa.Column("child_group", sa.String(64)))
        batch.add_column(sa.Column("child_key", sa.String(64)))
        batch.add_column(sa.Column("child_label", sa.String(200)))
    op.create_index("ix_sessions_parent_child", "sessions", ["parent_id", "child_group", "child_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_sessions_parent_child", table_name="sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("child_label")
        batch.drop_column("child_key")
        batch.drop_column("child_group")
        batch.drop_column("parent_id")
