"""Review states: entering one (the session waits for a person) and what a person's decision writes.

Entering review stops the journey-wide timers (the user's deadline does not run while the organisation
decides; the state's own `after`, an SLA reminder say, applies), counts the round and raises the journey's
flags. A decision lands at `review.decision`; `request_changes` also lists what to redo at `review.pending`
and the guidance for each item at `review.guidance.<item>` (a message key, shown on the redo screen).
"""

from __future__ import annotations

import datetime as dt

import msgspec

from server.workflow.context import get_path, set_path
from server.workflow.delays import timers_for
from server.workflow.journey import CompiledJourney
from server.workflow.rules import RuleEvaluation
from server.workflow.snapshot import Decision, ReviewDecision, Snapshot


def enter_review(journey: CompiledJourney, snapshot: Snapshot, target: str, now: dt.datetime) -> Snapshot:
    """`snapshot` (already in `target`) waiting for a person, with its flags evaluated and traced."""
    state = journey.journey.states[target]
    definition = journey.journey.review
    round_ = get_path(snapshot.context, "review.round")
    context = set_path(snapshot.context, "review.round", (round_ if isinstance(round_, int) else 0) + 1)
    evaluations: list[RuleEvaluation] = []
    flags: list[str] = []
    for flag, rule in (definition.flags if definition is not None else {}).items():
        evaluation = journey.rules[rule].test(context, now=now)
        evaluations.append(evaluation)
        if evaluation.result is True:
            flags.append(flag)
    context = set_path(context, "review.flags", flags)
    snapshot = msgspec.structs.replace(snapshot, status="review", context=context,
                                       timers=timers_for(f"state:{target}", state.after, now))
    if evaluations:
        decision = Decision(at=now, state=target, event="review.flags", target=None, evaluations=evaluations,
                            assigned={"review.flags": flags})
        snapshot = msgspec.structs.replace(snapshot, trace=[*snapshot.trace, decision])
    return snapshot


def decision_context(journey: CompiledJourney, context: dict[str, object],
                     event: ReviewDecision) -> dict[str, object]:
    """The context with a person's decision written where rules and redo screens read it."""
    definition = journey.journey.review
    reasons = definition.change_reasons if definition is not None else {}
    context = set_path(context, "review.decision", {
        "action": event.action, "reason": event.reason, "actor": event.actor,
        "round": get_path(context, "review.round"),
        "items": [{"item": i.item, "reason": i.reason} for i in event.items]})
    if event.action == "request_changes":
        context = set_path(context, "review.pending", [i.item for i in event.items])
        for item in event.items:
            context = set_path(context, f"review.guidance.{item.item}", reasons.get(item.reason, item.reason))
    return context


__all__ = ["decision_context", "enter_review"]
