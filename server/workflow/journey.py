"""A journey definition with its rules compiled once, ready for the engine."""

from __future__ import annotations

from collections.abc import Iterator

from sdk_protocol import AnyComponent, Input, Repeater
from server.workflow.rules import CompiledRule, RuleError, RulesEngine
from ui_schemas.loader import DefinitionError, Problem
from ui_schemas.model import (
    AnyState,
    ChildrenState,
    FinalState,
    Journey,
    ReviewState,
    ScreenDef,
    ScreenState,
    TaskState,
)


class InputConditions:
    """The compiled `visible_if` / `required_if` of one input."""

    def __init__(self, visible: CompiledRule | None, required: CompiledRule | None) -> None:
        self.visible = visible
        self.required = required


def screen_of(state: AnyState) -> ScreenDef | None:
    if isinstance(state, ScreenState):
        return state.screen
    if isinstance(state, TaskState | ReviewState | ChildrenState | FinalState):
        return state.screen
    return None


def walk_components(components: list[AnyComponent], base: str) -> Iterator[tuple[str, AnyComponent]]:
    """Every component with its JSON pointer, including repeater fields and fallbacks."""
    for i, component in enumerate(components):
        pointer = f"{base}/{i}"
        yield pointer, component
        if isinstance(component, Repeater):
            yield from walk_components(list(component.fields), f"{pointer}/fields")
        fallback, fb_pointer = component.fallback, f"{pointer}/fallback"
        while fallback is not None:
            yield fb_pointer, fallback
            fallback, fb_pointer = fallback.fallback, f"{fb_pointer}/fallback"


class CompiledJourney:
    """A validated journey plus its compiled rules; immutable once built."""

    def __init__(self, journey: Journey, rules: dict[str, CompiledRule],
                 conditions: dict[int, InputConditions]) -> None:
        self.journey = journey
        self.rules = rules
        self._conditions = conditions

    @property
    def key(self) -> str:
        return self.journey.key

    def conditions_for(self, component: Input) -> InputConditions | None:
        return self._conditions.get(id(component))


def compile_journey(journey: Journey, engine: RulesEngine, file: str = "") -> CompiledJourney:
    """Compile every named rule and every input condition; DefinitionError lists each failure."""
    problems: list[Problem] = []
    rules: dict[str, CompiledRule] = {}
    for name, source in journey.rules.items():
        try:
            rules[name] = engine.compile(name, source)
        except RuleError as exc:
            problems.append(Problem(file=file, pointer=f"/rules/{name}", message=exc.message))
    conditions: dict[int, InputConditions] = {}
    for state_id, state in journey.states.items():
        screen = screen_of(state)
        if screen is None:
            continue
        for pointer, component in walk_components(screen.components, f"/states/{state_id}/screen/components"):
            if not isinstance(component, Input):
                continue
            compiled: list[CompiledRule | None] = []
            for kind, source in (("visible_if", component.visible_if), ("required_if", component.required_if)):
                if source is None:
                    compiled.append(None)
                    continue
                try:
                    compiled.append(engine.compile(f"{state_id}.{component.name}.{kind}", source))
                except RuleError as exc:
                    problems.append(Problem(file=file, pointer=f"{pointer}/{kind}", message=exc.message))
                    compiled.append(None)
            if any(c is not None for c in compiled):
                conditions[id(component)] = InputConditions(compiled[0], compiled[1])
    if problems:
        raise DefinitionError(problems)
    return CompiledJourney(journey, rules, conditions)


__all__ = ["CompiledJourney", "InputConditions", "compile_journey", "screen_of", "walk_components"]
