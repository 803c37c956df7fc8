"""Checks on a company document (a certificate of incorporation ...), pure functions over a file's bytes.

A file is a photo (JPEG, PNG, WebP, HEIC, TIFF) or a PDF, whose first page is rendered (pypdfium2). Four checks:
`format` (it opens), `found` (a page is there: a page-like quadrilateral from `verification.locate`, or a flat
scan whose whole frame is paper with print on it), `readable` (the page is large enough, sharp enough and holds
lines of text) and `not_cut_off` (the page's edges, or a flat scan's print, stay inside the frame).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import cv2
import msgspec
import numpy as np

from verification.document import edge_sharpness
from verification.formats import sniff
from verification.intake import SUPPORTED, FileTooLarge, IntakeError, Limits, UnsupportedFormat, decode
from verification.locate import Quad, find_document
from verification.results import CheckResult, Limit, Policy, Preset, Report, judge, report, skipped

CompanyPreset = Literal["certificate_of_incorporation"]
Source = Literal["image", "pdf", "unknown"]

WORK_SIDE = 1600  # the frame is analysed at most this large: an A4 page at about 190 dpi
PAGE_SIDE = 1200  # the page is measured flattened to at most this long a side (never enlarged)
MIN_PAGE_SHARE = 0.1  # share of the frame a photographed page covers at least (else: a panel on it, a stamp)
PAPER_LEVEL = 140.0  # median lightness (0-255) of every border strip of a frame that is all paper (a flat scan)
MAX_PDF_PAGE_POINTS = 14_400.0  # PDF's own limit on a page's side (200 inches)
ORDER = ("format", "found", "not_cut_off", "readable")
READABLE = ("resolution", "sharpness", "text_lines")  # the measures `readable` is made of, fixed first to last


def _limit(threshold: float, reason: str, message_key: str) -> Limit:
    return Limit(threshold=threshold, direction="min", reason=reason, message_key=message_key)


LIMITS: dict[CompanyPreset, dict[str, Limit]] = {
    "certificate_of_incorporation": {
        # how sure we are that a page is there (0-1): locate's confidence, or 1 for a flat scan with print
        "found": _limit(0.2, "verification.no_page", "retake.no_page"),
        # distance of the page (a flat scan: its print) from the frame's edge, as a share of the frame
        "not_cut_off": _limit(0.005, "verification.page_cut_off", "retake.page_cut_off"),
        # the page's short side in the file's pixels: A4 text needs about 85 dpi (700 px over 210 mm)
        "resolution": _limit(700.0, "verification.page_low_resolution", "retake.page_low_resolution"),
        # edge crispness of the print on the flattened page (document.edge_sharpness; a sharp page ~0.4)
        "sharpness": _limit(0.2, "verification.page_blurry", "retake.page_blurry"),
        # lines of text on the page
        "text_lines": _limit(3.0, "verification.page_no_text", "retake.page_no_text"),
    },
}


class FileCheck(msgspec.Struct, frozen=True, kw_only=True):
    """One file's checks (`report`), what it was, and the measures `readable` was made of."""

    report: Report
    source: Source
    media_type: str = ""
    pages: int = 0
    width: int = 0
    height: int = 0
    measures: dict[str, float] = {}
    detail: str = ""
    """why the file did not open, in words (its code is the `format` check's reason)"""

    def to_context(self) -> dict[str, object]:
        """Flat for rules: `passed`, `message_key`, each check by name, and what the file was."""
        data: dict[str, object] = {"passed": self.report.passed, "message_key": self.report.message_key,
                                   "failed": self.report.failed, "warnings": self.report.warnings}
        data.update({name: msgspec.to_builtins(check) for name, check in self.report.checks.items()})
        data.update({"source": self.source, "media_type": self.media_type, "pages": self.pages,
                     "width": self.width, "height": self.height, "measures": self.measures})
        if self.detail:
            data["detail"] = self.detail
        if self.report.corners:
            data["corners"] = [list(point) for point in self.report.corners]
        return data


class CorruptPdf(IntakeError):
    """A PDF whose first page does not render: damaged, encrypted, or with no page."""

    code: ClassVar[str] = "verification.corrupt_pdf"


