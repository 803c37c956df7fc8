"""Authoritative validation of a screen submission, with the screen's own definitions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sdk_protocol import AnyComponent, DocumentCapture, FieldError, Input, Repeater, SelfieCapture, validate_form
from sdk_protocol.validation import EvaluateConditions, frames_field
from server.workflow.compat import js_truthy
from server.workflow.journey import CompiledJourney
from server.workflow.rules import RuleError


def inputs_of(components: list[AnyComponent]) -> list[Input]:
    return [c for c in components if isinstance(c, Input)]


def check_submission(
    journey: CompiledJourney,
    components: list[AnyComponent],
    values: Mapping[str, object],
    *,
    now: dt.datetime,
) -> tuple[list[FieldError], dict[str, object]]:
    """(errors, cleaned values). Cleaned values drop fields hidden by their `visible_if`."""

    def conditions(component: Input, form: Mapping[str, object]) -> tuple[bool, bool]:
        compiled = journey.conditions_for(component)
        visible, required = True, component.validation.required
        if compiled is None:
            return visible, required
        try:
            if compiled.visible is not None:
                visible = js_truthy(compiled.visible.evaluate(form, now=now))
            if compiled.required is not None:
                required = required or js_truthy(compiled.required.evaluate(form, now=now))
        except RuleError:
            # A condition that cannot be evaluated keeps the field visible and as required as declared:
            # the stricter reading, so nothing is skipped by a broken rule.
            return True, component.validation.required
        return visible, required

    inputs = inputs_of(components)
    errors = validate_form(inputs, values, today=now.date(), conditions=conditions)
    return errors, _clean(inputs, values, conditions)


def _clean(inputs: list[Input], values: Mapping[str, object], conditions: EvaluateConditions) -> dict[str, object]:
    cleaned: dict[str, object] = {}
    for component in inputs:
        visible, _ = conditions(component, values)
        if not visible or component.name not in values:
            continue
        value = values[component.name]
        if isinstance(component, Repeater) and isinstance(value, list):
            fields: list[Input] = list(component.fields)
            value = [_clean(fields, item, conditions) if isinstance(item, dict) else item for item in value]
        elif isinstance(component, DocumentCapture | SelfieCapture) and isinstance(value, list) and len(value) == 1:
            value = value[0]  # sent by its input.file fallback: the capture holds the one file id
        cleaned[component.name] = value
        if (frames := frames_field(component)) is not None and frames in values:
            cleaned[frames] = values[frames]  # a challenge's frames after the selfie (server.workflow.challenge)
    return cleaned


__all__ = ["check_submission", "inputs_of"]
