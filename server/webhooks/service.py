"""The webhook subscriptions' use cases: create, list, read, change, delete, rotate the secret, read the
delivery log, redeliver. Everything is of the caller's tenant (another tenant's subscription is
`webhook.not_found`, as an unknown id is) and every change is audited (never with a secret in it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import msgspec

from server.access import Principal
from server.audit import Audit
from server.auth import new_id
from server.db.outbox import WebhookRow
from server.db.webhooks import WebhookRecords
from server.webhooks.delivery import Deliverer
from server.webhooks.outbound import Sender
from server.webhooks.secrets import SecretBox, new_secret
from server.webhooks.types import (
    AttemptView,
    CreateWebhook,
    DeliveryNotFound,
    DeliveryPage,
    DeliveryQuery,
    DeliveryView,
    Redelivered,
    SecretRotated,
    UpdateWebhook,
    WebhookCreated,
    WebhookList,
    WebhookNotFound,
    WebhookView,
)

VIEW_FIELDS = tuple(WebhookView.__struct_fields__)


def view(row: WebhookRow) -> WebhookView:
    return WebhookView(**{name: getattr(row, name) for name in VIEW_FIELDS})


def _public(row: WebhookRow) -> dict[str, object]:
    """What an audit record may show of a subscription."""
    return {"url": row.url, "event_types": row.event_types, "enabled": row.enabled,
            "include_personal_data": row.include_personal_data, "description": row.description}


class Webhooks:
    """Built once by `build_webhooks` (server/webhooks/wiring.py)."""

    def __init__(self, *, repo: WebhookRecords, sender: Sender, box: SecretBox, audit: Audit, deliverer: Deliverer,
                 clock: Callable[[], dt.datetime], overlap: dt.timedelta) -> None:
        self.repo = repo
        self.sender = sender
        self.box = box
        self.audit = audit
        self.deliverer = deliverer
        self.clock = clock
        self.overlap = overlap

    async def _owned(self, principal: Principal, webhook_id: str) -> WebhookRow:
        row = await self.repo.get_webhook(webhook_id)
        if row is None or row.tenant != principal.tenant:
            raise WebhookNotFound(f"Expected a webhook of your tenant, got unknown id {webhook_id[:80]!r}",
                                  webhook_id=webhook_id[:80])
        return row

    async def create(self, principal: Principal, body: CreateWebhook) -> WebhookCreated:
        await self.sender.check(body.url)
        now = self.clock()
        secret = new_secret()
        row = WebhookRow(id=new_id("wh"), tenant=principal.tenant, url=body.url,
                         event_types=list(body.event_types) if body.event_types is not None else None,
                         enabled=body.enabled, include_personal_data=body.include_personal_data,
                         description=body.description, secret=self.box.seal(secret), created_at=now, updated_at=now,
                         disabled_at=None if body.enabled else now)
        await self.repo.add_webhook(row, self.audit.entry(principal, "webhook.created", "webhook", row.id,
                                                          after=_public(row)))
        return WebhookCreated(**msgspec.structs.asdict(view(row)), secret=secret)

    async def for_session(self, url: str, tenant: str, session_id: str) -> tuple[WebhookRow, str]:
        """A session's own subscription (every event of that session), and its secret in clear."""
        await self.sender.check(url)
        now = self.clock()
        secret = new_secret()
        row = WebhookRow(id=new_id("wh"), tenant=tenant, session_id=session_id, url=url,
                         secret=self.box.seal(secret), created_at=now, updated_at=now,
                         description="the session's webhook_url")
        return row, secret

    async def list(self, principal: Principal) -> WebhookList:
        return WebhookList(webhooks=[view(r) for r in await self.repo.list_webhooks(principal.tenant)])

    async def get(self, principal: Principal, webhook_id: str) -> WebhookView:
        return view(await self._owned(principal, webhook_id))

    async def update(self, principal: Principal, webhook_id: str, body: UpdateWebhook) -> WebhookView:
        row = await self._owned(principal, webhook_id)
        changes = {k: v for k, v in msgspec.structs.asdict(body).items() if v is not msgspec.UNSET}
        if "url" in changes:
            await self.sender.check(str(changes["url"]))
        now = self.clock()
        values: dict[str, object] = {**changes, "updated_at": now}
        if changes.get("enabled") is True and not row.enabled:
            values |= {"disabled_at": None, "failing_since": None}
        elif changes.get("enabled") is False and row.enabled:
            values["disabled_at"] = now
        after = msgspec.structs.replace(row, **values)
        audit = self.audit.entry(principal, "webhook.updated", "webhook", row.id, before=_public(row),
                                 after=_public(after))
        if not await self.repo.change_webhook(row.id, values, audit):
            raise WebhookNotFound(f"Expected a webhook of your tenant, got {webhook_id[:80]!r} deleted meanwhile",
                                  webhook_id=webhook_id[:80])
        if after.enabled and not row.enabled:
            await self.deliverer.sweep()  # its pending deliveries resume now
        return view(after)

    async def delete(self, principal: Principal, webhook_id: str) -> WebhookView:
        row = await self._owned(principal, webhook_id)
        await self.repo.delete_webhook(row.id, self.audit.entry(principal, "webhook.deleted", "webhook", row.id,
                                                                before=_public(row)))
        return view(row)

    async def rotate(self, principal: Principal, webhook_id: str) -> SecretRotated:
        """A new secret; the current one keeps signing (beside it) until `old_secret_expires_at`."""
        row = await self._owned(principal, webhook_id)
        now = self.clock()
        secret = new_secret()
        expires = now + self.overlap
        values: dict[str, object] = {"secret": self.box.seal(secret), "old_secret": row.secret,
                                     "old_secret_expires_at": expires, "updated_at": now}
        audit = self.audit.entry(principal, "webhook.secret_rotated", "webhook", row.id,
                                 old_secret_expires_at=expires.isoformat())
        if not await self.repo.change_webhook(row.id, values, audit):
            raise WebhookNotFound(f"Expected a webhook of your tenant, got {webhook_id[:80]!r} deleted meanwhile",
                                  webhook_id=webhook_id[:80])
        return SecretRotated(id=row.id, secret=secret, old_secret_expires_at=expires)

    async def deliveries(self, principal: Principal, webhook_id: str, query: DeliveryQuery) -> DeliveryPage:
        row = await self._owned(principal, webhook_id)
        found = await self.repo.delivery_page(row.id, query.before_id, query.limit + 1)
        page = found[:query.limit]
        return DeliveryPage(next_cursor=page[-1][0].id if len(found) > query.limit else None, deliveries=[
            DeliveryView(event_id=d.event_id, type=e.type, session_id=e.session_id, event_at=e.at, status=d.status,
                         next_attempt_at=d.next_at if d.status == "pending" else None,
                         attempts=[AttemptView(number=a.number, at=a.at, status_code=a.status_code,
                                               latency_ms=a.latency_ms, error_code=a.error_code,
                                               error_message=a.error_message, excerpt=a.excerpt) for a in attempts])
            for d, e, attempts in page])

    async def redeliver(self, principal: Principal, webhook_id: str, event_id: str) -> Redelivered:
        row = await self._owned(principal, webhook_id)
        audit = self.audit.entry(principal, "webhook.redelivered", "webhook", row.id, event_id=event_id[:80])
        stream = await self.repo.redeliver(row.id, event_id, self.clock(), audit)
        if stream is None:
            raise DeliveryNotFound(f"Expected an event delivered to this webhook, got unknown id {event_id[:80]!r}",
                                   event_id=event_id[:80])
        await self.deliverer.kick([stream])
        return Redelivered(event_id=event_id, status="pending")


__all__ = ["Webhooks", "view"]