def _render_pdf(data: bytes, limits: Limits) -> tuple[np.ndarray, int]:
    """The first page of a PDF as 8-bit BGR, its long side WORK_SIDE, and the document's page count."""
    import pypdfium2 as pdfium

    if len(data) > limits.max_bytes:
        raise FileTooLarge(f"Expected at most {limits.max_bytes} bytes, got {len(data)}", limit=limits.max_bytes,
                           found=len(data))
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise CorruptPdf(f"Expected a PDF that opens, got: {exc}") from None
    try:
        count = len(document)
        if count == 0:
            raise CorruptPdf("Expected a PDF with at least one page, got none")
        page = document[0]
        width, height = (float(v) for v in page.get_size())
        if not 0 < max(width, height) <= MAX_PDF_PAGE_POINTS or min(width, height) <= 0:
            raise CorruptPdf(f"Expected a page of a real size, got {width}x{height} points")
        bitmap = page.render(scale=WORK_SIDE / max(width, height))
        # a copy: the bitmap's buffer goes with the document
        array: np.ndarray = np.array(bitmap.to_numpy(), dtype=np.uint8)
        mode = str(bitmap.mode)
    finally:
        document.close()
    if mode in ("BGRA", "BGRX"):
        array = array[:, :, :3].copy()
    elif mode == "L":
        array = cv2.cvtColor(array, cv2.COLOR_GRAY2BGR)
    elif mode != "BGR":
        raise CorruptPdf(f"Expected a BGR rendering of the page, got {mode}")
    return array, count


def open_file(data: bytes, limits: Limits = Limits()) -> tuple[np.ndarray, Source, str, int, int]:  # noqa: B008
    """The file as 8-bit BGR (long side about WORK_SIDE or less), its source, media type, page count and its
    width in pixels before reduction; an IntakeError (its code says why) when it is neither an image the checks
    read nor a PDF whose first page renders."""
    media_type = sniff(data[:32]) or ""
    if media_type == "application/pdf":
        bgr, pages = _render_pdf(data, limits)
        return bgr, "pdf", media_type, pages, bgr.shape[1]
    if data and media_type not in SUPPORTED:
        raise UnsupportedFormat(f"Expected a PDF or an image (JPEG, PNG, WebP, HEIC, TIFF), got "
                                f"{media_type or 'unrecognised bytes'}", detected=media_type)
    bgr, info = decode(data, limits=limits, max_side=WORK_SIDE)
    return bgr, "image", info.media_type, 1, info.width


