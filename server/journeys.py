"""Load, check and compile journey files into a registry keyed by (name, version)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from server.workflow import CompiledJourney, RulesEngine, check_journey, compile_journey
from server.workflow.checker import KnownTasks
from server.workflow.children import cancel_target
from ui_schemas.loader import (
    Catalogs,
    DefinitionError,
    Problem,
    builtin_journey_files,
    journey_files,
    load_journey_file,
)
from ui_schemas.model import ChildrenState


class Registry:
    """Every loaded journey version; sessions are pinned to the version they started on."""

    def __init__(self, journeys: Iterable[CompiledJourney]) -> None:
        self._by_key = {(j.journey.name, j.journey.version): j for j in journeys}

    def get(self, name: str, version: int | None = None) -> CompiledJourney | None:
        """A specific version, or the newest when `version` is None."""
        if version is not None:
            return self._by_key.get((name, version))
        versions = [v for (n, v) in self._by_key if n == name]
        return self._by_key[(name, max(versions))] if versions else None

    def latest(self) -> list[CompiledJourney]:
        names = sorted({n for n, _ in self._by_key})
        return [j for n in names if (j := self.get(n)) is not None]

    def all(self) -> list[CompiledJourney]:
        return [self._by_key[k] for k in sorted(self._by_key)]


def check_files(paths: Iterable[Path], *, engine: RulesEngine, catalogs: Catalogs | None,
                tasks: KnownTasks | None = None) -> tuple[list[CompiledJourney], list[Problem]]:
    """Load, check and compile each file: the journeys that passed and every problem found."""
    compiled: list[CompiledJourney] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in journey_files(paths):
        file = str(path)
        try:
            journey = load_journey_file(path)
        except DefinitionError as exc:
            problems.extend(exc.problems)
            continue
        found = check_journey(journey, engine=engine, catalogs=catalogs, tasks=tasks, file=file)
        if journey.key in seen:
            found.append(Problem(file=file, pointer="/version", message=f"{journey.key} is also defined in "
                                 f"{seen[journey.key]}", hint="bump `version:` for a new definition"))
        seen[journey.key] = file
        problems.extend(found)
        if found:
            continue
        try:
            compiled.append(compile_journey(journey, engine, file))
        except DefinitionError as exc:
            problems.extend(exc.problems)
    problems += child_problems(compiled, {j.journey.key: seen[j.journey.key] for j in compiled})
    return compiled, problems


def child_problems(compiled: list[CompiledJourney], files: dict[str, str]) -> list[Problem]:
    """A `children` state names a loaded journey (and version), one a parent can cancel (an `abandoned` end)."""
    registry = Registry(compiled)
    problems: list[Problem] = []
    for parent in compiled:
        for state_id, state in parent.journey.states.items():
            if not isinstance(state, ChildrenState):
                continue
            pointer, file = f"/states/{state_id}/journey", files[parent.journey.key]
            child = registry.get(state.journey, state.version)
            wanted = state.journey + (f"@{state.version}" if state.version is not None else "")
            if child is None:
                known = ", ".join(sorted({j.journey.name for j in compiled}))
                problems.append(Problem(file=file, pointer=pointer, message=f"Expected a loaded journey ({known}), "
                                        f"got {wanted!r}"))
            elif cancel_target(child) is None:
                problems.append(Problem(file=file, pointer=pointer, message=f"Expected {wanted} to have a final "
                                        "state with outcome abandoned (where a cancelled child ends), got none"))
    return problems


def load_registry(*, engine: RulesEngine, catalogs: Catalogs, extra: Iterable[Path] = (),
                  tasks: KnownTasks | None = None) -> Registry:
    """The built-in journeys plus any extra files; DefinitionError if any of them is broken."""
    compiled, problems = check_files([*builtin_journey_files(), *extra], engine=engine, catalogs=catalogs,
                                     tasks=tasks)
    if problems:
        raise DefinitionError(problems)
    return Registry(compiled)


__all__ = ["Registry", "check_files", "child_problems", "load_registry"]
