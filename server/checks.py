"""The verification tasks journeys name (`task: verify_document`, `task: verify_selfie`).

Each fetches its documents on the event loop, sends the image analysis to the process
pool, pushes `verification.progress` per check, and returns what lands in the session
context (`checks.<capture>`: every check by name, `passed`, `message_key`, `face_match`).
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from sdk_protocol import SdkError
from sdk_protocol.rekognition import InvalidParameter, RekognitionError
from server.tasks import TaskContext, TaskError, TaskFn
from verification.faces import OPERATING_POINTS
from verification.pipeline import CaptureResult, FaceMatch, analyse_document, analyse_selfie
from verification.results import Policy


def warm_up() -> None:
    """Load OpenCV and the face models once per worker process, not on its first job."""
    from verification.faces import models

    models()


def _document(data: bytes, document_type: str | None, side: str, policy: Policy) -> CaptureResult:
    return analyse_document(data, document_type=document_type, side=side, policy=policy)


def _selfie(data: bytes, policy: Policy) -> CaptureResult:
    return analyse_selfie(data, reference=None, policy=policy)


async def _file(context: TaskContext, task_input: Mapping[str, object], name: str) -> bytes:
    file_id = task_input.get(name)
    if not isinstance(file_id, str) or not file_id:
        raise TaskError(f"Expected a file id in the task input {name!r}, got {type(file_id).__name__}", input=name)
    return await context.read_file(file_id)


def _policy(params: Mapping[str, object]) -> Policy:
    try:
        return Policy.from_params(params)
    except msgspec.ValidationError as exc:
        raise TaskError(f"Expected valid check parameters (preset, mode.*, threshold.*), got {exc}") from None


async def _report(context: TaskContext, capture: str, result: CaptureResult) -> None:
    if result.report is None:
        await context.progress(capture, "failed")
        return
    for name, check in result.report.checks.items():
        if check.status != "skipped":
            await context.progress(f"{capture}.{name}", check.status)


async def verify_document(context: TaskContext, task_input: Mapping[str, object],
                          params: Mapping[str, object]) -> dict[str, object]:
    capture = str(params.get("capture", "document"))
    data = await _file(context, task_input, "file")
    document_type = task_input.get("document_type")
    result: CaptureResult = await context.compute(
        _document, data, document_type if isinstance(document_type, str) else None, str(params.get("side", "front")),
        _policy(params))
    await _report(context, capture, result)
    return result.to_context()


async def verify_selfie(context: TaskContext, task_input: Mapping[str, object],
                        params: Mapping[str, object]) -> dict[str, object]:
    """Selfie checks, then the face match against `reference` (a document or an enrolled selfie)."""
    capture = str(params.get("capture", "selfie"))
    data = await _file(context, task_input, "file")
    result: CaptureResult = await context.compute(_selfie, data, _policy(params))
    await _report(context, capture, result)
    output = result.to_context()
    reference_id = task_input.get("reference")
    one_face = result.report is not None and result.report.checks["face_count"].passed
    if not one_face or not isinstance(reference_id, str) or not reference_id:
        return output
    faces = context.faces
    if faces is None:
        raise TaskError("Expected a face provider to compare faces with, got none")
    await context.progress(f"{capture}.face_match", "running")
    try:
        reference = await context.read_file(reference_id)
        compared = await faces.compare_faces(reference, data, threshold=0.0, quality_filter="NONE")
    except InvalidParameter:
        # No face on the reference: the selfie is not at fault, and nothing was compared.
        output["face_match_error"] = "no face found in the reference image"
        await context.progress(f"{capture}.face_match", "error")
        return output
    except (RekognitionError, SdkError) as exc:
        raise TaskError(f"Expected to compare faces, got {exc.code}: {exc.message}") from None
    best = max((m.similarity for m in compared.face_matches), default=0.0)
    match = FaceMatch(similarity=best, distance=-1.0, matched=best >= OPERATING_POINTS["approve"].similarity,
                      reference_faces=1)
    output["face_match"] = msgspec.to_builtins(match)
    if best < OPERATING_POINTS["review"].similarity and output["passed"]:
        output["passed"] = False
        output["message_key"] = "retake.face_mismatch"
    await context.progress(f"{capture}.face_match", "passed" if match.matched else "warning"
                           if best >= OPERATING_POINTS["review"].similarity else "failed")
    return output


TASKS: dict[str, TaskFn] = {"verify_document": verify_document, "verify_selfie": verify_selfie}

__all__ = ["TASKS", "verify_document", "verify_selfie", "warm_up"]
