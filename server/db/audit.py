"""The audit log's records: appended, read with filters, never changed (a trigger refuses UPDATE and DELETE)."""

from __future__ import annotations

import msgspec
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from server.db.database import Database
from server.db.rows import AuditQuery, AuditRow
from server.db.schema import audit


def _json(value: object) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


def audit_values(row: AuditRow) -> dict[str, object]:
    """The row as column values, for writing it inside another write's transaction."""
    return {"tenant": row.tenant, "at": row.at, "actor": row.actor, "actor_name": row.actor_name,
            "action": row.action, "subject_type": row.subject_type, "subject_id": row.subject_id, "ip": row.ip,
            "before": _json(row.before), "after": _json(row.after), "details": _json(row.details) or "{}"}


def insert_audit(conn: Connection, row: AuditRow) -> None:
    conn.execute(insert(audit).values(**audit_values(row)))


class AuditRecords:
    """Mixed into `Repository`."""

    db: Database

    async def add_audit(self, row: AuditRow) -> None:
        await self.db.write(lambda conn: insert_audit(conn, row))

    async def list_audit(self, query: AuditQuery) -> list[AuditRow]:
        statement = select(audit).where(audit.c.tenant == query.tenant)
        if query.actor is not None:
            statement = statement.where(audit.c.actor == query.actor)
        if query.action is not None:
            statement = statement.where(audit.c.action.startswith(query.action, autoescape=True)
                                        if query.action.endswith(".") else audit.c.action == query.action)
        if query.subject_id is not None:
            statement = statement.where(audit.c.subject_id == query.subject_id)
        if query.since is not None:
            statement = statement.where(audit.c.at >= query.since)
        if query.until is not None:
            statement = statement.where(audit.c.at < query.until)
        if query.before_id is not None:
            statement = statement.where(audit.c.id < query.before_id)
        statement = statement.order_by(audit.c.id.desc()).limit(query.limit)
        rows = await self.db.read(lambda conn: conn.execute(statement).all())
        return [AuditRow(id=r.id, tenant=r.tenant, at=r.at, actor=r.actor, actor_name=r.actor_name, action=r.action,
                         subject_type=r.subject_type, subject_id=r.subject_id, ip=r.ip,
                         before=msgspec.json.decode(r.before) if r.before else None,
                         after=msgspec.json.decode(r.after) if r.after else None,
                         details=msgspec.json.decode(r.details) if r.details else {}) for r in rows]


__all__ = ["AuditRecords", "audit_values", "insert_audit"]
