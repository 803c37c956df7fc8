"""Every boundary answers bad input with a documented code, tried as a careless client or an attacker would;
the server keeps serving everyone else. Real server, real clients."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import socketio

import sdk_protocol as p
from tests.server.live import ALL, API_KEY, Sdk, Server

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 2000 + b"\xff\xd9"
SIGNAL_JOURNEY = """
name: signal_probe
version: 1
title: kyc.title
initial: waiting
states:
  waiting:
    type: screen
    screen:
      title: kyc.title
      components:
        - {type: content.heading, text: kyc.title}
    on:
      reviewed: [{target: done}]
  done:
    type: final
    outcome: approved
"""


def auth(token: str = API_KEY) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


# --- HTTP bodies --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    b'{"journey": "kyc_individual", "prefill": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
    b'{"journey":"kyc_individual","prefill":' + b'{"a":' * 40_000 + b"1" + b"}" * 40_000 + b"}",
], ids=["100k nested arrays", "40k nested objects"])
def test_deeply_nested_json_is_refused_with_a_code(server: Server, body: bytes) -> None:
    response = server.api().post("/v1/sessions", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "request.invalid"
    assert "nested" in response.json()["message"]
    assert server.api().get("/healthz").status_code == 200


def test_a_body_that_is_not_utf8_is_refused_with_a_code(server: Server) -> None:
    body = b'{"journey": "kyc_individual", "reference": "\xc0\xaf"}'  # an overlong encoding of "/"
    response = server.api().post("/v1/sessions", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "request.invalid"


# --- uploads ------------------------------------------------------------------------------------------------


async def test_an_upload_still_arriving_when_its_session_is_erased_is_not_kept(server: Server) -> None:
    session = server.create()
    sid = session["session_id"]
    erased = asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield JPEG[:1000]
        await erased.wait()
        yield JPEG[1000:]

    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        upload = asyncio.create_task(client.post(f"/v1/sessions/{sid}/files", content=body(),
                                                 headers={**auth(session["token"]), "content-type": "image/jpeg"}))
        await asyncio.sleep(0.5)
        deleted = await client.delete(f"/v1/sessions/{sid}", headers=auth())
        assert deleted.status_code == 200, deleted.text
        erased.set()
        response = await upload
    assert response.status_code in (401, 410), response.text  # never 201 (kept) nor 500
    assert response.json()["code"] in ("session.erased", "auth.invalid_token")
    folder = server.data_dir / "documents"
    assert not [f for f in folder.rglob("*") if sid in str(f) and f.is_file()], "a document of the erased session"
    record = server.api().get(f"/v1/sessions/{sid}").json()
    assert record["erased_by"].startswith("api_key:")


def test_an_unwritable_document_store_answers_storage_unavailable(server_factory: Callable[..., Server],
                                                                  tmp_path: Path) -> None:
    server = server_factory().start()
    session = server.create()
    documents = server.data_dir / "documents" / "default"
    shutil.rmtree(documents, ignore_errors=True)
    documents.parent.mkdir(parents=True, exist_ok=True)
    documents.write_text("not a folder")  # every write below it fails, as on a read-only or broken disk
    response = httpx.post(f"{server.url}/v1/sessions/{session['session_id']}/files", content=JPEG,
                          headers={**auth(session["token"]), "content-type": "image/jpeg"})
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "storage.unavailable"
    assert server.api().get("/healthz").status_code == 200


def test_a_multipart_upload_with_one_file_part_is_stored(server: Server) -> None:
    session = server.create()
    response = httpx.post(f"{server.url}/v1/sessions/{session['session_id']}/files",
                          files={"file": ("front.jpg", JPEG, "image/jpeg")}, headers=auth(session["token"]))
    assert response.status_code == 201, response.text
    info = response.json()
    assert info["content_type"] == "image/jpeg" and info["size"] == len(JPEG) and info["name"] == "front.jpg"


@pytest.mark.parametrize("files", [
    [("file", ("a.jpg", JPEG, "image/jpeg")), ("file", ("b.jpg", JPEG, "image/jpeg"))],
    [("photo", ("a.jpg", JPEG, "image/jpeg"))],
], ids=["two file parts", "wrong field name"])
def test_a_multipart_upload_other_than_one_file_part_is_refused(server: Server, files: list[object]) -> None:
    session = server.create()
    response = httpx.post(f"{server.url}/v1/sessions/{session['session_id']}/files", files=files,  # type: ignore[arg-type]
                          headers=auth(session["token"]))
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "upload.invalid_multipart"
    listed = server.session(session["session_id"])["files"]
    assert listed == []


# --- integrator API -----------------------------------------------------------------------------------------


def test_a_signal_moves_the_session_and_answers_where_it_went(server_factory: Callable[..., Server],
                                                              tmp_path: Path) -> None:
    journeys = tmp_path / "journeys"
    journeys.mkdir()
    (journeys / "signal_probe.yaml").write_text(SIGNAL_JOURNEY)
    server = server_factory({"ARABESQUE_JOURNEYS_DIR": str(journeys)}).start()
    session = server.create("signal_probe")
    response = server.api().post(f"/v1/sessions/{session['session_id']}/signals", json={"name": "reviewed"})
    assert response.status_code == 200, response.text
    assert response.json() == {"state": "done", "status": "final", "outcome": "approved"}
    again = server.api().post(f"/v1/sessions/{session['session_id']}/signals", json={"name": "reviewed"})
    assert again.status_code == 409 and again.json()["code"].startswith("workflow.")


def test_readiness_names_every_check_it_ran(server: Server) -> None:
    response = httpx.get(f"{server.url}/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "storage": "ok"}}


def test_a_changed_api_key_on_an_existing_data_dir_replaces_the_old_one(server_factory: Callable[..., Server],
                                                                        tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = server_factory({"ARABESQUE_API_KEY": "ak_first_key_0123456789"}, data_dir=data).start()
    first.stop()
    second = server_factory({"ARABESQUE_API_KEY": "ak_second_key_0123456789"}, data_dir=data).start()
    new = httpx.post(f"{second.url}/v1/sessions", json={"journey": "kyc_individual"},
                     headers=auth("ak_second_key_0123456789"))
    assert new.status_code == 201, new.text
    old = httpx.post(f"{second.url}/v1/sessions", json={"journey": "kyc_individual"},
                     headers=auth("ak_first_key_0123456789"))
    assert old.status_code == 401 and old.json()["code"] == "auth.invalid_api_key"


# --- the socket -----------------------------------------------------------------------------------------------


class RawText:
    """A message given to the client's JSON encoder as text, for payloads the encoder could not produce."""

    def __init__(self, text: str) -> None:
        self.text = text


