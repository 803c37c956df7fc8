"""Validate submitted values against a component's own definition.

Pure and shared: an SDK written in Python validates locally with it, and the
server validates authoritatively with the very same code. Visibility and
requiredness rules (JsonLogic) are evaluated by the caller and passed in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence

import msgspec

from sdk_protocol.components import (
    CHALLENGE_MAX_FRAMES,
    Checkbox,
    Consent,
    CountrySelect,
    DocumentCapture,
    FileUpload,
    Input,
    Radio,
    Repeater,
    Select,
    SelfieCapture,
    TextInput,
)
from sdk_protocol.countries import COUNTRY_CODES

FILE_ID = re.compile(r"^f_[A-Za-z0-9_-]{8,64}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")
TEL = re.compile(r"^\+?[0-9 ()./-]{5,25}$")
RELATIVE_DATE = re.compile(r"^today(?:(?P<sign>[+-])(?P<n>\d{1,4})(?P<unit>[dmy]))?$")


class FieldError(msgspec.Struct, frozen=True, kw_only=True):
    """One problem with one value, located by an RFC 6901 JSON pointer into `values`."""

    pointer: str
    code: str
    message: str
    params: dict[str, str | int | float] = {}


EvaluateConditions = Callable[[Input, Mapping[str, object]], tuple[bool, bool]]
"""(component, form values) -> (visible, required): the caller evaluates the rules."""


def pointer_join(base: str, token: str | int) -> str:
    escaped = str(token).replace("~", "~0").replace("/", "~1")
    return f"{base}/{escaped}"


def resolve_date(spec: str, today: dt.date) -> dt.date:
    """`2000-01-31`, `today`, `today-18y`, `today+30d`, `today-6m` -> a date."""
    match = RELATIVE_DATE.match(spec)
    if match is None:
        return dt.date.fromisoformat(spec)
    if match["sign"] is None:
        return today
    n = int(match["n"]) * (1 if match["sign"] == "+" else -1)
    if match["unit"] == "d":
        return today + dt.timedelta(days=n)
    months = today.year * 12 + (today.month - 1) + (n * 12 if match["unit"] == "y" else n)
    year, month = divmod(months, 12)
    day = min(today.day, _days_in_month(year, month + 1))
    return dt.date(year, month + 1, day)


def _days_in_month(year: int, month: int) -> int:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _err(pointer: str, code: str, message: str, **params: str | int | float) -> FieldError:
    return FieldError(pointer=pointer, code=code, message=message, params=params)


def is_empty(value: object) -> bool:
    return value is None or value is False or value in ("", [])


def validate_value(
    component: Input,
    value: object,
    *,
    pointer: str,
    required: bool,
    today: dt.date,
    conditions: EvaluateConditions | None = None,
) -> list[FieldError]:
    """Every problem with `value` for `component`; an empty list means it is valid."""
    minimum = component.min_items if isinstance(component, Repeater) else \
        component.min_files if isinstance(component, FileUpload) else 0
    required = required or minimum > 0
    if is_empty(value) and not (minimum > 0 and isinstance(value, list)):
        if required:
            return [_err(pointer, "validation.required", f"Expected a value for {component.name!r}, got nothing")]
        return []
    if isinstance(component, TextInput):
        return _text(component, value, pointer, today)
    if isinstance(component, Select | Radio):
        return _choice(component, value, pointer, [o.value for o in component.options])
    if isinstance(component, CountrySelect):
        return _country(component, value, pointer)
    if isinstance(component, Checkbox | Consent):
        if not isinstance(value, bool):
            return [_err(pointer, "validation.type", f"Expected a boolean, got {_type_name(value)}")]
        return []
    if isinstance(component, DocumentCapture | SelfieCapture):
        return _file_id(value, pointer)
    if isinstance(component, FileUpload):
        return _files(component, value, pointer)
    if isinstance(component, Repeater):
        return _repeater(component, value, pointer, today, conditions)
    return [_err(pointer, "validation.type", f"Expected a known input type, got {type(component).__name__}")]


def _text(component: TextInput, value: object, pointer: str, today: dt.date) -> list[FieldError]:
    rules = component.validation
    if component.input_type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [_err(pointer, "validation.type", f"Expected a number, got {_type_name(value)}")]
        return _range(float(value), rules.min_value, rules.max_value, pointer)
    if not isinstance(value, str):
        return [_err(pointer, "validation.type", f"Expected a string, got {_type_name(value)}")]
    errors: list[FieldError] = []
    if rules.min_length is not None and len(value) < rules.min_length:
        errors.append(_err(pointer, "validation.min_length",
                           f"Expected at least {rules.min_length} characters, got {len(value)}",
                           min_length=rules.min_length))
    if rules.max_length is not None and len(value) > rules.max_length:
        errors.append(_err(pointer, "validation.max_length",
                           f"Expected at most {rules.max_length} characters, got {len(value)}",
                           max_length=rules.max_length))
    if rules.pattern is not None and re.fullmatch(rules.pattern, value) is None:
        errors.append(_err(pointer, "validation.pattern",
                           f"Expected text matching {rules.pattern}, got {value[:40]!r}", pattern=rules.pattern))
    if rules.allowed_values is not None and value not in rules.allowed_values:
        errors.append(_err(pointer, "validation.not_allowed",
                           f"Expected one of {', '.join(rules.allowed_values)}, got {value[:40]!r}"))
    if component.input_type == "email" and EMAIL.match(value) is None:
        errors.append(_err(pointer, "validation.email", f"Expected an email address, got {value[:40]!r}"))
    if component.input_type == "tel" and TEL.match(value) is None:
        errors.append(_err(pointer, "validation.tel", f"Expected a phone number, got {value[:40]!r}"))
    if component.input_type == "date":
        errors.extend(_date(value, rules.min_date, rules.max_date, pointer, today))
    return errors


def _range(number: float, low: float | None, high: float | None, pointer: str) -> list[FieldError]:
    if low is not None and number < low:
        return [_err(pointer, "validation.min_value", f"Expected at least {low:g}, got {number:g}", min_value=low)]
    if high is not None and number > high:
        return [_err(pointer, "validation.max_value", f"Expected at most {high:g}, got {number:g}", max_value=high)]
    return []


def _date(value: str, low: str | None, high: str | None, pointer: str, today: dt.date) -> list[FieldError]:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return [_err(pointer, "validation.date", f"Expected a date as YYYY-MM-DD, got {value[:40]!r}")]
    if len(value) != 10:
        return [_err(pointer, "validation.date", f"Expected a date as YYYY-MM-DD, got {value[:40]!r}")]
    if low is not None and day < (limit := resolve_date(low, today)):
        return [_err(pointer, "validation.min_date", f"Expected {limit.isoformat()} or later, got {value}",
                     min_date=limit.isoformat())]
    if high is not None and day > (limit := resolve_date(high, today)):
        return [_err(pointer, "validation.max_date", f"Expected {limit.isoformat()} or earlier, got {value}",
                     max_date=limit.isoformat())]
    return []


def _choice(component: Input, value: object, pointer: str, options: list[str]) -> list[FieldError]:
    if not isinstance(value, str):
        return [_err(pointer, "validation.type", f"Expected a string, got {_type_name(value)}")]
    allowed = component.validation.allowed_values or options
    if value not in allowed:
        return [_err(pointer, "validation.not_allowed",
                     f"Expected one of {', '.join(allowed)}, got {value[:40]!r}")]
    return []


def _country(component: CountrySelect, value: object, pointer: str) -> list[FieldError]:
    if not isinstance(value, str) or value not in COUNTRY_CODES:
        shown = repr(value[:40]) if isinstance(value, str) else _type_name(value)
        return [_err(pointer, "validation.country", f"Expected an assigned ISO 3166-1 alpha-2 code, got {shown}")]
    allowed = component.validation.allowed_values or component.countries
    if allowed is not None and value not in allowed:
        return [_err(pointer, "validation.not_allowed", f"Expected one of {', '.join(allowed)}, got {value!r}")]
    return []


def _file_id(value: object, pointer: str) -> list[FieldError]:
    """One file id, or a list of one: what the capture's `input.file` fallback sends."""
    if isinstance(value, list):
        if len(value) != 1:
            return [_err(pointer, "validation.file_id", f"Expected one file id (or a list of one, from an input.file "
                                                        f"fallback), got a list of {len(value)}")]
        return _file_id(value[0], f"{pointer}/0")
    if not isinstance(value, str) or FILE_ID.match(value) is None:
        shown = repr(value[:40]) if isinstance(value, str) else _type_name(value)
        return [_err(pointer, "validation.file_id", f"Expected an uploaded file id (f_...), got {shown}")]
    return []


