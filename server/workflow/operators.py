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


_ICAO_EXPANSIONS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "å": "aa", "æ": "ae", "ø": "oe", "œ": "oe",
                                   "ß": "ss", "þ": "th", "ĳ": "ij"})
"""ICAO 9303's transliterations that write two letters for one (`Müller` is `MUELLER` or `MULLER`)."""


def _name_words(value: str) -> list[set[str]]:
    """Each word of a name in every spelling a machine-readable zone may give it."""
    words = []
    for word in value.replace("<", " ").replace("-", " ").replace("'", " ").replace(",", " ").split():
        words.append({fold_text(word), fold_text(word.lower().translate(_ICAO_EXPANSIONS))})
    return words


def name_matches(args: list[object]) -> object:
    """`{"name_matches": [on_document, typed]}`: every word typed is a word of the document's name, ignoring case,
    accents, order, fillers (`<`) and hyphens, with ICAO's transliterations (`Müller` matches `MUELLER`).
    A middle name left out of the form still matches; a different or extra word does not. `null` when either
    side is missing."""
    if len(args) != 2:
        raise OperatorError(f"Invalid Arguments: name_matches takes 2 arguments, got {len(args)}")
    document, typed = args
    if document is None or typed is None or document == "" or typed == "":
        return None
    if not isinstance(document, str) or not isinstance(typed, str):
        raise OperatorError("Invalid Arguments: name_matches expects two strings, "
                            f"got {type(document).__name__} and {type(typed).__name__}")
    on_document = set().union(*_name_words(document))
    words = _name_words(typed)
    return bool(words) and all(spellings & on_document for spellings in words)


LEGAL_FORMS = frozenset({
    "ltd", "limited", "plc", "llp", "lp", "llc", "inc", "incorporated", "corp", "corporation", "co", "company",
    "gmbh", "mbh", "ag", "kg", "ohg", "ug", "ev", "se", "sa", "sas", "sarl", "srl", "spa", "sl", "slu", "bv", "nv",
    "oy", "ab", "as", "aps", "kft", "sro", "the", "and",
})
"""words a registered name and a typed one may differ by: legal forms as abbreviated or written out, `the`, `&`"""


def _company_words(value: str, *, expand: bool) -> list[str]:
    text = value.replace("&", " and ").replace("+", " and ")
    folded = fold_text(text.lower().translate(_ICAO_EXPANSIONS) if expand else text)
    # "S.A." and "G.m.b.H." are one word each once their dots go; other punctuation separates words
    kept = "".join(ch if ch.isalnum() or ch.isspace() or ch == "." else " " for ch in folded)
    words = [word.replace(".", "") for word in kept.split()]
    return [word for word in words if word and word not in LEGAL_FORMS]


def company_name_matches(args: list[object]) -> object:
    """`{"company_name_matches": [registered, declared]}`: the same company name once case, accents,
    punctuation, word order, `&`/`and`, `the` and legal forms (`Ltd`/`Limited`, `GmbH`, `S.A.`) are set aside
    (`ANALYTICAL ENGINES LIMITED` matches `Analytical Engines Ltd.`), with ICAO's transliterations (`Müller` is
    `Mueller` or `Muller`); `null` when either is missing."""
    if len(args) != 2:
        raise OperatorError(f"Invalid Arguments: company_name_matches takes 2 arguments, got {len(args)}")
    registered, declared = args
    if registered is None or declared is None or registered == "" or declared == "":
        return None
    if not isinstance(registered, str) or not isinstance(declared, str):
        raise OperatorError("Invalid Arguments: company_name_matches expects two strings, "
                            f"got {type(registered).__name__} and {type(declared).__name__}")
    for expand in (False, True):  # Müller as MULLER and as MUELLER
        one, other = _company_words(registered, expand=expand), _company_words(declared, expand=expand)
        if not one or not other:  # a name that is only a legal form: compare it whole
            return fold_text(registered) == fold_text(declared)
        if sorted(one) == sorted(other) or "".join(one) == "".join(other):
            return True
    return False


KYC_OPERATORS: dict[str, OperatorFn] = {
    "age_years": age_years,
    "company_name_matches": company_name_matches,
    "days_until": days_until,
    "iequals": iequals,
    "name_matches": name_matches,
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
    "LEGAL_FORMS",
    "NOW_DEFAULTED",
    "NOW_VAR",
    "OperatorError",
    "OperatorFn",
    "age_years",
    "as_datalogic",
    "company_name_matches",
    "days_until",
    "fold_text",
    "iequals",
    "name_matches",
]
