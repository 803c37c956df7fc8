"""The rows the repository reads and writes, as frozen Structs (no SQL here)."""

from __future__ import annotations

import datetime as dt

import msgspec


class Conflict(Exception):
    """Another writer changed the session first (optimistic concurrency)."""


class SessionRow(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    tenant: str
    journey: str
    journey_version: int
    reference: str
    locale: str
    state: str
    status: str
    outcome: str | None
    version: int
    snapshot: str
    next_due_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    completed_at: dt.datetime | None
    event_seq: int = 0
    """the `seq` of the session's last timeline entry"""


class EventRow(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a session's timeline."""

    at: dt.datetime
    kind: str
    from_state: str
    to_state: str
    revision: int
    data: dict[str, object] = {}


class FileRow(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    session_id: str
    tenant: str
    storage_key: str
    sha256: str
    size: int
    content_type: str
    original_name: str
    created_at: dt.datetime


class UploadRow(msgspec.Struct, frozen=True, kw_only=True):
    """A direct upload the server handed out: where it must land, what it must be."""

    id: str
    session_id: str
    file_id: str
    storage_key: str
    content_type: str
    max_bytes: int
    original_name: str
    field: str
    status: str
    created_at: dt.datetime
    expires_at: dt.datetime


class ErasureRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What is left of a session after erasure: enough to audit, nothing personal."""

    session_id: str
    journey: str
    outcome: str | None
    created_at: dt.datetime
    completed_at: dt.datetime | None
    erased_at: dt.datetime
    erased_by: str


class SessionUpdate(msgspec.Struct, frozen=True, kw_only=True):
    state: str
    status: str
    outcome: str | None
    snapshot: str
    next_due_at: dt.datetime | None
    completed: bool


__all__ = ["Conflict", "ErasureRecord", "EventRow", "FileRow", "SessionRow", "SessionUpdate", "UploadRow"]
