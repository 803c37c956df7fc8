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
    parent_id: str | None = None
    """a child session's parent (started by the parent's `children` state), with its group, key and label"""
    child_group: str | None = None
    child_key: str | None = None
    child_label: str | None = None


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


class CaseRow(msgspec.Struct, frozen=True, kw_only=True):
    """A session that needed a person: its place in the queue."""

    session_id: str
    tenant: str
    journey: str
    journey_version: int
    reference: str
    name: str
    status: str
    assignee: str | None
    assignee_name: str
    outcome: str | None
    flags: str
    """a JSON list of flag names"""
    round: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    decided_at: dt.datetime | None


class CaseWrite(msgspec.Struct, frozen=True, kw_only=True):
    """What a transition does to its session's case, written in the transition's transaction.

    `review`: the session entered review (a new case, or the next round of an existing one);
    `changes_requested`: it left review for the user to redo something; `closed`: it ended (a decision,
    or a timer) while it had a case.
    """

    kind: str
    session_id: str
    tenant: str
    journey: str
    journey_version: int
    reference: str
    name: str = ""
    flags: list[str] = []
    round: int = 1
    outcome: str | None = None
    at: dt.datetime


class NoteRow(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    session_id: str
    tenant: str
    author: str
    author_name: str
    text: str
    created_at: dt.datetime


class KeyGrant(msgspec.Struct, frozen=True, kw_only=True):
    """What an active API key stands for."""

    id: str
    tenant: str
    role: str
    name: str
    expires_at: dt.datetime | None = None


class UserRow(msgspec.Struct, frozen=True, kw_only=True):
    """A back-office account (a person): its role in one tenant and its lockout bookkeeping."""

    id: str
    tenant: str
    email: str
    role: str
    password_hash: str
    created_at: dt.datetime
    disabled_at: dt.datetime | None = None
    failed_logins: int = 0
    locked_until: dt.datetime | None = None
    last_login_at: dt.datetime | None = None


class LoginRow(msgspec.Struct, frozen=True, kw_only=True):
    """One back-office login: the SHA-256 of its cookie, its CSRF token, until when it counts."""

    id_hash: str
    user_id: str
    csrf_token: str
    created_at: dt.datetime
    expires_at: dt.datetime
    ip: str = ""
    user_agent: str = ""


class KeyRow(msgspec.Struct, frozen=True, kw_only=True):
    """An API key as stored, without its hash: what listing and the audit may show."""

    id: str
    tenant: str
    name: str
    role: str
    prefix: str
    """the key's first characters, to recognise it (never enough to use it)"""
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None


class AuditRow(msgspec.Struct, frozen=True, kw_only=True):
    """One audit record: who did what to which subject, when, from where, and what changed."""

    id: int = 0
    tenant: str
    at: dt.datetime
    actor: str
    actor_name: str = ""
    action: str
    subject_type: str
    subject_id: str
    ip: str = ""
    before: dict[str, object] | None = None
    after: dict[str, object] | None = None
    details: dict[str, object] = {}


class AuditQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Filters of `GET /v1/audit`; `before_id` pages backwards (newest first)."""

    tenant: str
    actor: str | None = None
    action: str | None = None
    subject_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    before_id: int | None = None
    limit: int = 100


__all__ = ["AuditQuery", "AuditRow", "CaseRow", "CaseWrite", "Conflict", "ErasureRecord", "EventRow", "FileRow",
           "KeyGrant", "KeyRow", "LoginRow", "NoteRow", "SessionRow", "SessionUpdate", "UploadRow", "UserRow"]
