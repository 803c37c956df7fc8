"""Run JSON Logic conformance cases (the json-logic community suite format) through our rules layer."""

from __future__ import annotations

import math

import msgspec

from server.workflow.rules import RuleError, RulesEngine


class Case(msgspec.Struct, frozen=True, kw_only=True):
    """One suite case: `rule` and `data`, then either `result` or `error`."""

    rule: object
    data: object = None
    result: object = msgspec.UNSET
    error: object = msgspec.UNSET
    description: str = ""
    decimal: bool = False


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    file: str
    description: str
    passed: bool
    expected: object = None
    got: object = None


def same(expected: object, got: object, *, decimal: bool = False) -> bool:
    """JSON equality: numbers compare by value (1 == 1.0), never bool against number."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(expected) is type(got) and expected == got
    if isinstance(expected, int | float) and isinstance(got, int | float):
        return math.isclose(expected, got, rel_tol=1e-12, abs_tol=1e-12) if decimal else expected == got
    if isinstance(expected, list) and isinstance(got, list):
        return len(expected) == len(got) and all(same(e, g, decimal=decimal) for e, g in zip(expected, got,
                                                                                              strict=True))
    if isinstance(expected, dict) and isinstance(got, dict):
        return expected.keys() == got.keys() and all(same(v, got[k], decimal=decimal) for k, v in expected.items())
    return type(expected) is type(got) and expected == got


def run_case(engine: RulesEngine, case: Case, file: str = "") -> Outcome:
    """Evaluate one case; an expected error matches only an error of the same `type`."""
    expects_error = case.error is not msgspec.UNSET
    try:
        got = engine.evaluate(case.rule, case.data)
    except RuleError as exc:
        got_error = {k: v for k, v in exc.error.items() if k in ("type",)}
        wanted = case.error if isinstance(case.error, dict) else {"type": case.error}
        passed = expects_error and got_error == {k: v for k, v in wanted.items() if k == "type"}
        return Outcome(file=file, description=case.description, passed=passed,
                       expected=case.error if expects_error else case.result, got={"error": exc.error})
    if expects_error:
        return Outcome(file=file, description=case.description, passed=False, expected={"error": case.error},
                       got=got)
    return Outcome(file=file, description=case.description, passed=same(case.result, got, decimal=case.decimal),
                   expected=case.result, got=got)


def parse_cases(raw: object) -> list[Case]:
    """A suite file is a list of cases, with strings as section comments."""
    if not isinstance(raw, list):
        raise ValueError(f"Expected a list of cases, got {type(raw).__name__}")
    return [msgspec.convert(item, Case) for item in raw if not isinstance(item, str)]


__all__ = ["Case", "Outcome", "parse_cases", "run_case", "same"]
