"""Persistence of webhook subscriptions, deliveries and their attempts (the outbox itself: outbox.py)."""

from __future__ import annotations

import datetime as dt

import msgspec
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from server.db.audit import insert_audit
from server.db.database import Database
from server.db.outbox import Outbox, OutboxEvent, WebhookRow, webhook_of, webhook_values, write_outbox
from server.db.rows import AuditRow
from server.db.schema import webhook_attempts, webhook_deliveries, webhook_events, webhooks
from server.db.sql import row_of


class DeliveryRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    webhook_id: str
    event_id: str
    stream: str
    status: str
    attempts: int
    next_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime


class AttemptRow(msgspec.Struct, frozen=True, kw_only=True):
    delivery_id: int
    number: int
    at: dt.datetime
    status_code: int | None
    latency_ms: int
    error_code: str | None = None
    error_message: str | None = None
    excerpt: str | None = None


class Head(msgspec.Struct, frozen=True, kw_only=True):
    """The next delivery of a stream, its event and its subscription."""

    delivery: DeliveryRow
    event: OutboxEvent
    webhook: WebhookRow


def _event_of(row: object) -> OutboxEvent:
    m = row._mapping  # type: ignore[attr-defined]
    return OutboxEvent(id=m["id"], tenant=m["tenant"], session_id=m["session_id"], type=m["type"], at=m["at"],
                       data=msgspec.json.decode(m["data"]),
                       personal=msgspec.json.decode(m["personal"]) if m["personal"] else None)