class RawJson:
    """python-socketio's `json` for the test client: RawText goes out as it is."""

    @staticmethod
    def dumps(obj: object, **kwargs: object) -> str:
        if isinstance(obj, list) and len(obj) == 2 and isinstance(obj[1], RawText):
            return f"[{json.dumps(obj[0])},{obj[1].text}]"
        return json.dumps(obj, separators=(",", ":"))

    @staticmethod
    def loads(text: str) -> object:
        return json.loads(text)


async def raw_client(server: Server, token: str) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False, json=RawJson)
    await client.connect(server.url, auth={"token": token}, namespaces=["/sdk"], transports=["websocket"],
                         wait_timeout=10)
    hello = p.Hello(protocol_version=p.PROTOCOL_VERSION, sdk=p.SdkInfo(name="t", version="1"), components=ALL)
    reply = await client.call("message", p.to_wire(hello), namespace="/sdk", timeout=10)
    assert reply["type"] == "welcome"
    return client


@pytest.mark.parametrize("text", [
    '{"type": "screen.submit", "screen_id": "welcome", "revision": 1, "idempotency_key": "k", '
    '"values": {"name": "\\ud800"}}',
    '{"type": "screen.submit", "screen_id": "welcome", "revision": 1, "idempotency_key": "k", '
    '"values": {"\\udc00": "x"}}',
], ids=["in a value", "in a field name"])
async def test_a_lone_surrogate_is_refused_as_an_invalid_message(server: Server, text: str) -> None:
    session = server.create()
    client = await raw_client(server, session["token"])
    reply = await client.call("message", RawText(text), namespace="/sdk", timeout=10)
    assert reply["code"] == "protocol.invalid_message", reply
    assert client.connected
    await client.disconnect()


