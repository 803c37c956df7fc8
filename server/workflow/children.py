"""Child journeys, pure: which children entering a `children` state starts, how a child's outcome is recorded,
and the counts guards read (`children.<group>.all_approved`, `any_rejected`, `approved` ...).

The progress of a group lives in the parent's context at `children.<group>`, so it is stored, shown to the
reviewer and read by rules like any other value:

    {journey, count, pending, approved, rejected, manual_review, abandoned, expired, all_approved,
     any_rejected, done, items: [{key, index, label, session_id, outcome}]}

`all_approved` follows JsonLogic's `all`: false when there are no children.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from sdk_protocol import EventNotAllowed, Outcome
from server.workflow.context import get_path, set_path
from server.workflow.journey import CompiledJourney
from server.workflow.rules import RuleEvaluation
from server.workflow.snapshot import ChildDone, ChildSpec, Decision, EndChildren, Snapshot, StartChildren
from ui_schemas.model import ChildrenState, FinalState

OUTCOMES: tuple[Outcome, ...] = ("approved", "rejected", "manual_review", "abandoned", "expired")


def group_path(state: ChildrenState) -> str:
    return f"children.{state.group}"


def _label(state: ChildrenState, item: dict[str, object]) -> str:
    parts = (get_path(item, path) for path in state.label)
    return " ".join(str(p) for p in parts if p not in (None, ""))[:200]


def _prefill(state: ChildrenState, item: dict[str, object]) -> dict[str, object]:
    prefill: dict[str, object] = {}
    for name, path in state.prefill.items():
        value = get_path(item, path)
        if value is not None:
            prefill = set_path(prefill, name, value)
    return prefill


def summarise(journey_name: str, items: list[dict[str, object]]) -> dict[str, object]:
    """The group's counts from its items (each with an `outcome`, None while the child runs)."""
    outcomes = [item.get("outcome") for item in items]
    counts: dict[str, object] = {name: outcomes.count(name) for name in OUTCOMES}
    pending = outcomes.count(None)
    return {"journey": journey_name, "count": len(items), "pending": pending, **counts,
            "all_approved": bool(items) and counts["approved"] == len(items),
            "any_rejected": counts["rejected"] != 0, "done": pending == 0, "items": items}


def select(journey: CompiledJourney, state: ChildrenState, context: dict[str, object], revision: int,
           now: dt.datetime) -> tuple[list[dict[str, object]], list[RuleEvaluation]]:
    """The group's items on entering `state` (the list items `where` holds for), and the `where` evaluations."""
    found = get_path(context, state.items)
    items: list[dict[str, object]] = []
    evaluations: list[RuleEvaluation] = []
    for index, item in enumerate(found if isinstance(found, list) else []):
        if not isinstance(item, dict):
            continue
        if state.where is not None:
            evaluation = journey.rules[state.where].test(item, now=now)
            evaluations.append(evaluation)
            if evaluation.result is not True:
                continue
        items.append({"key": f"{revision}.{index}", "index": index, "label": _label(state, item),
                      "session_id": None, "outcome": None})
    return items, evaluations


def start_effect(state: ChildrenState, context: dict[str, object]) -> StartChildren | None:
    """The StartChildren of the group's children still running (to start them, or again after a restart)."""
    group = get_path(context, group_path(state))
    listed = get_path(context, state.items)
    if not isinstance(group, dict) or not isinstance(listed, list):
        return None
    specs = []
    for item in group.get("items") or []:
        if not isinstance(item, dict) or item.get("outcome") is not None:
            continue
        index = item.get("index")
        source = listed[index] if isinstance(index, int) and 0 <= index < len(listed) else {}
        source = source if isinstance(source, dict) else {}
        specs.append(ChildSpec(key=str(item["key"]), label=str(item.get("label") or ""),
                               prefill=_prefill(state, source)))
    if not specs:
        return None
    return StartChildren(group=state.group, journey=state.journey, version=state.version, children=specs)


def end_effect(state: ChildrenState, context: dict[str, object]) -> EndChildren | None:
    """What leaving `state` does to the children still running: cancel them, unless the journey keeps them."""
    group = get_path(context, group_path(state))
    if state.on_exit != "cancel" or not isinstance(group, dict):
        return None
    keys = [str(i["key"]) for i in group.get("items") or [] if isinstance(i, dict) and i.get("outcome") is None]
    return EndChildren(group=state.group, keys=keys) if keys else None


