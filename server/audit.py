"""Recording what people and keys did: one call per action, written to the append-only audit log.

Records carry ids, codes and states, never the personal data of an end user (no names, no document
contents, no note text), so erasing a session leaves its audit trail whole and nothing personal in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from server.access import Principal
from server.db.rows import AuditQuery, AuditRow


class AuditStore(Protocol):
    async def add_audit(self, row: AuditRow) -> None: ...

    async def list_audit(self, query: AuditQuery) -> list[AuditRow]: ...


class Audit:
    """Built once in server/app.py; handed to every use case that acts for a principal."""

    def __init__(self, store: AuditStore, clock: Callable[[], dt.datetime]) -> None:
        self.store = store
        self.clock = clock

    def entry(self, principal: Principal, action: str, subject_type: str, subject_id: str, *,
              tenant: str | None = None, before: dict[str, object] | None = None,
              after: dict[str, object] | None = None, **details: object) -> AuditRow:
        """The record, for a caller that writes it in its own transaction."""
        return AuditRow(tenant=tenant if tenant is not None else principal.tenant, at=self.clock(),
                        actor=principal.actor, actor_name=principal.name, action=action, subject_type=subject_type,
                        subject_id=subject_id, ip=principal.ip, before=before, after=after, details=dict(details))

    async def record(self, principal: Principal, action: str, subject_type: str, subject_id: str, *,
                     tenant: str | None = None, before: dict[str, object] | None = None,
                     after: dict[str, object] | None = None, **details: object) -> None:
        await self.store.add_audit(self.entry(principal, action, subject_type, subject_id, tenant=tenant,
                                              before=before, after=after, **details))

    async def query(self, query: AuditQuery) -> list[AuditRow]:
        return await self.store.list_audit(query)


__all__ = ["Audit", "AuditStore"]
