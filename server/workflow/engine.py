"""The journey engine: `start` and `transition` are pure functions of data and time.

They return the next snapshot plus effects as values and never run them; they
read no clock (time is passed in) and do no I/O.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from sdk_protocol import EventNotAllowed, JourneyFinished, RuleFailed, StaleScreen, UnknownAction
from server.workflow import children
from server.workflow.challenge import store_challenge
from server.workflow.context import get_path, set_path
from server.workflow.delays import parse_delay, timer_entry, timers_for
from server.workflow.forms import check_submission
from server.workflow.journey import CompiledJourney
from server.workflow.review import decision_context, enter_review
from server.workflow.rules import RuleEvaluation
from server.workflow.snapshot import (
    AnyEffect,
    AnyEvent,
    Cancel,
    CancelTask,
    ChildDone,
    Complete,
    Decision,
    Notify,
    PendingTask,
    RejectInput,
    Result,
    ReviewDecision,
    RunTask,
    ShowScreen,
    Signal,
    Snapshot,
    Submit,
    TaskDone,
    TaskFailed,
    Tick,
    UserAction,
)
from server.workflow.steps import assign, record, select
from ui_schemas.model import (
    REVIEW_EVENTS,
    ChildrenState,
    DecisionState,
    FinalState,
    ReviewState,
    ScreenState,
    TaskState,
    Transitions,
    transitions_of,
)

MAX_MICROSTEPS = 64
"""Decision chains longer than this are a definition bug (a loop), not a journey."""

def start(journey: CompiledJourney, *, now: dt.datetime, context: dict[str, object] | None = None) -> Result:
    """A new session's first snapshot, already in its first stable state."""
    definition = journey.journey
    blank = Snapshot(
        journey=definition.name, version=definition.version, state=definition.initial, status="active",
        revision=0, context=dict(context or {}), started_at=now, state_entered_at=now,
        timers=timers_for("journey", definition.after, now),
    )
    effects: list[AnyEffect] = []
    snapshot = _enter(journey, blank, definition.initial, now, "start", effects, [])
    return Result(snapshot=snapshot, effects=effects)


def transition(journey: CompiledJourney, snapshot: Snapshot, event: AnyEvent, now: dt.datetime) -> Result:
    """Apply one event at time `now`. Refusals raise SdkErrors; invalid input returns RejectInput."""
    if snapshot.status == "final":
        raise JourneyFinished(f"Expected an active journey, got one that ended {snapshot.outcome}",
                              outcome=snapshot.outcome)
    if isinstance(event, Tick):
        return _tick(journey, snapshot, now)
    if isinstance(event, Submit):
        return _submit(journey, snapshot, event, now)
    if isinstance(event, UserAction):
        return _action(journey, snapshot, event, now)
    if isinstance(event, TaskDone | TaskFailed):
        return _task_result(journey, snapshot, event, now)
    if isinstance(event, ReviewDecision):
        return _review(journey, snapshot, event, now)
    if isinstance(event, ChildDone):
        return _child_done(journey, snapshot, event, now)
    if isinstance(event, Cancel):
        return _cancel(journey, snapshot, event, now)
    return _signal(journey, snapshot, event, now)


def pending_task(journey: CompiledJourney, snapshot: Snapshot) -> RunTask | None:
    """The task a waiting snapshot is waiting for, as the effect that started it (to run it again)."""
    state = journey.journey.states[snapshot.state]
    if snapshot.task is None or not isinstance(state, TaskState):
        return None
    task_input = {name: get_path(snapshot.context, path) for name, path in state.input.items()}
    return RunTask(task_id=snapshot.task.task_id, task=state.task, input=task_input, params=dict(state.params))


def next_due(snapshot: Snapshot) -> dt.datetime | None:
    """When the next timer fires (the server schedules a Tick for then)."""
    return min((t.due_at for t in snapshot.timers), default=None)


# --- events -----------------------------------------------------------------


def _current_screen_state(journey: CompiledJourney, snapshot: Snapshot, screen_id: str, revision: int,
                          what: str) -> ScreenState:
    state = journey.journey.states[snapshot.state]
    if screen_id != snapshot.state or revision != snapshot.revision:
        raise StaleScreen(
            f"Expected {what} for screen {snapshot.state!r} revision {snapshot.revision}, "
            f"got one for {screen_id!r} revision {revision}",
            screen_id=snapshot.state, revision=snapshot.revision,
        )
    if not isinstance(state, ScreenState):
        kind = type(state).__name__
        raise EventNotAllowed(f"Expected a screen to receive {what}, got state {snapshot.state!r} which is a {kind}",
                              state=snapshot.state)
    return state


