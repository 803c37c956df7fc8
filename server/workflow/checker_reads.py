"""What a journey's rules and texts read: the context paths something writes, and the message keys shown.

Part of the journey checker (checker.py); problems are reported through the `add` function handed in.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterator

from sdk_protocol import Input, Repeater, SelfieCapture
from server.workflow.children import OUTCOMES
from server.workflow.context import path_root, paths_overlap
from server.workflow.journey import screen_of, walk_components
from server.workflow.operators import NOW_VAR
from server.workflow.render import TEXT_FIELDS
from server.workflow.rules import RuleError, RulesEngine
from ui_schemas.loader import Catalogs
from ui_schemas.model import (
    REVIEW_EVENTS,
    AnyState,
    ChildrenState,
    DecisionState,
    Journey,
    ReviewState,
    ScreenDef,
    ScreenState,
    TaskState,
    Transitions,
    transitions_of,
)

Add = Callable[..., None]
RESERVED_CONTEXT = ("session", "prefill", "parent", NOW_VAR)
"""Context roots the server fills before the first state: never collected by a screen."""
BUILTIN_KEYS = (
    "screen.processing.title", "screen.processing.text",
    "screen.upgrade_required.title", "screen.upgrade_required.text",
    "children.unnamed", *(f"children.status.{s}" for s in ("pending", *OUTCOMES)),
)
TASK_EVENTS = ("done", "error")
REVIEW_CONTEXT = ("review.round", "review.flags", "review.decision", "review.pending", "review.guidance")
"""What entering a review state and reviewers' decisions write (engine.py)."""


def suggest(name: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f"did you mean {close[0]!r}?" if close else ""


def on_events(state: AnyState) -> dict[str, Transitions]:
    if isinstance(state, ScreenState | TaskState | ReviewState | ChildrenState):
        return {event: transitions_of(value) for event, value in state.on.items()}
    if isinstance(state, DecisionState):
        return {"always": state.always}
    return {}


def collected(journey: Journey) -> set[str]:
    """Every context path something writes: screens, tasks, signals, assignments, and what the server fills."""
    paths: set[str] = set(RESERVED_CONTEXT)
    for state_id, state in journey.states.items():
        if isinstance(state, ScreenState):
            root = state.store_at or state_id
            paths.update(f"{root}.{c.name}" for c in state.screen.components if isinstance(c, Input))
            # a challenge selfie's frames and the moves the server drew (server/workflow/challenge.py)
            paths.update(f"{root}.{c.name}_{part}" for c in state.screen.components
                         if isinstance(c, SelfieCapture) and c.challenge_moves for part in ("frames", "challenge"))
        if isinstance(state, TaskState):
            paths.add(state.result or state_id)
        if isinstance(state, ReviewState):
            paths.update(REVIEW_CONTEXT)
        if isinstance(state, ChildrenState):
            paths.add(f"children.{state.group}")
        for event, transitions in on_events(state).items():
            reviewed = isinstance(state, ReviewState) and event in REVIEW_EVENTS
            if event not in ("submit", "always", *TASK_EVENTS) and not reviewed:
                paths.add(f"signals.{event}")
            for t in transitions:
                paths.update(t.assign)
    return paths

def check_read(journey: Journey, path: str, pointer: str, what: str, add: Add) -> None:
    """A path read by a rule, a task input or a dynamic key must be one something writes."""
    written = collected(journey)
    if not any(paths_overlap(path, c) for c in written):
        add(pointer, f"{what} reads {path!r}, which no screen, task or assignment provides", suggest(path, written))

def list_fields(journey: Journey, path: str) -> set[str] | None:
    """The fields of the items of the list at `path`, when a screen's repeater collects it."""
    for state_id, state in journey.states.items():
        if isinstance(state, ScreenState):
            for c in state.screen.components:
                if isinstance(c, Repeater) and f"{state.store_at or state_id}.{c.name}" == path:
                    return {f.name for f in c.fields}
    return None


def item_rules(journey: Journey) -> dict[str, tuple[str, set[str] | None]]:
    """Rules a `children` state evaluates on each item of its list (`where`): rule -> (list path, item fields)."""
    return {s.where: (s.items, list_fields(journey, s.items)) for s in journey.states.values()
            if isinstance(s, ChildrenState) and s.where is not None}


def check_rules(journey: Journey, engine: RulesEngine, add: Add) -> None:
    """Every named rule compiles, and reads only paths something writes (a `where` rule: fields of its items)."""
    per_item = item_rules(journey)
    for name, source in journey.rules.items():
        pointer = f"/rules/{name}"
        diagnostics = engine.check(source)
        for d in diagnostics:
            add(f"{pointer}{d.pointer}", f"rule {d.severity}: {d.message} ({d.code})")
        if any(d.severity == "error" for d in diagnostics):
            continue
        try:
            compiled = engine.compile(name, source)
        except RuleError as exc:
            add(pointer, exc.message)
            continue
        if name in per_item:
            items, fields = per_item[name]
            for path in compiled.reads:
                if fields is not None and path_root(path) not in fields:
                    add(pointer, f"rule {name!r} is a `where` over the items of {items!r}, which have no field "
                        f"{path_root(path)!r}", suggest(path_root(path), fields))
            continue
        for path in compiled.reads:
            check_read(journey, path, pointer, f"rule {name!r}", add)

def message_keys(journey: Journey) -> Iterator[tuple[str, str]]:
    """Every message key the journey shows, with its pointer."""
    yield "/title", journey.title
    if journey.review is not None:
        for field in ("reject_reasons", "change_items", "change_reasons"):
            for code, key in getattr(journey.review, field).items():
                yield f"/review/{field}/{code}", key
    for state_id, state in journey.states.items():
        screen: ScreenDef | None = screen_of(state)
        if screen is None:
            continue
        base = f"/states/{state_id}/screen"
        if screen.title:
            yield f"{base}/title", screen.title
        for i, action in enumerate(screen.actions):
            yield f"{base}/actions/{i}/label", action.label
        for pointer, component in walk_components(screen.components, f"{base}/components"):
            for field in TEXT_FIELDS:
                value = getattr(component, field, None)
                if isinstance(value, str) and value:
                    yield f"{pointer}/{field}", value
            for i, option in enumerate(getattr(component, "options", None) or []):
                yield f"{pointer}/options/{i}/label", option.label

def check_message_keys(journey: Journey, catalogs: Catalogs, add: Add) -> None:
    """Every key is in every catalog; a dynamic key (`@path`) reads a path something writes."""
    for pointer, key in [*message_keys(journey), *(("", k) for k in BUILTIN_KEYS)]:
        if key.startswith("@"):
            check_read(journey, key[1:], pointer, "dynamic message key", add)
            continue
        for locale in catalogs.locales:
            if not catalogs.has(key, locale):
                add(pointer, f"message key {key!r} is missing from the {locale!r} catalog",
                         suggest(key, catalogs.messages.get(locale, {})) or
                         f"add it to ui_schemas/messages/{locale}.yaml")


__all__ = ["BUILTIN_KEYS", "RESERVED_CONTEXT", "REVIEW_CONTEXT", "TASK_EVENTS", "check_message_keys", "check_read",
           "check_rules", "collected", "message_keys", "on_events", "suggest"]
