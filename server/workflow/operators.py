"""Custom JsonLogic operators KYC rules need, as plain functions over JSON values.

datalogic calls each with its evaluated arguments as a JSON array (text) and
expects JSON text back; `as_datalogic` adapts a plain function to that.
Time is never read here: rules that need "now" read `$now` from the data,
which the engine fills from the time the caller passes in.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Callable

NOW_VAR = "$now"
"""The data key holding the evaluation time (ISO 8601, UTC)."""

OperatorFn = Callable[[list[object]], object]


class OperatorError(ValueError):
    """An operator was given arguments it cannot use; the message is the JsonLogic error type."""


def _as_date(value: object, what: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise OperatorError(f"Invalid Arguments: expected {what} as an ISO date string, got {type(value).__name__}")
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        raise OperatorError(f"Invalid Arguments: expected {what} as an ISO date, got {value[:40]!r}") from None


def _at(args: list[object]) -> dt.date:
    at = _as_date(args[1] if len(args) > 1 else None, "the reference time")
    if at is None:
        raise OperatorError("Invalid Arguments: no reference time (pass one or evaluate with $now)")
    return at


def age_years(args: list[object]) -> object:
    """`{"age_years": [dob, at?]}`: whole years between a date of birth and `at` (default `$now`)."""
    born = _as_date(args[0] if args else None, "the date of birth")
    if born is None:
        return None
    at = _at(args)
    years = at.year - born.year - ((at.month, at.day) < (born.month, born.day))
    return years


def days_until(args: list[object]) -> object:
    """`{"days_until": [date, at?]}`: days from `at` (default `$now`) to `date`; negative once past."""
    day = _as_date(args[0] if args else None, "the date")
    if day is None:
        return None
    return (day - _at(args)).days


def fold_text(value: str) -> str:
    """Case- and accent-insensitive form: NFKD, combining marks dropped, casefolded, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = stripped.casefold().replace("ß", "ss").replace("ø", "o").replace("đ", "d").replace("ł", "l")
    return " ".join(folded.split())


def iequals(args: list[object]) -> object:
    """`{"iequals": [a, b]}`: equal ignoring case, accents and runs of spaces: `José  Müller` equals `jose muller`."""
    if len(args) != 2:
        raise OperatorError(f"Invalid Arguments: iequals takes 2 arguments, got {len(args)}")
    a, b = args
    if not isinstance(a, str) or not isinstance(b, str):
        return a == b
    return fold_text(a) == fold_text(b)


KYC_OPERATORS: dict[str, OperatorFn] = {
    "age_years": age_years,
    "days_until": days_until,
    "iequals": iequals,
}
"""Operators that read `$now` when called with one argument are listed in NOW_DEFAULTED."""

NOW_DEFAULTED: frozenset[str] = frozenset({"age_years", "days_until"})


def as_datalogic(fn: OperatorFn) -> Callable[[str], str]:
    """Adapt `fn(list of args) -> value` to datalogic's JSON-text calling convention."""

    def call(args_json: str) -> str:
        args = json.loads(args_json)
        return json.dumps(fn(args if isinstance(args, list) else [args]), separators=(",", ":"))

    return call


__all__ = [
    "KYC_OPERATORS",
    "NOW_DEFAULTED",
    "NOW_VAR",
    "OperatorError",
    "OperatorFn",
    "age_years",
    "as_datalogic",
    "days_until",
    "fold_text",
    "iequals",
]