async def test_a_message_nested_100k_deep_gets_message_too_large(server: Server) -> None:
    session = server.create()
    client = await raw_client(server, session["token"])
    deep = "[" * 100_000 + "]" * 100_000
    text = ('{"type": "screen.submit", "screen_id": "welcome", "revision": 1, "idempotency_key": "k", '
            f'"values": {{"a": {deep}}}}}')
    reply = await client.call("message", RawText(text), namespace="/sdk", timeout=10)
    assert reply["code"] == "protocol.message_too_large", reply
    await client.disconnect()


async def test_a_600_kib_message_gets_message_too_large_and_the_connection_stays(server: Server) -> None:
    session = server.create()
    sdk = await Sdk(server, session["token"]).connect()
    screen = await sdk.screen("welcome")
    big = p.ScreenSubmit(screen_id=screen.screen_id, revision=screen.revision, values={"x": "a" * 600 * 1024},
                         idempotency_key="big")
    reply = await sdk.call(big)
    assert isinstance(reply, p.ErrorMessage) and reply.code == "protocol.message_too_large", reply
    assert reply.details["limit"] == 256 * 1024
    assert isinstance(await sdk.submit(screen, {}), p.ScreenAccepted)  # the same connection goes on
    await sdk.close()


async def test_an_open_connection_stops_working_when_its_token_expires(server_factory: Callable[..., Server]) -> None:
    server = server_factory({"ARABESQUE_TOKEN_TTL_SECONDS": "2"}).start()
    session = server.create()
    sdk = await Sdk(server, session["token"]).connect()
    screen = await sdk.screen("welcome")
    await asyncio.sleep(2.5)
    reply = await sdk.submit(screen, {})
    assert isinstance(reply, p.ErrorMessage) and reply.code == "session.expired", reply
    assert "expired" in reply.message
    await sdk.close()


async def test_the_same_idempotency_key_from_two_sockets_at_once_gets_the_same_result(server: Server) -> None:
    session = server.create()
    phone, laptop = Sdk(server, session["token"]), Sdk(server, session["token"])
    await phone.connect()
    await laptop.connect()
    screen = await phone.screen("welcome")
    replies = await asyncio.gather(phone.submit(screen, {}, key="same-key"), laptop.submit(screen, {}, key="same-key"))
    assert isinstance(replies[0], p.ScreenAccepted) and replies[0] == replies[1], replies
    await phone.close()
    await laptop.close()


async def test_the_race_loser_is_told_the_current_screen_and_revision(server: Server) -> None:
    session = server.create()
    phone, laptop = Sdk(server, session["token"]), Sdk(server, session["token"])
    await phone.connect()
    await laptop.connect()
    screen = await phone.screen("welcome")
    replies = await asyncio.gather(phone.submit(screen, {}, key=os.urandom(4).hex()),
                                   laptop.submit(screen, {}, key=os.urandom(4).hex()))
    accepted = [r for r in replies if isinstance(r, p.ScreenAccepted)]
    stale = [r for r in replies if isinstance(r, p.ErrorMessage)]
    assert len(accepted) == 1 and len(stale) == 1, replies
    assert stale[0].code == "workflow.stale_screen"
    assert stale[0].details["revision"] == accepted[0].next_revision
    assert stale[0].details["screen_id"] == "personal"
    await phone.close()
    await laptop.close()


