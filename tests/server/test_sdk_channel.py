"""The Socket.IO SDK channel against a real server, with real python-socketio clients."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import socketio

import sdk_protocol as p
from tests.server.live import ALL, Sdk, Server

DEEP: object = 1
for _ in range(30):
    DEEP = [DEEP]
PERSON = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10", "nationality": "GB",
          "email": "ada@example.com", "pep": "no"}


async def connected(server: Server, locale: str = "en", **kwargs: object) -> tuple[dict[str, str], Sdk]:
    session = server.create("kyc_individual", locale=locale, **kwargs)
    sdk = await Sdk(server, session["token"]).connect(locale=locale)
    return session, sdk


async def test_nothing_is_rendered_before_hello_and_the_screen_follows_it(server: Server) -> None:
    """A German session's connection gets no screen (in any language) until it says hello."""
    session = server.create(locale="de")
    sdk = await Sdk(server, session["token"]).connect(hello=False)
    await asyncio.sleep(0.5)
    assert sdk.seen == []
    with pytest.raises(TimeoutError):
        await sdk.next(timeout=0.5)
    reply = await sdk.call(p.Hello(protocol_version="1.3.0", locale="de", components=sorted(p.ALL_COMPONENT_TYPES),
                                   sdk=p.SdkInfo(name="t", version="1", platform="web")))
    assert isinstance(reply, p.Welcome)
    screen = await sdk.next()
    assert isinstance(screen, p.Screen) and screen.screen_id == "welcome" and screen.locale == "de"
    await sdk.close()


async def test_a_submit_before_hello_is_refused_with_handshake_required(server: Server) -> None:
    session = server.create()
    sdk = await Sdk(server, session["token"]).connect(hello=False)
    reply = await sdk.call(p.ScreenSubmit(screen_id="welcome", revision=1, values={}, idempotency_key="k-1"))
    assert isinstance(reply, p.ErrorMessage) and reply.code == "protocol.handshake_required"
    assert "hello" in reply.message
    await sdk.close()


async def test_hello_is_answered_with_welcome_and_the_screen_in_the_clients_locale(server: Server) -> None:
    session = server.create()
    sdk = Sdk(server, session["token"])
    await sdk.connect(hello=False)
    reply = await sdk.call(p.Hello(protocol_version="1.3.0", locale="es-MX", components=["input.text"],
                                   sdk=p.SdkInfo(name="web", version="2", platform="web")))
    assert reply == p.Welcome(protocol_version=p.PROTOCOL_VERSION, session_id=session["session_id"], locale="es")
    screen = await sdk.next(p.Screen, lambda m: isinstance(m, p.Screen) and m.locale == "es")
    assert isinstance(screen, p.Screen) and screen.title == "Verifique su identidad"
    await sdk.close()


async def test_an_unsupported_protocol_version_is_refused(server: Server) -> None:
    session = server.create()
    sdk = await Sdk(server, session["token"]).connect(hello=False)
    reply = await sdk.call({"type": "hello", "protocol_version": "2.0.0", "sdk": {"name": "x", "version": "9"}})
    assert isinstance(reply, p.ErrorMessage) and reply.code == "protocol.unsupported_version"
    await sdk.close()


async def refused(server: Server, auth: object) -> dict[str, object]:
    """Connect and return the data of the connect_error the server answers with."""
    client = socketio.AsyncClient(reconnection=False)
    reasons: list[dict[str, object]] = []

    async def on_error(data: dict[str, object]) -> None:
        reasons.append(data)

    client.on("connect_error", on_error, namespace="/sdk")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server.url, auth=auth, namespaces=["/sdk"], transports=["websocket"])
    assert len(reasons) == 1
    data = reasons[0]["data"]
    assert isinstance(data, dict) and data["type"] == "error" and data["message"] == reasons[0]["message"]
    return data


async def test_a_wrong_token_is_refused_at_connect_with_a_reason(server: Server) -> None:
    for auth in ({"token": "st_forged"}, {}, None, {"token": 12}):
        reason = await refused(server, auth)
        assert reason["code"] == "session.invalid_token"
        assert str(reason["message"]).startswith("Expected")


