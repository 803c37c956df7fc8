"""The review loop: roles, tenants and expiry on API keys; back-office users and their logins; the
append-only audit log; cases and their notes.

The audit table refuses UPDATE and DELETE with a trigger (SQLite and PostgreSQL alike): nothing in the
product can change what it recorded, and erasing a session leaves its audit records.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

APPEND_ONLY = "the audit log is append-only"


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("tenant", sa.String(64), nullable=False, server_default="default"))
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="admin"))
        batch.add_column(sa.Column("expires_at", UTCDateTime()))
        batch.add_column(sa.Column("prefix", sa.String(24), nullable=False, server_default=""))
        batch.add_column(sa.Column("created_by", sa.String(120), nullable=False, server_default=""))
    op.create_index("ix_api_keys_tenant", "api_keys", ["tenant"])
    op.create_table(
        "users",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("disabled_at", UTCDateTime()),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", UTCDateTime()),
        sa.Column("last_login_at", UTCDateTime()),
    )
    op.create_index("ix_users_tenant", "users", ["tenant"])
    op.create_table(
        "logins",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(40), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
        sa.Column("user_agent", sa.String(300), nullable=False, server_default=""),
    )
    op.create_index("ix_logins_user_id", "logins", ["user_id"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("actor_name", sa.String(254), nullable=False, server_default=""),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject_type", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(120), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text),
        sa.Column("details", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_audit_tenant_at", "audit", ["tenant", "at"])
    op.create_index("ix_audit_subject", "audit", ["tenant", "subject_id"])
    if op.get_context().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
                       f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
    else:
        op.execute("CREATE FUNCTION audit_append_only() RETURNS trigger AS $$ BEGIN "
                   f"RAISE EXCEPTION '{APPEND_ONLY}'; END; $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit "
                   "FOR EACH ROW EXECUTE FUNCTION audit_append_only()")
    op.create_table(
        "cases",
        sa.Column("session_id", sa.String(40), sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("journey", sa.String(64), nullable=False),
        sa.Column("journey_version", sa.Integer, nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("name", sa.String(240), nullable=False, server_default=""),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("assignee", sa.String(120)),
        sa.Column("assignee_name", sa.String(254), nullable=False, server_default=""),
        sa.Column("outcome", sa.String(32)),
        sa.Column("flags", sa.Text, nullable=False, server_default="[]"),
        sa.Column("round", sa.Integer, nullable=False, server_default="1"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime()),
    )
    op.create_index("ix_cases_tenant_status", "cases", ["tenant", "status", "updated_at"])
    op.create_table(
        "case_notes",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("session_id", sa.String(40), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("author", sa.String(120), nullable=False),
        sa.Column("author_name", sa.String(254), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_case_notes_session_id", "case_notes", ["session_id"])


def downgrade() -> None:
    op.drop_table("case_notes")
    op.drop_table("cases")
    if op.get_context().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_no_update")
        op.execute("DROP TRIGGER audit_no_delete")
    else:
        op.execute("DROP TRIGGER audit_no_change ON audit")
        op.execute("DROP FUNCTION audit_append_only()")
    op.drop_table("audit")
    op.drop_table("logins")
    op.drop_table("users")
    op.drop_index("ix_api_keys_tenant", "api_keys")
    with op.batch_alter_table("api_keys") as batch:
        for column in ("created_by", "prefix", "expires_at", "role", "tenant"):
            batch.drop_column(column)
