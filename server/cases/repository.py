"""What the cases need from persistence (the SQL `Repository` implements it)."""

from __future__ import annotations

from typing import Protocol

from server.db.cases import CaseFilter
from server.db.outbox import Outbox
from server.db.rows import AuditRow, CaseRow, EventRow, FileRow, NoteRow


class CaseStore(Protocol):
    async def get_case(self, tenant: str, session_id: str) -> CaseRow | None: ...

    async def list_cases(self, query: CaseFilter) -> tuple[list[CaseRow], dict[str, int], str | None]: ...

    async def oldest_waiting(self, tenant: str) -> str | None: ...

    async def change_case(self, session_id: str, version: int, values: dict[str, object],
                          audit: AuditRow, outbox: Outbox | None = None) -> bool: ...

    async def add_note(self, note: NoteRow, audit: AuditRow) -> None: ...

    async def list_notes(self, session_id: str) -> list[NoteRow]: ...

    async def reviewer_name(self, tenant: str, actor: str) -> str | None: ...

    async def timeline(self, session_id: str) -> list[EventRow]: ...

    async def list_files(self, session_id: str) -> list[FileRow]: ...


__all__ = ["CaseStore"]
