"""The webhook outbox: events written in the transaction of the change that caused them, and fanned out at
once to a delivery per subscription that wants them (so a crash after the commit loses nothing: the
deliveries are rows, and the periodic sweep finds them).

A delivery belongs to a stream, `<webhook id>/<session id>`: deliveries of one stream are sent in the order
of their ids, one at a time (server/webhooks/delivery.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.engine import Connection

from server.db.schema import webhook_deliveries, webhook_events, webhooks

LISTENING = select(webhooks.c.id, webhooks.c.event_types).where(and_(
    webhooks.c.tenant == bindparam("tenant"), webhooks.c.enabled.is_(True),
    or_(webhooks.c.session_id.is_(None), webhooks.c.session_id == bindparam("session_id"))))
"""the enabled subscriptions of a tenant, and of one session (`session_id` NULL: the tenant's only); built
once, because building it took most of the time of a step that nobody listens to"""


class OutboxEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One event to announce: `data` goes to every subscription, `personal` (the collected form data) only to
    those with `include_personal_data`."""

    id: str
    tenant: str
    session_id: str | None
    type: str
    at: dt.datetime
    data: dict[str, object]
    personal: dict[str, object] | None = None


class WebhookRow(msgspec.Struct, frozen=True, kw_only=True):
    """A subscription as stored (`secret` and `old_secret` sealed, see server/webhooks/secrets.py)."""

    id: str
    tenant: str
    session_id: str | None = None
    url: str
    event_types: list[str] | None = None
    """None: every event type"""
    enabled: bool = True
    include_personal_data: bool = False
    description: str = ""
    secret: str
    old_secret: str | None = None
    old_secret_expires_at: dt.datetime | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    disabled_at: dt.datetime | None = None
    failing_since: dt.datetime | None = None


class Outbox:
    """What a write announces: `events`, and (at a session's creation) the session's own `subscribe`. After
    the commit `streams` holds the streams that got new deliveries, for the caller to start at once."""

    def __init__(self, events: list[OutboxEvent], *, subscribe: WebhookRow | None = None) -> None:
        self.events = events
        self.subscribe = subscribe
        self.streams: list[str] = []


def stream_of(webhook_id: str, session_id: str | None) -> str:
    return f"{webhook_id}/{session_id or ''}"


def webhook_values(row: WebhookRow) -> dict[str, object]:
    values = msgspec.structs.asdict(row)
    values["event_types"] = msgspec.json.encode(row.event_types).decode() if row.event_types is not None else None
    return values


def webhook_of(row: Any) -> WebhookRow:
    found = row._mapping
    values = {name: found[name] for name in WebhookRow.__struct_fields__}
    raw = values.get("event_types")
    values["event_types"] = msgspec.json.decode(raw) if raw else None
    values["enabled"] = bool(values["enabled"])
    values["include_personal_data"] = bool(values["include_personal_data"])
    return WebhookRow(**values)


def write_outbox(conn: Connection, outbox: Outbox | None) -> None:
    """Inside the caller's transaction: the session's own subscription, the events that some enabled
    subscription of the tenant wants, and one pending delivery per (subscription, event)."""
    if outbox is None:
        return
    if outbox.subscribe is not None:
        conn.execute(insert(webhooks).values(**webhook_values(outbox.subscribe)))
    streams: list[str] = []
    listening: dict[tuple[str, str | None], list[tuple[str, list[str] | None]]] = {}
    for event in outbox.events:
        key = (event.tenant, event.session_id)
        if key not in listening:  # one query per tenant and session, however many events a step announces
            listening[key] = [(s.id, msgspec.json.decode(s.event_types) if s.event_types else None)
                              for s in conn.execute(LISTENING, {"tenant": event.tenant,
                                                                "session_id": event.session_id})]
        wanting = [webhook_id for webhook_id, types in listening[key] if types is None or event.type in types]
        if not wanting:
            continue  # nobody listens: nothing to keep
        conn.execute(insert(webhook_events).values(
            id=event.id, tenant=event.tenant, session_id=event.session_id, type=event.type, at=event.at,
            data=msgspec.json.encode(event.data).decode(),
            personal=msgspec.json.encode(event.personal).decode() if event.personal is not None else None))
        for webhook_id in wanting:
            stream = stream_of(webhook_id, event.session_id)
            conn.execute(insert(webhook_deliveries).values(
                webhook_id=webhook_id, event_id=event.id, stream=stream, status="pending", attempts=0,
                next_at=event.at, created_at=event.at, updated_at=event.at))
            if stream not in streams:
                streams.append(stream)
    outbox.streams = streams


def forget_personal(conn: Connection, session_id: str) -> None:
    """At erasure: the personal part of a session's events goes; undelivered ones are sent without it."""
    conn.execute(update(webhook_events).where(webhook_events.c.session_id == session_id).values(personal=None))


__all__ = ["Outbox", "OutboxEvent", "WebhookRow", "forget_personal", "stream_of", "webhook_of", "webhook_values",
           "write_outbox"]