def _submit(journey: CompiledJourney, snapshot: Snapshot, event: Submit, now: dt.datetime) -> Result:
    state = _current_screen_state(journey, snapshot, event.screen_id, event.revision, "a submit")
    errors, cleaned = check_submission(journey, state.screen.components, event.values, now=now)
    if errors:
        return Result(snapshot=snapshot,
                      effects=[RejectInput(state=snapshot.state, revision=snapshot.revision, errors=errors)])
    cleaned = store_challenge(state.screen.components, cleaned, snapshot)
    context = set_path(snapshot.context, state.store_at or snapshot.state, cleaned)
    snapshot = msgspec.structs.replace(snapshot, context=context)
    return _follow(journey, snapshot, transitions_of(state.on.get("submit", [])), "submit", now)


def _action(journey: CompiledJourney, snapshot: Snapshot, event: UserAction, now: dt.datetime) -> Result:
    state = _current_screen_state(journey, snapshot, event.screen_id, event.revision, "an action")
    if event.action == "submit" or event.action not in state.on:
        offered = sorted(k for k in state.on if k != "submit")
        raise UnknownAction(
            f"Expected one of the screen's actions ({', '.join(offered) or 'none'}), got {event.action!r}",
            action=event.action, allowed=offered,
        )
    return _follow(journey, snapshot, transitions_of(state.on[event.action]), event.action, now)


def _task_result(journey: CompiledJourney, snapshot: Snapshot, event: TaskDone | TaskFailed,
                 now: dt.datetime) -> Result:
    state = journey.journey.states[snapshot.state]
    if snapshot.task is None or not isinstance(state, TaskState) or snapshot.task.task_id != event.task_id:
        running = snapshot.task.task_id if snapshot.task else "none"
        raise EventNotAllowed(f"Expected a result for task {running}, got one for {event.task_id}",
                              task_id=event.task_id)
    if isinstance(event, TaskDone):
        result: dict[str, object] = event.result
        name = "done"
    else:
        result = {"error": {"code": event.code, "message": event.message}}
        name = "error"
    context = set_path(snapshot.context, state.result or snapshot.state, result)
    snapshot = msgspec.structs.replace(snapshot, context=context, task=None)
    return _follow(journey, snapshot, transitions_of(state.on.get(name, [])), f"task.{name}", now)


def _review(journey: CompiledJourney, snapshot: Snapshot, event: ReviewDecision, now: dt.datetime) -> Result:
    """A person's decision: recorded at `review.*` and in the trace with who made it, then `on.<action>`."""
    state = journey.journey.states[snapshot.state]
    if not isinstance(state, ReviewState) or event.action not in state.on:
        handled = sorted(state.on) if isinstance(state, ReviewState) else []
        raise EventNotAllowed(f"Expected a review state handling {event.action!r} ({', '.join(handled) or 'none'}), "
                              f"got state {snapshot.state!r}", state=snapshot.state, event=event.action)
    context = decision_context(journey, snapshot.context, event)
    snapshot = msgspec.structs.replace(snapshot, context=context)
    return _follow(journey, snapshot, transitions_of(state.on[event.action]), f"review.{event.action}", now,
                   actor=event.actor, reason=event.reason or ", ".join(f"{i.item}: {i.reason}" for i in event.items))


def _signal(journey: CompiledJourney, snapshot: Snapshot, event: Signal, now: dt.datetime) -> Result:
    state = journey.journey.states[snapshot.state]
    handlers = getattr(state, "on", {})
    if isinstance(state, ReviewState) and event.name in REVIEW_EVENTS:
        raise EventNotAllowed(f"Expected a reviewer's decision through the cases API, got signal {event.name!r}",
                              state=snapshot.state, signal=event.name)
    if event.name not in handlers:
        raise EventNotAllowed(f"Expected a signal state {snapshot.state!r} handles "
                              f"({', '.join(sorted(handlers)) or 'none'}), got {event.name!r}",
                              state=snapshot.state, signal=event.name)
    if isinstance(state, ChildrenState) and event.name == "done":
        raise EventNotAllowed("Expected the children's outcomes to end a children state, got signal 'done'",
                              state=snapshot.state, signal=event.name)
    snapshot = msgspec.structs.replace(snapshot, context=set_path(snapshot.context, f"signals.{event.name}",
                                                                  event.data))
    snapshot, effects = _interrupt(journey, snapshot)
    result = _follow(journey, snapshot, transitions_of(handlers[event.name]), f"signal.{event.name}", now)
    return Result(snapshot=result.snapshot, effects=effects + result.effects)


