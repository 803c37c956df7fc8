"""Many sessions at once against a real server: walks, full journeys with checks, restarts, floods, overload.

Correctness only (every reply, every stored state); speed is measured by `arabesque bench sessions`.
"""

from __future__ import annotations

import asyncio
import io
import random
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import socketio

import sdk_protocol as p
from demo_client.client import DemoClient, load_scenario
from tests.server.live import API_KEY, Sdk, Server

PERSON = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10", "nationality": "GB",
          "email": "ada@example.com", "pep": "no"}
ADDRESS = {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}
# the form screens of kyc_individual, round and round: (screen, submit values or action, the next screen)
WALK: list[tuple[str, dict[str, object] | str, str]] = [
    ("welcome", {}, "personal"), ("personal", PERSON, "address"), ("address", ADDRESS, "document_choice"),
    ("document_choice", "back", "address"), ("address", "back", "personal"), ("personal", "back", "welcome"),
]
UNLIMITED = {"ARABESQUE_API_RATE_PER_SECOND": "100000", "ARABESQUE_API_RATE_BURST": "100000"}


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Unlimited, two workers, shared by the tests that only read back their own sessions."""
    running = Server(tmp_path_factory.mktemp("busy"), {**UNLIMITED, "ARABESQUE_WORKERS": "2"}).start()
    yield running
    running.stop()
async def create_many(server: Server, n: int, journey: str = "kyc_individual") -> list[dict[str, str]]:
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"},
                                 timeout=60) as api:
        responses = await asyncio.gather(*(api.post("/v1/sessions", json={"journey": journey,
                                                                          "reference": f"load-{i}"})
                                           for i in range(n)))
    assert [r.status_code for r in responses] == [201] * n, [r.text for r in responses if r.status_code != 201][:3]
    return [r.json() for r in responses]


async def stored(server: Server, session_ids: list[str]) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"},
                                 timeout=60) as api:
        responses = await asyncio.gather(*(api.get(f"/v1/sessions/{s}") for s in session_ids))
    assert all(r.status_code == 200 for r in responses)
    return [r.json() for r in responses]


async def step(sdk: Sdk, screen: p.Screen, move: dict[str, object] | str) -> p.ServerMessage:
    if isinstance(move, str):
        return await sdk.call(p.ScreenAction(screen_id=screen.screen_id, revision=screen.revision, action=move,
                                             idempotency_key=uuid.uuid4().hex))
    return await sdk.submit(screen, move)


async def walk(sdk: Sdk, rounds: int, problems: list[str]) -> p.Screen:
    """Walk the form screens `rounds` times; every refusal or surprise goes to `problems`."""
    screen = await sdk.screen("welcome")
    for _ in range(rounds):
        for screen_id, move, then in WALK:
            if screen.screen_id != screen_id:
                problems.append(f"expected {screen_id}, on {screen.screen_id}")
                return screen
            reply = await step(sdk, screen, move)
            if not isinstance(reply, p.ScreenAccepted):
                problems.append(f"{screen_id}: {reply}")
                return screen
            screen = await sdk.screen(then)
    return screen


async def assert_clients_match_storage(server: Server, sessions: list[dict[str, str]], last: list[p.Screen]
                                       ) -> None:
    views = await stored(server, [s["session_id"] for s in sessions])
    for view, screen in zip(views, last, strict=True):
        timeline = view["timeline"]
        assert isinstance(timeline, list)
        assert (view["state"], timeline[-1]["revision"]) == (screen.screen_id, screen.revision), view["session_id"]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_two_hundred_sessions_walk_the_form_screens_at_once(
        server_factory: Callable[..., Server], database: str, request: pytest.FixtureRequest) -> None:
    env = dict(UNLIMITED)
    if database == "postgresql":
        env["ARABESQUE_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    server = server_factory(env).start()
    sessions = await create_many(server, 200)
    sdks = await asyncio.gather(*(Sdk(server, s["token"]).connect() for s in sessions))
    problems: list[str] = []
    last = await asyncio.gather(*(walk(sdk, 2, problems) for sdk in sdks))
    assert problems == []
    await assert_clients_match_storage(server, sessions, list(last))
    # the devices saw every screen once and in order: revisions only ever go up
    for sdk in sdks:
        revisions = [m.revision for m in sdk.seen if isinstance(m, p.Screen)]
        assert revisions == sorted(revisions)
    await asyncio.gather(*(sdk.close() for sdk in sdks))
    assert "database is locked" not in server.log() and "QueuePool" not in server.log()


async def test_twenty_full_journeys_with_uploads_and_checks_at_once(busy_server: Server,
                                                                   images: dict[str, Path]) -> None:
    server = busy_server
    scenario = load_scenario("kyc_individual", "approve")
    clients = [DemoClient(server=server.url, api_key=API_KEY, journey="kyc_individual", scenario=scenario,
                          images=images, out=io.StringIO(), timeout=240) for _ in range(20)]
    outcomes = await asyncio.gather(*(c.run() for c in clients), return_exceptions=True)
    assert outcomes == ["approved"] * 20, [(o, c.printer.out.getvalue()[-600:]) for o, c in  # type: ignore[attr-defined]
                                           zip(outcomes, clients, strict=True) if o != "approved"][:2]
    views = await stored(server, [c.session_id for c in clients])
    assert {(v["status"], v["outcome"]) for v in views} == {("final", "approved")}
    for view in views:
        checks = view["checks"]
        assert isinstance(checks, dict) and {"document_front", "document_back", "selfie"} <= set(checks)


async def to_document_front(server: Server, n: int, images: dict[str, Path]) -> tuple[list[dict[str, str]],
                                                                                     list[Sdk], list[str]]:
    """n sessions on the document_front screen, each with the same front image (an ID card's) uploaded."""
    sessions = await create_many(server, n)
    sdks = await asyncio.gather(*(Sdk(server, s["token"]).connect() for s in sessions))
    front = images["document_front"].read_bytes()

    async def prepare(session: dict[str, str], sdk: Sdk) -> str:
        screen = await sdk.screen("welcome")
        for screen_id, values, then in [("welcome", {}, "personal"), ("personal", PERSON, "address"),
                                        ("address", ADDRESS, "document_choice"),
                                        ("document_choice", {"type": "id_card", "issuing_country": "GB"},
                                         "document_front")]:
            assert screen.screen_id == screen_id
            assert isinstance(await sdk.submit(screen, values), p.ScreenAccepted)
            screen = await sdk.screen(then)
        async with httpx.AsyncClient(timeout=60) as http:
            uploaded = await http.post(f"{server.url}/v1/sessions/{session['session_id']}/files", content=front,
                                       headers={"Authorization": f"Bearer {session['token']}",
                                                "Content-Type": "image/jpeg"})
        assert uploaded.status_code == 201, uploaded.text
        return str(uploaded.json()["file_id"])

    files = list(await asyncio.gather(*(prepare(s, sdk) for s, sdk in zip(sessions, sdks, strict=True))))
    return sessions, list(sdks), files


async def submit_all_at_once(sdks: list[Sdk], files: list[str]) -> None:
    screens = [next(m for m in reversed(sdk.seen) if isinstance(m, p.Screen)) for sdk in sdks]
    assert {(s.screen_id, s.revision) for s in screens} == {("document_front", screens[0].revision)}  # same id
    replies = await asyncio.gather(*(sdk.submit(screen, {"file": file_id})
                                     for sdk, screen, file_id in zip(sdks, screens, files, strict=True)))
    assert all(isinstance(r, p.ScreenAccepted) for r in replies), replies


async def wait_past_the_check(server: Server, session_ids: list[str], timeout: float = 180) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while True:
        views = await stored(server, session_ids)
        if all(v["state"] != "check_document_front" for v in views) or time.monotonic() > deadline:
            return views
        await asyncio.sleep(0.5)


def check_results(view: dict[str, object]) -> list[dict[str, object]]:
    timeline = view["timeline"]
    assert isinstance(timeline, list)
    return [e for e in timeline if e["kind"] in ("task.done", "task.failed")
            and e["from_state"] == "check_document_front"]


async def test_twenty_sessions_submitting_the_same_capture_at_once_each_get_their_check(
        busy_server: Server, images: dict[str, Path]) -> None:
    server = busy_server
    sessions, sdks, files = await to_document_front(server, 20, images)
    await submit_all_at_once(sdks, files)  # every session's task id is check_document_front.<same revision>
    await asyncio.gather(*(sdk.screen("document_back", timeout=120) for sdk in sdks))
    views = await wait_past_the_check(server, [s["session_id"] for s in sessions])
    for view in views:
        assert view["state"] == "document_back"
        assert len(check_results(view)) == 1
        assert view["checks"]["document_front"]["passed"] is True  # type: ignore[index]
    await asyncio.gather(*(sdk.close() for sdk in sdks))


async def test_the_same_capture_at_once_across_a_kill_mid_check_still_checks_every_session(
        server_factory: Callable[..., Server], images: dict[str, Path]) -> None:
    server = server_factory({**UNLIMITED, "ARABESQUE_WORKERS": "1"}).start()
    sessions, sdks, files = await to_document_front(server, 20, images)
    await submit_all_at_once(sdks, files)
    server.kill()  # kill -9 while the single worker is still on the first checks
    await asyncio.gather(*(sdk.close() for sdk in sdks), return_exceptions=True)
    restarted = server_factory({**UNLIMITED, "ARABESQUE_WORKERS": "2"}, data_dir=server.data_dir).start()
    views = await wait_past_the_check(restarted, [s["session_id"] for s in sessions])
    for view in views:
        assert view["state"] == "document_back", view["session_id"]
        assert len(check_results(view)) == 1  # run again after the restart when it had not reported, never twice
        assert view["checks"]["document_front"]["passed"] is True  # type: ignore[index]


async def test_the_hello_profile_is_the_only_rendering(busy_server: Server) -> None:
    server = busy_server
    (session,) = await create_many(server, 1)
    sdk = await Sdk(server, session["token"]).connect(locale="de")
    problems: list[str] = []
    await walk(sdk, 1, problems)  # starts on the screen sent after hello
    assert problems == []
    await asyncio.sleep(0.3)
    screens = [m for m in sdk.seen if isinstance(m, p.Screen)]
    assert len(screens) == 1 + len(WALK)  # the first screen, then one per transition: no other rendering
    assert {m.locale for m in screens} == {"de"} and "upgrade_required" not in {m.screen_id for m in screens}
    await sdk.close()


async def test_a_flooding_socket_is_refused_with_retry_after_and_the_others_all_complete(
        server_factory: Callable[..., Server]) -> None:
    server = server_factory(UNLIMITED).start()
    sessions = await create_many(server, 51)
    flooder_session, others = sessions[0], sessions[1:]
    flooder = socketio.AsyncClient(reconnection=False)
    replies: list[dict[str, object]] = []
    await flooder.connect(server.url, auth={"token": flooder_session["token"]}, namespaces=["/sdk"],
                          transports=["websocket"], wait_timeout=10)
    welcome = await flooder.call("message", p.to_wire(p.Hello(protocol_version=p.PROTOCOL_VERSION,
                                                               sdk=p.SdkInfo(name="flood", version="1"))),
                                 namespace="/sdk", timeout=10)
    assert welcome["type"] == "welcome"  # past the handshake: what follows is refused for its rate or staleness
    sdks = await asyncio.gather(*(Sdk(server, s["token"]).connect() for s in others))

    async def flood() -> None:
        for i in range(10_000):  # as fast as the socket takes them, without waiting for any answer
            await flooder.emit("message", {"type": "screen.submit", "screen_id": "welcome", "revision": 999,
                                           "values": {}, "idempotency_key": f"flood-{i}"}, namespace="/sdk",
                               callback=lambda reply=None: replies.append(reply or {}))

    flooding = asyncio.create_task(flood())
    await asyncio.sleep(0.2)  # the flood is under way (and the server already pausing it) before the others start
    problems: list[str] = []
    last = await asyncio.wait_for(asyncio.gather(*(walk(sdk, 1, problems) for sdk in sdks)), 60)
    assert problems == []
    await flooding
    await assert_clients_match_storage(server, others, list(last))
    limited = [r for r in replies if r.get("code") == "request.rate_limited"]
    assert limited, replies[:5]
    assert all(float(r["details"]["retry_after"]) > 0 for r in limited)  # type: ignore[index]
    assert {r.get("code") for r in replies} <= {"request.rate_limited", "workflow.stale_screen"}
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
    await asyncio.gather(*(sdk.close() for sdk in sdks))
    server.kill()  # the flooder's goodbye would wait behind its own flood, which the server reads at 20/s
    await flooder.disconnect()


def test_an_api_key_over_its_rate_gets_429_with_retry_after(server_factory: Callable[..., Server]) -> None:
    server = server_factory({"ARABESQUE_API_RATE_PER_SECOND": "2", "ARABESQUE_API_RATE_BURST": "3"}).start()
    with server.api() as api:
        answers = [api.get("/v1/journeys") for _ in range(8)]
        refused = [a for a in answers if a.status_code == 429]
        assert [a.status_code for a in answers[:3]] == [200, 200, 200] and refused
        body = refused[0].json()
        assert body["code"] == "request.rate_limited" and body["details"]["retry_after"] > 0
        assert int(refused[0].headers["Retry-After"]) >= 1
        time.sleep(float(body["details"]["retry_after"]) + 0.1)
        assert api.get("/v1/journeys").status_code == 200


async def test_overload_answers_server_busy_and_a_retry_with_the_same_key_gets_through(
        server_factory: Callable[..., Server]) -> None:
    server = server_factory({**UNLIMITED, "ARABESQUE_WRITE_QUEUE_LIMIT": "1"}).start()
    busy_creates = 0
    sessions: list[dict[str, str]] = []
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"},
                                 timeout=60) as api:
        pending = list(range(100))
        for _ in range(50):
            answers = await asyncio.gather(*(api.post("/v1/sessions", json={"journey": "kyc_individual"})
                                             for _ in pending))
            for answer in answers:
                if answer.status_code == 503:
                    assert answer.json()["code"] == "server.busy" and int(answer.headers["Retry-After"]) >= 1
                    busy_creates += 1
                else:
                    assert answer.status_code == 201, answer.text
                    sessions.append(answer.json())
            pending = pending[: len(answers) - sum(a.status_code == 201 for a in answers)]
            if not pending:
                break
            await asyncio.sleep(0.2)
    assert len(sessions) == 100 and busy_creates > 0
    sdks = await asyncio.gather(*(Sdk(server, s["token"]).connect() for s in sessions))
    welcomes = await asyncio.gather(*(sdk.screen("welcome") for sdk in sdks))
    codes: list[str] = []

    async def submit_until_accepted(sdk: Sdk, welcome: p.Screen) -> p.ServerMessage:
        """As an SDK would: the same idempotency key each time, after `retry_after` with some jitter."""
        key = uuid.uuid4().hex
        for _ in range(100):
            reply = await sdk.submit(welcome, {}, key=key)
            if not isinstance(reply, p.ErrorMessage):
                return reply
            codes.append(reply.code)
            await asyncio.sleep(float(reply.details.get("retry_after") or 1.0) * random.uniform(0.1, 1.0))
        return reply

    replies = await asyncio.wait_for(asyncio.gather(*(submit_until_accepted(sdk, welcome)
                                                      for sdk, welcome in zip(sdks, welcomes, strict=True))), 120)
    assert all(isinstance(r, p.ScreenAccepted) for r in replies), replies[:3]
    assert codes and set(codes) == {"server.busy"}
    views = await stored(server, [s["session_id"] for s in sessions])
    for view in views:
        assert view["state"] == "personal"
        assert [e["kind"] for e in view["timeline"]] == ["start", "submit"]  # type: ignore[union-attr]
    await asyncio.gather(*(sdk.close() for sdk in sdks))
