"""The verification tasks journeys name (`task: verify_document`, `task: verify_selfie`,
`task: verify_company_document`).

Each reads its documents through the task's FileReader, sends the image analysis to the
worker pool, reports `verification.progress` per check, and returns what lands in the session
context (`checks.<capture>`: every check by name, `passed`, `message_key`, `face_match`).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from sdk_protocol import ChallengeMove
from server.challenge import apply_challenge, check_challenge
from server.tasks import TaskFn, TaskTools, TypedTask
from verification.company_document import ORDER as COMPANY_CHECKS
from verification.company_document import CompanyPreset, FileCheck, check_company_document, company_context
from verification.faces import FaceComparison, FaceVerdict
from verification.liveness import recheck
from verification.pipeline import CaptureResult, analyse_document, analyse_selfie
from verification.results import Mode, Policy, Preset


class CheckParams(msgspec.Struct, frozen=True, kw_only=True):
    """`params:` of both tasks. Dotted names nest: `mode.glare: warn` is `mode: {glare: warn}`."""

    capture: str = ""
    preset: Preset = "normal"
    mode: dict[str, Mode] = {}
    threshold: dict[str, float] = {}

    @property
    def policy(self) -> Policy:
        return Policy(preset=self.preset, thresholds=self.threshold, modes=self.mode)


class DocumentParams(CheckParams, frozen=True, kw_only=True):
    side: Literal["front", "back"] = "front"


class DocumentInput(msgspec.Struct, frozen=True, kw_only=True):
    file: str
    document_type: str | None = None


class SelfieInput(msgspec.Struct, frozen=True, kw_only=True):
    file: str
    reference: str | None = None
    """A document or an enrolled selfie; no face match without one."""
    frames: list[str] | None = None
    challenge: list[ChallengeMove] | None = None
    """A challenge's frames after `file` and its moves (server/challenge.py); none: `challenge.status: not_done`."""


class CompanyDocumentInput(msgspec.Struct, frozen=True, kw_only=True):
    """The files of an `input.file` (its value: a list of file ids), or one file; at least one of the two."""

    files: list[str] | None = None
    file: str | None = None


class CompanyDocumentParams(msgspec.Struct, frozen=True, kw_only=True):
    """`params:` of verify_company_document: the document's preset, and `mode.<check>` / `threshold.<measure>`
    (found, not_cut_off, resolution, sharpness, text_lines) overrides."""

    capture: str = ""
    preset: CompanyPreset = "certificate_of_incorporation"
    mode: dict[str, Mode] = {}
    threshold: dict[str, float] = {}


def warm_up() -> None:
    """Load OpenCV and the face models once per worker process, not on its first job."""
    from verification.contents import ocr
    from verification.faces import models

    models()
    ocr()


def _document(data: bytes, document_type: str | None, side: str, policy: Policy, today: dt.date) -> CaptureResult:
    return analyse_document(data, document_type=document_type, side=side, policy=policy, today=today)


def _selfie(data: bytes, policy: Policy) -> CaptureResult:
    return analyse_selfie(data, policy=policy)


async def _report(tools: TaskTools, capture: str, result: CaptureResult) -> None:
    if result.report is None:
        await tools.progress.report(capture, "failed")
        return
    for name, check in result.report.checks.items():
        if check.status != "skipped":
            await tools.progress.report(f"{capture}.{name}", check.status)


async def verify_document(tools: TaskTools, task_input: DocumentInput, params: DocumentParams) -> dict[str, object]:
    capture = params.capture or "document"
    data = await tools.files.read(task_input.file)
    result: CaptureResult = await tools.pool.run(_document, data, task_input.document_type, params.side,
                                                 params.policy, dt.datetime.now(dt.UTC).date())
    await _report(tools, capture, result)
    return result.to_context()


def _company_document(data: bytes, preset: CompanyPreset, policy: Policy) -> FileCheck:
    return check_company_document(data, preset=preset, policy=policy)


_SEVERITY: tuple[Literal["failed", "warning", "passed"], ...] = ("failed", "warning", "passed")


