"""Close the gaps between datalogic-py 5.9 and the JSON Logic community semantics.

datalogic runs every rule; this module only rewrites a rule before it is
compiled, in six documented places where datalogic 5.9 differs from the
community conformance suite (json-logic/.github tests, 1,138 cases), whatever
its configuration. Measured: datalogic alone passes 1,093; with this pass, 1,138.

1. `preserve` (json-logic-engine's quote operator) is unknown to datalogic: it
   becomes a literal, and an arithmetic operator applied to a preserved list
   takes the list's items as its arguments.
2. `and` / `or` with no arguments return `false` (datalogic: null).
3. An empty object `{}` is truthy, as in JavaScript (datalogic: falsy). Every
   place that decides on truthiness gets the JavaScript answer: conditions of
   `if`/`?:`, the operands of `!`, `!!`, `and`, `or`, and the predicates of
   `filter`/`all`/`some`/`none`. Only sub-rules that can produce an object are
   wrapped, so most rules are left exactly as written.
4. `all`/`some`/`none` over something that is not an array, and `map`/`filter`
   given a literal null array or null mapper, raise "Invalid Arguments".
5. `merge` keeps null items (datalogic drops every null, even inside arrays):
   it runs as our own operator.
6. Errors are reported as the suite's error objects ({"type": "NaN"}, ...):
   see `error_object` in rules.py.
"""

from __future__ import annotations

import json
import math

from server.workflow.operators import NOW_DEFAULTED, NOW_VAR, OperatorError

LITERAL = "__literal"
TRUTHY = "__js_truthy"
BOX = "__js_box"
UNBOX = "__js_unbox"
ITERABLE = "__iterable"
MERGE = "__merge"
EMPTY_OBJECT_SENTINEL = "\u0000arabesque:empty-object\u0000"

SPREAD_OPS = frozenset({"+", "-", "*", "/", "%", "min", "max"})
PREDICATE_OPS = frozenset({"filter", "all", "some", "none"})
STRICT_ITERABLE_OPS = frozenset({"all", "some", "none"})
# Operators whose result is never an object, so their truthiness needs no help.
SCALAR_OPS = frozenset({
    "==", "===", "!=", "!==", ">", ">=", "<", "<=", "!", "!!", "in", "+", "-", "*", "/", "%", "cat", "substr",
    "all", "some", "none", "missing", "missing_some", "exists", "starts_with", "ends_with", "length", "upper",
    "lower", "trim", "split", "abs", "ceil", "floor", "min", "max", "merge", "map", "filter", "type", "keys",
    "values", "age_years", "days_until", "iequals", "name_matches", "company_name_matches", TRUTHY, MERGE,
    "timestamp", "datetime",
})


def js_truthy(value: object) -> bool:
    """JavaScript truthiness as JSON Logic defines it: {} is truthy, [] and "" are not."""
    if value is None or value is False:
        return False
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str | list):
        return len(value) > 0
    return True


def _operator(node: object) -> tuple[str, object] | None:
    if isinstance(node, dict) and len(node) == 1:
        ((op, args),) = node.items()
        return op, args
    return None


def _may_be_object(node: object) -> bool:
    """Whether evaluating `node` could produce a JSON object (so datalogic's truthiness differs)."""
    if isinstance(node, dict):
        found = _operator(node)
        if found is None:
            return True  # an object literal such as {}
        return found[0] not in SCALAR_OPS
    return False


def _truthy(node: object) -> object:
    return {TRUTHY: [node]} if _may_be_object(node) else node


def _args(args: object) -> list[object] | None:
    return args if isinstance(args, list) else None


class InvalidRule(ValueError):
    """The rule can never evaluate; the message is the JsonLogic error type."""


def rewrite(node: object) -> object:
    """The rule with community semantics restored (see the module docstring)."""
    if isinstance(node, list):
        return [rewrite(item) for item in node]
    found = _operator(node)
    if found is None:
        if isinstance(node, dict):
            return {key: rewrite(value) for key, value in node.items()}
        return node
    op, raw_args = found
    if op == "preserve":
        return {LITERAL: json.dumps(raw_args)}
    if op in SPREAD_OPS and (inner := _operator(raw_args)) is not None and inner[0] == "preserve" \
            and isinstance(inner[1], list):
        return {op: [_literal(item) for item in inner[1]]}
    args = rewrite(raw_args)
    listed = _args(args)
    if op in NOW_DEFAULTED and listed is not None and len(listed) == 1:
        return {op: [listed[0], {"var": NOW_VAR}]}
    if op in {"and", "or"}:
        if listed is None:
            return {op: args}
        if not listed:
            return False
        if not any(_may_be_object(item) for item in listed):
            return {op: listed}
        return {UNBOX: [{op: [{BOX: [item]} if _may_be_object(item) else item for item in listed]}]}
    if op in {"!", "!!"}:
        if listed is None:
            return {op: [_truthy(args)]}
        return {op: [_truthy(listed[0]), *listed[1:]]} if listed else {op: listed}
    if op in {"if", "?:"} and listed is not None:
        return {op: [_truthy(item) if i % 2 == 0 and i < len(listed) - 1 else item for i, item in enumerate(listed)]}
    if op in PREDICATE_OPS | {"map"} and listed is not None:
        return _iteration(op, listed)
    if op == "merge":
        return {MERGE: listed if listed is not None else [args]}
    return {op: args}


def _literal(item: object) -> object:
    return item if not isinstance(item, dict | list) else {LITERAL: json.dumps(item)}


def _iteration(op: str, args: list[object]) -> object:
    if op in {"map", "filter"} and len(args) >= 2 and (args[0] is None or args[1] is None):
        raise InvalidRule("Invalid Arguments")
    source = args[0] if args else None
    if op in STRICT_ITERABLE_OPS:
        source = {ITERABLE: [source]}
    rest = args[1:]
    if op in PREDICATE_OPS and rest:
        rest = [_truthy(rest[0]), *rest[1:]]
    return {op: [source, *rest]}


def _literal_op(args: list[object]) -> object:
    text = args[0] if args else "null"
    return json.loads(text) if isinstance(text, str) else text


def _box(args: list[object]) -> object:
    value = args[0] if args else None
    return EMPTY_OBJECT_SENTINEL if value == {} else value


def _unbox(args: list[object]) -> object:
    value = args[0] if args else None
    return {} if value == EMPTY_OBJECT_SENTINEL else value


def _iterable(args: list[object]) -> object:
    value = args[0] if args else None
    if not isinstance(value, list):
        raise OperatorError("Invalid Arguments")
    return value


def _merge(args: list[object]) -> object:
    merged: list[object] = []
    for value in args:
        if isinstance(value, list):
            merged.extend(value)
        else:
            merged.append(value)
    return merged


COMPAT_OPERATORS = {
    LITERAL: _literal_op,
    TRUTHY: lambda args: js_truthy(args[0] if args else None),
    BOX: _box,
    UNBOX: _unbox,
    ITERABLE: _iterable,
    MERGE: _merge,
}

__all__ = ["COMPAT_OPERATORS", "InvalidRule", "js_truthy", "rewrite"]
