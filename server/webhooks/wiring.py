"""`build_webhooks`: the webhook parts from the settings, hooked into the sessions (called by server/app.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from server.audit import Audit
from server.db.webhooks import WebhookRecords
from server.jobs import JobEngine
from server.metrics import Metrics
from server.sessions import Sessions
from server.settings import Settings
from server.webhooks.delivery import Deliverer
from server.webhooks.outbound import Sender
from server.webhooks.secrets import SecretBox, resolve_secrets_key
from server.webhooks.service import Webhooks


def build_webhooks(*, settings: Settings, repo: WebhookRecords, jobs: JobEngine, sessions: Sessions, audit: Audit,
                   metrics: Metrics, clock: Callable[[], dt.datetime]) -> Webhooks:
    """Registers `webhook.deliver` and `webhooks.sweep` on `jobs`; commits of sessions, cases and erasures
    start their deliveries at once (`core.deliver`); sessions opened with a `webhook_url` get their own
    subscription (`integrator.session_webhook`)."""
    sender = Sender(allowed_hosts=settings.webhook_allowed_hosts,
                    connect_timeout=settings.webhook_connect_timeout_seconds,
                    total_timeout=settings.webhook_timeout_seconds,
                    max_response_bytes=settings.webhook_max_response_bytes)
    box = SecretBox(resolve_secrets_key(settings))
    deliverer = Deliverer(repo=repo, jobs=jobs, sender=sender, box=box, audit=audit, metrics=metrics, clock=clock,
                          schedule=settings.webhook_schedule,
                          disable_after=dt.timedelta(seconds=settings.webhook_disable_after_seconds),
                          sweep_seconds=settings.webhook_sweep_seconds)
    webhooks = Webhooks(repo=repo, sender=sender, box=box, audit=audit, deliverer=deliverer, clock=clock,
                        overlap=dt.timedelta(seconds=settings.webhook_secret_overlap_seconds))
    sessions.core.deliver = deliverer.kick
    sessions.integrator.session_webhook = webhooks.for_session
    return webhooks


__all__ = ["build_webhooks"]
