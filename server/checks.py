"""The verification tasks journeys name (`task: verify_document` ...), run by the TaskRunner.

Each fetches the document bytes on the event loop and sends the CPU work to the
process pool; the result is what lands in the session context for rules to read.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from server.tasks import TaskContext, TaskError, TaskFn
from verification.intake import IntakeError, Limits, probe

MIN_DOCUMENT_SIDE = 640
MIN_SELFIE_SIDE = 320


def warm_up() -> None:
    """Import the heavy libraries once per worker process, not on the first job."""
    import cv2  # noqa: F401
    import PIL.Image  # noqa: F401


def _inspect(data: bytes, min_side: int) -> dict[str, object]:
    try:
        info = probe(data, Limits())
    except IntakeError as exc:
        return {"passed": False, "message_key": "retake.unreadable", "reason": exc.code, "detail": exc.message}
    passed = min(info.width, info.height) >= min_side
    return {"passed": passed, "message_key": "" if passed else "retake.low_resolution",
            "reason": "" if passed else "verification.low_resolution", "image": msgspec.to_builtins(info)}


async def _file(context: TaskContext, task_input: Mapping[str, object], name: str) -> bytes:
    file_id = task_input.get(name)
    if not isinstance(file_id, str):
        raise TaskError(f"Expected a file id in the task input {name!r}, got {type(file_id).__name__}", input=name)
    return await context.read_file(file_id)


async def verify_document(context: TaskContext, task_input: Mapping[str, object],
                          params: Mapping[str, object]) -> dict[str, object]:
    data = await _file(context, task_input, "file")
    return await context.compute(_inspect, data, MIN_DOCUMENT_SIDE)


async def verify_selfie(context: TaskContext, task_input: Mapping[str, object],
                        params: Mapping[str, object]) -> dict[str, object]:
    data = await _file(context, task_input, "file")
    return await context.compute(_inspect, data, MIN_SELFIE_SIDE)


TASKS: dict[str, TaskFn] = {"verify_document": verify_document, "verify_selfie": verify_selfie}

__all__ = ["TASKS", "verify_document", "verify_selfie", "warm_up"]
