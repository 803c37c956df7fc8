"""The webhook API's request and response bodies, and its refusals (each with a stable code)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

import sdk_protocol as p
from server.webhooks.events import EventType

Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Description = Annotated[str, msgspec.Meta(max_length=500)]
EventTypes = Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=20)]
"""at least one (null: every type)"""


class WebhookNotFound(p.SdkError):
    """No webhook subscription with this id in the caller's tenant."""

    code = "webhook.not_found"
    http_status = 404


class DeliveryNotFound(p.SdkError):
    """No delivery of this event to this subscription."""

    code = "webhook.delivery_not_found"
    http_status = 404


class CreateWebhook(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`event_types` null (or left out): every event type."""

    url: Url
    event_types: EventTypes | None = None
    enabled: bool = True
    include_personal_data: bool = False
    description: Description = ""


class UpdateWebhook(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Only the fields given change; `event_types: null` means every event type. Enabling a disabled
    subscription resumes its pending deliveries."""

    url: Url | msgspec.UnsetType = msgspec.UNSET
    event_types: EventTypes | msgspec.UnsetType | None = msgspec.UNSET
    enabled: bool | msgspec.UnsetType = msgspec.UNSET
    include_personal_data: bool | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET


class WebhookView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    url: str
    session_id: str | None
    """set for a session's own webhook (`webhook_url` at its creation)"""
    event_types: list[str] | None
    enabled: bool
    include_personal_data: bool
    description: str
    created_at: dt.datetime
    updated_at: dt.datetime
    disabled_at: dt.datetime | None
    failing_since: dt.datetime | None
    old_secret_expires_at: dt.datetime | None
    """during a rotation's overlap: until when the old secret signs too"""


class WebhookCreated(WebhookView, frozen=True, kw_only=True):
    secret: str
    """`whsec_...`: shown this once"""


class SecretRotated(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    secret: str
    """the new `whsec_...`, shown this once"""
    old_secret_expires_at: dt.datetime
    """until then every message is signed with both secrets"""


class WebhookList(msgspec.Struct, frozen=True, kw_only=True):
    webhooks: list[WebhookView]


class DeliveryQuery(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`before_id` is the previous page's `next_cursor`."""

    before_id: Annotated[int, msgspec.Meta(ge=1)] | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=200)] = 50


class AttemptView(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    at: dt.datetime
    status_code: int | None
    latency_ms: int
    error_code: str | None
    """webhook.timeout, webhook.connect_failed, webhook.request_failed, webhook.http_status,
    webhook.redirect_not_followed or webhook.destination_refused"""
    error_message: str | None
    excerpt: str | None
    """the answer's first 200 characters at most"""


class DeliveryView(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    """the `webhook-id` header"""
    type: str
    session_id: str | None
    event_at: dt.datetime
    status: str
    """pending, delivered or failed"""
    next_attempt_at: dt.datetime | None
    attempts: list[AttemptView]


class DeliveryPage(msgspec.Struct, frozen=True, kw_only=True):
    """Newest first; `next_cursor` (the `before_id` of the next page) is null on the last page."""

    deliveries: list[DeliveryView]
    next_cursor: int | None


class Redelivered(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    status: str


__all__ = ["AttemptView", "CreateWebhook", "DeliveryNotFound", "DeliveryPage", "DeliveryQuery", "DeliveryView",
           "Redelivered", "SecretRotated", "UpdateWebhook", "WebhookCreated", "WebhookList", "WebhookNotFound",
           "WebhookView"]
