"""Handoff links ("continue on your phone"): one row per link, its code kept as a SHA-256 digest only; a link
is claimed once (`used_at`), by a conditional UPDATE.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db.schema import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("session_id", sa.String(40), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime()),
        sa.UniqueConstraint("code_hash", name="uq_handoffs_code_hash"),
    )
    op.create_index("ix_handoffs_session_id", "handoffs", ["session_id"])


def downgrade() -> None:
    op.drop_table("handoffs")
