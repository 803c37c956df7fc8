"""What the engine takes and returns: snapshots, events and effects, all plain Structs.

A snapshot serialises to JSON (`msgspec.json.encode`) and resumes in any process.
Effects are requests for the app to act (server/sessions/effects.py); the engine never runs them.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from sdk_protocol import FieldError, Outcome
from server.workflow.rules import RuleEvaluation

Status = Literal["active", "waiting", "review", "final"]


class Timer(msgspec.Struct, frozen=True, kw_only=True):
    """A pending `after` entry: `key` names it (`state:<id>:<i>` or `journey:<i>`)."""

    key: str
    due_at: dt.datetime


class PendingTask(msgspec.Struct, frozen=True, kw_only=True):
    task_id: str
    task: str


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    """One step of the journey and why it was taken: every rule evaluated, its inputs and result."""

    at: dt.datetime
    state: str
    event: str
    target: str | None
    evaluations: list[RuleEvaluation] = []
    assigned: dict[str, object] = {}
    actor: str = ""
    """who decided, when a person did (`user:<id>`, `api_key:<id>`); empty for the journey's own steps"""
    reason: str = ""


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    """The whole state of one session's journey."""

    journey: str
    version: int
    state: str
    status: Status
    outcome: Outcome | None = None
    revision: int
    context: dict[str, object]
    started_at: dt.datetime
    state_entered_at: dt.datetime
    timers: list[Timer] = []
    task: PendingTask | None = None
    trace: list[Decision] = []


# --- events -----------------------------------------------------------------


class Event(msgspec.Struct, tag_field="type", frozen=True, kw_only=True):
    """Base of everything that can move a journey."""


class Submit(Event, tag="submit", frozen=True, kw_only=True):
    screen_id: str
    revision: int
    values: dict[str, object]


class UserAction(Event, tag="action", frozen=True, kw_only=True):
    screen_id: str
    revision: int
    action: str


class TaskDone(Event, tag="task.done", frozen=True, kw_only=True):
    task_id: str
    result: dict[str, object]


class TaskFailed(Event, tag="task.failed", frozen=True, kw_only=True):
    task_id: str
    code: str
    message: str


class Tick(Event, tag="tick", frozen=True, kw_only=True):
    """Time has passed: fire every timer due at `now`."""


class Signal(Event, tag="signal", frozen=True, kw_only=True):
    """An event from outside the SDK (a reviewer, the integrator): handled by `on.<name>`."""

    name: str
    data: dict[str, object] = {}


class ReviewItem(msgspec.Struct, frozen=True, kw_only=True):
    item: str
    reason: str


class ReviewDecision(Event, tag="review", frozen=True, kw_only=True):
    """A person's decision on a session in a review state: `approve`, `reject` or `request_changes`."""

    action: str
    actor: str
    reason: str | None = None
    items: list[ReviewItem] = []


class ChildDone(Event, tag="child.done", frozen=True, kw_only=True):
    """A child session of the `children` state's `group` ended with `outcome` (server/children.py)."""

    group: str
    key: str
    session_id: str
    outcome: Outcome


class Cancel(Event, tag="cancel", frozen=True, kw_only=True):
    """End the journey at its `abandoned` final state, from wherever it is (a parent cancelling its children)."""

    reason: str
    actor: str = ""


AnyEvent = Submit | UserAction | TaskDone | TaskFailed | Tick | Signal | ReviewDecision | ChildDone | Cancel


# --- effects ----------------------------------------------------------------


class Effect(msgspec.Struct, tag_field="kind", frozen=True, kw_only=True):
    """Base of every request the engine makes of the app."""


class ShowScreen(Effect, tag="show_screen", frozen=True, kw_only=True):
    state: str
    revision: int


class RejectInput(Effect, tag="reject_input", frozen=True, kw_only=True):
    state: str
    revision: int
    errors: list[FieldError]


class RunTask(Effect, tag="run_task", frozen=True, kw_only=True):
    task_id: str
    task: str
    input: dict[str, object]
    params: dict[str, str | int | float | bool] = {}


class CancelTask(Effect, tag="cancel_task", frozen=True, kw_only=True):
    task_id: str


class Notify(Effect, tag="notify", frozen=True, kw_only=True):
    name: str
    state: str


class Complete(Effect, tag="complete", frozen=True, kw_only=True):
    outcome: Outcome


class ChildSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One child to start: `key` is unique within the parent and group (a second start of it starts nothing)."""

    key: str
    label: str = ""
    prefill: dict[str, object] = {}


class StartChildren(Effect, tag="start_children", frozen=True, kw_only=True):
    """Start a session of `journey` (`version`, or the latest) for each of `children` that has none yet."""

    group: str
    journey: str
    version: int | None = None
    children: list[ChildSpec]


class EndChildren(Effect, tag="end_children", frozen=True, kw_only=True):
    """Cancel the children of `group` named by `keys`: the parent left their state before they ended."""

    group: str
    keys: list[str]


AnyEffect = ShowScreen | RejectInput | RunTask | CancelTask | Notify | Complete | StartChildren | EndChildren


class Result(msgspec.Struct, frozen=True, kw_only=True):
    """What `transition` returns: the next snapshot and the effects to run."""

    snapshot: Snapshot
    effects: list[AnyEffect]


__all__ = [
    "AnyEffect",
    "AnyEvent",
    "Cancel",
    "CancelTask",
    "ChildDone",
    "ChildSpec",
    "Complete",
    "Decision",
    "Effect",
    "EndChildren",
    "Event",
    "Notify",
    "PendingTask",
    "RejectInput",
    "Result",
    "ReviewDecision",
    "ReviewItem",
    "RunTask",
    "ShowScreen",
    "Signal",
    "Snapshot",
    "StartChildren",
    "Status",
    "Submit",
    "TaskDone",
    "TaskFailed",
    "Tick",
    "Timer",
    "UserAction",
]
