"""Selfie challenges against the real server: a 1.3 client is asked for head turns and sends frames, a 1.2 client
is not and its one selfie is judged as before, a still sent as frames is refused, and many sessions do challenges
at once. The journey is tests/server/challenge/journeys/selfie_challenge.yaml (a capture.selfie with
`challenge_moves: 2`), the turns are rendered from the demo selfie (demo_client/turns.py)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

import sdk_protocol as p
from demo_client.client import DemoClient, load_scenario
from demo_client.turns import frames_after
from tests.server.live import ALL, API_KEY, Sdk, Server

CHALLENGE = Path(__file__).parent / "challenge"
ENV = {"ARABESQUE_JOURNEYS_DIR": str(CHALLENGE / "journeys"), "ARABESQUE_API_RATE_PER_SECOND": "100000",
       "ARABESQUE_API_RATE_BURST": "100000", "ARABESQUE_WORKERS": "2"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module: every test makes sessions of its own and reads only those (two workers, for the
    many sessions at once)."""
    running = Server(tmp_path_factory.mktemp("challenge"), ENV).start()
    yield running
    running.stop()


def enrolled(server: Server, photo: bytes) -> dict[str, str]:
    """A challenge session whose enrolled face is `photo`, uploaded to an earlier session."""
    earlier = server.create()
    uploaded = server.upload(earlier, photo)
    assert uploaded.status_code == 201, uploaded.text
    return server.create("selfie_challenge", prefill={"enrolled_face": f"{earlier['session_id']}/"
                                                                        f"{uploaded.json()['file_id']}"})


async def connect(server: Server, session: dict[str, str], version: str) -> Sdk:
    sdk = await Sdk(server, session["token"]).connect(hello=False)
    welcome = await sdk.call(p.Hello(protocol_version=version, locale="en", components=ALL,
                                     sdk=p.SdkInfo(name="pytest", version="1", platform="other")))
    assert isinstance(welcome, p.Welcome) and welcome.protocol_version == "1.3.0"
    return sdk


def selfie_component(screen: p.Screen) -> p.SelfieCapture:
    return next(c for c in screen.components if isinstance(c, p.SelfieCapture))


def upload(server: Server, session: dict[str, str], data: bytes) -> str:
    response = server.upload(session, data)
    assert response.status_code == 201, response.text
    file_id: str = response.json()["file_id"]
    return file_id


async def test_the_demo_client_does_the_challenge_and_is_approved(server: Server, images: dict[str, Path]) -> None:
    out = io.StringIO()
    client = DemoClient(server=server.url, api_key=API_KEY, journey="selfie_challenge", images=images, out=out,
                        scenario=load_scenario("selfie_challenge", "approve", CHALLENGE / "scenarios"), timeout=240)
    assert await client.run() == "approved", out.getvalue()[-800:]
    checks = server.session(client.session_id)["checks"]
    assert isinstance(checks, dict)
    challenge = checks["selfie"]["challenge"]
    assert challenge["status"] == "passed" and challenge["passed"] is True and len(challenge["turns"]) == 6
    assert sorted(challenge["moves"]) == ["turn_left", "turn_right"]
    assert checks["selfie"]["face_match"]["verdict"] == "match"
    assert "challenge: turn_" in out.getvalue() and "selfie.challenge: passed" in out.getvalue()


async def test_a_1_2_client_gets_no_challenge_and_its_one_selfie_is_judged_as_before(
        server: Server, images: dict[str, Path]) -> None:
    selfie = images["selfie"].read_bytes()
    session = enrolled(server, selfie)
    sdk = await connect(server, session, "1.2.0")
    screen = await sdk.screen("selfie")
    component = selfie_component(screen)
    assert component.challenge is None and component.challenge_moves == 0
    assert isinstance(await sdk.submit(screen, {"file": upload(server, session, selfie)}), p.ScreenAccepted)
    done = await sdk.next(p.JourneyCompleted, timeout=180)
    assert isinstance(done, p.JourneyCompleted) and done.outcome == "manual_review"  # the journey's not_done rule
    view = server.session(session["session_id"])
    checks = view["checks"]
    assert isinstance(checks, dict)
    assert checks["selfie"]["challenge"] == {"status": "not_done", "passed": None}
    assert checks["selfie"]["passed"] is True and checks["selfie"]["face_match"]["verdict"] == "match"
    await sdk.close()


