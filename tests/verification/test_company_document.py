"""Company document checks on pages made in code: a good page passes, and each fault fails its own check."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.verification.company_pages import CUT_OFF, FAR, PHOTO, certificate, desk, jpeg, on_desk, pdf
from verification.company_document import check_company_document, company_context, text_lines
from verification.results import Policy

CHECKS = ("format", "found", "not_cut_off", "readable")


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return certificate()


def statuses(data: bytes, policy: Policy = Policy()) -> dict[str, str]:  # noqa: B008 - frozen
    report = check_company_document(data, policy=policy).report
    return {name: report.checks[name].status for name in CHECKS}


def test_a_certificate_photographed_whole_on_a_desk_passes_every_check(page: np.ndarray) -> None:
    checked = check_company_document(jpeg(on_desk(page, PHOTO)))
    assert checked.report.passed and checked.report.message_key == ""
    assert {name: checked.report.checks[name].status for name in CHECKS} == dict.fromkeys(CHECKS, "passed")
    assert (checked.source, checked.media_type, checked.width, checked.height) == ("image", "image/jpeg", 2000, 1500)
    assert checked.measures["text_lines"] >= 20 and checked.measures["resolution"] >= 700
    assert len(checked.report.corners) == 4
    assert all(abs(x - px) < 40 and abs(y - py) < 40 for (x, y), (px, py) in zip(checked.report.corners, PHOTO,
                                                                                   strict=True))


def test_a_flat_scan_with_white_margins_is_a_page_and_not_cut_off(page: np.ndarray) -> None:
    plain = page.copy()
    cv2.rectangle(plain, (40, 40), (1200, 1714), (250, 250, 250), 12)  # no printed frame: the frame is the page
    assert statuses(cv2.imencode(".png", plain)[1].tobytes()) == dict.fromkeys(CHECKS, "passed")


def test_a_page_running_off_the_frame_fails_not_cut_off_with_its_retake_message(page: np.ndarray) -> None:
    report = check_company_document(jpeg(on_desk(page, CUT_OFF))).report
    assert not report.passed and report.message_key == "retake.page_cut_off"
    assert report.failed == ["not_cut_off"]
    assert report.checks["not_cut_off"].reason == "verification.page_cut_off"
    assert report.checks["found"].passed and report.checks["readable"].passed


def test_a_scan_cropped_through_the_text_fails_not_cut_off(page: np.ndarray) -> None:
    assert statuses(jpeg(page[300:, 200:]))["not_cut_off"] == "failed"


@pytest.mark.parametrize("sigma", [3.0, 4.0])
def test_a_blurred_page_fails_readable_as_blurry(page: np.ndarray, sigma: float) -> None:
    report = check_company_document(jpeg(cv2.GaussianBlur(on_desk(page, PHOTO), (0, 0), sigma))).report
    assert report.failed == ["readable"] and report.message_key == "retake.page_blurry"
    assert report.checks["readable"].reason == "verification.page_blurry"
    assert report.checks["readable"].value < report.checks["readable"].threshold


def test_a_page_too_far_from_the_camera_fails_readable_for_its_resolution(page: np.ndarray) -> None:
    report = check_company_document(jpeg(on_desk(page, FAR))).report
    assert report.failed == ["readable"] and report.message_key == "retake.page_low_resolution"
    assert report.checks["readable"].value < 700


def test_a_warn_mode_and_a_lower_threshold_let_a_page_through() -> None:
    far = jpeg(on_desk(certificate(), FAR))
    warned = check_company_document(far, policy=Policy(modes={"readable": "warn"})).report
    assert warned.passed and warned.warnings == ["readable"] and warned.checks["readable"].status == "warning"
    assert check_company_document(far, policy=Policy(thresholds={"resolution": 400.0})).report.passed


@pytest.mark.parametrize("image", [desk(), np.full((1754, 1240, 3), 250, np.uint8)], ids=["desk", "blank_paper"])
def test_an_image_without_a_printed_page_fails_found(image: np.ndarray) -> None:
    report = check_company_document(jpeg(image)).report
    assert report.failed == ["found"] and report.message_key == "retake.no_page"
    assert report.checks["not_cut_off"].status == report.checks["readable"].status == "skipped"


@pytest.mark.parametrize(("data", "code"), [
    (b"\x00\x01 not a document " * 40, "verification.unsupported_format"),
    (b"%PDF-1.7\n garbage that is no PDF", "verification.corrupt_pdf"),
    (b"", "verification.empty_file"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 300, "verification.corrupt_image"),
])
def test_a_file_that_is_neither_an_image_nor_a_pdf_fails_format_with_its_code(data: bytes, code: str) -> None:
    checked = check_company_document(data)
    assert checked.report.failed == ["format"] and checked.report.message_key == "retake.document_file"
    assert checked.report.checks["format"].reason == code and checked.detail.startswith("Expected")
    assert all(checked.report.checks[name].status == "skipped" for name in CHECKS[1:])


def test_a_two_page_pdf_is_judged_on_its_first_page_rendered(page: np.ndarray) -> None:
    checked = check_company_document(pdf(page, certificate(seed=2)))
    assert (checked.source, checked.media_type, checked.pages) == ("pdf", "application/pdf", 2)
    assert checked.report.passed, checked.report
    assert checked.height == 1600 and checked.measures["resolution"] >= 1000


def test_a_pdf_of_a_blank_page_fails_found() -> None:
    checked = check_company_document(pdf(np.full((1754, 1240, 3), 250, np.uint8)))
    assert checked.source == "pdf" and checked.report.failed == ["found"]


def test_text_lines_are_counted_whichever_way_the_page_lies(page: np.ndarray) -> None:
    gray = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    assert text_lines(gray) == text_lines(np.ascontiguousarray(np.rot90(gray))) >= 20
    assert text_lines(np.full((800, 600), 250, np.uint8)) == 0


def test_the_context_of_several_files_fails_on_any_and_shows_each(page: np.ndarray) -> None:
    good = check_company_document(jpeg(on_desk(page, PHOTO)))
    cut = check_company_document(jpeg(on_desk(page, CUT_OFF)))
    context = company_context([("f_good", good), ("f_cut", cut)])
    assert (context["passed"], context["message_key"], context["failed"]) == (False, "retake.page_cut_off",
                                                                                ["not_cut_off"])
    assert context["not_cut_off"]["status"] == "failed" and context["found"]["status"] == "passed"  # type: ignore[index]
    assert [f["file"] for f in context["files"]] == ["f_good", "f_cut"]  # type: ignore[attr-defined]
    assert [f["passed"] for f in context["files"]] == [True, False]  # type: ignore[attr-defined]
    assert company_context([("f_good", good)])["passed"] is True
    assert company_context([]) == {"passed": False, "message_key": "retake.document_missing", "failed": ["files"],
                                   "warnings": [], "files": []}
