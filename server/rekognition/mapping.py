"""CompareFaces and DetectFaces computed locally with dlib (our face analysis), answered in Rekognition's shapes."""

from __future__ import annotations

import cv2
import msgspec
import numpy as np

from server.rekognition.shapes import (
    BoundingBox,
    ComparedFace,
    ComparedSourceImageFace,
    CompareFacesMatch,
    CompareFacesResponse,
    DetectFacesResponse,
    FaceDetail,
    ImageQuality,
    ImageTooLarge,
    InvalidImageFormat,
    InvalidParameter,
    Landmark,
    Pose,
    QualityFilter,
)
from verification.document import edge_sharpness
from verification.faces import Box, descriptor, detect, distance, landmarks68, rgb_for_comparison, similarity
from verification.intake import FileTooLarge, IntakeError
from verification.intake import ImageTooLarge as PixelsTooLarge
from verification.selfie import head_pose


def _decode(data: bytes) -> np.ndarray:
    """Decoded as the face matcher decodes (15 MB, Rekognition's limit for S3 objects; 5 MB for Bytes is the
    API layer's), with intake errors in Rekognition's terms."""
    try:
        return rgb_for_comparison(data)
    except (FileTooLarge, PixelsTooLarge) as exc:
        raise ImageTooLarge(exc.message, reason=exc.code) from None
    except IntakeError as exc:
        raise InvalidImageFormat(f"Request has unsupported image format: {exc.message}", reason=exc.code) from None


def _box(box: Box, shape: tuple[int, ...]) -> BoundingBox:
    height, width = shape[:2]
    return BoundingBox(width=round(box.width / width, 6), height=round(box.height / height, 6),
                       left=round(box.left / width, 6), top=round(box.top / height, 6))


def describe(rgb: np.ndarray, box: Box) -> FaceDetail:
    """Rekognition's DEFAULT attributes for one face: box, confidence, 5 landmarks, pose, quality."""
    height, width = rgb.shape[:2]
    points = landmarks68(rgb, box)
    named = {"eyeLeft": points[36:42].mean(axis=0), "eyeRight": points[42:48].mean(axis=0), "nose": points[30],
             "mouthLeft": points[48], "mouthRight": points[54]}
    landmarks = [Landmark(type=name, x=round(float(p[0]) / width, 6), y=round(float(p[1]) / height, 6))
                 for name, p in named.items()]
    pose = head_pose(points, rgb.shape)
    top, bottom = max(0, int(box.top)), min(height, int(box.bottom))
    left, right = max(0, int(box.left)), min(width, int(box.right))
    face = cv2.cvtColor(rgb[top:bottom, left:right], cv2.COLOR_RGB2GRAY) if bottom > top and right > left else None
    brightness = float(face.mean()) / 255 * 100 if face is not None else 0.0
    sharp = min(100.0, edge_sharpness(face) / 0.45 * 100) if face is not None and face.size > 400 else 0.0
    return FaceDetail(bounding_box=_box(box, rgb.shape), confidence=box.confidence, landmarks=landmarks,
                      pose=Pose(roll=pose.roll, yaw=pose.yaw, pitch=pose.pitch),
                      quality=ImageQuality(brightness=round(brightness, 3), sharpness=round(sharp, 3)))


_MINIMUMS = {"LOW": (60.0, 0.0, 40), "MEDIUM": (75.0, 20.0, 60), "AUTO": (75.0, 20.0, 60), "HIGH": (90.0, 35.0, 80)}


def _keep(detail: FaceDetail, box: Box, quality_filter: QualityFilter) -> bool:
    if quality_filter == "NONE":
        return True
    confidence, sharpness, size = _MINIMUMS[quality_filter]
    quality = detail.quality
    return detail.confidence >= confidence and box.width >= size and (quality is None or quality.sharpness >= sharpness)


def detect_faces(data: bytes) -> DetectFacesResponse:
    rgb = _decode(data)
    return DetectFacesResponse(face_details=[describe(rgb, box) for box in detect(rgb)])


def compare_faces(source: bytes, target: bytes, *, threshold: float = 80.0,
                  quality_filter: QualityFilter = "NONE") -> CompareFacesResponse:
    """The largest face of `source` against every face of `target`."""
    if not 0.0 <= threshold <= 100.0:
        raise InvalidParameter(f"Expected SimilarityThreshold between 0 and 100, got {threshold}")
    source_rgb = _decode(source)
    source_faces = [b for b in detect(source_rgb, confirm_weak=True)
                    if quality_filter == "NONE" or _keep(describe(source_rgb, b), b, quality_filter)]
    if not source_faces:
        raise InvalidParameter("Request has invalid parameters: there are no faces in the source image",
                               reason="verification.no_face")
    reference = descriptor(source_rgb, source_faces[0])
    target_rgb = _decode(target)
    matches: list[CompareFacesMatch] = []
    unmatched: list[ComparedFace] = []
    for box in detect(target_rgb, confirm_weak=True):
        detail = describe(target_rgb, box)  # every returned face carries its details, filtered or not
        if not _keep(detail, box, quality_filter):
            continue
        face = ComparedFace(bounding_box=detail.bounding_box, confidence=detail.confidence, landmarks=detail.landmarks,
                            pose=detail.pose, quality=detail.quality)
        score = similarity(distance(reference, descriptor(target_rgb, box)))
        if score >= threshold:
            matches.append(CompareFacesMatch(similarity=score, face=face))
        else:
            unmatched.append(face)
    matches.sort(key=lambda m: m.similarity, reverse=True)
    return CompareFacesResponse(
        source_image_face=ComparedSourceImageFace(bounding_box=_box(source_faces[0], source_rgb.shape),
                                                  confidence=source_faces[0].confidence),
        face_matches=matches, unmatched_faces=unmatched)


class FoundFace(msgspec.Struct, frozen=True, kw_only=True):
    """A face of an image for a collection: its details, its descriptor (float32 bytes; empty when it is not
    to be indexed) and Rekognition's reasons for not indexing it."""

    detail: FaceDetail
    descriptor: bytes = b""
    reasons: list[str] = []


def _reasons(detail: FaceDetail, box: Box, quality_filter: QualityFilter) -> list[str]:
    if quality_filter == "NONE":
        return []
    confidence, sharpness, size = _MINIMUMS[quality_filter]
    reasons = ["LOW_CONFIDENCE"] if detail.confidence < confidence else []
    reasons += ["SMALL_BOUNDING_BOX"] if box.width < size else []
    reasons += ["LOW_SHARPNESS"] if detail.quality is not None and detail.quality.sharpness < sharpness else []
    return reasons


def faces_for_collection(data: bytes, *, max_faces: int | None, quality_filter: QualityFilter) -> list[FoundFace]:
    """Every face of the image, largest first, the first `max_faces` that pass the filter with a descriptor
    (IndexFaces and SearchFacesByImage)."""
    rgb = _decode(data)
    found: list[FoundFace] = []
    kept = 0
    for box in sorted(detect(rgb), key=lambda b: b.width * b.height, reverse=True):
        detail = describe(rgb, box)
        reasons = _reasons(detail, box, quality_filter)
        if not reasons and max_faces is not None and kept >= max_faces:
            reasons = ["EXCEEDS_MAX_FACES"]
        if reasons:
            found.append(FoundFace(detail=detail, reasons=reasons))
            continue
        kept += 1
        vector = descriptor(rgb, box).astype(np.float32)
        found.append(FoundFace(detail=detail, descriptor=vector.tobytes()))
    return found


__all__ = ["FoundFace", "compare_faces", "describe", "detect_faces", "faces_for_collection"]
