"""Every task the server runs, in one registry that `arabesque serve` and `arabesque journeys check` share.

The built-in checks (server/checks.py), the `http` task, and the tasks of installed packages: a package
declares them in the `arabesque.tasks` entry point group, each entry naming a `TypedTask` (typed input and
params), e.g. in its pyproject.toml:

    [project.entry-points."arabesque.tasks"]
    sanctions_lookup = "acme_tasks:SANCTIONS_LOOKUP"

The entry's name is the task's name in journeys. A plugin that does not load, is not a TypedTask, or takes
a name already taken stops the server (and the checker) with `config.invalid` naming the entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points

import msgspec

from server.checks import TASKS
from server.plugins.http_call import Outbound
from server.plugins.http_task import HttpTask
from server.secrets import load_secrets
from server.settings import ConfigError, Settings
from server.tasks import TaskFn, TypedTask

GROUP = "arabesque.tasks"


class TaskSource(msgspec.Struct, frozen=True, kw_only=True):
    """Where a task comes from: `built-in`, or `plugin <distribution> <version> (<module:attr>)`."""

    name: str
    source: str


class Tasks:
    """Task functions by name, and where each came from (listed by `arabesque journeys check`)."""

    def __init__(self, functions: Mapping[str, TaskFn], sources: Iterable[TaskSource]) -> None:
        self.functions = dict(functions)
        self.sources = sorted(sources, key=lambda s: s.name)

    def names(self) -> frozenset[str]:
        return frozenset(self.functions)


def _origin(entry: EntryPoint) -> str:
    dist = entry.dist
    owner = f"{dist.name} {dist.version}" if dist is not None else "unknown distribution"
    return f"plugin {owner} ({entry.value})"


def _plugin(entry: EntryPoint, taken: Mapping[str, TaskFn]) -> TypedTask[msgspec.Struct, msgspec.Struct]:
    where = f"entry point {entry.name!r} of group {GROUP} ({_origin(entry)})"
    try:
        loaded: object = entry.load()
    except Exception as exc:  # a broken package must say which entry broke, whatever it raised
        raise ConfigError(f"{where}: expected it to load, got {type(exc).__name__}: {exc}", entry=entry.name) \
            from None
    if not isinstance(loaded, TypedTask):
        raise ConfigError(f"{where}: expected a server.tasks.TypedTask (typed input and params), got "
                          f"{type(loaded).__name__}", entry=entry.name)
    if entry.name in taken:
        raise ConfigError(f"{where}: expected a task name not taken, got {entry.name!r}, which the server has "
                          "already", entry=entry.name)
    return loaded


def load_tasks(http: HttpTask,
               plugins: Callable[[], Iterable[EntryPoint]] = lambda: entry_points(group=GROUP)) -> Tasks:
    """The built-in tasks, `http`, and every installed plugin's; ConfigError when a plugin is broken."""
    functions: dict[str, TaskFn] = {**TASKS, http.name: http}
    sources = [TaskSource(name=name, source="built-in") for name in functions]
    for entry in plugins():
        functions[entry.name] = _plugin(entry, functions)
        sources.append(TaskSource(name=entry.name, source=_origin(entry)))
    return Tasks(functions, sources)


def build_http_task(settings: Settings) -> HttpTask:
    """The `http` task of these settings: its client, allowlist, size cap and secrets (ConfigError if bad)."""
    outbound = Outbound(allowed_hosts=settings.http_allowed_hosts,
                        max_response_bytes=settings.http_max_response_bytes)
    return HttpTask(outbound, load_secrets(settings))


__all__ = ["GROUP", "TaskSource", "Tasks", "build_http_task", "load_tasks"]
