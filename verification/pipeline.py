"""Bytes in, typed results out: the functions a worker process runs for a capture."""

from __future__ import annotations

import datetime as dt

import cv2
import msgspec

from verification.contents import DocumentRead
from verification.document import WORK_SIDE, inspect_document
from verification.faces import OPERATING_POINTS
from verification.intake import ImageInfo, IntakeError, Limits, decode
from verification.liveness import Cues, with_liveness
from verification.results import Policy, Report
from verification.selfie import SELFIE_SIDE, check_selfie


class Unreadable(msgspec.Struct, frozen=True, kw_only=True):
    """The bytes could not be analysed at all (wrong type, truncated, too large ...)."""

    code: str
    message: str


class CaptureResult(msgspec.Struct, frozen=True, kw_only=True):
    """What lands in the session context for rules (`checks.<capture>`)."""

    passed: bool
    message_key: str
    report: Report | None = None
    image: ImageInfo | None = None
    unreadable: Unreadable | None = None
    thresholds: dict[str, float] = {}
    read: DocumentRead | None = None
    """What was read off a document: its kind and side, its MRZ, its barcode."""
    liveness: Cues | None = None
    """A selfie's presentation-attack cues (`checks.selfie.liveness_cues`), kept to judge again once the face
    match against the document is known."""

    def to_context(self) -> dict[str, object]:
        """Flat for rules: `checks.document_front.glare.passed`, `checks.selfie.face_size.passed`,
        `checks.document_back.read.mrz.birth_date`."""
        data: dict[str, object] = {"passed": self.passed, "message_key": self.message_key}
        if self.report is not None:
            data["failed"] = self.report.failed
            data["warnings"] = self.report.warnings
            data.update({name: msgspec.to_builtins(check) for name, check in self.report.checks.items()})
        if self.image is not None:
            data["image"] = msgspec.to_builtins(self.image)
        if self.unreadable is not None:
            data["unreadable"] = msgspec.to_builtins(self.unreadable)
        if self.thresholds:
            data["thresholds"] = self.thresholds
        if self.read is not None:
            data["read"] = self.read.to_context()
        if self.liveness is not None:
            data["liveness_cues"] = msgspec.to_builtins(self.liveness)
        return data


def _unreadable(exc: IntakeError) -> CaptureResult:
    return CaptureResult(passed=False, message_key="retake.unreadable",
                         unreadable=Unreadable(code=exc.code, message=exc.message))


def analyse_document(data: bytes, *, document_type: str | None, side: str, policy: Policy,
                     today: dt.date | None = None) -> CaptureResult:
    """`today`: the date the document's expiry is judged against (the server passes its clock's)."""
    try:
        bgr, info = decode(data, limits=Limits(), max_side=WORK_SIDE)
    except IntakeError as exc:
        return _unreadable(exc)
    result, read = inspect_document(bgr, original_width=info.width, document_type=document_type, side=side,
                                    policy=policy, today=today)
    return CaptureResult(passed=result.passed, message_key=result.message_key, report=result, image=info, read=read)


def analyse_selfie(data: bytes, *, policy: Policy) -> CaptureResult:
    """The selfie checks; the face match against a reference is the matcher's (`verification.faces.compare`)."""
    try:
        bgr, info = decode(data, limits=Limits(), max_side=SELFIE_SIDE)
    except IntakeError as exc:
        return _unreadable(exc)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    result, face = check_selfie(rgb, policy=policy, scale_to_original=info.width / bgr.shape[1])
    result, cues = with_liveness(result, bgr, face, policy)
    thresholds = {name: point.similarity for name, point in OPERATING_POINTS.items()}
    return CaptureResult(passed=result.passed, message_key=result.message_key, report=result, image=info,
                         thresholds=thresholds, liveness=cues)


__all__ = ["CaptureResult", "Unreadable", "analyse_document", "analyse_selfie"]