async def verify_company_document(tools: TaskTools, task_input: CompanyDocumentInput,
                                  params: CompanyDocumentParams) -> dict[str, object]:
    """Each file's checks (format, found, readable, not_cut_off) in the worker pool; `checks.<capture>` holds
    every file's and, per check, the worst file's."""
    capture = params.capture or params.preset
    references = [*(task_input.files or []), *([task_input.file] if task_input.file else [])]
    policy = Policy(thresholds=params.threshold, modes=params.mode)
    checked: list[tuple[str, FileCheck]] = []
    for reference in references:
        data = await tools.files.read(reference)
        checked.append((reference, await tools.pool.run(_company_document, data, params.preset, policy)))
    output = company_context(checked)
    for name in COMPANY_CHECKS:
        statuses = {check.report.checks[name].status for _, check in checked}
        worst = next((status for status in _SEVERITY if status in statuses), None)
        if worst is not None:  # skipped on every file: nothing to show
            await tools.progress.report(f"{capture}.{name}", worst)
    if not checked:
        await tools.progress.report(capture, "failed")
    return output


def face_match(comparison: FaceComparison) -> dict[str, object]:
    """`checks.<capture>.face_match`: the verdict, and the similarity and distance it came from."""
    verdict: FaceVerdict = comparison.verdict
    return {"verdict": verdict, "similarity": comparison.similarity, "distance": comparison.distance,
            "reference_faces": comparison.reference_faces, "probe_faces": comparison.probe_faces}


_PROGRESS: dict[FaceVerdict, Literal["passed", "warning", "failed"]] = {
    "match": "passed", "review": "warning", "mismatch": "failed"}


def _status(check: object) -> str:
    return str(check.get("status", "")) if isinstance(check, dict) else ""


async def verify_selfie(tools: TaskTools, task_input: SelfieInput, params: CheckParams) -> dict[str, object]:
    """Selfie checks, then the face match against `reference` (a document or an enrolled selfie)."""
    capture = params.capture or "selfie"
    data = await tools.files.read(task_input.file)
    result: CaptureResult = await tools.pool.run(_selfie, data, params.policy)
    await _report(tools, capture, result)
    output = result.to_context()
    one_face = result.report is not None and result.report.checks["face_count"].passed
    if one_face:
        apply_challenge(output, await check_challenge(tools, capture, data, task_input.frames, task_input.challenge))
    if not one_face or not task_input.reference:
        return output
    await tools.progress.report(f"{capture}.face_match", "running")
    reference = await tools.files.read(task_input.reference)
    # Timeouts, crashed workers and an unreachable matcher fail the task with their own codes.
    comparison = await tools.faces.compare(reference, data)
    if comparison.reference_faces == 0:
        # No face on the reference: the selfie is not at fault, and nothing was compared.
        output["face_match_error"] = "no face found in the reference image"
        await tools.progress.report(f"{capture}.face_match", "error")
        return output
    output["face_match"] = face_match(comparison)
    # the selfie's face is the reference's own photo: the liveness cues count more (verification/liveness.py)
    before = _status(output.get("liveness"))
    output = recheck(output, comparison.distance, params.policy)
    after = _status(output.get("liveness"))
    if after != before and after in ("failed", "warning"):
        await tools.progress.report(f"{capture}.liveness", "failed" if after == "failed" else "warning")
    if comparison.verdict == "mismatch" and output["passed"]:
        output["passed"] = False
        output["message_key"] = "retake.face_mismatch"
    await tools.progress.report(f"{capture}.face_match", _PROGRESS[comparison.verdict])
    return output


TASKS: dict[str, TaskFn] = {
    "verify_document": TypedTask("verify_document", verify_document, input_type=DocumentInput,
                                 params_type=DocumentParams),
    "verify_selfie": TypedTask("verify_selfie", verify_selfie, input_type=SelfieInput, params_type=CheckParams),
    "verify_company_document": TypedTask("verify_company_document", verify_company_document,
                                         input_type=CompanyDocumentInput, params_type=CompanyDocumentParams),
}

__all__ = ["TASKS", "CheckParams", "CompanyDocumentInput", "CompanyDocumentParams", "DocumentInput", "DocumentParams",
           "SelfieInput", "face_match", "verify_company_document", "verify_document", "verify_selfie", "warm_up"]
