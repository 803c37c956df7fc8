"""A journey as a Mermaid state diagram."""

from __future__ import annotations

from collections.abc import Iterator

from ui_schemas.model import (
    ChildrenState,
    DecisionState,
    FinalState,
    Journey,
    ReviewState,
    ScreenState,
    TaskState,
    Transitions,
)


def edges(journey: Journey) -> Iterator[tuple[str, str, str, str | None, str]]:
    """(source, event, target, guard, pointer to the target) for every transition, timers included."""
    for state_id, state in journey.states.items():
        raw: dict[str, Transitions | str] = {}
        if isinstance(state, ScreenState | TaskState | ReviewState | ChildrenState):
            raw = dict(state.on)
        elif isinstance(state, DecisionState):
            raw = {"always": state.always}
        for event, value in raw.items():
            base = f"/states/{state_id}/always" if event == "always" else f"/states/{state_id}/on/{event}"
            if isinstance(value, str):
                yield state_id, event, value, None, base
                continue
            for i, t in enumerate(value):
                yield state_id, event, t.target, t.guard, f"{base}/{i}/target"
        for i, delayed in enumerate(state.after):
            if delayed.target is not None:
                yield state_id, f"after {delayed.delay}", delayed.target, delayed.guard, \
                    f"/states/{state_id}/after/{i}/target"


def to_mermaid(journey: Journey) -> str:
    """`stateDiagram-v2` text: one node per state, one arrow per transition, labelled event [guard]."""
    lines = ["stateDiagram-v2", f"    %% {journey.key}", f"    [*] --> {journey.initial}"]
    for state_id, state in journey.states.items():
        if isinstance(state, DecisionState):
            lines.append(f"    state {state_id} <<choice>>")
        elif isinstance(state, TaskState):
            lines.append(f"    {state_id} : task {state.task}")
        elif isinstance(state, ReviewState):
            lines.append(f"    {state_id} : review by a person")
        elif isinstance(state, ChildrenState):
            lines.append(f"    {state_id} : a {state.journey} per item of {state.items}")
        elif isinstance(state, FinalState):
            lines.append(f"    {state_id} : outcome {state.outcome}")
    for source, event, target, guard, _ in edges(journey):
        label = event if event != "always" else ""
        if guard:
            label = f"{label} [{guard}]".strip()
        lines.append(f"    {source} --> {target}" + (f" : {label}" if label else ""))
    for delayed in journey.after:
        if delayed.target is not None:
            lines.append(f"    note right of {delayed.target} : any state, after {delayed.delay}")
    for state_id, state in journey.states.items():
        if isinstance(state, FinalState):
            lines.append(f"    {state_id} --> [*]")
    return "\n".join(lines) + "\n"


__all__ = ["edges", "to_mermaid"]
