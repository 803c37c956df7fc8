"""Quality checks on a selfie: one face, big enough, in frame, sharp, well lit, facing the camera, eyes open."""

from __future__ import annotations

import math

import cv2
import msgspec
import numpy as np

from verification.document import edge_sharpness
from verification.faces import Box, detect, landmarks68
from verification.results import CheckResult, Limit, Policy, Preset, Report, failed, judge, presets, report, skipped

SELFIE_SIDE = 1280
STRONG_FACE = 90.0
ORDER = ("face_count", "face_position", "face_size", "face_too_dark", "face_overexposed", "face_sharpness",
         "head_pose", "eyes_open")

# Generic 3D face (millimetre-ish) for the 68-point indices below: nose tip, chin, outer eye corners, mouth corners.
MODEL_POINTS = np.array([(0.0, 0.0, 0.0), (0.0, -330.0, -65.0), (-225.0, 170.0, -135.0), (225.0, 170.0, -135.0),
                         (-150.0, -150.0, -125.0), (150.0, -150.0, -125.0)])
MODEL_INDICES = [30, 8, 36, 45, 48, 54]


LIMITS: dict[str, dict[Preset, Limit]] = {
    # distance between the eye centres in the original photo, pixels
    "face_size": presets("verification.face_too_small", "retake.face_too_small", "min", 40.0, 60.0, 90.0),
    # how far the face centre is from the frame centre, as a share of the frame (1.0 = face partly outside)
    "face_position": presets("verification.face_not_centred", "retake.face_not_centred", "max", 0.38, 0.30, 0.20),
    # edge crispness (verification.document.edge_sharpness) of the face at most 256 px wide: ~0.17 sharp
    "face_sharpness": presets("verification.face_blurry", "retake.blurry", "min", 0.115, 0.13, 0.15),
    "face_too_dark": presets("verification.face_too_dark", "retake.too_dark", "min", 45.0, 60.0, 75.0),
    "face_overexposed": presets("verification.face_overexposed", "retake.overexposed", "max", 0.30, 0.18, 0.10),
    # the largest of |yaw|, |pitch|, |roll| in degrees
    "head_pose": presets("verification.head_pose", "retake.head_pose", "max", 40.0, 30.0, 20.0),
    # the smaller eye aspect ratio (eyelid opening / eye width)
    "eyes_open": presets("verification.eyes_closed", "retake.eyes_closed", "min", 0.14, 0.18, 0.21),
}


class Pose(msgspec.Struct, frozen=True, kw_only=True):
    yaw: float
    pitch: float
    roll: float


def head_pose(points: np.ndarray, shape: tuple[int, ...]) -> Pose:
    """Yaw and pitch from a PnP fit of six landmarks to a generic face; roll from the eye line."""
    height, width = shape[:2]
    camera = np.array([[width, 0, width / 2], [0, width, height / 2], [0, 0, 1]], dtype=np.float64)
    image_points = points[MODEL_INDICES].astype(np.float64)
    ok, rotation, _ = cv2.solvePnP(MODEL_POINTS, image_points, camera, np.zeros(4), flags=cv2.SOLVEPNP_ITERATIVE)
    left_eye, right_eye = points[36:42].mean(axis=0), points[42:48].mean(axis=0)
    roll = math.degrees(math.atan2(right_eye[1] - left_eye[1], right_eye[0] - left_eye[0]))
    if not ok:
        return Pose(yaw=0.0, pitch=0.0, roll=round(roll, 2))
    matrix, _ = cv2.Rodrigues(rotation)
    angles = cv2.RQDecomp3x3(matrix)[0]
    pitch, yaw = float(angles[0]), float(angles[1])
    pitch = pitch - 180.0 if pitch > 90 else pitch + 180.0 if pitch < -90 else pitch
    return Pose(yaw=round(yaw, 2), pitch=round(pitch, 2), roll=round(roll, 2))


def eye_aspect_ratio(eye: np.ndarray) -> float:
    """(|p2-p6| + |p3-p5|) / (2 |p1-p4|) for one eye's six landmarks."""
    width = np.linalg.norm(eye[0] - eye[3])
    return float((np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])) / (2.0 * width)) if width else 0.0


def _crop(rgb: np.ndarray, box: Box) -> np.ndarray:
    height, width = rgb.shape[:2]
    left, top = max(0, int(box.left)), max(0, int(box.top))
    right, bottom = min(width, int(box.right)), min(height, int(box.bottom))
    return rgb[top:bottom, left:right]


def _position(box: Box, shape: tuple[int, ...]) -> float:
    height, width = shape[:2]
    if box.left < 0 or box.top < 0 or box.right > width or box.bottom > height:
        return 1.0
    cx, cy = (box.left + box.right) / 2, (box.top + box.bottom) / 2
    return float(max(abs(cx - width / 2) / width, abs(cy - height / 2) / height))


def check_selfie(rgb: np.ndarray, *, policy: Policy = Policy(), scale_to_original: float = 1.0  # noqa: B008
                 ) -> tuple[Report, Box | None]:
    """Every selfie check, and the face they were measured on (None when there is not exactly one)."""
    found = detect(rgb, min_relative=0.05)
    # Weak detections (dlib margin under ~0.4) are often patterns on clothing: count them only when alone.
    strong = [f for f in found if f.confidence >= STRONG_FACE]
    faces = strong if strong else found[:1]
    checks: list[CheckResult] = []
    if len(faces) != 1:
        reason, key = ("verification.no_face", "retake.no_face") if not faces else \
            ("verification.multiple_faces", "retake.multiple_faces")
        checks.append(failed("face_count", reason, key, policy, value=float(len(faces)), threshold=1.0))
        checks += [skipped(name, "needs exactly one face") for name in ORDER[1:]]
        return report(checks, ORDER), None
    face = faces[0]
    checks.append(CheckResult(name="face_count", passed=True, status="passed", score=face.confidence, value=1.0,
                              threshold=1.0, mode=policy.modes.get("face_count", "error")))
    points = landmarks68(rgb, face)
    eye_distance = float(np.linalg.norm(points[36:42].mean(axis=0) - points[42:48].mean(axis=0)))
    checks.append(judge("face_position", _position(face, rgb.shape), LIMITS, policy))
    checks.append(judge("face_size", eye_distance * scale_to_original, LIMITS, policy))
    region = cv2.cvtColor(_crop(rgb, face), cv2.COLOR_RGB2GRAY)
    if region.size:
        sized = region if region.shape[1] <= 256 else cv2.resize(
            region, (256, max(1, round(256 * region.shape[0] / region.shape[1]))), interpolation=cv2.INTER_AREA)
        checks.append(judge("face_too_dark", float(region.mean()), LIMITS, policy))
        checks.append(judge("face_overexposed", float(np.mean(region >= 250)), LIMITS, policy))
        checks.append(judge("face_sharpness", edge_sharpness(sized), LIMITS, policy))
    pose = head_pose(points, rgb.shape)
    checks.append(judge("head_pose", max(abs(pose.yaw), abs(pose.pitch), abs(pose.roll)), LIMITS, policy))
    ear = min(eye_aspect_ratio(points[36:42]), eye_aspect_ratio(points[42:48]))
    checks.append(judge("eyes_open", ear, LIMITS, policy))
    return report(checks, ORDER), face


__all__ = ["LIMITS", "ORDER", "SELFIE_SIDE", "Pose", "check_selfie", "eye_aspect_ratio", "head_pose"]
