"""Bytes in, typed results out: the functions a worker process runs for a capture."""

from __future__ import annotations

import cv2
import msgspec
import numpy as np

from verification.document import WORK_SIDE, check_document
from verification.faces import OPERATING_POINTS, Box, descriptor, detect, distance, similarity
from verification.intake import ImageInfo, IntakeError, Limits, decode
from verification.results import Policy, Report
from verification.selfie import SELFIE_SIDE, check_selfie


class Unreadable(msgspec.Struct, frozen=True, kw_only=True):
    """The bytes could not be analysed at all (wrong type, truncated, too large ...)."""

    code: str
    message: str


class FaceMatch(msgspec.Struct, frozen=True, kw_only=True):
    similarity: float
    distance: float
    matched: bool
    reference_faces: int


class CaptureResult(msgspec.Struct, frozen=True, kw_only=True):
    """What lands in the session context for rules (`checks.<capture>`)."""

    passed: bool
    message_key: str
    report: Report | None = None
    image: ImageInfo | None = None
    unreadable: Unreadable | None = None
    face_match: FaceMatch | None = None
    thresholds: dict[str, float] = {}

    def to_context(self) -> dict[str, object]:
        """Flat for rules: `checks.document_front.glare.passed`, `checks.selfie.face_match.similarity`."""
        data: dict[str, object] = {"passed": self.passed, "message_key": self.message_key}
        if self.report is not None:
            data["failed"] = self.report.failed
            data["warnings"] = self.report.warnings
            data.update({name: msgspec.to_builtins(check) for name, check in self.report.checks.items()})
        if self.image is not None:
            data["image"] = msgspec.to_builtins(self.image)
        if self.unreadable is not None:
            data["unreadable"] = msgspec.to_builtins(self.unreadable)
        if self.face_match is not None:
            data["face_match"] = msgspec.to_builtins(self.face_match)
        if self.thresholds:
            data["thresholds"] = self.thresholds
        return data


def _unreadable(exc: IntakeError) -> CaptureResult:
    return CaptureResult(passed=False, message_key="retake.unreadable",
                         unreadable=Unreadable(code=exc.code, message=exc.message))


def analyse_document(data: bytes, *, document_type: str | None, side: str, policy: Policy) -> CaptureResult:
    try:
        bgr, info = decode(data, limits=Limits(), max_side=WORK_SIDE)
    except IntakeError as exc:
        return _unreadable(exc)
    result = check_document(bgr, original_width=info.width, document_type=document_type, side=side, policy=policy)
    return CaptureResult(passed=result.passed, message_key=result.message_key, report=result, image=info)


def _portrait_descriptor(data: bytes) -> tuple[np.ndarray | None, int]:
    """The descriptor of the largest face in a reference image (a document or an enrolled selfie)."""
    bgr, _ = decode(data, limits=Limits(), max_side=1600)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    faces = detect(rgb)
    if not faces:
        return None, 0
    return descriptor(rgb, faces[0]), len(faces)


def analyse_selfie(data: bytes, *, reference: bytes | None, policy: Policy) -> CaptureResult:
    """Selfie checks, then (when they allow it) the face match against `reference`."""
    try:
        bgr, info = decode(data, limits=Limits(), max_side=SELFIE_SIDE)
    except IntakeError as exc:
        return _unreadable(exc)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    result, face = check_selfie(rgb, policy=policy, scale_to_original=info.width / bgr.shape[1])
    thresholds = {name: point.similarity for name, point in OPERATING_POINTS.items()}
    match = None
    message_key = result.message_key
    passed = result.passed
    if reference is not None and face is not None:
        match = _match(rgb, face, reference)
        if match is not None and match.reference_faces == 0:
            passed, message_key = False, message_key or "retake.no_portrait"
    return CaptureResult(passed=passed, message_key=message_key, report=result, image=info, face_match=match,
                         thresholds=thresholds)


def _match(rgb: np.ndarray, face: Box, reference: bytes) -> FaceMatch | None:
    try:
        ref, count = _portrait_descriptor(reference)
    except IntakeError:
        return FaceMatch(similarity=0.0, distance=2.0, matched=False, reference_faces=0)
    if ref is None:
        return FaceMatch(similarity=0.0, distance=2.0, matched=False, reference_faces=0)
    dist = distance(descriptor(rgb, face), ref)
    score = similarity(dist)
    return FaceMatch(similarity=score, distance=round(dist, 5), matched=score >= OPERATING_POINTS["approve"].similarity,
                     reference_faces=count)


__all__ = ["CaptureResult", "FaceMatch", "Unreadable", "analyse_document", "analyse_selfie"]
