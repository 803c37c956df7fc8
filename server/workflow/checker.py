"""Validate a journey definition before anything runs it: every problem, located and explained."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping

from sdk_protocol import COUNTRY_CODES, AnyComponent, Button, CountrySelect, Input, Repeater, TextInput
from sdk_protocol.validation import resolve_date
from server.workflow.checker_reads import (
    BUILTIN_KEYS,
    RESERVED_CONTEXT,
    TASK_EVENTS,
    check_message_keys,
    check_read,
    check_rules,
    list_fields,
)
from server.workflow.checker_reads import (
    on_events as _on,
)
from server.workflow.checker_reads import (
    suggest as _suggest,
)
from server.workflow.checker_review import check_reviews
from server.workflow.context import path_root
from server.workflow.engine import parse_delay
from server.workflow.graph import edges
from server.workflow.journey import screen_of, walk_components
from server.workflow.rules import RuleError, RulesEngine
from ui_schemas.loader import Catalogs, Problem
from ui_schemas.model import (
    AnyState,
    ChildrenState,
    DecisionState,
    FinalState,
    Journey,
    ScreenState,
    TaskState,
    Transitions,
)

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
PATH = re.compile(r"^[A-Za-z_$][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
ParamsCheck = Callable[[Collection[str], Mapping[str, object]], list[tuple[str, str]]]
"""A task's own check of a state's input names and params: (where in the state, e.g. `params/retries`,
message) per problem"""
KnownTasks = Collection[str] | Mapping[str, ParamsCheck]
"""The task names the server runs, or each with its check"""


def _check_task(state: TaskState, base: str, tasks: KnownTasks, add: Callable[[str, str, str], None]) -> None:
    """A task the server runs, and (when the tasks come with their checks) input and params it accepts."""
    if state.task not in tasks:
        add(f"{base}/task", f"Expected a task the server runs ({', '.join(sorted(tasks))}), got unknown task "
            f"{state.task!r}", _suggest(state.task, tasks))
    elif isinstance(tasks, Mapping):
        for where, message in tasks[state.task](state.input.keys(), state.params):
            add(f"{base}/{where}", message, "")


def _check_children(journey: Journey, base: str, state: ChildrenState, add: Callable[..., None]) -> None:
    """A children state: its `done`, group, `where` rule, items and the item fields it reads."""
    if "done" not in state.on:
        add(f"{base}/on", "children state has no `done` transition", "add `on.done:`")
    if IDENTIFIER.match(state.group) is None:
        add(f"{base}/group", f"expected a group name of a-z, 0-9 and _, got {state.group!r}")
    if state.where is not None and state.where not in journey.rules:
        add(f"{base}/where", f"where names unknown rule {state.where!r}",
                 _suggest(state.where, journey.rules))
    check_read(journey, state.items, f"{base}/items", "children items", add)
    if state.journey == journey.name:
        add(f"{base}/journey", "a journey cannot start itself as a child")
    fields = list_fields(journey, state.items)
    for pointer, path in [*((f"{base}/prefill/{k}", v) for k, v in state.prefill.items()),
                          *((f"{base}/label/{i}", v) for i, v in enumerate(state.label))]:
        if fields is not None and path_root(path) not in fields:
            add(pointer, f"the items of {state.items!r} have no field {path_root(path)!r}",
                     _suggest(path_root(path), fields))
    if state.screen is not None and any(isinstance(c, Input) for c in state.screen.components):
        add(f"{base}/screen", "a children state's waiting screen cannot collect input")
    others = [s for s in journey.states.values() if isinstance(s, ChildrenState) and s.group == state.group]
    if len(others) > 1:
        add(f"{base}/group", f"two children states use group {state.group!r}", "give each its own group")


class _Checker:
    def __init__(self, journey: Journey, file: str, engine: RulesEngine, catalogs: Catalogs | None,
                 tasks: KnownTasks | None) -> None:
        self.journey = journey
        self.file = file
        self.engine = engine
        self.catalogs = catalogs
        self.tasks = tasks
        self.problems: list[Problem] = []

    def add(self, pointer: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(file=self.file, pointer=pointer, message=message, hint=hint))

    def run(self) -> list[Problem]:
        j = self.journey
        self._names()
        if j.initial not in j.states:
            self.add("/initial", f"initial state {j.initial!r} does not exist", _suggest(j.initial, j.states))
        self._targets()
        self._reachability()
        for state_id, state in j.states.items():
            self._state(state_id, state)
        check_reviews(self.journey, self.add)
        check_rules(self.journey, self.engine, self.add)
        if self.catalogs is not None:
            check_message_keys(self.journey, self.catalogs, self.add)
        return self.problems

    def _names(self) -> None:
        """Identifiers and paths (checked here rather than by msgspec patterns: see sdk_protocol.messages)."""
        j = self.journey
        if IDENTIFIER.match(j.name) is None:
            self.add("/name", f"expected a journey name like kyc_individual, got {j.name!r}")
        for state_id, state in j.states.items():
            if IDENTIFIER.match(state_id) is None:
                self.add(f"/states/{state_id}", f"expected a state id of a-z, 0-9 and _, got {state_id!r}")
            paths: list[tuple[str, str]] = []
            if isinstance(state, ScreenState) and state.store_at is not None:
                paths.append((f"/states/{state_id}/store_at", state.store_at))
            if isinstance(state, TaskState):
                paths += [(f"/states/{state_id}/input/{k}", v) for k, v in state.input.items()]
                if state.result is not None:
                    paths.append((f"/states/{state_id}/result", state.result))
            for event, transitions in _on(state).items():
                for i, t in enumerate(transitions):
                    paths += [(f"/states/{state_id}/on/{event}/{i}/assign/{k}", k) for k in t.assign]
            for pointer, path in paths:
                if PATH.match(path) is None:
                    self.add(pointer, f"expected a dotted context path like person.first_name, got {path!r}")
            for i, delayed in enumerate(state.after):
                try:
                    parse_delay(delayed.delay)
                except ValueError as exc:
                    self.add(f"/states/{state_id}/after/{i}/delay", str(exc))
            screen = screen_of(state)
            for i, action in enumerate(screen.actions if screen else []):
                if IDENTIFIER.match(action.name) is None:
                    self.add(f"/states/{state_id}/screen/actions/{i}/name",
                             f"expected an action name of a-z, 0-9 and _, got {action.name!r}")

    def _targets(self) -> None:
        states = self.journey.states
        for _, _, target, _, pointer in edges(self.journey):
            if target not in states:
                self.add(pointer, f"transition targets unknown state {target!r}", _suggest(target, states))
        for i, delayed in enumerate(self.journey.after):
            if delayed.target is not None and delayed.target not in states:
                self.add(f"/after/{i}/target", f"timer targets unknown state {delayed.target!r}",
                         _suggest(delayed.target, states))

    def _reachability(self) -> None:
        states = self.journey.states
        graph: dict[str, set[str]] = {s: set() for s in states}
        for source, _, target, _, _ in edges(self.journey):
            if target in states:
                graph[source].add(target)
        roots = {self.journey.initial} | {d.target for d in self.journey.after if d.target in states}
        seen: set[str] = set()
        stack = [r for r in roots if r in states]
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(graph[node])
        for state_id in states:
            if state_id not in seen:
                self.add(f"/states/{state_id}", f"state {state_id!r} is unreachable from {self.journey.initial!r}",
                         "add a transition to it or remove it")

    def _guard(self, guard: str | None, pointer: str) -> None:
        if guard is not None and guard not in self.journey.rules:
            self.add(pointer, f"guard names unknown rule {guard!r}", _suggest(guard, self.journey.rules))

    def _transitions(self, transitions: Transitions, pointer: str) -> None:
        for i, t in enumerate(transitions):
            self._guard(t.guard, f"{pointer}/{i}/guard")
            for path, rule in t.assign.items():
                if rule not in self.journey.rules:
                    self.add(f"{pointer}/{i}/assign/{path}", f"assign names unknown rule {rule!r}",
                             _suggest(rule, self.journey.rules))

    def _state(self, state_id: str, state: AnyState) -> None:
        base = f"/states/{state_id}"
        for i, delayed in enumerate(state.after):
            self._guard(delayed.guard, f"{base}/after/{i}/guard")
            if delayed.target is None and delayed.notify is None:
                self.add(f"{base}/after/{i}", "timer has neither a target nor a notify", "add `target:` or `notify:`")
        for event, transitions in _on(state).items():
            self._transitions(transitions, f"{base}/always" if event == "always" else f"{base}/on/{event}")
        if self.journey.steps and getattr(state, "step", None) not in (None, *self.journey.steps):
            step = getattr(state, "step", "")
            self.add(f"{base}/step", f"step {step!r} is not in the journey's steps",
                     _suggest(str(step), self.journey.steps))
        if isinstance(state, FinalState) and state.outcome is None:
            self.add(base, f"final state {state_id!r} has no outcome",
                     "add `outcome:` (approved, rejected, manual_review, abandoned or expired)")
        if isinstance(state, DecisionState):
            if not state.always:
                self.add(f"{base}/always", "decision state has no transitions")
            elif state.always[-1].guard is not None:
                self.add(f"{base}/always/{len(state.always) - 1}",
                         "the last transition of a decision state must have no guard, so it always settles",
                         "add a final transition without `guard:`")
        if isinstance(state, TaskState):
            for event in TASK_EVENTS:
                if event not in state.on:
                    self.add(f"{base}/on", f"task state has no `{event}` transition", f"add `on.{event}:`")
            if self.tasks is not None:
                _check_task(state, base, self.tasks, self.add)
            for name, path in state.input.items():
                self._read(path, f"{base}/input/{name}", "task input")
            if state.screen is not None and any(isinstance(c, Input) for c in state.screen.components):
                self.add(f"{base}/screen", "a task's waiting screen cannot collect input")
        if isinstance(state, ScreenState):
            self._screen(state_id, state)
        if isinstance(state, ChildrenState):
            _check_children(self.journey, base, state, self.add)

    def _screen(self, state_id: str, state: ScreenState) -> None:
        base = f"/states/{state_id}"
        components = state.screen.components
        names = [c.name for c in components if isinstance(c, Input)]
        for name in sorted({n for n in names if names.count(n) > 1}):
            self.add(f"{base}/screen/components", f"two inputs are named {name!r}")
        if names and "submit" not in state.on:
            self.add(f"{base}/on", "screen collects input but has no `submit` transition", "add `on.submit:`")
        if not state.on:
            self.add(f"{base}/on", "screen has no way out", "add `on.submit:` or an action")
        actions = {a.name for a in state.screen.actions} | {
            c.action for _, c in walk_components(components, "") if isinstance(c, Button)}
        for action in sorted(actions - {"submit"}):
            if action not in state.on:
                self.add(f"{base}/on", f"screen offers action {action!r} but has no transition for it",
                         f"add `on.{action}:`")
        for pointer, component in walk_components(components, f"{base}/screen/components"):
            self._component(component, pointer, names)

    def _component(self, component: AnyComponent, pointer: str, names: list[str]) -> None:
        if isinstance(component, CountrySelect):
            for i, code in enumerate(component.countries or []):
                if code not in COUNTRY_CODES:
                    self.add(f"{pointer}/countries/{i}", f"Expected an assigned ISO 3166-1 alpha-2 code, got {code!r}",
                             _suggest(code.upper(), COUNTRY_CODES))
        if isinstance(component, TextInput):
            rules = component.validation
            if rules.pattern is not None:
                try:
                    re.compile(rules.pattern)
                except re.error as exc:
                    self.add(f"{pointer}/validation/pattern", f"pattern does not compile: {exc}")
            for field in ("min_date", "max_date"):
                spec = getattr(rules, field)
                if spec is not None:
                    try:
                        resolve_date(spec, dt.date(2000, 1, 1))
                    except ValueError:
                        self.add(f"{pointer}/validation/{field}",
                                 f"expected an ISO date or today[+-]N(d|m|y), got {spec!r}")
        if isinstance(component, Input):
            for kind in ("visible_if", "required_if"):
                source = getattr(component, kind)
                if source is None:
                    continue
                for diagnostic in self.engine.check(source):
                    self.add(f"{pointer}/{kind}{diagnostic.pointer}",
                             f"rule {diagnostic.severity}: {diagnostic.message} ({diagnostic.code})")
                if not self.engine.check(source):
                    try:
                        reads = self.engine.compile(kind, source).reads
                    except RuleError as exc:
                        self.add(f"{pointer}/{kind}", exc.message)
                        continue
                    fields = names + ([f.name for f in component.fields] if isinstance(component, Repeater) else [])
                    for path in reads:
                        if path_root(path) not in fields and path_root(path) not in RESERVED_CONTEXT:
                            self.add(f"{pointer}/{kind}", f"rule reads {path!r}, which this screen does not collect",
                                     _suggest(path, fields))

    def _read(self, path: str, pointer: str, what: str) -> None:
        check_read(self.journey, path, pointer, what, self.add)


def check_journey(journey: Journey, *, engine: RulesEngine, catalogs: Catalogs | None = None,
                  tasks: KnownTasks | None = None, file: str = "") -> list[Problem]:
    """Every problem with `journey`; an empty list means it can run."""
    problems = _Checker(journey, file, engine, catalogs, tasks).run()
    for i, delayed in enumerate(journey.after):
        try:
            parse_delay(delayed.delay)
        except ValueError as exc:
            problems.append(Problem(file=file, pointer=f"/after/{i}/delay", message=str(exc)))
    return problems


__all__ = ["BUILTIN_KEYS", "RESERVED_CONTEXT", "KnownTasks", "ParamsCheck", "check_journey"]
