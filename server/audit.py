"""Recording what people and keys did: one call per action, written to the append-only audit log.

Records carry ids, codes and states, never the personal data of an end user (no names, no document
contents, no note text), so erasing a session leaves its audit trail whole and nothing personal in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Protocol

import msgspec

from server.access import Principal
from server.db.rows import AuditQuery, AuditRow


class AuditStore(Protocol):
    async def add_audit(self, row: AuditRow) -> None: ...

    async def list_audit(self, query: AuditQuery) -> list[AuditRow]: ...


MAX_PAGE = 500


class AuditFilter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`GET /v1/audit`'s query: exact `actor` and `subject_id`; `action` exact, or every action under a prefix
    ending in `.` (`case.`); `since` inclusive, `until` exclusive; `before_id` is the previous page's
    `next_cursor`."""

    actor: Annotated[str, msgspec.Meta(min_length=1, max_length=120)] | None = None
    action: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    subject_id: Annotated[str, msgspec.Meta(min_length=1, max_length=120)] | None = None
    since: Annotated[dt.datetime, msgspec.Meta(tz=True)] | None = None
    until: Annotated[dt.datetime, msgspec.Meta(tz=True)] | None = None
    before_id: Annotated[int, msgspec.Meta(ge=1)] | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_PAGE)] = 100


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    """Newest first; `next_cursor` (the `before_id` of the next page) is null on the last page."""

    entries: list[AuditRow]
    next_cursor: int | None


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

    async def page(self, tenant: str, wanted: AuditFilter) -> AuditPage:
        """One page of `tenant`'s records matching `wanted`, newest first."""
        rows = await self.store.list_audit(AuditQuery(
            tenant=tenant, actor=wanted.actor, action=wanted.action, subject_id=wanted.subject_id,
            since=wanted.since, until=wanted.until, before_id=wanted.before_id, limit=wanted.limit + 1))
        entries = rows[:wanted.limit]
        return AuditPage(entries=entries, next_cursor=entries[-1].id if len(rows) > wanted.limit else None)


__all__ = ["MAX_PAGE", "Audit", "AuditFilter", "AuditPage", "AuditStore"]
