"""Turn the current state into the `screen` message one client can render.

Message keys become text in the client's locale, context references are filled
in, and components the client did not declare are replaced by their fallback,
or the whole screen by an `upgrade_required` screen.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from sdk_protocol import (
    Action,
    Alert,
    AnyComponent,
    Capabilities,
    DocumentCapture,
    FieldError,
    Heading,
    Input,
    Option,
    Paragraph,
    Repeater,
    Screen,
    Step,
    fit_components,
)
from server.workflow.challenge import challenged
from server.workflow.context import get_path
from server.workflow.journey import CompiledJourney, screen_of
from server.workflow.snapshot import Snapshot
from ui_schemas.loader import Catalogs
from ui_schemas.model import AnyState, ChildrenState, ReviewState, ScreenDef, ScreenState, TaskState

TEXT_FIELDS = ("text", "label", "help", "placeholder", "guidance", "add_label", "item_label")
UPGRADE_SCREEN_ID = "upgrade_required"


def localize(component: AnyComponent, catalogs: Catalogs, locale: str,
             context: dict[str, object] | None = None) -> AnyComponent:
    """A copy of `component` with every message key replaced by its text."""
    changes: dict[str, object] = {}
    for name in TEXT_FIELDS:
        key = getattr(component, name, None)
        if isinstance(key, str) and key:
            changes[name] = text_for(key, catalogs, locale, context)
    options = getattr(component, "options", None)
    if isinstance(options, list):
        changes["options"] = [Option(value=o.value, label=catalogs.text(o.label, locale)) for o in options]
    if isinstance(component, Repeater):
        changes["fields"] = [localize(f, catalogs, locale, context) for f in component.fields]
    if isinstance(component, DocumentCapture) and component.document_type_from and context is not None:
        found = get_path(context, component.document_type_from)
        changes["document_type"] = found if isinstance(found, str) else component.document_type
    if component.fallback is not None:
        changes["fallback"] = localize(component.fallback, catalogs, locale, context)
    return msgspec.structs.replace(component, **changes)


def text_for(key: str, catalogs: Catalogs, locale: str, context: dict[str, object] | None) -> str:
    """A message key's text; `@a.b` names a context path whose value is the key (e.g. a check's reason)."""
    if key.startswith("@"):
        found = get_path(context or {}, key[1:])
        return catalogs.text(found, locale) if isinstance(found, str) and found else ""
    return catalogs.text(key, locale)


def _step(journey: CompiledJourney, step: str | None) -> Step | None:
    steps = journey.journey.steps
    if step is None or step not in steps:
        return None
    return Step(n=steps.index(step) + 1, m=len(steps))


def _processing_screen() -> ScreenDef:
    return ScreenDef(title="screen.processing.title",
                     components=[Heading(text="screen.processing.title"), Paragraph(text="screen.processing.text")])


def render_screen(journey: CompiledJourney, snapshot: Snapshot, *, catalogs: Catalogs, locale: str,
                  capabilities: Capabilities, speaks_challenge: bool = False) -> Screen:
    """The `screen` message for `snapshot`'s current state, fitted to one client (`speaks_challenge`: protocol
    1.3 or later, see server.workflow.challenge)."""
    state = journey.journey.states[snapshot.state]
    definition = screen_of(state) or _processing_screen()
    context = snapshot.context
    components = challenged([localize(c, catalogs, locale, context) for c in definition.components], snapshot,
                            speaks_challenge=speaks_challenge)
    if isinstance(state, ChildrenState):
        components += children_lines(state, context, catalogs, locale)
    fitted = fit_components(components, capabilities)
    values = screen_values(state, snapshot.state, context)
    step = _step(journey, getattr(state, "step", None))
    title = catalogs.text(definition.title, locale) if definition.title else ""
    if fitted.missing:
        return Screen(
            screen_id=UPGRADE_SCREEN_ID, revision=snapshot.revision, state=snapshot.state, locale=locale,
            title=catalogs.text("screen.upgrade_required.title", locale),
            components=[
                Heading(text=catalogs.text("screen.upgrade_required.title", locale)),
                Paragraph(text=catalogs.text("screen.upgrade_required.text", locale)),
                Alert(severity="warning", text=", ".join(fitted.missing)),
            ],
        )
    return Screen(
        screen_id=snapshot.state, revision=snapshot.revision, state=snapshot.state, title=title, step=step,
        components=fitted.components, locale=locale, waiting=isinstance(state, TaskState | ReviewState | ChildrenState),
        actions=[Action(name=a.name, label=catalogs.text(a.label, locale)) for a in definition.actions],
        values=dict(values) if isinstance(values, dict) else {},
    )


def screen_values(state: AnyState, state_id: str, context: dict[str, object]) -> dict[str, object]:
    """What a screen's inputs show: what was submitted there, else the session's prefill (by input name)."""
    if not isinstance(state, ScreenState):
        return {}
    stored = get_path(context, state.store_at or state_id)
    if isinstance(stored, dict):
        return dict(stored)
    prefill = context.get("prefill")
    names = {c.name for c in state.screen.components if isinstance(c, Input)}
    return {k: v for k, v in prefill.items() if k in names} if isinstance(prefill, dict) else {}


CHILD_SEVERITY: dict[object, Literal["info", "success", "warning", "error"]] = {
    None: "info", "approved": "success", "rejected": "error", "manual_review": "warning"}


def children_lines(state: ChildrenState, context: dict[str, object], catalogs: Catalogs,
                   locale: str) -> list[AnyComponent]:
    """A line per child of a `children` state: who, and where their verification stands."""
    group = get_path(context, f"children.{state.group}")
    items = group.get("items") if isinstance(group, dict) else None
    lines: list[AnyComponent] = []
    for item in items if isinstance(items, list) else []:
        outcome = item.get("outcome")
        name = str(item.get("label") or catalogs.text("children.unnamed", locale))
        text = catalogs.text(f"children.status.{outcome or 'pending'}", locale, {"name": name})
        lines.append(Alert(severity=CHILD_SEVERITY.get(outcome, "warning"), text=text))
    return lines


def localize_errors(errors: list[FieldError], catalogs: Catalogs, locale: str) -> list[FieldError]:
    """Field errors with their message in the client's locale (`error.<code>` keys), when the catalog has it."""
    localized: list[FieldError] = []
    for error in errors:
        key = f"error.{error.code}"
        text = catalogs.text(key, locale, dict(error.params)) if catalogs.has(key, catalogs.resolve_locale(locale)) \
            else error.message
        localized.append(msgspec.structs.replace(error, message=text))
    return localized


__all__ = ["UPGRADE_SCREEN_ID", "localize", "localize_errors", "render_screen", "text_for"]