async def test_many_sessions_hit_every_boundary_at_once_and_good_sessions_finish(server: Server) -> None:
    """30 bad clients and 30 good ones at the same time: the bad get codes, the good get their next screen."""

    async def good() -> str:
        session = server.create()
        sdk = await Sdk(server, session["token"]).connect()
        screen = await sdk.screen("welcome")
        reply = await sdk.submit(screen, {})
        await sdk.close()
        return type(reply).__name__

    async def bad(i: int) -> str:
        session = server.create()
        client = await raw_client(server, session["token"])
        text = ('{"type": "screen.submit", "screen_id": "welcome", "revision": 1, "idempotency_key": "k", '
                f'"values": {{"a": {"[" * (50_000 + i)}{"]" * (50_000 + i)}}}}}')
        reply = await client.call("message", RawText(text), namespace="/sdk", timeout=20)
        await client.disconnect()
        return str(reply["code"])

    results = await asyncio.gather(*[good() for _ in range(30)], *[bad(i) for i in range(30)])
    assert results[:30] == ["ScreenAccepted"] * 30
    assert results[30:] == ["protocol.message_too_large"] * 30


PERSON = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10", "nationality": "GB",
          "email": "ada@example.com", "pep": "no"}
ADDRESS = {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}


async def at_document_front(server: Server, components: list[str] | None = None
                            ) -> tuple[dict[str, str], Sdk, p.Screen]:
    session = server.create()
    sdk = await Sdk(server, session["token"]).connect(components=components)
    screen = await sdk.screen("welcome")
    for values, then in [({}, "personal"), (PERSON, "address"), (ADDRESS, "document_choice"),
                         ({"type": "passport", "issuing_country": "GB"}, "document_front")]:
        assert isinstance(await sdk.submit(screen, values), p.ScreenAccepted)
        screen = await sdk.screen(then)
    return session, sdk, screen


async def upload(server: Server, session: dict[str, str], data: bytes, name: str, content_type: str) -> str:
    async with httpx.AsyncClient(timeout=60) as http:
        uploaded = await http.post(f"{server.url}/v1/sessions/{session['session_id']}/files",
                                   files={"file": (name, data, content_type)}, headers=auth(session["token"]))
    assert uploaded.status_code == 201, uploaded.text
    return str(uploaded.json()["file_id"])


async def test_a_capture_answered_through_its_input_file_fallback_takes_the_documented_list(
        server: Server, images: dict[str, Path]) -> None:
    """An SDK without capture.document gets the capture's input.file fallback and sends what input.file sends:
    a list of (one) file id. Several such sessions at once; each document check runs on its own file."""
    without_capture = [c for c in ALL if c not in ("capture.document", "capture.selfie")]
    front = images["document_front"].read_bytes()

    async def one() -> tuple[str, str]:
        session, sdk, screen = await at_document_front(server, without_capture)
        assert [c for c in screen.components if isinstance(c, p.DocumentCapture | p.FileUpload)] == \
            [c for c in screen.components if isinstance(c, p.FileUpload)] != []  # the fallback, not the capture
        file_id = await upload(server, session, front, "front.jpg", "image/jpeg")
        reply = await sdk.submit(screen, {"file": [file_id]})
        assert isinstance(reply, p.ScreenAccepted), reply
        await sdk.next(p.Screen, lambda m: isinstance(m, p.Screen) and not m.waiting
                       and m.screen_id != "document_front", timeout=120)  # past the check
        await sdk.close()
        return session["session_id"], file_id

    done = await asyncio.gather(*(one() for _ in range(4)))
    for session_id, file_id in done:
        view = server.session(session_id)
        assert view["data"]["captures"]["document_front"]["file"] == file_id, view["data"]  # type: ignore[index]
        assert "document_front" in view["checks"]  # type: ignore[operator]


async def test_a_pdf_may_be_uploaded_but_a_capture_refuses_it_at_submit(server: Server) -> None:
    """Uploads take PDFs (for input.file), the checks read photos only: the submit says so, once, up front."""
    session, sdk, screen = await at_document_front(server)
    file_id = await upload(server, session, b"%PDF-1.7\n" + b"0" * 2000, "front.pdf", "application/pdf")
    reply = await sdk.submit(screen, {"file": file_id})
    assert isinstance(reply, p.ScreenErrors), reply
    assert [(e.pointer, e.code) for e in reply.errors] == [("/file", "validation.file_type")]
    assert "application/pdf" in reply.errors[0].message
    await sdk.close()
