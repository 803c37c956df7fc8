"""The verification tasks through the runner: typed input, the face verdict, and failures that keep their codes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from sdk_protocol.messages import CheckStatus
from server.checks import TASKS
from server.tasks import TaskError, TaskRunner, TaskTimeout, UnknownTask, WorkerCrashed
from verification.faces import FaceComparison

T = TypeVar("T")


class Inline:
    """Compute in this process (the pool's job, without spawning workers)."""

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        return fn(*args)


class Files:
    """A FileReader over a dict of references."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.read_refs: list[str] = []

    async def read(self, reference: str) -> bytes:
        self.read_refs.append(reference)
        return self.files[reference]


class Progress:
    """A ProgressSink that keeps what it was told."""

    def __init__(self) -> None:
        self.reports: list[tuple[str, CheckStatus]] = []

    async def report(self, check: str, status: CheckStatus) -> None:
        self.reports.append((check, status))


class Matcher:
    """A FaceMatcher that answers one comparison, or raises."""

    def __init__(self, answer: FaceComparison | Exception) -> None:
        self.answer = answer

    async def compare(self, reference: bytes, probe: bytes) -> FaceComparison:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def comparison(similarity: float, distance: float | None = 0.08) -> FaceComparison:
    return FaceComparison(similarity=similarity, distance=distance, reference_faces=1, probe_faces=1)


@pytest.fixture
def files(images: dict[str, Path]) -> Files:
    return Files({"f_selfie": images["selfie"].read_bytes(), "f_front": images["document_front"].read_bytes(),
                  "s_other/f_enrolled": images["selfie"].read_bytes()})


async def selfie(files: Files, matcher: Matcher, progress: Progress | None = None,
                 **task_input: object) -> dict[str, object]:
    runner = TaskRunner(TASKS, pool=Inline(), faces=matcher)
    return await runner.run("verify_selfie", files=files, progress=progress or Progress(),
                            task_input={"file": "f_selfie", "reference": "f_front", **task_input},
                            params={"capture": "selfie"})


@pytest.mark.parametrize(("similarity", "verdict", "passed", "status"), [
    (97.5, "match", True, "passed"), (70.0, "review", True, "warning"), (20.0, "mismatch", False, "failed")])
async def test_the_face_match_carries_the_verdict_and_what_it_came_from(
        files: Files, similarity: float, verdict: str, passed: bool, status: CheckStatus) -> None:
    progress = Progress()
    result = await selfie(files, Matcher(comparison(similarity)), progress)
    assert result["face_match"] == {"verdict": verdict, "similarity": similarity, "distance": 0.08,
                                    "reference_faces": 1, "probe_faces": 1}
    assert result["passed"] is passed
    assert result["message_key"] == ("" if passed else "retake.face_mismatch")
    assert progress.reports[-2:] == [("selfie.face_match", "running"), ("selfie.face_match", status)]
    assert files.read_refs == ["f_selfie", "f_front"]


async def test_a_matcher_without_a_distance_records_none_not_a_made_up_one(files: Files) -> None:
    result = await selfie(files, Matcher(comparison(95.0, distance=None)))
    assert result["face_match"] == {"verdict": "match", "similarity": 95.0, "distance": None, "reference_faces": 1,
                                    "probe_faces": 1}


async def test_a_reference_without_a_face_is_not_the_selfies_fault(files: Files) -> None:
    progress = Progress()
    result = await selfie(files, Matcher(FaceComparison(similarity=0.0, distance=None, reference_faces=0,
                                                        probe_faces=0)), progress)
    assert "face_match" not in result and result["passed"] is True
    assert result["face_match_error"] == "no face found in the reference image"
    assert progress.reports[-1] == ("selfie.face_match", "error")


async def test_no_reference_means_no_comparison(files: Files) -> None:
    result = await selfie(files, Matcher(AssertionError("must not compare")), reference=None)
    assert "face_match" not in result and result["passed"] is True


@pytest.mark.parametrize("failure", [
    WorkerCrashed("Expected the check to complete, got a crashed worker (it has been replaced)"),
    TaskTimeout("Expected the check to finish within 30s, got no result")])
async def test_a_crashed_or_timed_out_face_comparison_keeps_its_own_code(files: Files, failure: TaskError) -> None:
    with pytest.raises(TaskError) as caught:
        await selfie(files, Matcher(failure))
    assert caught.value is failure
    assert caught.value.code in {"verification.worker_crashed", "verification.timeout"}


@pytest.mark.parametrize(("task_input", "message", "at"), [
    ({"file": 7}, "Expected `str`, got `int` - at `$.file` (the input of task verify_selfie)", "$.file"),
    ({"file": None}, "Expected `str`, got `null` - at `$.file` (the input of task verify_selfie)", "$.file"),
    ({"file": "f_selfie", "reference": ["f_front"]},
     "Expected `str | null`, got `array` - at `$.reference` (the input of task verify_selfie)", "$.reference"),
])
async def test_a_bad_journey_input_fails_the_task_with_its_path(files: Files, task_input: dict[str, object],
                                                                message: str, at: str) -> None:
    runner = TaskRunner(TASKS, pool=Inline(), faces=Matcher(comparison(99.0)))
    with pytest.raises(TaskError) as caught:
        await runner.run("verify_selfie", files=files, progress=Progress(), task_input=task_input, params={})
    assert caught.value.code == "verification.failed"
    assert caught.value.message == message
    assert caught.value.details == {"task": "verify_selfie", "at": at}
    assert files.read_refs == []


async def test_dotted_params_are_typed_with_their_path(files: Files) -> None:
    runner = TaskRunner(TASKS, pool=Inline(), faces=Matcher(comparison(99.0)))
    with pytest.raises(TaskError) as caught:
        await runner.run("verify_document", files=files, progress=Progress(), task_input={"file": "f_front"},
                         params={"side": "front", "threshold.sharpness": "high"})
    assert caught.value.message == "Expected `float`, got `str` - at `$.threshold[...]` (the params of task " \
        "verify_document)"
    assert caught.value.details == {"task": "verify_document", "at": "$.threshold[...]"}


async def test_document_params_reach_the_checks(files: Files) -> None:
    progress = Progress()
    runner = TaskRunner(TASKS, pool=Inline(), faces=Matcher(comparison(99.0)))
    result = await runner.run("verify_document", files=files, progress=progress,
                              task_input={"file": "f_front", "document_type": "passport"},
                              params={"side": "front", "capture": "document_front", "mode.glare": "off",
                                      "threshold.sharpness": 0.01})
    assert result["glare"]["status"] == "skipped"  # type: ignore[index]
    assert result["sharpness"]["threshold"] == 0.01  # type: ignore[index]
    assert all(check.startswith("document_front.") for check, _ in progress.reports)
    assert ("document_front.glare", "skipped") not in progress.reports


async def test_an_unknown_task_is_refused_with_the_known_ones(files: Files) -> None:
    runner = TaskRunner(TASKS, pool=Inline(), faces=Matcher(comparison(99.0)))
    assert runner.names == frozenset({"verify_company_document", "verify_document", "verify_selfie"})
    with pytest.raises(UnknownTask) as caught:
        await runner.run("verify_palm", files=files, progress=Progress(), task_input={}, params={})
    assert caught.value.message == ("Expected a known task (verify_company_document, verify_document, verify_selfie), "
                                    "got 'verify_palm'")


async def test_a_selfie_face_that_is_the_references_own_photo_is_judged_again_stricter(files: Files) -> None:
    """The demo selfie is the very photo the card's portrait was printed from: alone it is live (its cue about
    0.46 of the bar), reused its cues count 1.4 times; a bar of 0.55 sits between the two."""
    progress = Progress()
    runner = TaskRunner(TASKS, pool=Inline(), faces=Matcher(comparison(100.0, distance=0.0007)))
    result = await runner.run("verify_selfie", files=files, progress=progress,
                              task_input={"file": "f_selfie", "reference": "f_front"},
                              params={"capture": "selfie", "threshold.liveness": 0.55})
    live = result["liveness"]
    assert isinstance(live, dict) and live["status"] == "failed" and live["reason"] == "selfie.not_live"
    assert result["passed"] is False and result["message_key"] == "retake.not_live"
    assert result["failed"] == ["liveness"]
    assert progress.reports.index(("selfie.liveness", "passed")) < progress.reports.index(
        ("selfie.face_match", "running")) < progress.reports.index(("selfie.liveness", "failed"))
    alone = await runner.run("verify_selfie", files=files, progress=Progress(), task_input={"file": "f_selfie"},
                             params={"capture": "selfie", "threshold.liveness": 0.55})
    assert alone["passed"] is True and alone["liveness"]["status"] == "passed"  # type: ignore[index]
