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

from collections.abc import Callable, Collection, Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points

import msgspec

from server.checks import TASKS
from server.plugins.http_call import Outbound
from server.plugins.http_task import HttpTask
from server.secrets import load_secrets
from server.settings import ConfigError, Settings
from server.tasks import TaskFn, TypedTask, check_params
from server.workflow.checker import ParamsCheck

GROUP = "arabesque.tasks"


class TaskSource(msgspec.Struct, frozen=True, kw_only=True):
    """Where a task comes from: `built-in`, or `plugin <distribution> <version> (<module:attr>)`."""

    name: str
    source: str


def typed_check(task: TypedTask[msgspec.Struct, msgspec.Struct]) -> ParamsCheck:
    """Every required input field named, and params that convert: what `journeys check` asks of a TypedTask."""
    return declared_check(task.name, task.input_type, task.params_type)


def declared_check(name: str, input_type: type[msgspec.Struct], params_type: type[msgspec.Struct]) -> ParamsCheck:
    """The check of a task known by its types alone: one the server builds on its database, which
    `arabesque journeys check` (no database) declares rather than builds."""
    required = [f.encode_name for f in msgspec.structs.fields(input_type) if f.required]

    def check(inputs: Collection[str], params: Mapping[str, object]) -> list[tuple[str, str]]:
        missing = [("input", f"Expected input `{field}` of task {name}, got none")
                   for field in required if field not in inputs]
        return missing + check_params(params, params_type, name)

    return check


class Tasks:
    """Task functions by name, their checks, and where each came from (listed by `arabesque journeys check`)."""

    def __init__(self, functions: Mapping[str, TaskFn], sources: Iterable[TaskSource],
                 checks: Mapping[str, ParamsCheck]) -> None:
        self.functions = dict(functions)
        self.sources = sorted(sources, key=lambda s: s.name)
        self.checks = dict(checks)

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
               plugins: Callable[[], Iterable[EntryPoint]] = lambda: entry_points(group=GROUP), *,
               configured: Mapping[str, TaskFn] | None = None,
               declared: Mapping[str, ParamsCheck] | None = None) -> Tasks:
    """The built-in tasks, `http`, the built-ins made from settings or the database (`configured`, e.g.
    `screening`, `search_duplicates`), and every installed plugin's; ConfigError when a plugin is broken.
    `declared`: built-ins known only by their checks, for `arabesque journeys check`, which runs no task."""
    built_in: dict[str, TaskFn] = {**TASKS, **(configured or {})}
    functions: dict[str, TaskFn] = {**built_in, http.name: http}
    sources = [TaskSource(name=name, source="built-in") for name in [*functions, *(declared or {})]]
    checks: dict[str, ParamsCheck] = {name: typed_check(fn) for name, fn in built_in.items()
                                      if isinstance(fn, TypedTask)}
    checks.update(declared or {})
    checks[http.name] = http.check
    for entry in plugins():
        plugin = _plugin(entry, functions)
        functions[entry.name] = plugin
        checks[entry.name] = typed_check(plugin)
        sources.append(TaskSource(name=entry.name, source=_origin(entry)))
    for name in functions.keys() - checks.keys():
        checks[name] = lambda inputs, params: []  # a built-in given as a plain function: its name only
    return Tasks(functions, sources, checks)


def checked_tasks(settings: Settings) -> Tasks:
    """What `arabesque journeys check` (and a test loading journeys) knows: every task `serve` would run with these
    settings, the ones built on the database declared by their types."""
    from server.duplicates import SEARCH_DUPLICATES, DuplicatesInput, DuplicatesParams
    from server.screening.task import screening_tasks

    searching = declared_check(SEARCH_DUPLICATES, DuplicatesInput, DuplicatesParams)
    return load_tasks(build_http_task(settings), configured=screening_tasks(settings),
                      declared={SEARCH_DUPLICATES: searching})


def build_http_task(settings: Settings) -> HttpTask:
    """The `http` task of these settings: its client, allowlist, size cap and secrets (ConfigError if bad)."""
    outbound = Outbound(allowed_hosts=settings.http_allowed_hosts,
                        max_response_bytes=settings.http_max_response_bytes)
    return HttpTask(outbound, load_secrets(settings))


__all__ = ["GROUP", "TaskSource", "Tasks", "build_http_task", "checked_tasks", "declared_check", "load_tasks",
           "typed_check"]
