"""The demo client drives each scenario to its outcome against a real server (as QA does). The server is
configured as kyb_business v3 needs: the demo's company-registry stand-in and a small screening list."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from demo_client.registry import RegistryStandin
from tests.server.live import API_KEY, ROOT, Server
from tests.server.test_kyb_journey import REGISTRY_KEY, kyb_env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    standin = RegistryStandin(api_key=REGISTRY_KEY).start()
    folder = tmp_path_factory.mktemp("demo")
    running = Server(folder / "data", kyb_env(folder, standin.base)).start()
    yield running
    running.stop()
    standin.stop()


def run(server: Server, journey: str, scenario: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "demo_client", "run", "--server", server.url, "--api-key", API_KEY,
                           "--journey", journey, "--scenario", scenario, "--timeout", "90", *extra],
                          capture_output=True, text=True, timeout=150, cwd=ROOT)


@pytest.mark.parametrize(("journey", "scenario", "outcome"), [
    ("kyc_individual", "approve", "approved"),
    ("kyc_individual", "reject", "rejected"),
    ("kyc_individual", "review", "manual_review"),
    ("kyc_individual", "retake", "approved"),
    ("kyb_business", "approve", "approved"),
    ("kyb_business", "reject", "rejected"),
    ("kyb_business", "review", "manual_review"),
    ("kyb_business", "retake", "approved"),
    ("selfie_reverification", "approve", "approved"),
    ("selfie_reverification", "reject", "rejected"),
    ("selfie_reverification", "review", "manual_review"),
    ("selfie_reverification", "retake", "approved"),
])
def test_each_scenario_ends_with_its_outcome(server: Server, journey: str, scenario: str, outcome: str) -> None:
    done = run(server, journey, scenario)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == f"outcome: {outcome}"
    assert any(line.startswith("== screen ") for line in lines)


def test_the_retake_scenario_is_refused_once_then_retaken(server: Server) -> None:
    done = run(server, "kyc_individual", "retake")
    out = done.stdout
    assert "== screen retake_document_front" in out, out
    assert out.index("document_front_degraded.jpg") < out.index("== screen retake_document_front")
    assert "document_front.sharpness: failed" in out  # a real quality check refused the blurred capture
    assert "The photo is blurry" in out
    assert "upload document_front: 100%" in out


def test_the_two_owner_kyb_starts_a_child_per_owner_the_demo_completes_both_and_the_parent_is_approved(
        server: Server) -> None:
    done = run(server, "kyb_business", "approve")
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert out.strip().splitlines()[-1] == "outcome: approved"
    parent_id = next(line.split()[1] for line in out.splitlines() if line.startswith("session s_"))
    view = server.session(parent_id)
    assert (view["status"], view["outcome"]) == ("final", "approved")
    kids = view["children"]
    assert isinstance(kids, list)
    assert [(k["label"], k["group"], k["journey"], k["outcome"]) for k in kids] == [
        ("Ada Lovelace", "owners", "kyc_individual", "approved"),
        ("Charles Babbage", "owners", "kyc_individual", "approved")]
    for kid in kids:
        child = server.session(kid["session_id"])
        assert child["parent"] == {"session_id": parent_id, "group": "owners", "key": kid["key"],
                                   "label": kid["label"]}
        assert (child["status"], child["outcome"]) == ("final", "approved")
        assert child["data"]["faces"]["duplicate_count"] == 0  # type: ignore[index]  # two different people
        assert f"== child {kid['label']} ({kid['session_id']}): outcome approved" in out
    done_decisions = [d for d in view["decisions"] if d["event"] == "children.done"]  # type: ignore[union-attr]
    assert len(done_decisions) == 1
    assert done_decisions[0]["reason"] == (f"owners: {kids[0]['session_id']} (Ada Lovelace): approved; "
                                           f"{kids[1]['session_id']} (Charles Babbage): approved")
    # the representative's screen, live: both waiting, then the first owner's end pushed while the other waits
    waiting = out.index("[content.alert:info] Ada Lovelace: waiting for their verification")
    assert out.index("[content.alert:info] Charles Babbage: waiting for their verification") > waiting
    assert re.search(r"\[content\.alert:success\] (Ada Lovelace|Charles Babbage): verified", out[waiting:]), out


def test_a_kyb_rejected_before_its_owners_are_asked_starts_no_child(server: Server) -> None:
    done = run(server, "kyb_business", "reject")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "outcome: rejected"
    parent_id = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("session s_"))
    assert server.session(parent_id)["children"] == []
    assert "== child " not in done.stdout


def test_a_wrong_api_key_exits_1_with_the_reason(server: Server) -> None:
    done = subprocess.run([sys.executable, "-m", "demo_client", "run", "--server", server.url, "--api-key", "wrong",
                           "--journey", "kyc_individual", "--scenario", "approve"], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 1
    assert "auth.invalid_api_key" in done.stderr


@pytest.mark.parametrize(("journey", "redo", "outcome"), [
    ("kyc_individual", "redo_document_front", "approved"),
    ("selfie_reverification", "redo_selfie", "approved"),
    ("kyb_business", None, "rejected"),
])
def test_the_review_scenario_with_a_reviewer_asks_again_live_then_decides(server: Server, journey: str,
                                                                            redo: str | None, outcome: str) -> None:
    with server.api() as api:
        made = api.post("/v1/keys", json={"name": "demo reviewer", "role": "reviewer"}).json()
    done = run(server, journey, "review", "--review", "act", "--reviewer-key", made["api_key"])
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert out.strip().splitlines()[-1] == f"outcome: {outcome}"
    review = out.index("== screen manual_review")
    if redo is not None:
        assert out.index("== reviewer: request_changes") > review
        assert out.index(f"== screen {redo}") > out.index("== reviewer: request_changes")
        assert out.count("== screen manual_review") == 2  # the resubmission went back to review
        assert out.index("== reviewer: approve") > out.rindex("== screen manual_review")
    if journey == "kyc_individual":
        assert "There is glare on the card. Tilt it away from the light." in out  # the reviewer's reason, shown
    session_id = next(line.split()[1] for line in out.splitlines() if line.startswith("session s_"))
    with server.api() as api:
        assert api.get(f"/v1/sessions/{session_id}").json()["outcome"] == outcome
        entries = api.get("/v1/audit", params={"subject_id": session_id}).json()["entries"]
    reviewer = f"api_key:{made['id']}"
    steps = [(e["actor"], e["action"], e["after"]) for e in reversed(entries)]
    rounds = [("system", "case.opened", {"round": 1, "flags": steps[0][2]["flags"]}),
              (reviewer, "case.claimed", {"assignee": reviewer, "status": "assigned"})]
    if redo is not None:
        rounds += [(reviewer, "case.decided", {"action": "request_changes"}),
                   ("system", "case.resubmitted", {"round": 2, "flags": steps[3][2]["flags"]}),
                   (reviewer, "case.claimed", {"assignee": reviewer, "status": "assigned"})]
    rounds.append((reviewer, "case.decided", {"action": "approve" if outcome == "approved" else "reject"}))
    assert steps == rounds


def test_the_images_command_writes_every_sample_capture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from demo_client.__main__ import main

    assert main(["images", str(tmp_path / "samples")]) == 0
    written = capsys.readouterr().out.split()
    assert {Path(p).stem for p in written} >= {"document_front", "document_back", "selfie", "certificate"}
    assert all(Path(p).is_file() and Path(p).stat().st_size > 10_000 for p in written)


def test_a_selfie_that_is_a_photo_of_the_document_goes_to_review_as_not_live(server: Server) -> None:
    done = run(server, "kyc_individual", "not_live")
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert out.strip().splitlines()[-1] == "outcome: manual_review"
    assert "selfie_of_document.jpg" in out
    assert "selfie.liveness: failed" in out
    assert "== screen retake_selfie" not in out  # no retake: the attacker learns nothing from a second try
    session_id = next(line.split()[1] for line in out.splitlines() if line.startswith("session "))
    view = server.session(session_id)
    selfie = view["checks"]["selfie"]  # type: ignore[index]
    assert selfie["liveness"]["reason"] == "selfie.not_live" and selfie["liveness"]["status"] == "failed"
    assert selfie["message_key"] == "retake.not_live" and selfie["passed"] is False
    with server.api() as api:
        case = api.get(f"/v1/cases/{session_id}").json()
    assert "not_live" in case["case"]["flags"]
    assert "not_live" in [reason["code"] for reason in case["options"]["reject_reasons"]]


def test_the_genuine_demo_selfie_passes_the_liveness_check(server: Server) -> None:
    done = run(server, "kyc_individual", "approve")
    out = done.stdout
    assert out.strip().splitlines()[-1] == "outcome: approved", out + done.stderr
    assert "selfie.liveness: passed" in out


def test_attacks_and_genuine_selfies_sent_at_once_each_get_their_own_outcome(server: Server) -> None:
    """Six sessions at once, every other one a photo of the card: the liveness verdicts do not cross sessions."""
    scenarios = ["not_live", "approve"] * 3
    running = [subprocess.Popen([sys.executable, "-m", "demo_client", "run", "--server", server.url, "--api-key",
                                 API_KEY, "--journey", "kyc_individual", "--scenario", scenario, "--timeout", "240"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
               for scenario in scenarios]
    outputs = [process.communicate(timeout=300) for process in running]
    for scenario, (out, err) in zip(scenarios, outputs, strict=True):
        expected = "manual_review" if scenario == "not_live" else "approved"
        assert out.strip().splitlines()[-1] == f"outcome: {expected}", out + err
        assert ("selfie.liveness: failed" in out) is (scenario == "not_live")
