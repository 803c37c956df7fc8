"""Passive liveness: is the selfie a face in front of the camera, or a picture of one shown to it?

Two cues from the selfie alone, and one from the face match:

- `frame`: the face sits inside a document or a screen. `verification.locate.find_document` finds
  documents (and screens, by their bezel) in a photo; a confident outline around the face, several
  times its size, is a card photographed whole or a phone held up.
- `grid`: a periodic pattern over the face. A print is made of halftone dots and a screen of pixels;
  photographed, either leaves sharp isolated peaks in the face's spectrum (moiré where they beat with
  the camera's own grid). Skin, hair and JPEG compression do not (the 8-pixel block grid is masked).
- `reused` (with a reference): the selfie's face is the document's portrait itself, descriptor
  distance far below any two photos of one person (a third of the strict operating point). It needs
  the reference, so `verify_selfie` applies it after the face match (`recheck`). Alone it does
  not fail a selfie: the descriptor cannot tell the portrait photographed off the card from the
  photo the card was printed from (the demo's selfie is that photo of the astronaut, distance
  0.0007), so a reused face lowers the bar of the image cues (REUSED_BOOST) instead.

Each cue is scaled so that 1.0 is its frozen threshold; the check's value is the strongest, and the
selfie fails above 1.0 (the `normal` preset). The thresholds are 1.5 times the largest genuine value of
each cue on the calibration split of the generated set (verification.attacks: frame 0.46, grid 21.8);
`arabesque bench liveness` reports the other split (README, Performance: Liveness).
"""

from __future__ import annotations

import cv2
import msgspec
import numpy as np

from verification.faces import OPERATING_POINTS, Box
from verification.locate import LOCATE_SIDE, find_document
from verification.results import CheckResult, Limit, Policy, Preset, Report, judge, presets, report, skipped
from verification.screen import bezel
from verification.selfie import ORDER as SELFIE_ORDER

NAME = "liveness"
PATCH = 256  # side of the face patch whose spectrum is read
BAND = (1 / 9.0, 1 / 2.2)  # spatial frequencies (cycles per pixel) where dots and screen pixels land
FRAME_CONFIDENCE = 0.7  # a document outline at least this sure (verification.locate's 0-1)
FRAME_SIZE = 3.0  # and this many times the face's area: the face is a part of it
ORDER = (NAME, *SELFIE_ORDER)  # a selfie that is not live is told so first, not that its face is small
REUSED_DISTANCE = OPERATING_POINTS["strict"].distance / 3
"""Below every impostor is the strict point; two photos of one person sit above a third of it."""

# Each cue over its own threshold, frozen on the calibration split (`arabesque bench liveness`).
GRID_PEAK = 32.0  # spectral peak over its neighbourhood's median
REUSED_BOOST = 1.4  # how much more the image cues count for the document's own photo (calibration genuines: < 1.47)

LIMITS: dict[str, dict[Preset, Limit]] = {
    # the strongest presentation-attack cue, each scaled to 1.0 at its threshold (lower = more live)
    NAME: presets("selfie.not_live", "retake.not_live", "max", 1.25, 1.0, 0.8),
}


class Cues(msgspec.Struct, frozen=True, kw_only=True):
    """The raw measurements, kept in the check's context for a reviewer and for calibration."""

    frame: float = 0.0
    """The surrounding outline's confidence (1.0 for a screen's bezel), 0 when none encloses the face."""
    grid: float = 0.0
    distance: float | None = None
    """Descriptor distance to the reference's face, when one was compared (dlib)."""

    def scaled(self) -> dict[str, float]:
        """Each cue as a multiple of its threshold."""
        boost = REUSED_BOOST if self.reused else 1.0
        cues = {"frame": boost * self.frame / FRAME_CONFIDENCE, "grid": boost * self.grid / GRID_PEAK}
        return {name: round(value, 4) for name, value in cues.items()}

    @property
    def reused(self) -> bool:
        return self.distance is not None and self.distance < REUSED_DISTANCE


def _inside(point: tuple[float, float], polygon: list[tuple[float, float]]) -> bool:
    contour = np.array(polygon, np.float32).reshape(-1, 1, 2)
    return cv2.pointPolygonTest(contour, point, False) >= 0


def frame_cue(bgr: np.ndarray, face: Box) -> float:
    """How sure the outline around the face is a document or a screen (0 when there is none)."""
    quad = find_document(bgr)
    if quad is None:
        return 0.0
    centre = ((face.left + face.right) / 2, (face.top + face.bottom) / 2)
    area = cv2.contourArea(np.array(quad.points, np.float32))
    if not _inside(centre, quad.points) or area < FRAME_SIZE * face.width * face.height:
        return 0.0
    scale = min(1.0, LOCATE_SIDE / max(bgr.shape[:2]))
    small = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else bgr
    corners = np.array(quad.points, np.float32) * scale
    if bezel(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), corners):
        return 1.0  # locate zeroes a screen's confidence; here a screen is the point
    return quad.confidence