def frames_field(component: object) -> str | None:
    """The name of the frames a challenge selfie takes besides its value (`<name>_frames`), or None."""
    return f"{component.name}_frames" if isinstance(component, SelfieCapture) and component.challenge_moves else None


def challenge_frames(component: SelfieCapture, value: object, pointer: str) -> list[FieldError]:
    """`<name>_frames`: the file ids taken after the selfie, one or more per move and one back at the start."""
    low, high = component.challenge_moves + 1, CHALLENGE_MAX_FRAMES - 1
    if not isinstance(value, list) or not low <= len(value) <= high:
        shown = f"a list of {len(value)}" if isinstance(value, list) else _type_name(value)
        return [_err(pointer, "validation.challenge_frames",
                     f"Expected {low} to {high} file ids of the frames after the selfie, got {shown}",
                     min_items=low, max_items=high)]
    errors: list[FieldError] = []
    for i, item in enumerate(value):
        errors.extend(_file_id(item, pointer_join(pointer, i)) if isinstance(item, str) else [
            _err(pointer_join(pointer, i), "validation.file_id", f"Expected an uploaded file id (f_...), got "
                                                                 f"{_type_name(item)}")])
    return errors


def _files(component: FileUpload, value: object, pointer: str) -> list[FieldError]:
    if not isinstance(value, list):
        return [_err(pointer, "validation.type", f"Expected an array of file ids, got {_type_name(value)}")]
    if len(value) < component.min_files:
        return [_err(pointer, "validation.min_items",
                     f"Expected at least {component.min_files} files, got {len(value)}", min_items=component.min_files)]
    if len(value) > component.max_files:
        return [_err(pointer, "validation.max_items",
                     f"Expected at most {component.max_files} files, got {len(value)}", max_items=component.max_files)]
    errors: list[FieldError] = []
    for i, item in enumerate(value):
        errors.extend(_file_id(item, pointer_join(pointer, i)))
    return errors


