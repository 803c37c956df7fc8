"""A journey as a Mermaid state diagram."""

from __future__ import annotations

from server.workflow.checker import edges
from ui_schemas.model import DecisionState, FinalState, Journey, TaskState


def to_mermaid(journey: Journey) -> str:
    """`stateDiagram-v2` text: one node per state, one arrow per transition, labelled event [guard]."""
    lines = ["stateDiagram-v2", f"    %% {journey.key}", f"    [*] --> {journey.initial}"]
    for state_id, state in journey.states.items():
        if isinstance(state, DecisionState):
            lines.append(f"    state {state_id} <<choice>>")
        elif isinstance(state, TaskState):
            lines.append(f"    {state_id} : task {state.task}")
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


__all__ = ["to_mermaid"]