class WebhookRecords:
    db: Database

    async def add_webhook(self, row: WebhookRow, audit: AuditRow) -> None:
        values = webhook_values(row)

        def write(conn: Connection) -> None:
            conn.execute(insert(webhooks).values(**values))
            insert_audit(conn, audit)

        await self.db.write(write)

    async def list_webhooks(self, tenant: str) -> list[WebhookRow]:
        rows = await self.db.read(lambda conn: conn.execute(
            select(webhooks).where(webhooks.c.tenant == tenant).order_by(webhooks.c.created_at, webhooks.c.id)).all())
        return [webhook_of(r) for r in rows]

    async def get_webhook(self, webhook_id: str) -> WebhookRow | None:
        row = await self.db.read(lambda conn: conn.execute(
            select(webhooks).where(webhooks.c.id == webhook_id)).first())
        return webhook_of(row) if row is not None else None

    async def change_webhook(self, webhook_id: str, values: dict[str, object], audit: AuditRow | None, *,
                             outbox: Outbox | None = None, unless_disabled: bool = False) -> bool:
        """Update a subscription with its audit record (and events) in one transaction; False when it is gone
        (or, with `unless_disabled`, disabled already)."""
        if "event_types" in values and values["event_types"] is not None:
            values = {**values, "event_types": msgspec.json.encode(values["event_types"]).decode()}
        statement = update(webhooks).where(webhooks.c.id == webhook_id)
        if unless_disabled:
            statement = statement.where(webhooks.c.enabled.is_(True))

        def write(conn: Connection) -> bool:
            if conn.execute(statement.values(**values)).rowcount != 1:
                return False
            if audit is not None:
                insert_audit(conn, audit)
            write_outbox(conn, outbox)
            return True

        return await self.db.write(write)

    async def delete_webhook(self, webhook_id: str, audit: AuditRow) -> None:
        def write(conn: Connection) -> None:
            ids = select(webhook_deliveries.c.id).where(webhook_deliveries.c.webhook_id == webhook_id)
            conn.execute(delete(webhook_attempts).where(webhook_attempts.c.delivery_id.in_(ids)))
            conn.execute(delete(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id))
            conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id))
            insert_audit(conn, audit)

        await self.db.write(write)

    async def stream_head(self, stream: str) -> Head | None:
        """The oldest pending delivery of `stream` (None when every one is delivered or failed)."""

        def read(conn: Connection) -> Head | None:
            found = conn.execute(select(webhook_deliveries).where(webhook_deliveries.c.stream == stream)
                                 .where(webhook_deliveries.c.status == "pending")
                                 .order_by(webhook_deliveries.c.id).limit(1)).first()
            if found is None:
                return None
            delivery: DeliveryRow = row_of(DeliveryRow, found)
            event = conn.execute(select(webhook_events).where(webhook_events.c.id == delivery.event_id)).one()
            webhook = conn.execute(select(webhooks).where(webhooks.c.id == delivery.webhook_id)).one()
            return Head(delivery=delivery, event=_event_of(event), webhook=webhook_of(webhook))

        return await self.db.read(read)

    async def finish_attempt(self, attempt: AttemptRow, *, status: str, next_at: dt.datetime, webhook_id: str,
                             failing_since: dt.datetime | None) -> None:
        """Record an attempt and where its delivery stands; `failing_since` is the subscription's (None after
        a success)."""
        values = msgspec.structs.asdict(attempt)

        def write(conn: Connection) -> None:
            conn.execute(insert(webhook_attempts).values(**values))
            conn.execute(update(webhook_deliveries).where(webhook_deliveries.c.id == attempt.delivery_id).values(
                status=status, attempts=attempt.number, next_at=next_at, updated_at=attempt.at))
            conn.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(failing_since=failing_since))

        await self.db.write(write)

    async def due_streams(self, now: dt.datetime, limit: int = 500) -> list[str]:
        """Streams of enabled subscriptions whose next delivery is due."""
        head = (select(func.min(webhook_deliveries.c.id)).where(webhook_deliveries.c.status == "pending")
                .group_by(webhook_deliveries.c.stream))
        statement = (select(webhook_deliveries.c.stream)
                     .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
                     .where(webhook_deliveries.c.id.in_(head)).where(webhook_deliveries.c.next_at <= now)
                     .where(webhooks.c.enabled.is_(True)).limit(limit))
        rows = await self.db.read(lambda conn: conn.execute(statement).all())
        return [r[0] for r in rows]

    async def failing_webhooks(self, since_before: dt.datetime) -> list[WebhookRow]:
        """Enabled subscriptions failing since before `since_before`."""
        rows = await self.db.read(lambda conn: conn.execute(
            select(webhooks).where(webhooks.c.enabled.is_(True)).where(webhooks.c.failing_since.is_not(None))
            .where(webhooks.c.failing_since < since_before)).all())
        return [webhook_of(r) for r in rows]

    async def delivery_page(self, webhook_id: str, before_id: int | None, limit: int
                            ) -> list[tuple[DeliveryRow, OutboxEvent, list[AttemptRow]]]:
        """Newest first."""

        def read(conn: Connection) -> list[tuple[DeliveryRow, OutboxEvent, list[AttemptRow]]]:
            statement = select(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id)
            if before_id is not None:
                statement = statement.where(webhook_deliveries.c.id < before_id)
            found = [row_of(DeliveryRow, r) for r in conn.execute(
                statement.order_by(webhook_deliveries.c.id.desc()).limit(limit)).all()]
            ids = [d.id for d in found]
            events = {r.id: _event_of(r) for r in conn.execute(select(webhook_events).where(
                webhook_events.c.id.in_([d.event_id for d in found]))).all()}
            attempts: dict[int, list[AttemptRow]] = {i: [] for i in ids}
            for r in conn.execute(select(webhook_attempts).where(webhook_attempts.c.delivery_id.in_(ids))
                                  .order_by(webhook_attempts.c.id)).all():
                attempts[r.delivery_id].append(row_of(AttemptRow, r))
            return [(d, events[d.event_id], attempts[d.id]) for d in found]

        return await self.db.read(read)

    async def redeliver(self, webhook_id: str, event_id: str, now: dt.datetime, audit: AuditRow) -> str | None:
        """Queue a delivery again now (whatever its status); its stream, or None when there is no such one."""

        def write(conn: Connection) -> str | None:
            found = conn.execute(select(webhook_deliveries.c.id, webhook_deliveries.c.stream)
                                 .where(webhook_deliveries.c.webhook_id == webhook_id)
                                 .where(webhook_deliveries.c.event_id == event_id)).first()
            if found is None:
                return None
            conn.execute(update(webhook_deliveries).where(webhook_deliveries.c.id == found.id).values(
                status="pending", next_at=now, updated_at=now))
            insert_audit(conn, audit)
            return str(found.stream)

        return await self.db.write(write)


__all__ = ["AttemptRow", "DeliveryRow", "Head", "WebhookRecords"]
