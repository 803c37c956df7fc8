"""A journey as data: a statechart whose screen states carry sdk_protocol components.

Text fields in components hold message keys (resolved per locale when a screen
is rendered). Guards and computed values name rules from the journey's `rules`
map; the server compiles those once at load.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from sdk_protocol import AnyComponent, Outcome

StateId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Path = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Delay = Annotated[str, msgspec.Meta(min_length=2, max_length=8)]


class Transition(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Go to `target` when `guard` (a rule name) is truthy; `assign` sets context paths from rules."""

    target: StateId
    guard: str | None = None
    assign: dict[Path, str] = {}


Transitions = list[Transition]


class Delayed(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """After `delay` in the state (or the journey, at the top level): go to `target` or emit `notify`."""

    delay: Delay
    target: StateId | None = None
    guard: str | None = None
    notify: str | None = None


class ActionDef(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A screen's action as defined (`label` is a message key); the wire shape is `sdk_protocol.Action`."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    label: str


class ScreenDef(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    title: str = ""
    components: list[AnyComponent]
    actions: list[ActionDef] = []


class State(msgspec.Struct, tag_field="type", frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of the kinds of state."""

    description: str = ""
    after: list[Delayed] = []


class ScreenState(State, tag="screen", frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Show `screen`; a valid submit stores its values at `store_at` and follows `on.submit`."""

    screen: ScreenDef
    store_at: Path | None = None
    step: str | None = None
    on: dict[str, Transitions | StateId] = {}


class TaskState(State, tag="task", frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Ask the service to run `task` with `input` (context paths); continue on `done` or `error`.

    The result is stored at `result`; `screen` (no inputs) is shown while the task runs.
    """

    task: str
    input: dict[str, Path] = {}
    params: dict[str, str | int | float | bool] = {}
    result: Path | None = None
    screen: ScreenDef | None = None
    step: str | None = None
    on: dict[str, Transitions | StateId] = {}


class DecisionState(State, tag="decision", frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Take the first `always` transition whose guard holds, at once."""

    always: Transitions = []


class ReviewState(State, tag="review", frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Wait for a person's decision (a case in the back office); `screen` (no inputs) is shown meanwhile.

    Reviewers' actions arrive as the events `approve`, `reject` and `request_changes`, handled by `on` like
    any other event; their data lands at `review.*` (see `ReviewDef`). The journey-wide `after` timers stop
    while a person decides; the state's own `after` (an SLA reminder) applies.
    """

    screen: ScreenDef | None = None
    step: str | None = None
    on: dict[str, Transitions | StateId] = {}


class ChildrenState(State, tag="children", frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Start a child session of `journey` for each item of the list at `items` (each item `where` holds for),
    wait for their outcomes, then follow `on.done`.

    The children's progress lands at `children.<group>` (`count`, `approved`, `rejected`, `all_approved`,
    `any_rejected`, one entry per child in `items`); `screen` (no inputs) is shown meanwhile, with a line per
    child. `prefill` maps a child's prefill field to a field of its item; `label` names the item fields that
    name the person (joined by spaces). Children still running when the parent leaves this state (a timer, a
    signal) are cancelled (`on_exit: cancel`) or left to finish (`keep`); erasing the parent erases its
    children too (`on_erase: erase`) or leaves them (`keep`).
    """

    group: StateId
    journey: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    items: Path
    where: str | None = None
    prefill: dict[Path, Path] = {}
    label: list[Path] = []
    on_exit: Literal["cancel", "keep"] = "cancel"
    on_erase: Literal["erase", "keep"] = "erase"
    screen: ScreenDef | None = None
    step: str | None = None
    on: dict[str, Transitions | StateId] = {}


class FinalState(State, tag="final", frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The journey ends here with `outcome`; `screen` is shown to the user if set."""

    outcome: Outcome | None = None
    screen: ScreenDef | None = None


AnyState = ScreenState | TaskState | DecisionState | ReviewState | ChildrenState | FinalState
REVIEW_EVENTS = ("approve", "reject", "request_changes")
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class ReviewDef(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What reviewers may choose for this journey; every value is a message key.

    `reject_reasons` and `change_reasons` map a reason code to its text (a change reason's text is the guidance
    the user sees on the redo screen, read with `@review.guidance.<item>`); `change_items` maps what can be
    asked for again (a capture or a screen) to its label; `flags` maps a flag name to a rule, evaluated on
    entering review, whose truthy result puts the flag on the case (`review.flags`).
    """

    reject_reasons: dict[Code, str] = {}
    change_items: dict[Code, str] = {}
    change_reasons: dict[Code, str] = {}
    flags: dict[Code, str] = {}


class Journey(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A versioned journey definition; sessions are pinned to (name, version)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    version: Annotated[int, msgspec.Meta(ge=1)]
    title: str
    description: str = ""
    initial: StateId
    steps: list[str] = []
    rules: dict[str, object] = {}
    after: list[Delayed] = []
    review: ReviewDef | None = None
    states: dict[StateId, AnyState]

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"


def transitions_of(value: Transitions | str) -> Transitions:
    """`on.submit: review` is shorthand for `[{target: review}]`."""
    return [Transition(target=value)] if isinstance(value, str) else value


StateKind = Literal["screen", "task", "decision", "review", "children", "final"]

__all__ = [
    "REVIEW_EVENTS",
    "ActionDef",
    "AnyState",
    "ChildrenState",
    "DecisionState",
    "Delay",
    "Delayed",
    "FinalState",
    "Journey",
    "Path",
    "ReviewDef",
    "ReviewState",
    "ScreenDef",
    "ScreenState",
    "State",
    "StateId",
    "StateKind",
    "TaskState",
    "Transition",
    "Transitions",
    "transitions_of",
]
