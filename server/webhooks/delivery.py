"""Delivering webhooks as jobs: `webhook.deliver` works through one stream, `webhooks.sweep` finds the rest.

A stream is one subscription's deliveries for one session (`<webhook id>/<session id>`); its job holds the
stream's lock, so one loop per stream runs at a time on any node, and sends the stream's deliveries in order:
a delivery waits until every earlier one of its stream is delivered or finally failed. A failed attempt
(timeout, connection error, 3xx, any non-2xx) sets the delivery's next attempt by the schedule
(ARABESQUE_WEBHOOK_RETRY_SECONDS, with jitter) and ends the job; the sweep defers every stream whose next
delivery is due, which also picks up deliveries whose job was lost (kill -9 between commit and defer, a
restart). The contract is at least once: a receiver may get a message twice, with the same `webhook-id`.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable

from standardwebhooks import Webhook

from server.access import SYSTEM
from server.audit import Audit
from server.db.outbox import Outbox, WebhookRow
from server.db.webhooks import AttemptRow, Head, WebhookRecords
from server.jobs import JobArgs, JobEngine, JobKind, Periodic, backoff
from server.metrics import Metrics
from server.webhooks.events import WebhookDisabledData, body, event
from server.webhooks.outbound import Sender
from server.webhooks.secrets import SecretBox

log = logging.getLogger("arabesque.webhooks")
PER_JOB = 100
"""deliveries one job sends before it makes way for other streams (and defers itself again)"""
JOB_RETRIES = (1.0, 5.0, 30.0)
"""a job whose handler raised (the database away): its stream is picked up by the sweep anyway"""


def job_key(stream: str) -> str:
    return f"webhook:{stream}"


def signature(secrets: list[str], msg_id: str, at: dt.datetime, payload: bytes) -> str:
    """`v1,<base64>` per secret, space-separated (Standard Webhooks): during a rotation, both."""
    text = payload.decode()
    return " ".join(Webhook(secret).sign(msg_id, at, text) for secret in secrets)


class Deliverer:
    """Registers the jobs; `kick` starts streams right after the commit that gave them deliveries."""

    def __init__(self, *, repo: WebhookRecords, jobs: JobEngine, sender: Sender, box: SecretBox, audit: Audit,
                 metrics: Metrics, clock: Callable[[], dt.datetime], schedule: tuple[float, ...],
                 disable_after: dt.timedelta, sweep_seconds: float) -> None:
        self.repo = repo
        self.jobs = jobs
        self.sender = sender
        self.box = box
        self.audit = audit
        self.metrics = metrics
        self.clock = clock
        self.schedule = schedule
        self.disable_after = disable_after
        jobs.register(JobKind(name="webhook.deliver", handler=self.deliver, retries=JOB_RETRIES))
        jobs.every(Periodic(name="webhooks.sweep", handler=self.sweep, seconds=sweep_seconds))

    async def kick(self, streams: list[str]) -> None:
        for stream in streams:
            try:
                await self.jobs.defer("webhook.deliver", {"stream": stream}, lock=job_key(stream),
                                      once=job_key(stream))
            except Exception as exc:  # committed already: the sweep defers it shortly
                log.warning("webhook stream %s not deferred now (%s); the sweep will", stream, type(exc).__name__)

    async def deliver(self, args: JobArgs) -> None:
        stream = str(args["stream"])
        for _ in range(PER_JOB):
            head = await self.repo.stream_head(stream)
            if head is None or not head.webhook.enabled or head.delivery.next_at > self.clock():
                return
            if not await self._attempt(head):
                return  # to be retried: the sweep defers the stream when it is due
        await self.kick([stream])

    def secrets_of(self, webhook: WebhookRow, now: dt.datetime) -> list[str]:
        found = [self.box.open(webhook.secret)]
        if webhook.old_secret and webhook.old_secret_expires_at and webhook.old_secret_expires_at > now:
            found.append(self.box.open(webhook.old_secret))
        return found

    async def _attempt(self, head: Head) -> bool:
        """One attempt; True when the delivery is settled (delivered, or failed for good)."""
        webhook, stored, delivery = head.webhook, head.event, head.delivery
        payload = body(stored, personal=webhook.include_personal_data)
        now = self.clock()
        headers = {"webhook-id": stored.id, "webhook-timestamp": str(math.floor(now.timestamp())),
                   "webhook-signature": signature(self.secrets_of(webhook, now), stored.id, now, payload)}
        result = await self.sender.post(webhook.url, payload, headers)
        done = self.clock()
        number = delivery.attempts + 1
        failing_since: dt.datetime | None = None
        next_at = done
        if result.ok:
            status, outcome = "delivered", "delivered"
        else:
            failing_since = webhook.failing_since or done
            delay = backoff(self.schedule, number + 1)
            if delay is None:
                status, outcome = "failed", "gave_up"
            else:
                status, outcome, next_at = "pending", "failed", done + dt.timedelta(seconds=delay)
        await self.repo.finish_attempt(AttemptRow(
            delivery_id=delivery.id, number=number, at=now, status_code=result.status_code,
            latency_ms=result.latency_ms, error_code=result.error_code, error_message=result.error_message,
            excerpt=result.excerpt), status=status, next_at=next_at, webhook_id=webhook.id,
            failing_since=failing_since)
        self.metrics.webhook_delivered(outcome, (done - stored.at).total_seconds())
        if failing_since is not None and failing_since <= done - self.disable_after:
            await self.disable(webhook, failing_since)
            return False
        return status != "pending"

    async def disable(self, webhook: WebhookRow, failing_since: dt.datetime) -> bool:
        """Disable a subscription that kept failing: audited, and announced (`webhook.disabled`) to the
        tenant's other subscriptions that want it."""
        now = self.clock()
        outbox = Outbox([event(webhook.tenant, None, WebhookDisabledData(
            webhook_id=webhook.id, failing_since=failing_since, disabled_at=now), now)])
        audit = self.audit.entry(SYSTEM, "webhook.disabled", "webhook", webhook.id, tenant=webhook.tenant,
                                 before={"enabled": True}, after={"enabled": False},
                                 failing_since=failing_since.isoformat())
        changed = await self.repo.change_webhook(webhook.id, {"enabled": False, "disabled_at": now,
                                                              "updated_at": now}, audit, outbox=outbox,
                                                 unless_disabled=True)
        if changed:
            log.warning("webhook %s of tenant %s disabled: its deliveries failed since %s", webhook.id,
                        webhook.tenant, failing_since.isoformat())
            await self.kick(outbox.streams)
        return changed

    async def sweep(self) -> int:
        """Defer every stream whose next delivery is due; disable subscriptions failing for too long."""
        now = self.clock()
        streams = await self.repo.due_streams(now)
        await self.kick(streams)
        for webhook in await self.repo.failing_webhooks(now - self.disable_after):
            if webhook.failing_since is not None:
                await self.disable(webhook, webhook.failing_since)
        return len(streams)


__all__ = ["Deliverer", "job_key", "signature"]