def settle(state: ChildrenState, snapshot: Snapshot, event: ChildDone) -> dict[str, object]:
    """The context with one child's outcome recorded; EventNotAllowed for a child that is not running."""
    path = group_path(state)
    group = get_path(snapshot.context, path)
    items = group.get("items") if isinstance(group, dict) else None
    running = [i for i in items or [] if isinstance(i, dict) and i.get("outcome") is None]
    match = next((i for i in running if i.get("key") == event.key), None)
    if state.group != event.group or match is None:
        keys = ", ".join(str(i.get("key")) for i in running) or "none"
        raise EventNotAllowed(f"Expected the outcome of a running child of group {state.group!r} ({keys}), got "
                              f"one for {event.group!r} {event.key!r}", group=event.group, key=event.key)
    updated = [{**i, "session_id": event.session_id, "outcome": event.outcome} if i is match else i
               for i in items or [] if isinstance(i, dict)]
    return set_path(snapshot.context, path, summarise(state.journey, updated))


def enter(journey: CompiledJourney, state: ChildrenState, snapshot: Snapshot,
          now: dt.datetime) -> tuple[Snapshot, StartChildren | None, list[RuleEvaluation]]:
    """Entering `state`: the group recorded and, when it has items, the snapshot waiting for their sessions and
    the effect that starts them; without items, the `where` evaluations for the `done` decision taken at once."""
    items, evaluations = select(journey, state, snapshot.context, snapshot.revision, now)
    context = with_group(snapshot.context, state, items)
    snapshot = msgspec.structs.replace(snapshot, context=context)
    if not items:
        return snapshot, None, evaluations
    decision = Decision(at=now, state=snapshot.state, event="children.start", target=None, evaluations=evaluations,
                        reason=f"{len(items)} {state.journey} session(s) for {state.group}")
    snapshot = msgspec.structs.replace(snapshot, status="waiting", trace=[*snapshot.trace, decision])
    return snapshot, start_effect(state, context), []


def pending(journey: CompiledJourney, snapshot: Snapshot) -> StartChildren | None:
    """The children a waiting snapshot still waits for, as the effect that starts them (to make sure they were)."""
    state = journey.journey.states[snapshot.state]
    if snapshot.status != "waiting" or not isinstance(state, ChildrenState):
        return None
    return start_effect(state, snapshot.context)


def cancel_target(journey: CompiledJourney) -> str | None:
    """The final state a cancelled session goes to: the first with outcome `abandoned`."""
    return next((sid for sid, s in journey.journey.states.items()
                 if isinstance(s, FinalState) and s.outcome == "abandoned"), None)


def erases_with_parent(journey: CompiledJourney, group: str) -> bool:
    """Whether the children of `group` are erased with their parent (`on_erase`; erase when the state is gone)."""
    state = next((s for s in journey.journey.states.values() if isinstance(s, ChildrenState) and s.group == group),
                 None)
    return state is None or state.on_erase == "erase"


def outcomes_reason(state: ChildrenState, context: dict[str, object]) -> str:
    """The children's outcomes, for the decision that follows them (the trace shows what decided)."""
    group = get_path(context, group_path(state))
    items = group.get("items") if isinstance(group, dict) else []
    parts = [f"{i.get('session_id') or i.get('key')} ({i.get('label') or 'unnamed'}): {i.get('outcome')}"
             for i in items or [] if isinstance(i, dict)]
    return f"{state.group}: " + ("; ".join(parts) if parts else "no children")


def running(snapshot: Snapshot, state: ChildrenState) -> bool:
    group = get_path(snapshot.context, group_path(state))
    return isinstance(group, dict) and group.get("done") is False


def with_group(context: dict[str, object], state: ChildrenState, items: list[dict[str, object]]) -> dict[str, object]:
    return set_path(context, group_path(state), summarise(state.journey, items))


__all__ = ["OUTCOMES", "cancel_target", "end_effect", "enter", "erases_with_parent", "group_path", "outcomes_reason",
           "pending", "running", "select", "settle", "start_effect", "summarise", "with_group"]
