"""Direct uploads (presigned POST), and the erasure audit columns on sessions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("session_id", sa.String(40), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("file_id", sa.String(40), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("max_bytes", sa.BigInteger, nullable=False),
        sa.Column("original_name", sa.String(255), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_uploads_session_id", "uploads", ["session_id"])
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("erased_at", UTCDateTime()))
        batch.add_column(sa.Column("erased_by", sa.String(64)))
    op.create_index("ix_sessions_completed_at", "sessions", ["completed_at"])


def downgrade() -> None:
    op.drop_index("ix_sessions_completed_at", "sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("erased_by")
        batch.drop_column("erased_at")
    op.drop_table("uploads")
