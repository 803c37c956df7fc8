"""Run the engine's RunTask effects: look a task up by name, give it typed input and its ports.

A task is `async def task(tools, task_input, params) -> result`. Its input and params are
msgspec Structs converted once here (a bad journey input fails with its `$.path`; dotted param
names such as `mode.glare` are nested objects); it reads
documents through a FileReader, reports per-check progress to a ProgressSink, sends CPU work
to the worker pool and compares faces through a FaceMatcher. The runner owns the pool and the
matcher; the caller hands over only the two per-run ports.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import ClassVar, Generic, Protocol, TypeVar

import msgspec

from sdk_protocol.codec import describe_error
from sdk_protocol.messages import CheckStatus
from server.workers import TaskError, TaskTimeout, WorkerCrashed, WorkerPool
from verification.faces import FaceComparison

T = TypeVar("T")
In = TypeVar("In", bound=msgspec.Struct)
Params = TypeVar("Params", bound=msgspec.Struct)


class UnknownTask(TaskError):
    """A journey names a task the server does not have."""

    code: ClassVar[str] = "verification.unknown_task"


class FileReader(Protocol):
    """The documents a task may read."""

    async def read(self, reference: str) -> bytes:
        """`f_...` of this session, or `s_.../f_...` of another session of the tenant."""
        ...


class ProgressSink(Protocol):
    """Where a task reports the progress of each check (`document_front.glare`: `passed`)."""

    async def report(self, check: str, status: CheckStatus) -> None: ...


class Compute(Protocol):
    """Where CPU work runs: the WorkerPool (TaskTimeout / WorkerCrashed), or inline in tests."""

    async def run(self, fn: Callable[..., T], *args: object) -> T: ...


class FaceMatcher(Protocol):
    """Compares the largest face of a reference image with the faces of a probe image."""

    async def compare(self, reference: bytes, probe: bytes) -> FaceComparison: ...


class TaskCall:
    """One run of a task: `key` is stable for this task of this session (it runs again with the same key after
    a restart), and `notes` (each call it made outward: status, latency) go onto the session's timeline with
    the task's result."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.notes: list[dict[str, object]] = []

    def note(self, **entry: str | int | float | None) -> None:
        self.notes.append(dict(entry))


class TaskTools:
    """What one run of a task may use: its two ports, the worker pool, the face matcher and the run itself."""

    def __init__(self, *, files: FileReader, progress: ProgressSink, pool: Compute, faces: FaceMatcher,
                 call: TaskCall | None = None) -> None:
        self.files = files
        self.progress = progress
        self.pool = pool
        self.faces = faces
        self.call = call or TaskCall("")


TaskFn = Callable[[TaskTools, Mapping[str, object], Mapping[str, object]], Awaitable[dict[str, object]]]


def _convert(raw: Mapping[str, object], kind: type[In], what: str, task: str) -> In:
    try:
        return msgspec.convert(raw, kind)
    except msgspec.ValidationError as exc:
        raise TaskError(f"{exc} (the {what} of task {task})", task=task, at=describe_error(exc)[1]) from None


def nest(params: Mapping[str, object]) -> dict[str, object]:
    """Dotted param names as nested objects: `{"mode.glare": "warn"}` is `{"mode": {"glare": "warn"}}`."""
    nested: dict[str, object] = {}
    for name, value in params.items():
        group, dot, key = name.partition(".")
        if not dot:
            nested[name] = value
            continue
        inner = nested.setdefault(group, {})
        if not isinstance(inner, dict):
            raise TaskError(f"Expected `{group}` to be a group of `{group}.<name>` params, got a value as well",
                            at=f"$.{group}")
        inner[key] = value
    return nested


def check_params(params: Mapping[str, object], params_type: type[msgspec.Struct],
                 task: str) -> list[tuple[str, str]]:
    """A journey state's params against a task's params Struct, converted as a run converts them: (where in the
    state, message) per problem, for `arabesque journeys check`."""
    try:
        msgspec.convert(nest(params), params_type)
    except msgspec.ValidationError as exc:
        message, at = describe_error(exc)
        where = at.removeprefix("$").removeprefix(".")
        return [(f"params/{where}" if where else "params", f"{message} (the params of task {task})")]
    except TaskError as exc:
        return [("params", exc.message)]
    return []


class TypedTask(Generic[In, Params]):
    """A task function with declared input and params Structs; callable as a TaskFn."""

    def __init__(self, name: str, fn: Callable[[TaskTools, In, Params], Awaitable[dict[str, object]]], *,
                 input_type: type[In], params_type: type[Params]) -> None:
        self.name = name
        self.fn = fn
        self.input_type = input_type
        self.params_type = params_type

    async def __call__(self, tools: TaskTools, task_input: Mapping[str, object],
                       params: Mapping[str, object]) -> dict[str, object]:
        typed_input = _convert(task_input, self.input_type, "input", self.name)
        typed_params = _convert(nest(params), self.params_type, "params", self.name)
        return await self.fn(tools, typed_input, typed_params)


class TaskRunner:
    """Looks up task functions by name and runs them with the pool, the matcher and the caller's ports."""

    def __init__(self, tasks: Mapping[str, TaskFn], *, pool: Compute, faces: FaceMatcher) -> None:
        self.pool = pool
        self.faces = faces
        self._tasks = dict(tasks)

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._tasks)

    async def run(self, name: str, *, files: FileReader, progress: ProgressSink, task_input: Mapping[str, object],
                  params: Mapping[str, object], call: TaskCall | None = None) -> dict[str, object]:
        """The task's result; TaskError (or another SdkError, with its own code) when it has none."""
        fn = self._tasks.get(name)
        if fn is None:
            raise UnknownTask(f"Expected a known task ({', '.join(sorted(self._tasks))}), got {name!r}", task=name)
        tools = TaskTools(files=files, progress=progress, pool=self.pool, faces=self.faces, call=call)
        return await fn(tools, task_input, params)


__all__ = ["Compute", "FaceMatcher", "FileReader", "ProgressSink", "TaskCall", "TaskError", "TaskFn", "TaskRunner",
           "TaskTimeout", "TaskTools", "TypedTask", "UnknownTask", "WorkerCrashed", "WorkerPool", "check_params",
           "nest"]
