"""Document and selfie checks on real specimens (shared data) photographed in code, and generated selfies."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from verification import degrade
from verification.document import check_document
from verification.pipeline import analyse_document, analyse_selfie
from verification.results import Policy, score_of
from verification.selfie import check_selfie, eye_aspect_ratio


@pytest.fixture(scope="module")
def specimen(shared_data: Path) -> np.ndarray:
    # ICAO 9303's example data page: its zone is valid as printed (100_pass-bdr's names the issuer "BDR", a code
    # ICAO does not have, so a good photo of it rightly fails the mrz check: see the next test)
    image = cv2.imread(str(shared_data / "documents" / "passporteye" / "passport-td3.jpg"))
    assert image is not None
    return image


@pytest.fixture(scope="module")
def clean(specimen: np.ndarray) -> np.ndarray:
    return degrade.photograph(specimen, np.random.default_rng(3), doc_width=1000)


def report_for(image: np.ndarray, **kwargs: object):  # type: ignore[no-untyped-def]
    return check_document(image, original_width=image.shape[1], document_type="passport", side="front", **kwargs)


def test_a_clean_photo_of_a_passport_passes_every_check(clean: np.ndarray) -> None:
    report = report_for(clean)
    assert report.passed, report.failed
    assert report.checks["portrait"].status == "passed"
    assert (report.checks["mrz"].status, report.checks["document_type"].status) == ("passed", "passed")
    assert all(0 <= c.score <= 100 for c in report.checks.values())


def test_a_clean_photo_of_a_zone_printed_against_icao_fails_only_the_mrz_check(shared_data: Path) -> None:
    image = cv2.imread(str(shared_data / "documents" / "passporteye" / "100_pass-bdr.jpg"))
    assert image is not None
    report = report_for(degrade.photograph(image, np.random.default_rng(3), doc_width=1000))
    assert report.failed == ["mrz"] and report.message_key == "retake.mrz_invalid"


@pytest.mark.parametrize(("degradation", "check", "key"), [
    (lambda im, rng: degrade.gaussian_blur(im, 4.0), "sharpness", "retake.blurry"),
    (lambda im, rng: degrade.motion_blur(im, 31, 0.0), "sharpness", "retake.blurry"),
    (lambda im, rng: degrade.add_glare(im, rng, 0.08), "glare", "retake.glare"),
    (lambda im, rng: degrade.exposure(im, 0.25), "too_dark", "retake.too_dark"),
    (lambda im, rng: degrade.exposure(im, 3.0), "overexposed", "retake.overexposed"),
])
def test_each_degradation_fails_its_check_with_the_retake_message(clean: np.ndarray, degradation, check: str,  # type: ignore[no-untyped-def]
                                                                   key: str) -> None:
    report = report_for(degradation(clean, np.random.default_rng(5)))
    assert report.checks[check].status == "failed"
    assert report.checks[check].message_key == key
    assert not report.passed


def test_a_document_running_off_the_frame_is_cut_off(specimen: np.ndarray) -> None:
    image = degrade.photograph(specimen, np.random.default_rng(4), doc_width=1000, offset=(0.36, 0.0))
    report = report_for(image)
    assert report.checks["cut_off"].status == "failed" and report.message_key == "retake.cut_off"


def test_a_small_document_is_low_resolution(specimen: np.ndarray) -> None:
    image = degrade.photograph(specimen, np.random.default_rng(4), doc_width=340, frame=(480, 640))
    assert report_for(image).checks["low_resolution"].status == "failed"


def test_an_empty_desk_has_no_document() -> None:
    desk = degrade._background(np.random.default_rng(9), (1200, 1600))
    report = report_for(desk)
    assert report.checks["document_found"].status == "failed"
    assert report.message_key == "retake.no_document"


def test_the_back_of_a_card_is_not_asked_for_a_portrait(clean: np.ndarray) -> None:
    report = check_document(clean, original_width=1600, document_type="id_card", side="back")
    assert report.checks["portrait"].status == "skipped"


def test_a_card_without_a_face_fails_the_portrait_check(images: dict[str, Path]) -> None:
    back = cv2.imread(str(images["document_back"]))
    report = check_document(back, original_width=back.shape[1], document_type="id_card", side="front")
    assert report.checks["portrait"].status == "failed" and report.checks["portrait"].message_key == "retake.no_portrait"


def test_a_check_can_be_set_to_warn_or_off(clean: np.ndarray) -> None:
    blurred = degrade.gaussian_blur(clean, 4.0)  # too soft for its machine-readable zone to be read as well
    warned = report_for(blurred, policy=Policy(modes={"sharpness": "warn", "mrz": "warn"}))
    assert warned.passed and sorted(warned.warnings) == ["mrz", "sharpness"]
    off = report_for(blurred, policy=Policy(modes={"sharpness": "off", "mrz": "off"}))
    assert off.checks["sharpness"].status == "skipped" and off.passed


def test_presets_move_the_thresholds(clean: np.ndarray) -> None:
    assert report_for(clean, policy=Policy(preset="strict")).checks["sharpness"].threshold > \
        report_for(clean, policy=Policy(preset="relaxed")).checks["sharpness"].threshold
    overridden = report_for(clean, policy=Policy.from_params({"preset": "normal", "threshold.sharpness": 0.9}))
    assert overridden.checks["sharpness"].threshold == 0.9 and overridden.checks["sharpness"].status == "failed"


def test_scores_are_50_at_the_threshold_and_monotone() -> None:
    assert score_of(0.3, 0.3, "min") == 50.0 and score_of(0.02, 0.02, "max") == 50.0
    assert score_of(0.6, 0.3, "min") > 50 > score_of(0.1, 0.3, "min")
    assert score_of(0.01, 0.02, "max") > 50 > score_of(0.05, 0.02, "max")


def test_a_12_megapixel_photo_is_analysed_from_a_reduced_decode(clean: np.ndarray) -> None:
    big = cv2.resize(clean, (4000, 3000), interpolation=cv2.INTER_CUBIC)
    ok, encoded = cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    result = analyse_document(encoded.tobytes(), document_type="passport", side="front", policy=Policy())
    assert result.image is not None and result.image.width == 4000
    assert result.report is not None and result.report.checks["low_resolution"].value > 2000
    assert result.passed, result.report.failed


def test_unreadable_bytes_become_a_result_not_an_exception() -> None:
    result = analyse_document(b"\xff\xd8\xff\xe0 truncated", document_type=None, side="front", policy=Policy())
    assert not result.passed and result.message_key == "retake.unreadable"
    assert result.unreadable is not None and result.unreadable.code == "verification.corrupt_image"


# --- selfies -------------------------------------------------------------------


@pytest.fixture(scope="module")
def selfie(images: dict[str, Path]) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(images["selfie"])), cv2.COLOR_BGR2RGB)


def test_a_good_selfie_passes(selfie: np.ndarray) -> None:
    report, face = check_selfie(selfie)
    assert report.passed, report.failed
    assert face is not None and report.checks["face_size"].value > 60


def test_no_face_and_three_faces_are_refused(selfie: np.ndarray) -> None:
    report, face = check_selfie(np.full((800, 600, 3), 120, np.uint8))
    assert face is None and report.message_key == "retake.no_face"
    small = cv2.resize(selfie, (480, 640))
    trio = np.hstack([small, small, small])
    report, face = check_selfie(trio)
    assert face is None and report.message_key == "retake.multiple_faces"
    assert report.checks["face_count"].value == 3


def test_a_far_away_face_is_too_small(selfie: np.ndarray) -> None:
    canvas = np.full((1280, 960, 3), 200, np.uint8)
    canvas[360:920, 270:690] = cv2.resize(selfie, (420, 560))
    report, _ = check_selfie(canvas)
    assert report.checks["face_size"].status == "failed"


def test_a_face_in_the_corner_is_not_centred(selfie: np.ndarray) -> None:
    canvas = np.full((1600, 1200, 3), 200, np.uint8)
    canvas[:640, :480] = cv2.resize(selfie, (480, 640))
    report, _ = check_selfie(canvas)
    assert report.checks["face_position"].status == "failed"


def test_a_tilted_head_fails_the_pose_check(selfie: np.ndarray) -> None:
    height, width = selfie.shape[:2]
    rotated = cv2.warpAffine(selfie, cv2.getRotationMatrix2D((width / 2, height / 2), 35, 1.0), (width, height),
                             borderMode=cv2.BORDER_REPLICATE)
    report, _ = check_selfie(rotated)
    assert report.checks["head_pose"].status == "failed" and report.checks["head_pose"].value >= 25


def test_a_dark_or_blurred_face_fails(selfie: np.ndarray) -> None:
    dark, _ = check_selfie((selfie * 0.18).astype(np.uint8))
    assert dark.checks["face_too_dark"].status == "failed"
    soft, _ = check_selfie(cv2.GaussianBlur(selfie, (0, 0), 5))
    assert soft.checks["face_sharpness"].status == "failed"


def test_eye_aspect_ratio_separates_open_from_closed() -> None:
    open_eye = np.array([(0, 0), (3, -3), (7, -3), (10, 0), (7, 3), (3, 3)], float)
    closed = np.array([(0, 0), (3, -0.5), (7, -0.5), (10, 0), (7, 0.5), (3, 0.5)], float)
    assert eye_aspect_ratio(open_eye) == pytest.approx(0.6)
    assert eye_aspect_ratio(closed) == pytest.approx(0.1)


def test_the_selfie_analysis_gives_the_thresholds_the_face_match_is_judged_by(images: dict[str, Path]) -> None:
    result = analyse_selfie(images["selfie"].read_bytes(), policy=Policy())
    assert result.passed and "face_match" not in result.to_context()  # the matcher's, in server/checks.py
    assert result.thresholds == {"review": 60.0, "approve": 80.0, "strict": 90.0}