def _patch(image: np.ndarray, face: Box) -> np.ndarray:
    """The central square of the face, at most PATCH wide, at the photo's own resolution."""
    side = int(min(PATCH, face.width * 0.8, face.height * 0.8))
    cx, cy = int((face.left + face.right) / 2), int((face.top + face.bottom) / 2)
    top, left = max(0, cy - side // 2), max(0, cx - side // 2)
    return image[top:top + side, left:left + side]


def _spectrum(gray: np.ndarray) -> np.ndarray:
    plane = gray.astype(np.float32)
    detail = plane - cv2.GaussianBlur(plane, (0, 0), 3)
    window = np.outer(np.hanning(plane.shape[0]), np.hanning(plane.shape[1])).astype(np.float32)
    power: np.ndarray = np.abs(np.fft.fftshift(np.fft.fft2(detail * window))) ** 2
    return power


def _band_mask(side: int) -> np.ndarray:
    """The band's frequencies, without the axes (straight edges) and the JPEG block grid's lattice (multiples
    of 1/8 cycles per pixel on both axes)."""
    f = np.fft.fftshift(np.fft.fftfreq(side))
    fy, fx = np.meshgrid(f, f, indexing="ij")
    radius = np.hypot(fx, fy)
    near = 1.5 / side
    on_lattice = (np.abs(fx * 8 - np.round(fx * 8)) / 8 <= near) & (np.abs(fy * 8 - np.round(fy * 8)) / 8 <= near)
    on_axis = (np.abs(fx) <= near) | (np.abs(fy) <= near)
    mask: np.ndarray = (radius >= BAND[0]) & (radius <= BAND[1]) & ~on_lattice & ~on_axis
    return mask


def grid_cue(bgr: np.ndarray, face: Box) -> float:
    """The sharpest isolated peak in the face's spectrum, over its neighbourhood's median."""
    patch = _patch(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), face)
    if min(patch.shape[:2]) < 64:
        return 0.0
    power = _spectrum(patch)
    background = cv2.medianBlur(np.log1p(power).astype(np.float32), 5)
    ratio = np.log1p(power) - background
    mask = _band_mask(patch.shape[0])
    return round(float(np.expm1(ratio[mask].max())) if mask.any() else 0.0, 4)


def cues(bgr: np.ndarray, face: Box) -> Cues:
    return Cues(frame=round(frame_cue(bgr, face), 4), grid=grid_cue(bgr, face))


def check(found: Cues, policy: Policy) -> CheckResult:
    """The `liveness` selfie check: the strongest cue against the preset's bar (1.0 = every cue's own)."""
    scaled = found.scaled()
    return judge(NAME, max(scaled.values()), LIMITS, policy)


def with_liveness(selfie: Report, bgr: np.ndarray, face: Box | None, policy: Policy) -> tuple[Report, Cues | None]:
    """The selfie's report with the `liveness` check added (skipped without exactly one face)."""
    if face is None:
        return report([*selfie.checks.values(), skipped(NAME, "needs exactly one face")], ORDER), None
    found = cues(bgr, face)
    return report([*selfie.checks.values(), check(found, policy)], ORDER), found


def recheck(context: dict[str, object], distance: float | None, policy: Policy) -> dict[str, object]:
    """A selfie's context (`checks.selfie`) with `liveness` judged again knowing the distance to the document's
    face; a reused face only ever makes the check stricter, so it can fail here but never pass anew."""
    stored = context.get("liveness_cues")
    if distance is None or not isinstance(stored, dict):
        return context
    found = msgspec.structs.replace(msgspec.convert(stored, Cues), distance=round(distance, 5))
    result = check(found, policy)
    updated = {**context, "liveness_cues": msgspec.to_builtins(found), NAME: msgspec.to_builtins(result)}
    failed = [name for name in _names(context.get("failed")) if name != NAME]
    warnings = [name for name in _names(context.get("warnings")) if name != NAME]
    if result.status == "failed":
        updated.update(passed=False, message_key=result.message_key, failed=[NAME, *failed])
    elif result.status == "warning":
        updated["warnings"] = [*warnings, NAME]
    return updated


def _names(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


__all__ = ["FRAME_CONFIDENCE", "GRID_PEAK", "LIMITS", "NAME", "ORDER", "REUSED_DISTANCE", "Cues", "check", "cues",
           "frame_cue", "grid_cue", "recheck", "with_liveness"]
