"""JsonLogic rules: compiled once with datalogic-py, evaluated with a trace.

A `RulesEngine` wraps one datalogic `Engine` with the KYC operators and the
community-semantics pass (compat.py). Build it once and hand it to whatever
compiles journeys; compiled `Rule`s are thread-safe and shared.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping

import datalogic_py as dl
import msgspec

from sdk_protocol import RuleFailed
from server.workflow.compat import COMPAT_OPERATORS, InvalidRule, js_truthy, rewrite
from server.workflow.context import get_path
from server.workflow.operators import KYC_OPERATORS, NOW_VAR, OperatorFn, as_datalogic

_THROWN = re.compile(r"^Thrown: (?P<payload>.*) \(in operator: [^)]*\)$", re.S)
_INVALID = re.compile(r"^Invalid arguments: (?P<what>.*?)(?: \(in operator: [^)]*\))?$", re.S)
_CUSTOM = re.compile(r"raised: \w+: (?P<what>.*?)(?: \(in operator: [^)]*\))?$", re.S)


class RuleError(RuleFailed):
    """A rule failed to compile or evaluate; `error` is the JSON Logic error object."""

    def __init__(self, message: str, *, error: dict[str, object], rule: str = "", pointer: str = "") -> None:
        super().__init__(message, rule=rule, pointer=pointer, error_type=str(error.get("type", "")))
        self.error = error


class Diagnostic(msgspec.Struct, frozen=True, kw_only=True):
    """A problem datalogic's static `check` found, by JSON pointer into the rule."""

    code: str
    severity: str
    message: str
    pointer: str


class RuleEvaluation(msgspec.Struct, frozen=True, kw_only=True):
    """One evaluation for the decision trace: the rule, the inputs it read, what it returned."""

    rule: str
    inputs: dict[str, object]
    result: object
    error: str | None = None


def error_object(exc: dl.DataLogicError) -> dict[str, object]:
    """datalogic's exception as the JSON Logic error object (`{"type": ...}`)."""
    text = str(exc)
    if exc.error_type == "Thrown" and (thrown := _THROWN.match(text)) is not None:
        payload = json.loads(thrown["payload"])
        return payload if isinstance(payload, dict) else {"type": payload}
    if exc.error_type == "InvalidArguments" and (invalid := _INVALID.match(text)) is not None:
        return {"type": "NaN" if invalid["what"] == "NaN" else "Invalid Arguments"}
    if exc.error_type == "Custom" and (custom := _CUSTOM.search(text)) is not None:
        what = custom["what"]
        return {"type": "Invalid Arguments" if what.startswith("Invalid Arguments") else what, "detail": what}
    if exc.error_type == "InvalidOperator":
        return {"type": "Unknown Operator", "operator": exc.operator or ""}
    return {"type": exc.error_type}


def _reads(facts: Mapping[str, object]) -> list[str]:
    reads = facts.get("reads", [])
    paths = {".".join(str(s) for s in segs) for segs in reads if isinstance(segs, list)} if isinstance(reads, list) \
        else set()
    return sorted(p for p in paths if p and p != NOW_VAR)


class CompiledRule:
    """A named rule, compiled once; knows which data paths it reads."""

    def __init__(self, name: str, source: object, compiled: dl.Rule) -> None:
        self.name = name
        self.source = source
        self._compiled = compiled
        self.reads: list[str] = _reads(compiled.facts())

    def evaluate(self, data: Mapping[str, object], *, now: dt.datetime) -> object:
        """The rule's value for `data` at `now`; failures raise RuleError."""
        payload = msgspec.json.encode({**data, NOW_VAR: now.isoformat()})
        try:
            return msgspec.json.decode(self._compiled.evaluate_str(payload.decode()))
        except dl.DataLogicError as exc:
            error = error_object(exc)
            raise RuleError(f"Rule {self.name!r} failed: {exc}", error=error, rule=self.name) from None

    def evaluate_any(self, data: object) -> object:
        """The rule's value for any JSON value as data (no `$now`): the conformance runner's path."""
        try:
            return json.loads(self._compiled.evaluate_str(json.dumps(data)))
        except dl.DataLogicError as exc:
            raise RuleError(f"Rule {self.name!r} failed: {exc}", error=error_object(exc), rule=self.name) from None

    def test(self, data: Mapping[str, object], *, now: dt.datetime) -> RuleEvaluation:
        """Evaluate as a guard: the traced result is a JavaScript-truthiness boolean."""
        inputs = {path: get_path(data, path) for path in self.reads}
        try:
            value = self.evaluate(data, now=now)
        except RuleError as exc:
            return RuleEvaluation(rule=self.name, inputs=inputs, result=False, error=exc.message)
        return RuleEvaluation(rule=self.name, inputs=inputs, result=js_truthy(value))

    def compute(self, data: Mapping[str, object], *, now: dt.datetime) -> RuleEvaluation:
        """Evaluate as a computed value: the traced result is the value itself."""
        inputs = {path: get_path(data, path) for path in self.reads}
        return RuleEvaluation(rule=self.name, inputs=inputs, result=self.evaluate(data, now=now))


class RulesEngine:
    """One datalogic engine with KYC and compatibility operators; compiles rules."""

    def __init__(self, extra_operators: Mapping[str, OperatorFn] | None = None, *,
                 community_semantics: bool = True) -> None:
        self._rewrite = community_semantics
        operators: dict[str, OperatorFn] = {**KYC_OPERATORS, **COMPAT_OPERATORS, **(extra_operators or {})}
        self._engine = dl.Engine(
            custom_operators={name: as_datalogic(fn) for name, fn in operators.items()},
            strict_operator_names=True,
        )
        self.operators = frozenset(operators)

    def check(self, source: object) -> list[Diagnostic]:
        """datalogic's static diagnostics for a rule (pointers into the rule as written)."""
        try:
            found = self._engine.check(json.dumps(source))
        except dl.DataLogicError as exc:
            return [Diagnostic(code=exc.error_type, severity="error", message=str(exc), pointer="")]
        return [Diagnostic(code=d["code"], severity=d["severity"], message=d["message"], pointer=d["pointer"])
                for d in found]

    def compile(self, name: str, source: object) -> CompiledRule:
        """Compile `source` (a JSON value) once; raises RuleError when it cannot run."""
        try:
            rewritten = rewrite(source) if self._rewrite else source
            return CompiledRule(name, source, self._engine.compile(json.dumps(rewritten)))
        except InvalidRule as exc:
            raise RuleError(f"Rule {name!r} cannot run: {exc}", error={"type": str(exc)}, rule=name) from None
        except dl.DataLogicError as exc:
            raise RuleError(f"Rule {name!r} does not compile: {exc}", error=error_object(exc), rule=name) from None

    def evaluate(self, source: object, data: object) -> object:
        """One-shot evaluation of any JSON value against any data (the conformance runner's path)."""
        return self.compile("<inline>", source).evaluate_any(data)


__all__ = ["CompiledRule", "Diagnostic", "RuleError", "RuleEvaluation", "RulesEngine", "error_object", "js_truthy"]