def _child_done(journey: CompiledJourney, snapshot: Snapshot, event: ChildDone, now: dt.datetime) -> Result:
    """One child ended: recorded; the last one takes `on.done`, with every child's outcome in the decision."""
    state = journey.journey.states[snapshot.state]
    if not isinstance(state, ChildrenState):
        raise EventNotAllowed(f"Expected a children state to receive a child's outcome, got state {snapshot.state!r}",
                              state=snapshot.state, group=event.group)
    snapshot = msgspec.structs.replace(snapshot, context=children.settle(state, snapshot, event))
    if children.running(snapshot, state):  # the others still run: the parent's screen shows this one's outcome
        revision = snapshot.revision + 1
        return Result(snapshot=msgspec.structs.replace(snapshot, revision=revision),
                      effects=[ShowScreen(state=snapshot.state, revision=revision)])
    return _follow(journey, snapshot, transitions_of(state.on.get("done", [])), "children.done", now,
                   reason=children.outcomes_reason(state, snapshot.context))


def _cancel(journey: CompiledJourney, snapshot: Snapshot, event: Cancel, now: dt.datetime) -> Result:
    """Straight to the journey's `abandoned` final state (its parent ended, say), stopping what runs."""
    target = children.cancel_target(journey)
    if target is None:
        raise EventNotAllowed(f"Expected journey {journey.journey.key} to have a final state with outcome "
                              "abandoned to cancel into, got none", state=snapshot.state)
    snapshot, effects = _interrupt(journey, snapshot)
    snapshot = record(snapshot, Decision(at=now, state=snapshot.state, event="cancel", target=target,
                                          actor=event.actor, reason=event.reason))
    snapshot = _enter(journey, snapshot, target, now, "cancel", effects, [])
    return Result(snapshot=snapshot, effects=effects)


def _interrupt(journey: CompiledJourney, snapshot: Snapshot) -> tuple[Snapshot, list[AnyEffect]]:
    """Leaving a state before it finished: its task is cancelled, its running children as the journey says."""
    effects: list[AnyEffect] = []
    if snapshot.task is not None:
        effects.append(CancelTask(task_id=snapshot.task.task_id))
        snapshot = msgspec.structs.replace(snapshot, task=None)
    state = journey.journey.states[snapshot.state]
    if isinstance(state, ChildrenState) and (ending := children.end_effect(state, snapshot.context)) is not None:
        effects.append(ending)
    return snapshot, effects


def _tick(journey: CompiledJourney, snapshot: Snapshot, now: dt.datetime) -> Result:
    effects: list[AnyEffect] = []
    for _ in range(MAX_MICROSTEPS):
        due = sorted((t for t in snapshot.timers if t.due_at <= now), key=lambda t: (t.due_at, t.key))
        if not due or snapshot.status == "final":
            break
        timer = due[0]
        snapshot = msgspec.structs.replace(snapshot, timers=[t for t in snapshot.timers if t.key != timer.key])
        entry = timer_entry(journey, timer.key)
        if entry is None:
            continue
        evaluations: list[RuleEvaluation] = []
        if entry.guard is not None:
            evaluation = journey.rules[entry.guard].test(snapshot.context, now=now)
            evaluations.append(evaluation)
            if evaluation.result is not True:
                continue
        if entry.notify is not None:
            effects.append(Notify(name=entry.notify, state=snapshot.state))
        if entry.target is None:
            snapshot = record(snapshot, Decision(at=now, state=snapshot.state, event=f"after.{entry.delay}",
                                                  target=None, evaluations=evaluations))
            continue
        snapshot, stopped = _interrupt(journey, snapshot)
        effects += stopped
        snapshot = record(snapshot, Decision(at=now, state=snapshot.state, event=f"after.{entry.delay}",
                                              target=entry.target, evaluations=evaluations))
        snapshot = _enter(journey, snapshot, entry.target, now, f"after.{entry.delay}", effects, [])
    return Result(snapshot=snapshot, effects=effects)


