"""The integrator API, complete: `Idempotency-Key` on the REST API's POST routes (`request_keys`: one row per
tenant, caller and key, its request's fingerprint and the stored answer), and indexes for listing a tenant's
sessions (`GET /v1/sessions`: newest first by created_at and id, filtered by status, journey or update time).

The primary key of `request_keys` is what makes a key usable once at a time on SQLite and PostgreSQL alike:
the first request inserts its row, every concurrent one finds it (INSERT ... ON CONFLICT DO NOTHING).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SESSION_INDEXES = {
    "ix_sessions_tenant_created": ["tenant", "created_at", "id"],
    "ix_sessions_tenant_updated": ["tenant", "updated_at"],
    "ix_sessions_tenant_status_created": ["tenant", "status", "created_at"],
    "ix_sessions_tenant_journey_created": ["tenant", "journey", "created_at"],
}


def upgrade() -> None:
    op.create_table(
        "request_keys",
        sa.Column("tenant", sa.String(64), primary_key=True),
        sa.Column("actor", sa.String(120), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("request", sa.String(400), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("media_type", sa.String(100)),
        sa.Column("body", sa.LargeBinary),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_request_keys_expires_at", "request_keys", ["expires_at"])
    for name, columns in SESSION_INDEXES.items():
        op.create_index(name, "sessions", columns)


def downgrade() -> None:
    for name in SESSION_INDEXES:
        op.drop_index(name, "sessions")
    op.drop_index("ix_request_keys_expires_at", "request_keys")
    op.drop_table("request_keys")
