"""The small steps every transition is made of: pick the transition whose guard holds, run its assignments,
record the decision in the trace."""

from __future__ import annotations

import datetime as dt

import msgspec

from server.workflow.context import set_path
from server.workflow.journey import CompiledJourney
from server.workflow.rules import RuleEvaluation
from server.workflow.snapshot import Decision, Snapshot
from ui_schemas.model import Transition, Transitions


def record(snapshot: Snapshot, decision: Decision) -> Snapshot:
    return msgspec.structs.replace(snapshot, trace=[*snapshot.trace, decision])


def select(journey: CompiledJourney, transitions: Transitions, context: dict[str, object],
           now: dt.datetime) -> tuple[Transition | None, list[RuleEvaluation]]:
    evaluations: list[RuleEvaluation] = []
    for candidate in transitions:
        if candidate.guard is None:
            return candidate, evaluations
        evaluation = journey.rules[candidate.guard].test(context, now=now)
        evaluations.append(evaluation)
        if evaluation.result is True:
            return candidate, evaluations
    return None, evaluations


def assign(journey: CompiledJourney, chosen: Transition, context: dict[str, object], now: dt.datetime,
           evaluations: list[RuleEvaluation]) -> tuple[dict[str, object], dict[str, object]]:
    assigned: dict[str, object] = {}
    for path, rule in chosen.assign.items():
        evaluation = journey.rules[rule].compute(context, now=now)
        evaluations.append(evaluation)
        context = set_path(context, path, evaluation.result)
        assigned[path] = evaluation.result
    return context, assigned

__all__ = ["assign", "record", "select"]