async def test_a_1_3_client_must_send_the_frames_and_gets_stable_codes_for_bad_ones(
        server: Server, images: dict[str, Path]) -> None:
    selfie = images["selfie"].read_bytes()
    session = enrolled(server, selfie)
    sdk = await connect(server, session, "1.3.0")
    screen = await sdk.screen("selfie")
    assert selfie_component(screen).challenge is not None
    file = upload(server, session, selfie)
    cases: list[tuple[dict[str, object], list[tuple[str, str]]]] = [
        ({"file": file}, [("/file_frames", "validation.challenge_frames")]),
        ({"file": file, "file_frames": file}, [("/file_frames", "validation.challenge_frames")]),
        ({"file": file, "file_frames": [file, file, "f_notuploaded00"]}, [("/file_frames/2",
                                                                          "validation.file_unknown")]),
        ({"file": file, "file_frames": [file] * 3, "file_challenge": ["turn_left", "turn_right"]},
         [("/file_challenge", "validation.unknown_field")]),
    ]
    for values, expected in cases:
        reply = await sdk.submit(screen, values)
        assert isinstance(reply, p.ScreenErrors), (values, reply)
        assert [(e.pointer, e.code) for e in reply.errors] == expected, values
    await sdk.close()


async def test_a_still_sent_as_the_frames_is_refused_and_the_turns_asked_for_pass(
        server: Server, images: dict[str, Path]) -> None:
    selfie = images["selfie"].read_bytes()
    still, live = enrolled(server, selfie), enrolled(server, selfie)
    results = {}
    for name, session in (("still", still), ("live", live)):
        sdk = await connect(server, session, "1.3.0")
        screen = await sdk.screen("selfie")
        moves = selfie_component(screen).challenge
        assert moves is not None
        frames = [selfie] * 5 if name == "still" else frames_after(selfie, list(moves))
        values = {"file": upload(server, session, selfie),
                  "file_frames": [upload(server, session, frame) for frame in frames]}
        assert isinstance(await sdk.submit(screen, values), p.ScreenAccepted)
        done = await sdk.next(p.JourneyCompleted, timeout=180)
        assert isinstance(done, p.JourneyCompleted)
        checks = server.session(session["session_id"])["checks"]
        assert isinstance(checks, dict)
        results[name] = (done.outcome, checks["selfie"]["challenge"], moves)
        await sdk.close()
    outcome, challenge, moves = results["still"]
    assert outcome == "rejected" and challenge["status"] == "failed" and challenge["failed_step"] == moves[0]
    outcome, challenge, _ = results["live"]
    assert outcome == "approved" and challenge["status"] == "passed"


async def test_many_sessions_do_challenges_at_once_each_judged_on_its_own_moves(
        server: Server, images: dict[str, Path]) -> None:
    scenario = load_scenario("selfie_challenge", "approve", CHALLENGE / "scenarios")
    clients = [DemoClient(server=server.url, api_key=API_KEY, journey="selfie_challenge", scenario=scenario,
                          images=images, out=io.StringIO(), timeout=600) for _ in range(8)]
    outcomes = await asyncio.gather(*(c.run() for c in clients), return_exceptions=True)
    assert outcomes == ["approved"] * 8, [(o, c.printer.out.getvalue()[-600:]) for o, c in  # type: ignore[attr-defined]
                                          zip(outcomes, clients, strict=True) if o != "approved"][:2]
    for client in clients:
        view = server.session(client.session_id)
        checks, data = view["checks"], view["data"]
        assert isinstance(checks, dict) and isinstance(data, dict)
        stored = data["captures"]["selfie"]
        assert checks["selfie"]["challenge"]["moves"] == stored["file_challenge"]
        assert len(stored["file_frames"]) == 5
        shown = client.printer.out.getvalue()  # type: ignore[attr-defined]
        assert f"challenge: {', '.join(stored['file_challenge'])}" in shown
