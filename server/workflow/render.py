"""Turn the current state into the `screen` message one client can render.

Message keys become text in the client's locale, context references are filled
in, and components the client did not declare are replaced by their fallback,
or the whole screen by an `upgrade_required` screen.
"""

from __future__ import annotations

import msgspec

from sdk_protocol import (
    Action,
    Alert,
    AnyComponent,
    Capabilities,
    DocumentCapture,
    FieldError,
    Heading,
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
from ui_schemas.model import ReviewState, ScreenDef, ScreenState, TaskState

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
    fitted = fit_components(components, capabilities)
    store_at = state.store_at if isinstance(state, ScreenState) else None
    values = get_path(context, store_at or snapshot.state) if isinstance(state, ScreenState) else None
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
        components=fitted.components, locale=locale, waiting=isinstance(state, TaskState | ReviewState),
        actions=[Action(name=a.name, label=catalogs.text(a.label, locale)) for a in definition.actions],
        values=dict(values) if isinstance(values, dict) else {},
    )


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
