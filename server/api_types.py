"""The integrator REST API's request and response bodies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from server.db import EventRow
from server.workflow import Decision


class CreateSession(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    journey: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    version: int | None = None
    reference: Annotated[str, msgspec.Meta(max_length=200)] = ""
    locale: Annotated[str, msgspec.Meta(min_length=2, max_length=35)] = "en"
    prefill: dict[str, object] = {}
    webhook_url: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)] | None = None
    """every event of this session is also sent here, signed with `webhook_secret` of the answer"""


class SessionCreated(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    token: str
    expires_at: dt.datetime
    journey: str
    version: int
    webhook_id: str | None = None
    """the session's own webhook subscription (with `webhook_url`): its delivery log is
    `GET /v1/webhooks/{webhook_id}/deliveries`"""
    webhook_secret: str | None = None
    """the `whsec_...` that signs the session's webhooks, shown this once"""


class TokenIssued(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    token: str
    expires_at: dt.datetime


class HandoffCreated(msgspec.Struct, frozen=True, kw_only=True):
    """A one-time link that opens the session on another device (the code is in the URL's fragment)."""

    handoff_id: str
    url: str
    """`<public URL>/continue#<code>`: the web SDK's page exchanges the code"""
    qr_svg: str
    """the URL as a QR code, an SVG `data:` URI (for an `<img src>`)"""
    expires_at: dt.datetime


class ExchangeHandoff(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    """the link's code: what follows `#` in its URL"""


class HandoffExchanged(msgspec.Struct, frozen=True, kw_only=True):
    """A fresh SDK token of the link's session (the link is used up)."""

    session_id: str
    token: str
    expires_at: dt.datetime
    locale: str


class SendSignal(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    data: dict[str, object] = {}


class CreateUpload(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Ask for a direct-to-storage upload of one file of this type."""

    content_type: Annotated[str, msgspec.Meta(min_length=3, max_length=100)]
    filename: Annotated[str, msgspec.Meta(max_length=255)] = "upload"
    field: Annotated[str, msgspec.Meta(max_length=64)] = ""


class UploadQuery(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The query of a raw-body upload (`POST .../files`)."""

    filename: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    """the file's name; else Content-Disposition's, else `upload`"""


class UploadCreated(msgspec.Struct, frozen=True, kw_only=True):
    """POST `url` as multipart/form-data with every field of `fields`, then the file as `file` (last)."""

    upload_id: str
    file_id: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_at: dt.datetime


class FileUrl(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    expires_at: dt.datetime


class JourneyInfo(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    version: int
    title: str
    description: str
    steps: list[str]
    versions: list[int]


class FileInfo(msgspec.Struct, frozen=True, kw_only=True):
    file_id: str
    sha256: str
    size: int
    content_type: str
    name: str
    created_at: dt.datetime


SessionStatus = Literal["active", "waiting", "review", "final", "erasing", "erased"]
Time = Annotated[dt.datetime, msgspec.Meta(tz=True)]
"""an ISO-8601 time with its zone (`2026-11-27T10:00:00Z`)"""


class SessionSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One session in a list: the head of `SessionView` (no data, checks, timeline or files)."""

    session_id: str
    journey: str
    version: int
    reference: str
    locale: str
    state: str
    status: str
    outcome: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    completed_at: dt.datetime | None


class ChildSummary(SessionSummary, frozen=True, kw_only=True):
    """A child session of a parent's `children` state: the item of `group` it verifies (`key`, `label`)."""

    group: str
    key: str
    label: str | None = None


class ParentRef(msgspec.Struct, frozen=True, kw_only=True):
    """The session whose `children` state started this one, and for which item."""

    session_id: str
    group: str
    key: str
    label: str | None = None


class SessionView(SessionSummary, frozen=True, kw_only=True):
    """Everything an integrator may read about one session; `parent` and `children` make the tree of a business
    and its people."""

    data: dict[str, object]
    checks: dict[str, object]
    decisions: list[Decision]
    timeline: list[EventRow]
    files: list[FileInfo]
    parent: ParentRef | None = None
    children: list[ChildSummary] = []


class SessionQuery(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The filters of `GET /v1/sessions`, combined with AND; `*_after` is inclusive, `*_before` exclusive."""

    status: SessionStatus | None = None
    outcome: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | None = None
    journey: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    reference: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    created_after: Time | None = None
    created_before: Time | None = None
    updated_after: Time | None = None
    updated_before: Time | None = None
    cursor: Annotated[str, msgspec.Meta(max_length=400)] | None = None
    """`next_cursor` of the previous page"""
    limit: Annotated[int, msgspec.Meta(ge=1, le=200)] = 50


class SessionPage(msgspec.Struct, frozen=True, kw_only=True):
    """Newest first; `next_cursor` is null on the last page."""

    sessions: list[SessionSummary]
    next_cursor: str | None


class Health(msgspec.Struct, frozen=True, kw_only=True):
    status: Literal["ok"] = "ok"


class Readiness(msgspec.Struct, frozen=True, kw_only=True):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str]
    """each check (`database`, `storage`): "ok" or what failed"""


__all__ = ["ChildSummary", "CreateSession", "CreateUpload", "ExchangeHandoff", "FileInfo", "FileUrl", "HandoffCreated",
           "HandoffExchanged", "Health", "JourneyInfo", "ParentRef", "Readiness", "SendSignal",
           "SessionCreated", "SessionPage", "SessionQuery", "SessionStatus", "SessionSummary", "SessionView", "Time",
           "TokenIssued", "UploadCreated", "UploadQuery"]
