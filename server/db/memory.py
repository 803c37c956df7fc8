"""`SessionRepository` over dicts: the same contract as the SQL repository (versions checked, idempotent
replies kept, files recorded only for active sessions), for use-case tests that need no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import msgspec

from server.db.cases import decode_cursor, encode_cursor
from server.db.handoffs import Claim, HandoffRow, NewToken
from server.db.outbox import Outbox, OutboxEvent
from server.db.repository import (
    Conflict,
    ErasureRecord,
    EventRow,
    FileRow,
    KeyGrant,
    SessionRow,
    SessionUpdate,
    UploadRow,
)
from server.db.rows import AuditQuery, AuditRow, CaseWrite
from server.db.session_pages import SessionFilter, SessionHead


def _within(at: dt.datetime, low: dt.datetime | None, high: dt.datetime | None) -> bool:
    return (low is None or at >= low) and (high is None or at < high)


class MemoryHandoffs:
    """Handoff links over dicts (mixed into `MemoryRepository`): the same once-only claim."""

    sessions: dict[str, SessionRow]
    tokens: dict[str, tuple[str, dt.datetime]]
    audit: list[AuditRow]
    handoffs: dict[str, HandoffRow]
    """by the digest of their code"""

    async def add_handoff(self, row: HandoffRow, code_hash: str, *, audit: AuditRow | None = None) -> bool:
        session = self.sessions.get(row.session_id)
        if session is None or session.status in ("erasing", "erased"):
            return False
        self.handoffs[code_hash] = row
        self.audit += [audit] if audit is not None else []
        return True

    async def claim_handoff(self, code_hash: str, now: dt.datetime, token: NewToken, *,
                            audit: Callable[[HandoffRow], AuditRow] | None = None) -> Claim:
        row = self.handoffs.get(code_hash)
        if row is None:
            return Claim(outcome="not_found")
        session = self.sessions.get(row.session_id)
        if session is None or session.status in ("erasing", "erased"):
            return Claim(outcome="erased", handoff=row)
        if row.used_at is not None or row.expires_at <= now:
            return Claim(outcome="used" if row.used_at is not None else "expired", handoff=row)
        row = msgspec.structs.replace(row, used_at=now)
        self.handoffs[code_hash] = row
        self.tokens[token.token_hash] = (row.session_id, token.expires_at)
        self.audit += [audit(row)] if audit is not None else []
        return Claim(outcome="claimed", handoff=row, locale=session.locale)

    async def list_handoffs(self, session_id: str) -> list[HandoffRow]:
        return sorted((row for row in self.handoffs.values() if row.session_id == session_id),
                      key=lambda row: row.created_at)


class MemoryRepository(MemoryHandoffs):
    """One process's sessions in memory; nothing survives it."""

    def __init__(self) -> None:
        self.api_keys: dict[str, str] = {}  # key hash -> key id
        self.sessions: dict[str, SessionRow] = {}
        self.events: dict[str, list[EventRow]] = {}
        self.replies: dict[tuple[str, str], bytes] = {}
        self.tokens: dict[str, tuple[str, dt.datetime]] = {}
        self.files: dict[tuple[str, str], FileRow] = {}
        self.uploads: dict[str, UploadRow] = {}
        self.erasures: dict[str, tuple[str, dt.datetime | None]] = {}  # session -> (by, erased at)
        self.case_writes: list[CaseWrite] = []
        self.audit: list[AuditRow] = []
        self.outbox: list[OutboxEvent] = []
        self.handoffs: dict[str, HandoffRow] = {}

    async def api_key_grant(self, key_hash: str) -> KeyGrant | None:
        key_id = self.api_keys.get(key_hash)
        return KeyGrant(id=key_id, tenant="default", role="admin", name=key_id) if key_id is not None else None

    async def create_session(self, row: SessionRow, first: EventRow, *, api_key_id: str | None, token_hash: str,
                             token_expires_at: dt.datetime, outbox: Outbox | None = None) -> None:
        if row.id in self.sessions or any(
                (s.parent_id, s.child_group, s.child_key) == (row.parent_id, row.child_group, row.child_key)
                for s in self.sessions.values() if row.parent_id is not None):
            raise Conflict(row.id)
        self.outbox += outbox.events if outbox is not None else []
        self.sessions[row.id] = row
        self.events[row.id] = [first]
        self.tokens[token_hash] = (row.id, token_expires_at)

    async def load_session(self, session_id: str) -> SessionRow | None:
        return self.sessions.get(session_id)

    async def children_of(self, parent_id: str) -> list[SessionRow]:
        return sorted((s for s in self.sessions.values() if s.parent_id == parent_id),
                      key=lambda s: (s.created_at, s.child_group or "", s.child_key or ""))

    async def save_transition(self, row: SessionRow, update_: SessionUpdate, entries: list[EventRow],
                              now: dt.datetime, reply: tuple[str, bytes] | None = None, *,
                              case: CaseWrite | None = None, audit: list[AuditRow] | None = None,
                              outbox: Outbox | None = None) -> SessionRow:
        stored = self.sessions.get(row.id)
        if stored is None or stored.version != row.version:
            raise Conflict(row.id)
        saved = msgspec.structs.replace(
            stored, state=update_.state, status=update_.status, outcome=update_.outcome, snapshot=update_.snapshot,
            next_due_at=update_.next_due_at, updated_at=now, version=row.version + 1,
            event_seq=row.event_seq + len(entries), completed_at=now if update_.completed else stored.completed_at)
        self.sessions[row.id] = saved
        self.events[row.id] += entries
        if reply is not None:
            self.replies.setdefault((row.id, reply[0]), reply[1])
        if case is not None:
            self.case_writes.append(case)
        self.audit += audit or []
        self.outbox += outbox.events if outbox is not None else []
        return saved

    async def list_sessions(self, query: SessionFilter) -> tuple[list[SessionHead], str | None]:
        after = decode_cursor(query.cursor) if query.cursor is not None else None
        wanted = {"status": query.status, "outcome": query.outcome, "journey": query.journey,
                  "reference": query.reference}
        found = []
        for row in self.sessions.values():
            if row.tenant != query.tenant or any(v is not None and getattr(row, k) != v for k, v in wanted.items()):
                continue
            if not (_within(row.created_at, query.created_after, query.created_before)
                    and _within(row.updated_at, query.updated_after, query.updated_before)):
                continue
            if after is None or (row.created_at, row.id) < after:
                found.append(SessionHead(**{f: getattr(row, f) for f in SessionHead.__struct_fields__}))
        found.sort(key=lambda head: (head.created_at, head.id), reverse=True)
        if len(found) <= query.limit:
            return found, None
        page = found[:query.limit]
        return page, encode_cursor(page[-1].created_at, page[-1].id)

    async def replay(self, session_id: str, key: str) -> bytes | None:
        return self.replies.get((session_id, key))

    async def timeline(self, session_id: str) -> list[EventRow]:
        return list(self.events.get(session_id, []))

    async def due_sessions(self, now: dt.datetime, limit: int = 100) -> list[str]:
        due = sorted((r.next_due_at, r.id) for r in self.sessions.values()
                     if r.next_due_at is not None and r.next_due_at <= now)
        return [session_id for _, session_id in due[:limit]]

    async def waiting_sessions(self) -> list[str]:
        return [r.id for r in self.sessions.values() if r.status == "waiting"]

    async def add_token(self, token_hash: str, session_id: str, expires_at: dt.datetime, now: dt.datetime) -> None:
        self.tokens[token_hash] = (session_id, expires_at)

    async def token(self, token_hash: str) -> tuple[str, dt.datetime] | None:
        return self.tokens.get(token_hash)

    async def add_file(self, row: FileRow, *, upload_id: str | None = None) -> bool:
        session = self.sessions.get(row.session_id)
        if session is None or session.status in ("erasing", "erased"):
            return False
        self.files[(row.session_id, row.id)] = row
        if upload_id is not None:
            self.uploads[upload_id] = msgspec.structs.replace(self.uploads[upload_id], status="completed")
        return True

    async def get_file(self, session_id: str, file_id: str) -> FileRow | None:
        return self.files.get((session_id, file_id))

    async def list_files(self, session_id: str) -> list[FileRow]:
        return sorted((f for (owner, _), f in self.files.items() if owner == session_id), key=lambda f: f.created_at)

    async def add_upload(self, row: UploadRow) -> None:
        self.uploads[row.id] = row

    async def get_upload(self, session_id: str, upload_id: str) -> UploadRow | None:
        found = self.uploads.get(upload_id)
        return found if found is not None and found.session_id == session_id else None

    async def reject_upload(self, upload_id: str) -> None:
        self.uploads[upload_id] = msgspec.structs.replace(self.uploads[upload_id], status="rejected")

    async def mark_erasing(self, session_id: str, erased_by: str, now: dt.datetime) -> None:
        row = self.sessions[session_id]
        self.sessions[session_id] = msgspec.structs.replace(row, status="erasing", next_due_at=None, updated_at=now,
                                                            version=row.version + 1)
        self.erasures[session_id] = (erased_by, None)

    async def finish_erasure(self, session_id: str, now: dt.datetime, *, audit: AuditRow | None = None,
                             outbox: Outbox | None = None) -> bool:
        if self.sessions[session_id].status != "erasing":
            return False
        self.outbox += outbox.events if outbox is not None else []
        if audit is not None:
            await self.add_audit(audit)
        for key in [k for k in self.files if k[0] == session_id]:
            del self.files[key]
        for key in [k for k in self.replies if k[0] == session_id]:
            del self.replies[key]
        for token_hash in [h for h, (owner, _) in self.tokens.items() if owner == session_id]:
            del self.tokens[token_hash]
        self.events.pop(session_id, None)
        for upload_id in [u for u, row in self.uploads.items() if row.session_id == session_id]:
            del self.uploads[upload_id]
        for code_hash in [h for h, link in self.handoffs.items() if link.session_id == session_id]:
            del self.handoffs[code_hash]
        row = self.sessions[session_id]
        self.sessions[session_id] = msgspec.structs.replace(row, status="erased", state="erased", reference="",
                                                            snapshot="{}", next_due_at=None, updated_at=now,
                                                            version=row.version + 1)
        self.erasures[session_id] = (self.erasures.get(session_id, ("", None))[0], now)
        return True

    async def erasure_record(self, session_id: str) -> ErasureRecord | None:
        row = self.sessions.get(session_id)
        by, at = self.erasures.get(session_id, ("", None))
        if row is None or row.status != "erased" or at is None:
            return None
        return ErasureRecord(session_id=row.id, journey=row.journey, outcome=row.outcome, created_at=row.created_at,
                             completed_at=row.completed_at, erased_at=at, erased_by=by)

    async def erased_by(self, session_id: str) -> str | None:
        row = self.sessions.get(session_id)
        return self.erasures[session_id][0] if row is not None and row.status == "erasing" else None

    async def count_rows(self, session_id: str) -> int:
        return (sum(1 for k in self.files if k[0] == session_id) + len(self.events.get(session_id, []))
                + sum(1 for owner, _ in self.tokens.values() if owner == session_id)
                + sum(1 for k in self.replies if k[0] == session_id)
                + sum(1 for link in self.handoffs.values() if link.session_id == session_id))

    async def due_for_erasure(self, completed_before: dt.datetime | None, limit: int = 50) -> list[str]:
        found = [r.id for r in self.sessions.values() if r.status == "erasing"][:limit]
        if completed_before is not None:
            found += [r.id for r in self.sessions.values() if r.status == "final" and r.completed_at is not None
                      and r.completed_at < completed_before][:limit]
        return found

    async def add_audit(self, row: AuditRow) -> None:
        self.audit.append(msgspec.structs.replace(row, id=len(self.audit) + 1))

    async def list_audit(self, query: AuditQuery) -> list[AuditRow]:
        def wanted(row: AuditRow) -> bool:
            action = query.action
            return (row.tenant == query.tenant and query.actor in (None, row.actor)
                    and (action is None or (row.action.startswith(action) if action.endswith(".")
                                            else row.action == action))
                    and query.subject_id in (None, row.subject_id)
                    and (query.since is None or row.at >= query.since) and (query.until is None or row.at < query.until)
                    and (query.before_id is None or row.id < query.before_id))

        return [row for row in reversed(self.audit) if wanted(row)][:query.limit]


__all__ = ["MemoryRepository"]