# --- transitions --------------------------------------------------------------


def _follow(journey: CompiledJourney, snapshot: Snapshot, transitions: Transitions, event: str,
            now: dt.datetime, *, actor: str = "", reason: str = "") -> Result:
    chosen, evaluations = select(journey, transitions, snapshot.context, now)
    if chosen is None:
        raise EventNotAllowed(f"Expected a transition for {event!r} in state {snapshot.state!r} whose guard "
                              f"holds, got none", state=snapshot.state, event=event)
    context, assigned = assign(journey, chosen, snapshot.context, now, evaluations)
    snapshot = record(msgspec.structs.replace(snapshot, context=context),
                       Decision(at=now, state=snapshot.state, event=event, target=chosen.target,
                                evaluations=evaluations, assigned=assigned, actor=actor, reason=reason))
    effects: list[AnyEffect] = []
    snapshot = _enter(journey, snapshot, chosen.target, now, event, effects, [])
    return Result(snapshot=snapshot, effects=effects)


def _enter(journey: CompiledJourney, snapshot: Snapshot, target: str, now: dt.datetime, event: str,
           effects: list[AnyEffect], seen: list[str]) -> Snapshot:
    """Enter `target`, running decision states through until a stable state."""
    for _ in range(MAX_MICROSTEPS):
        state = journey.journey.states[target]
        kept = [t for t in snapshot.timers if t.key.startswith("journey:")]
        revision = snapshot.revision + 1
        snapshot = msgspec.structs.replace(
            snapshot, state=target, revision=revision, state_entered_at=now,
            timers=kept + timers_for(f"state:{target}", state.after, now), status="active",
        )
        if isinstance(state, ScreenState):
            effects.append(ShowScreen(state=target, revision=revision))
            return snapshot
        if isinstance(state, TaskState):
            task_id = f"{target}.{revision}"
            task_input = {name: get_path(snapshot.context, path) for name, path in state.input.items()}
            effects.append(RunTask(task_id=task_id, task=state.task, input=task_input, params=dict(state.params)))
            effects.append(ShowScreen(state=target, revision=revision))
            return msgspec.structs.replace(snapshot, status="waiting", task=PendingTask(task_id=task_id,
                                                                                         task=state.task))
        if isinstance(state, ReviewState):
            effects.append(ShowScreen(state=target, revision=revision))
            return enter_review(journey, snapshot, target, now)
        if isinstance(state, FinalState):
            assert state.outcome is not None  # the checker refuses final states without one
            effects.append(Complete(outcome=state.outcome))
            return msgspec.structs.replace(snapshot, status="final", outcome=state.outcome, timers=[], task=None)
        if isinstance(state, ChildrenState):
            snapshot, started, evaluations = children.enter(journey, state, snapshot, now)
            if started is not None:
                effects += [started, ShowScreen(state=target, revision=revision)]
                return snapshot
            kind, step, transitions = "children", "children.done", transitions_of(state.on.get("done", []))
        else:
            assert isinstance(state, DecisionState)
            kind, step, transitions, evaluations = "decision", "always", state.always, []
        chosen, more = select(journey, transitions, snapshot.context, now)
        evaluations += more
        if chosen is None:
            raise RuleFailed(f"Expected a transition out of {kind} state {target!r} whose guard holds, got none",
                             state=target)
        context, assigned = assign(journey, chosen, snapshot.context, now, evaluations)
        snapshot = record(msgspec.structs.replace(snapshot, context=context),
                           Decision(at=now, state=target, event=step, target=chosen.target,
                                    evaluations=evaluations, assigned=assigned,
                                    reason=f"{target}: no children" if kind == "children" else ""))
        seen.append(target)
        target = chosen.target
    raise RuleFailed(f"Expected decision states to settle within {MAX_MICROSTEPS} steps, got a loop through "
                     f"{' -> '.join(seen[-8:])}", state=target)


__all__ = ["MAX_MICROSTEPS", "next_due", "parse_delay", "pending_task", "start",
           "transition"]
