"""The events a webhook carries, each a Struct (its `data`), and pure functions that build them from a change.

A message is Standard Webhooks' `{type, timestamp, data}`. Data holds ids and the minimum a receiver needs:
never document bytes or file ids; the collected form data (`personal_data`, on `session.completed` only) is
sent only to subscriptions with `include_personal_data`, and is forgotten when the session is erased.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Literal, get_args

import msgspec

from server.db.outbox import OutboxEvent
from server.db.rows import SessionRow
from server.workflow import AnyEvent, Snapshot, TaskDone, TaskFailed

EventType = Literal["session.created", "session.state_changed", "session.completed", "session.expired",
                    "session.erased", "check.completed", "case.assigned", "case.decided", "webhook.disabled"]
HIDDEN_CONTEXT = ("captures", "checks", "review", "retakes", "session", "signals", "$now")
"""context roots that are not what the user entered (files, checks, review state, ids, signals)"""


class SessionCreatedData(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    session_id: str
    journey: str
    version: int
    reference: str
    state: str
    parent_id: str | None = None
    """a child session's parent, whose `children` state started it for the item `child_key` of `child_group`"""
    child_group: str | None = None
    child_key: str | None = None
    child_label: str | None = None


class SessionStateChangedData(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    from_state: str
    to_state: str
    status: str
    cause: str
    """the timeline kind of what moved it: `start`, `submit`, `task.done`, `tick`, `signal.<name>`, `review.<action>`"""


class SessionCompletedData(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    session_id: str
    outcome: str | None
    state: str
    """the final state (`approved`, `rejected_minor` ...)"""
    reason_codes: list[str]
    """`<item>:<reason>` of a reviewer's decision, or the decision's reason code"""
    personal_data: dict[str, object] | None = None
    """only for subscriptions with `include_personal_data`, and not after erasure"""


class SessionExpiredData(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    from_state: str
    state: str


class SessionErasedData(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    erased_by: str
    reason: str
    """request, retention, interrupted or parent_erased (a child session erased with its parent)"""


class CheckCompletedData(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    task: str
    task_id: str
    result: Literal["passed", "failed", "error"]
    code: str | None = None
    """the error's code when `result` is error"""


class CaseAssignedData(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    assignee: str | None
    """`user:<id>` or `api_key:<id>`; null when released"""
    action: str
    """claimed, assigned or released"""


class CaseDecidedData(msgspec.Struct, frozen=True, kw_only=True):
    session_id: str
    action: str
    actor: str
    reason_codes: list[str] = []
    round: int = 1


class WebhookDisabledData(msgspec.Struct, frozen=True, kw_only=True):
    webhook_id: str
    failing_since: dt.datetime
    disabled_at: dt.datetime


EVENT_DATA: dict[str, type[msgspec.Struct]] = {
    "session.created": SessionCreatedData, "session.state_changed": SessionStateChangedData,
    "session.completed": SessionCompletedData, "session.expired": SessionExpiredData,
    "session.erased": SessionErasedData, "check.completed": CheckCompletedData,
    "case.assigned": CaseAssignedData, "case.decided": CaseDecidedData, "webhook.disabled": WebhookDisabledData,
}
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
assert tuple(EVENT_DATA) == EVENT_TYPES


class WebhookMessage(msgspec.Struct, frozen=True, kw_only=True):
    """The body of every webhook request (Standard Webhooks)."""

    type: str
    timestamp: dt.datetime
    data: dict[str, object]


def new_event_id() -> str:
    return f"msg_{secrets.token_hex(12)}"


def event(tenant: str, session_id: str | None, data: msgspec.Struct, at: dt.datetime,
          personal: dict[str, object] | None = None) -> OutboxEvent:
    kind = next(name for name, cls in EVENT_DATA.items() if isinstance(data, cls))
    return OutboxEvent(id=new_event_id(), tenant=tenant, session_id=session_id, type=kind, at=at,
                       data=msgspec.to_builtins(data), personal=personal)


def body(stored: OutboxEvent, *, personal: bool) -> bytes:
    """The exact bytes sent (and signed) for an event to a subscription."""
    data = dict(stored.data)
    if personal and stored.personal is not None:
        data["personal_data"] = stored.personal
    return msgspec.json.encode(WebhookMessage(type=stored.type, timestamp=stored.at, data=data))


def entered_data(context: Mapping[str, object]) -> dict[str, object]:
    return {key: value for key, value in context.items() if key not in HIDDEN_CONTEXT}


def _reason_codes(data: Mapping[str, object]) -> list[str]:
    items = data.get("items")
    codes = [f"{i.get('item')}:{i.get('reason')}" for i in items if isinstance(i, dict)] \
        if isinstance(items, list) else []
    reason = data.get("reason")
    return codes or ([reason] if isinstance(reason, str) and reason else [])


def session_created(row: SessionRow) -> OutboxEvent:
    return event(row.tenant, row.id, SessionCreatedData(session_id=row.id, journey=row.journey,
                                                        version=row.journey_version, reference=row.reference,
                                                        state=row.state, parent_id=row.parent_id,
                                                        child_group=row.child_group, child_key=row.child_key,
                                                        child_label=row.child_label), row.created_at)


def transition_events(row: SessionRow, before: Snapshot, after: Snapshot, cause: AnyEvent, *, kind: str,
                      data: Mapping[str, object] | None, now: dt.datetime) -> list[OutboxEvent]:
    """What one committed step of a session announces, in this order."""
    data = data or {}
    found: list[OutboxEvent] = []
    tenant, sid = row.tenant, row.id
    if isinstance(cause, TaskDone | TaskFailed):
        result: Literal["passed", "failed", "error"] = "error" if isinstance(cause, TaskFailed) else \
            "failed" if cause.result.get("passed") is False else "passed"
        found.append(event(tenant, sid, CheckCompletedData(
            session_id=sid, task=str(data.get("task", "")), task_id=cause.task_id, result=result,
            code=cause.code if isinstance(cause, TaskFailed) else None), now))
    if kind.startswith("review."):
        round_ = data.get("round")
        found.append(event(tenant, sid, CaseDecidedData(
            session_id=sid, action=kind.removeprefix("review."), actor=str(data.get("actor", "")),
            reason_codes=_reason_codes(data), round=round_ if isinstance(round_, int) else 1), now))
    if after.state != before.state:
        found.append(event(tenant, sid, SessionStateChangedData(
            session_id=sid, from_state=before.state, to_state=after.state, status=after.status, cause=kind), now))
    if after.status == "final" and before.status != "final":
        if after.outcome == "expired":
            found.append(event(tenant, sid, SessionExpiredData(session_id=sid, from_state=before.state,
                                                               state=after.state), now))
        else:
            found.append(event(tenant, sid, SessionCompletedData(
                session_id=sid, outcome=after.outcome, state=after.state,
                reason_codes=_reason_codes(data) if kind.startswith("review.") else []), now,
                personal=entered_data(after.context)))
    return found


__all__ = [
    "EVENT_DATA",
    "EVENT_TYPES",
    "CaseAssignedData",
    "CaseDecidedData",
    "CheckCompletedData",
    "EventType",
    "SessionCompletedData",
    "SessionCreatedData",
    "SessionErasedData",
    "SessionExpiredData",
    "SessionStateChangedData",
    "WebhookDisabledData",
    "WebhookMessage",
    "body",
    "entered_data",
    "event",
    "new_event_id",
    "session_created",
    "transition_events",
]