def _repeater(
    component: Repeater, value: object, pointer: str, today: dt.date, conditions: EvaluateConditions | None
) -> list[FieldError]:
    if not isinstance(value, list):
        return [_err(pointer, "validation.type", f"Expected an array of items, got {_type_name(value)}")]
    if len(value) < component.min_items:
        return [_err(pointer, "validation.min_items",
                     f"Expected at least {component.min_items} items, got {len(value)}", min_items=component.min_items)]
    if len(value) > component.max_items:
        return [_err(pointer, "validation.max_items",
                     f"Expected at most {component.max_items} items, got {len(value)}", max_items=component.max_items)]
    errors: list[FieldError] = []
    for i, item in enumerate(value):
        item_pointer = pointer_join(pointer, i)
        if not isinstance(item, dict):
            errors.append(_err(item_pointer, "validation.type", f"Expected an object, got {_type_name(item)}"))
            continue
        errors.extend(validate_form(component.fields, item, today=today, conditions=conditions, base=item_pointer))
    return errors


def default_conditions(component: Input, values: Mapping[str, object]) -> tuple[bool, bool]:
    """Visible always, required as declared: what a client without a rules engine assumes."""
    return True, component.validation.required


def validate_form(
    inputs: Sequence[Input],
    values: Mapping[str, object],
    *,
    today: dt.date,
    conditions: EvaluateConditions | None = None,
    base: str = "",
) -> list[FieldError]:
    """Validate a whole form: unknown names, hidden fields, required and each constraint."""
    conditions = conditions or default_conditions
    frames = {name: c for c in inputs if isinstance(c, SelfieCapture) and (name := frames_field(c)) is not None}
    known = {c.name for c in inputs} | set(frames)
    errors = [
        _err(pointer_join(base, name), "validation.unknown_field",
             f"Expected one of the screen's fields ({', '.join(sorted(known)) or 'none'}), got {name[:40]!r}")
        for name in values
        if name not in known
    ]
    for component in inputs:
        visible, required = conditions(component, values)
        if not visible:
            continue
        errors.extend(
            validate_value(component, values.get(component.name), pointer=pointer_join(base, component.name),
                           required=required, today=today, conditions=conditions)
        )
    for name, selfie in frames.items():
        if name in values and conditions(selfie, values)[0]:
            errors.extend(challenge_frames(selfie, values[name], pointer_join(base, name)))
    return errors


__all__ = [
    "FILE_ID",
    "EvaluateConditions",
    "FieldError",
    "challenge_frames",
    "default_conditions",
    "frames_field",
    "is_empty",
    "pointer_join",
    "resolve_date",
    "validate_form",
    "validate_value",
]