async def test_an_expired_token_is_refused_at_connect(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory({"ARABESQUE_TOKEN_TTL_SECONDS": "1"}).start()
    session = server.create()
    await asyncio.sleep(1.5)
    reason = await refused(server, {"token": session["token"]})
    assert reason["code"] == "session.expired"


async def test_a_valid_submit_is_acknowledged_and_the_next_screen_pushed(server: Server) -> None:
    _session, sdk = await connected(server)
    welcome = await sdk.screen("welcome")
    reply = await sdk.submit(welcome, {})
    assert reply == p.ScreenAccepted(screen_id="welcome", revision=welcome.revision,
                                     next_revision=welcome.revision + 1)
    personal = await sdk.screen("personal")
    assert personal.step == p.Step(n=1, m=5)
    await sdk.close()


async def test_values_failing_validation_get_screen_errors_by_pointer(server: Server) -> None:
    session, sdk = await connected(server, locale="de")
    await sdk.submit(await sdk.screen("welcome"), {})
    personal = await sdk.screen("personal")
    reply = await sdk.submit(personal, {**PERSON, "email": "nope", "pep": "yes", "date_of_birth": "1990-13-40"})
    assert isinstance(reply, p.ScreenErrors)
    assert {(e.pointer, e.code) for e in reply.errors} == {
        ("/email", "validation.email"), ("/pep_role", "validation.required"), ("/date_of_birth", "validation.date")}
    assert next(e.message for e in reply.errors if e.pointer == "/pep_role") == "Dieses Feld ist erforderlich."
    assert server.session(session["session_id"])["state"] == "personal"
    await sdk.close()


async def test_a_retried_submit_with_the_same_key_is_a_no_op(server: Server) -> None:
    session, sdk = await connected(server)
    welcome = await sdk.screen("welcome")
    first = await sdk.submit(welcome, {}, key="retry-me")
    again = await sdk.submit(welcome, {}, key="retry-me")
    assert first == again and isinstance(first, p.ScreenAccepted)
    timeline = server.session(session["session_id"])["timeline"]
    assert [e["kind"] for e in timeline] == ["start", "submit"]  # type: ignore[union-attr]
    await sdk.close()


async def test_a_submit_for_a_stale_screen_is_refused_and_the_current_screen_resent(server: Server) -> None:
    _session, sdk = await connected(server)
    welcome = await sdk.screen("welcome")
    await sdk.submit(welcome, {})
    await sdk.screen("personal")
    reply = await sdk.submit(welcome, {})
    assert isinstance(reply, p.ErrorMessage) and reply.code == "workflow.stale_screen"
    assert (await sdk.screen("personal")).screen_id == "personal"
    await sdk.close()


async def test_an_unknown_action_is_refused(server: Server) -> None:
    _session, sdk = await connected(server)
    await sdk.submit(await sdk.screen("welcome"), {})
    personal = await sdk.screen("personal")
    reply = await sdk.call(p.ScreenAction(screen_id="personal", revision=personal.revision, action="teleport"))
    assert isinstance(reply, p.ErrorMessage) and reply.code == "workflow.unknown_action"
    assert reply.details["allowed"] == ["back"]
    back = await sdk.call(p.ScreenAction(screen_id="personal", revision=personal.revision, action="back"))
    assert isinstance(back, p.ScreenAccepted)
    await sdk.screen("welcome")
    await sdk.close()


@pytest.mark.parametrize(("payload", "code"), [
    ([1, 2], "protocol.invalid_message"),
    ("hello", "protocol.invalid_message"),
    (None, "protocol.invalid_message"),
    ({"no": "type"}, "protocol.invalid_message"),
    ({"type": "screen.explode"}, "protocol.unknown_message_type"),
    ({"type": "screen.submit", "screen_id": "welcome", "revision": "one", "values": {}, "idempotency_key": "k"},
     "protocol.invalid_message"),
    ({"type": "screen.submit", "screen_id": "welcome", "revision": 1, "values": {"x": DEEP},
      "idempotency_key": "k"}, "protocol.message_too_large"),
    ({"type": "screen.submit", "screen_id": "welcome", "revision": 1, "values": {"x": "y" * 300_000},
      "idempotency_key": "k"}, "protocol.message_too_large"),
    ({"type": "screen.submit", "screen_id": "welcome", "revision": 1, "values": {"x": "y" * 600_000},
      "idempotency_key": "k"}, "protocol.message_too_large"),
    (("two", "arguments"), "protocol.invalid_message"),
    ({"type": "upload.completed", "upload_id": "u_nope", "sha256": "a" * 64}, "upload.not_found"),
    ({"type": "upload.completed", "upload_id": "u_nope", "sha256": "not-hex"}, "protocol.invalid_message"),
])
async def test_malformed_payloads_get_a_coded_error_and_the_session_carries_on(server: Server, payload: object,
                                                                                code: str) -> None:
    _session, sdk = await connected(server)
    reply = p.decode_server(await sdk.raw_call("message", payload))
    assert isinstance(reply, p.ErrorMessage) and reply.code == code, reply
    accepted = await sdk.submit(await sdk.screen("welcome"), {})
    assert isinstance(accepted, p.ScreenAccepted)
    await sdk.close()


async def test_an_unknown_event_is_answered_with_an_error(server: Server) -> None:
    _session, sdk = await connected(server)
    reply = p.decode_server(await sdk.raw_call("hack", {"type": "hello"}))
    assert isinstance(reply, p.ErrorMessage) and "Expected the event 'message'" in reply.message
    await sdk.close()


async def test_a_payload_over_the_transport_limit_drops_only_that_client(server: Server) -> None:
    session, sdk = await connected(server)
    with pytest.raises((socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                        socketio.exceptions.DisconnectedError)):
        await sdk.raw_call("message", {"type": "hello", "pad": "x" * 2_000_000})
    other = await Sdk(server, session["token"]).connect()
    assert isinstance(await other.submit(await other.screen("welcome"), {}), p.ScreenAccepted)
    await other.close()
    await sdk.close()


async def test_two_clients_on_one_session_both_receive_each_screen(server: Server) -> None:
    session = server.create()
    with server.api() as api:
        phone_token = api.post(f"/v1/sessions/{session['session_id']}/tokens").json()["token"]
    desktop = await Sdk(server, session["token"]).connect(locale="en")
    phone = await Sdk(server, phone_token).connect(locale="de", components=[c for c in ALL if c != "capture.document"])
    welcome = await desktop.screen("welcome")
    await desktop.submit(welcome, {})
    on_desktop, on_phone = await asyncio.gather(desktop.screen("personal"), phone.screen("personal"))
    assert on_desktop.revision == on_phone.revision
    assert (on_desktop.title, on_phone.title) == ("About you", "Über Sie")
    old = await Sdk(server, phone_token).connect(components=["input.text"])
    assert (await old.next(p.Screen, lambda m: isinstance(m, p.Screen) and m.revision == on_phone.revision)
            ).screen_id == "upgrade_required"
    await old.close()
    await desktop.close()
    await phone.close()


async def test_a_reconnecting_client_resumes_on_the_same_screen_with_its_values(server: Server) -> None:
    session, sdk = await connected(server)
    await sdk.submit(await sdk.screen("welcome"), {})
    await sdk.submit(await sdk.screen("personal"), PERSON)
    address = await sdk.screen("address")
    await sdk.call(p.ScreenAction(screen_id="address", revision=address.revision, action="back"))
    await sdk.screen("personal")
    await sdk.close()
    again = await Sdk(server, session["token"]).connect()
    screen = await again.screen("personal")
    assert screen.values == PERSON
    await again.close()


async def test_racing_submits_exactly_one_wins(server: Server) -> None:
    session = server.create()
    with server.api() as api:
        second_token = api.post(f"/v1/sessions/{session['session_id']}/tokens").json()["token"]
    a = await Sdk(server, session["token"]).connect()
    b = await Sdk(server, second_token).connect()
    welcome = await a.screen("welcome")
    await b.screen("welcome")
    for _ in range(3):
        replies = await asyncio.gather(a.submit(welcome, {}, key=str(uuid.uuid4())),
                                       b.submit(welcome, {}, key=str(uuid.uuid4())))
        accepted = [r for r in replies if isinstance(r, p.ScreenAccepted)]
        stale = [r for r in replies if isinstance(r, p.ErrorMessage) and r.code == "workflow.stale_screen"]
        if accepted:
            break
    assert len(accepted) == 1 and len(stale) == 1, replies
    timeline = server.session(session["session_id"])["timeline"]
    assert [e["kind"] for e in timeline] == ["start", "submit"]  # type: ignore[union-attr]
    await a.close()
    await b.close()


async def test_a_token_of_one_session_cannot_touch_another(server: Server, images: dict[str, object]) -> None:
    a = server.create()
    b = server.create()
    sdk = await Sdk(server, a["token"]).connect()
    welcome = await sdk.screen("welcome")
    await sdk.submit(welcome, {})
    assert server.session(b["session_id"])["state"] == "welcome"
    foreign = server.upload({"session_id": b["session_id"], "token": a["token"]}, b"\xff\xd8\xff" + b"0" * 100)
    assert foreign.status_code == 401 and foreign.json()["code"] == "session.invalid_token"
    await sdk.close()