def flatten(bgr: np.ndarray, quad: Quad, side: int = PAGE_SIDE) -> np.ndarray:
    """The page warped flat, its orientation kept, its long side at most `side` (never enlarged)."""
    tl, tr, br, bl = (np.array(p, dtype=np.float32) for p in quad.points)
    width = float(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = float(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    scale = min(1.0, side / max(width, height, 1.0))
    w, h = max(16, round(width * scale)), max(16, round(height * scale))
    target = np.array([(0, 0), (w - 1, 0), (w - 1, h - 1), (0, h - 1)], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(np.array([tl, tr, br, bl]), target)
    return cv2.warpPerspective(bgr, matrix, (w, h), flags=cv2.INTER_AREA)


def ink(gray: np.ndarray) -> np.ndarray:
    """Dark strokes on paper (print, handwriting, stamps) as a 0/255 mask, specks of noise removed."""
    mask = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 20)
    opened: np.ndarray = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    return opened


def text_lines(gray: np.ndarray) -> int:
    """Lines of text on a page: ink runs joined along a line, long and thin (either way round, as a portrait
    page photographed sideways has its lines upright)."""
    strokes = ink(gray)
    best = 0
    for mask in (strokes, np.ascontiguousarray(strokes.T)):
        height, width = mask.shape
        joined = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT,
                                                                                     (max(3, width // 50), 1)))
        count, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
        lines = sum(1 for i in range(1, count)
                    if stats[i, cv2.CC_STAT_WIDTH] >= 0.15 * width
                    and stats[i, cv2.CC_STAT_WIDTH] >= 5 * stats[i, cv2.CC_STAT_HEIGHT]
                    and 3 <= stats[i, cv2.CC_STAT_HEIGHT] <= 0.05 * height)
        best = max(best, lines)
    return best


def paper_frame(gray: np.ndarray) -> bool:
    """Every border strip of the frame is pale paper: a flat scan, a PDF page, or a page filling the photo."""
    height, width = gray.shape
    band_y, band_x = max(2, height * 3 // 100), max(2, width * 3 // 100)
    strips = (gray[:band_y], gray[height - band_y:], gray[:, :band_x], gray[:, width - band_x:])
    return all(float(np.median(strip)) >= PAPER_LEVEL for strip in strips)


def print_margin(gray: np.ndarray) -> float:
    """How far a flat page's print stays from the frame's edge, as a share of the frame (0: it runs into it)."""
    rows, columns = np.nonzero(ink(gray))
    if rows.size == 0:
        return 0.0
    height, width = gray.shape
    nearest = min(int(rows.min()), int(columns.min()), height - 1 - int(rows.max()), width - 1 - int(columns.max()))
    return float(max(0, nearest) / max(height, width))


def _edge_margin(quad: Quad, shape: tuple[int, ...]) -> float:
    height, width = shape[:2]
    return -1.0 if quad.touches_edge else float(min(
        min(x, y, width - 1 - x, height - 1 - y) / max(width, height) for x, y in quad.points))


def _at_side(image: np.ndarray, side: int) -> np.ndarray:
    scale = min(1.0, side / max(image.shape[:2]))
    if scale >= 1.0:
        return image
    resized: np.ndarray = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return resized


class _Judge:
    """A preset's limits with the policy's overrides: `threshold.<measure>`, `mode.<check>`."""

    def __init__(self, preset: CompanyPreset, policy: Policy) -> None:
        self.limits: dict[str, dict[Preset, Limit]] = {name: {"normal": limit}
                                                       for name, limit in LIMITS[preset].items()}
        self.policy = Policy(thresholds=policy.thresholds, modes=policy.modes)
        self.measured = Policy(thresholds=policy.thresholds)  # the measures of `readable` judged without modes

    def check(self, name: str, value: float) -> CheckResult:
        return judge(name, value, self.limits, self.policy)

    def readable(self, values: dict[str, float]) -> CheckResult:
        """The measure nearest to failing (or failing worst), under the name and mode of `readable`."""
        measured = [judge(name, values[name], self.limits, self.measured) for name in READABLE if name in values]
        worst = min(measured, key=lambda c: (c.passed, c.score))
        mode = self.policy.modes.get("readable", "error")
        if mode == "off":
            return skipped("readable")
        status = "passed" if worst.passed else "warning" if mode == "warn" else "failed"
        return msgspec.structs.replace(worst, name="readable", status=status, mode=mode)


def check_page(bgr: np.ndarray, *, original_width: int, preset: CompanyPreset = "certificate_of_incorporation",
               policy: Policy = Policy()) -> tuple[Report, dict[str, float]]:  # noqa: B008 - frozen
    """`found`, `not_cut_off` and `readable` on a decoded page or photo of one (`original_width`: the file's
    width before any reduction), and the measures `readable` was made of."""
    rules = _Judge(preset, policy)
    work = _at_side(bgr, WORK_SIDE)
    gray = cv2.cvtColor(work, cv2.COLOR_BGR2GRAY)
    to_file = original_width / work.shape[1]
    located = find_document(work)
    quad = located if located is not None and located.area_share >= MIN_PAGE_SHARE else None
    confidence = quad.confidence if quad is not None else 0.0
    page_gray = cv2.cvtColor(flatten(work, quad), cv2.COLOR_BGR2GRAY) if quad is not None else None
    whole = _at_side(gray, PAGE_SIDE)
    if (page_gray is None or confidence < rules.check("found", confidence).threshold) and paper_frame(gray):
        quad, page_gray = None, whole  # a flat scan: the frame is the page, found when there is print on it
        confidence = 1.0 if text_lines(whole) > 0 else 0.0
    found = rules.check("found", confidence)
    if page_gray is None or not found.passed:
        checks = [found, skipped("not_cut_off", "no page"), skipped("readable", "no page")]
        return report([skipped("format"), *checks], ORDER), {}
    margin = print_margin(page_gray) if quad is None else _edge_margin(quad, work.shape)
    measures = {"sharpness": edge_sharpness(page_gray), "text_lines": float(text_lines(page_gray))}
    if quad is None:
        measures["resolution"] = float(min(work.shape[:2]) * to_file)
    elif not quad.touches_edge:  # a page running off the frame has no size to judge: not_cut_off says what to fix
        measures["resolution"] = _short_side(quad) * to_file
    checks = [found, rules.check("not_cut_off", margin), rules.readable(measures)]
    result = report([skipped("format"), *checks], ORDER)
    if quad is not None:
        result = msgspec.structs.replace(result, corners=[(round(x * to_file, 1), round(y * to_file, 1))
                                                          for x, y in quad.points])
    return result, {name: round(value, 4) for name, value in measures.items()}


def _short_side(quad: Quad) -> float:
    tl, tr, br, bl = (np.array(p) for p in quad.points)
    return float(min(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)),
                     max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))))


def check_company_document(data: bytes, *, preset: CompanyPreset = "certificate_of_incorporation",
                           policy: Policy = Policy()) -> FileCheck:  # noqa: B008 - frozen
    """Every check on one file's bytes. A file that does not open fails `format` (its reason: the code, e.g.
    `verification.unsupported_format`, `verification.corrupt_pdf`) and skips the rest."""
    try:
        bgr, source, media_type, pages, original_width = open_file(data)
    except IntakeError as exc:
        unopened = CheckResult(name="format", passed=False, status="failed", score=0.0, value=0.0, threshold=1.0,
                               reason=exc.code, message_key="retake.document_file")
        checks = [unopened, *(skipped(name, "file not opened") for name in ORDER[1:])]
        return FileCheck(report=report(checks, ORDER), source="unknown", media_type=sniff(data[:32]) or "",
                         detail=exc.message)
    result, measures = check_page(bgr, original_width=original_width, preset=preset, policy=policy)
    opened = CheckResult(name="format", passed=True, status="passed", score=100.0, value=1.0, threshold=1.0)
    result = msgspec.structs.replace(result, checks={**result.checks, "format": opened})
    height = round(bgr.shape[0] * original_width / bgr.shape[1])
    return FileCheck(report=result, source=source, media_type=media_type, pages=pages, width=original_width,
                     height=height, measures=measures)


_RANK = {"failed": 0, "warning": 1, "passed": 2, "skipped": 3}


def company_context(checked: list[tuple[str, FileCheck]]) -> dict[str, object]:
    """What lands at `checks.<capture>`: `passed` when every file passed, the `message_key` of the first file
    that failed, each check by name as it went for the files (the worst file's), and every file's own checks
    under `files` (with its reference as `file`). No file at all: not passed, `retake.document_missing`."""
    if not checked:
        return {"passed": False, "message_key": "retake.document_missing", "failed": ["files"], "warnings": [],
                "files": []}
    reports = [check.report for _, check in checked]
    first = next((r for r in reports if not r.passed), None)
    data: dict[str, object] = {
        "passed": first is None, "message_key": first.message_key if first else "",
        "failed": [name for name in ORDER if any(name in r.failed for r in reports)],
        "warnings": [name for name in ORDER if any(name in r.warnings for r in reports)]}
    for name in ORDER:
        worst = min((r.checks[name] for r in reports), key=lambda c: _RANK[c.status])
        data[name] = msgspec.to_builtins(worst)
    data["files"] = [{"file": reference, **check.to_context()} for reference, check in checked]
    return data


__all__ = ["LIMITS", "ORDER", "READABLE", "CompanyPreset", "CorruptPdf", "FileCheck", "Source",
           "check_company_document", "check_page", "company_context", "flatten", "ink", "open_file",
           "paper_frame", "print_margin", "text_lines"]
