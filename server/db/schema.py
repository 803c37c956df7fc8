"""The tables (SQLAlchemy Core). Changes go through a new Alembic revision in migrations/."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite (naive storage) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


metadata = MetaData()

api_keys = Table(
    "api_keys", metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
    Column("tenant", String(64), nullable=False, server_default="default"),
    Column("role", String(16), nullable=False, server_default="admin"),
    Column("expires_at", UTCDateTime()),
    Column("prefix", String(24), nullable=False, server_default=""),
    Column("created_by", String(120), nullable=False, server_default=""),
    Index("ix_api_keys_tenant", "tenant"),
)

users = Table(
    "users", metadata,
    Column("id", String(40), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("email", String(254), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("disabled_at", UTCDateTime()),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UTCDateTime()),
    Column("last_login_at", UTCDateTime()),
    Index("ix_users_tenant", "tenant"),
)

logins = Table(
    "logins", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", String(40), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("ip", String(64), nullable=False, server_default=""),
    Column("user_agent", String(300), nullable=False, server_default=""),
)

audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("actor_name", String(254), nullable=False, server_default=""),
    Column("action", String(64), nullable=False),
    Column("subject_type", String(32), nullable=False),
    Column("subject_id", String(120), nullable=False),
    Column("ip", String(64), nullable=False, server_default=""),
    Column("before", Text),
    Column("after", Text),
    Column("details", Text, nullable=False, server_default="{}"),
    Index("ix_audit_tenant_at", "tenant", "at"),
    Index("ix_audit_subject", "tenant", "subject_id"),
)

sessions = Table(
    "sessions", metadata,
    Column("id", String(40), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("journey", String(64), nullable=False),
    Column("journey_version", Integer, nullable=False),
    Column("reference", String(200), nullable=False),
    Column("locale", String(35), nullable=False),
    Column("state", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("outcome", String(32)),
    Column("version", Integer, nullable=False),
    Column("snapshot", Text, nullable=False),
    Column("next_due_at", UTCDateTime()),
    Column("api_key_id", String(40)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("completed_at", UTCDateTime()),
    Column("erased_at", UTCDateTime()),
    Column("erased_by", String(64)),
    Column("event_seq", Integer, nullable=False, server_default="0"),
    Column("parent_id", String(40)),
    Column("child_group", String(64)),
    Column("child_key", String(64)),
    Column("child_label", String(200)),
    Index("ix_sessions_next_due_at", "next_due_at"),
    Index("ix_sessions_parent_child", "parent_id", "child_group", "child_key", unique=True),
    Index("ix_sessions_completed_at", "completed_at"),
    Index("ix_sessions_status", "status"),
    Index("ix_sessions_reference", "reference"),
    Index("ix_sessions_tenant_created", "tenant", "created_at", "id"),
    Index("ix_sessions_tenant_updated", "tenant", "updated_at"),
    Index("ix_sessions_tenant_status_created", "tenant", "status", "created_at"),
    Index("ix_sessions_tenant_journey_created", "tenant", "journey", "created_at"),
)

session_tokens = Table(
    "session_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("session_id", String(40), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(40), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("from_state", String(64), nullable=False),
    Column("to_state", String(64), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("data", Text, nullable=False),
    UniqueConstraint("session_id", "seq", name="uq_events_session_seq"),
)

idempotency = Table(
    "idempotency", metadata,
    Column("session_id", String(40), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(160), primary_key=True),
    Column("reply", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

request_keys = Table(
    "request_keys", metadata,
    Column("tenant", String(64), primary_key=True),
    Column("actor", String(120), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request", String(400), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer),
    Column("media_type", String(100)),
    Column("body", LargeBinary),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index("ix_request_keys_expires_at", "expires_at"),
)

files = Table(
    "files", metadata,
    Column("id", String(40), primary_key=True),
    Column("session_id", String(40), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("tenant", String(64), nullable=False),
    Column("storage_key", String(300), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("original_name", String(255), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

uploads = Table(
    "uploads", metadata,
    Column("id", String(40), primary_key=True),
    Column("session_id", String(40), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("file_id", String(40), nullable=False),
    Column("storage_key", String(300), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("max_bytes", BigInteger, nullable=False),
    Column("original_name", String(255), nullable=False),
    Column("field", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

handoffs = Table(
    "handoffs", metadata,
    Column("id", String(40), primary_key=True),
    Column("session_id", String(40), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("tenant", String(64), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime()),
    UniqueConstraint("code_hash", name="uq_handoffs_code_hash"),
)

cases = Table(
    "cases", metadata,
    Column("session_id", String(40), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("journey", String(64), nullable=False),
    Column("journey_version", Integer, nullable=False),
    Column("reference", String(200), nullable=False),
    Column("name", String(240), nullable=False, server_default=""),
    Column("status", String(24), nullable=False),
    Column("assignee", String(120)),
    Column("assignee_name", String(254), nullable=False, server_default=""),
    Column("outcome", String(32)),
    Column("flags", Text, nullable=False, server_default="[]"),
    Column("round", Integer, nullable=False, server_default="1"),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime()),
    Index("ix_cases_tenant_status", "tenant", "status", "updated_at"),
)

case_notes = Table(
    "case_notes", metadata,
    Column("id", String(40), primary_key=True),
    Column("session_id", String(40), ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("tenant", String(64), nullable=False),
    Column("author", String(120), nullable=False),
    Column("author_name", String(254), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

webhooks = Table(
    "webhooks", metadata,
    Column("id", String(40), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("session_id", String(40)),
    Column("url", String(2000), nullable=False),
    Column("event_types", Text),
    Column("enabled", Boolean, nullable=False),
    Column("include_personal_data", Boolean, nullable=False),
    Column("description", String(500), nullable=False, server_default=""),
    Column("secret", Text, nullable=False),
    Column("old_secret", Text),
    Column("old_secret_expires_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("disabled_at", UTCDateTime()),
    Column("failing_since", UTCDateTime()),
    Index("ix_webhooks_tenant", "tenant", "created_at"),
)

webhook_events = Table(
    "webhook_events", metadata,
    Column("id", String(40), primary_key=True),
    Column("tenant", String(64), nullable=False),
    Column("session_id", String(40)),
    Column("type", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("data", Text, nullable=False),
    Column("personal", Text),
    Index("ix_webhook_events_session", "session_id"),
)

webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("webhook_id", String(40), ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", String(40), ForeignKey("webhook_events.id", ondelete="CASCADE"), nullable=False),
    Column("stream", String(100), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_event"),
    Index("ix_webhook_deliveries_stream", "stream", "status", "id"),
    Index("ix_webhook_deliveries_due", "status", "next_at"),
    Index("ix_webhook_deliveries_webhook", "webhook_id", "id"),
)

webhook_attempts = Table(
    "webhook_attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", Integer, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("number", Integer, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("status_code", Integer),
    Column("latency_ms", Integer, nullable=False),
    Column("error_code", String(64)),
    Column("error_message", String(300)),
    Column("excerpt", String(300)),
)

__all__ = ["api_keys", "audit", "case_notes", "cases", "events", "files", "idempotency", "logins", "metadata",
           "request_keys", "session_tokens", "sessions", "uploads", "users", "webhook_attempts",
           "webhook_deliveries", "webhook_events", "webhooks"]
