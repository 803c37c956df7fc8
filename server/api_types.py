"""The integrator REST API's request and response bodies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from server.db import EventRow
from server.workflow import Decision


class CreateSession(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    journey: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    version: int | None = None
    reference: Annotated[str, msgspec.Meta(max_length=200)] = ""
    locale: Annotated[str, msgspec.Meta(min_length=2, max_length=35)] = "en"
    prefill: dict[str, object] = {}


class SessionCreated(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    token: str
    expires_at: dt.datetime
    journey: str
    version: int


class TokenIssued(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    token: str
    expires_at: dt.datetime


class SendSignal(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    data: dict[str, object] = {}


class CreateUpload(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Ask for a direct-to-storage upload of one file of this type."""

    content_type: Annotated[str, msgspec.Meta(min_length=3, max_length=100)]
    filename: Annotated[str, msgspec.Meta(max_length=255)] = "upload"
    field: Annotated[str, msgspec.Meta(max_length=64)] = ""


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


class SessionView(msgspec.Struct, frozen=True, kw_only=True):
    """Everything an integrator may read about one session."""

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
    data: dict[str, object]
    checks: dict[str, object]
    decisions: list[Decision]
    timeline: list[EventRow]
    files: list[FileInfo]


__all__ = ["CreateSession", "CreateUpload", "FileInfo", "FileUrl", "JourneyInfo", "SendSignal", "SessionCreated",
           "SessionView", "TokenIssued", "UploadCreated"]
