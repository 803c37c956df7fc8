"""What a step of a session does to its case: a pure function of the snapshots before and after it."""

from __future__ import annotations

import datetime as dt

from server.db import SessionRow
from server.db.rows import AuditRow, CaseWrite
from server.workflow import Snapshot
from server.workflow.context import get_path

NAME_PATHS = (("person.first_name", "person.last_name"), ("company.legal_name",), ("prefill.name",))
"""Where a reviewer's queue finds the name to show: the first of these the context has."""


def case_name(context: dict[str, object]) -> str:
    for paths in NAME_PATHS:
        parts = [get_path(context, path) for path in paths]
        text = " ".join(p for p in parts if isinstance(p, str) and p)
        if text:
            return text
    return ""


def case_change(row: SessionRow, before: Snapshot, after: Snapshot, now: dt.datetime) -> CaseWrite | None:
    """`review` on entering a review state, `changes_requested` on leaving one for anything but the end,
    `closed` when a session that has a case ends. Only sessions that entered review have a case (and
    `review.round`), so every other step of every other session writes and reads nothing more."""
    entered = after.status == "review" and (before.status != "review" or before.state != after.state)
    if entered:
        kind = "review"
    elif get_path(before.context, "review.round") is None:
        return None
    elif before.status == "review" and after.status != "review":
        kind = "closed" if after.status == "final" else "changes_requested"
    elif after.status == "final" and before.status != "final":
        kind = "closed"
    else:
        return None
    flags = get_path(after.context, "review.flags")
    round_ = get_path(after.context, "review.round")
    return CaseWrite(kind=kind, session_id=row.id, tenant=row.tenant, journey=row.journey,
                     journey_version=row.journey_version, reference=row.reference, name=case_name(after.context),
                     flags=[f for f in flags if isinstance(f, str)] if isinstance(flags, list) else [],
                     round=round_ if isinstance(round_, int) else 1, outcome=after.outcome, at=now)


def case_audit(write: CaseWrite | None) -> list[AuditRow]:
    """The server's own audit record when a session enters review: the case opens, or comes back resubmitted."""
    if write is None or write.kind != "review":
        return []
    action = "case.opened" if write.round <= 1 else "case.resubmitted"
    return [AuditRow(tenant=write.tenant, at=write.at, actor="system", actor_name="system", action=action,
                     subject_type="case", subject_id=write.session_id,
                     after={"round": write.round, "flags": list(write.flags)})]


__all__ = ["case_audit", "case_change", "case_name"]
