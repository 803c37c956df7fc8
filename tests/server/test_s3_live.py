"""A live server on S3 storage (moto's server): direct uploads checked after the fact, faults, erasure."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import socketio

import sdk_protocol as p
from tests.conftest import S3Server
from tests.server.live import API_KEY, ROOT, Sdk, Server

JPEG_PREFIX = b"\xff\xd8\xff\xe0"


@pytest.fixture(scope="module")
def s3_server(s3: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("s3srv"), s3.env(prefix="kyc")).start()
    yield server
    server.stop()


def create_upload(server: Server, session: dict[str, str], content_type: str = "image/jpeg") -> dict[str, object]:
    response = httpx.post(f"{server.url}/v1/sessions/{session['session_id']}/uploads",
                          json={"content_type": content_type, "filename": "../../front\x07.jpg"},
                          headers={"Authorization": f"Bearer {session['token']}"})
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def post_file(upload: dict[str, object], data: bytes, content_type: str = "image/jpeg",
              key: str | None = None) -> httpx.Response:
    fields = dict(upload["fields"])  # type: ignore[call-overload]
    if key is not None:
        fields["key"] = key
    return httpx.post(str(upload["url"]), data=fields, files={"file": ("x", data, content_type)})


async def complete(sdk: Sdk, upload: dict[str, object], data: bytes) -> p.ServerMessage:
    return await sdk.call(p.UploadCompleted(upload_id=str(upload["upload_id"]), field="file",
                                            sha256=hashlib.sha256(data).hexdigest()))


def test_the_demo_journey_runs_on_s3_and_documents_land_under_server_keys(s3_server: Server, s3: S3Server) -> None:
    done = subprocess.run([sys.executable, "-m", "demo_client", "run", "--server", s3_server.url, "--api-key",
                           API_KEY, "--journey", "kyc_individual", "--scenario", "approve"], capture_output=True,
                          text=True, timeout=150, cwd=ROOT)
    assert done.stdout.strip().splitlines()[-1] == "outcome: approved", done.stdout + done.stderr
    session_id = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("session "))
    files = s3_server.session(session_id)["files"]
    keys = s3.keys(f"kyc/default/{session_id}/")
    assert keys == sorted(f"kyc/default/{session_id}/{f['file_id']}" for f in files)  # type: ignore[union-attr]
    head = s3.client().head_object(Bucket=s3.bucket, Key=keys[0])  # type: ignore[attr-defined]
    assert head["ContentType"] == "image/jpeg"


async def test_a_direct_upload_is_verified_then_usable_in_a_capture(s3_server: Server, s3: S3Server,
                                                                   images: dict[str, Path]) -> None:
    session = s3_server.create()
    sdk = await Sdk(s3_server, session["token"]).connect()
    data = images["document_front"].read_bytes()
    upload = create_upload(s3_server, session)
    assert str(upload["url"]).startswith(s3.endpoint)
    assert post_file(upload, data).status_code in (200, 204)
    verified = await complete(sdk, upload, data)
    assert verified == p.UploadVerified(upload_id=str(upload["upload_id"]), file_id=str(upload["file_id"]),
                                        sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                                        content_type="image/jpeg")
    assert await complete(sdk, upload, data) == verified  # completing again changes nothing
    files = s3_server.session(session["session_id"])["files"]
    assert [(f["file_id"], f["name"]) for f in files] == [(upload["file_id"], "front.jpg")]  # type: ignore[union-attr]
    await sdk.close()


@pytest.mark.parametrize(("content_type", "payload", "code"), [
    ("image/jpeg", JPEG_PREFIX + b"\x00" * 400_000, "upload.too_large"),
    ("image/jpeg", b"\x89PNG\r\n\x1a\n" + b"\x00" * 1000, "upload.type_mismatch"),
    ("image/png", b"MZ\x90\x00" + b"\x00" * 1000, "upload.unsupported_type"),
])
async def test_a_direct_upload_that_breaks_the_policy_is_rejected_and_deleted(
        server_factory: Callable[..., Server], s3: S3Server, content_type: str, payload: bytes, code: str) -> None:
    # moto does not enforce POST policies (real S3 and MinIO do): the server's own check must catch it.
    server = server_factory({**s3.env(prefix="policy"), "ARABESQUE_MAX_UPLOAD_BYTES": "300000"}).start()
    session = server.create()
    sdk = await Sdk(server, session["token"]).connect()
    upload = create_upload(server, session, content_type)
    assert post_file(upload, payload, content_type).status_code in (200, 204)
    key = f"policy/default/{session['session_id']}/{upload['file_id']}"
    assert s3.keys(key) == [key]
    reply = await complete(sdk, upload, payload)
    assert isinstance(reply, p.ErrorMessage) and reply.code == code, reply
    assert s3.keys(key) == []
    assert server.session(session["session_id"])["files"] == []
    again = await complete(sdk, upload, payload)
    assert isinstance(again, p.ErrorMessage) and again.code == "upload.not_found"
    await sdk.close()


async def test_an_object_swapped_after_upload_fails_its_hash_and_is_deleted(s3_server: Server, s3: S3Server,
                                                                            images: dict[str, Path]) -> None:
    session = s3_server.create()
    sdk = await Sdk(s3_server, session["token"]).connect()
    data = images["selfie"].read_bytes()
    upload = create_upload(s3_server, session)
    post_file(upload, data)
    key = f"kyc/default/{session['session_id']}/{upload['file_id']}"
    s3.client().put_object(Bucket=s3.bucket, Key=key, Body=images["document_back"].read_bytes())  # type: ignore[attr-defined]
    reply = await complete(sdk, upload, data)
    assert isinstance(reply, p.ErrorMessage) and reply.code == "upload.hash_mismatch"
    assert s3.keys(key) == []
    await sdk.close()


async def test_uploads_cannot_cross_sessions(s3_server: Server, s3: S3Server, images: dict[str, Path]) -> None:
    a, b = s3_server.create(), s3_server.create()
    sdk_a = await Sdk(s3_server, a["token"]).connect()
    sdk_b = await Sdk(s3_server, b["token"]).connect()
    data = images["selfie"].read_bytes()
    upload_a = create_upload(s3_server, a)
    into_b = f"kyc/default/{b['session_id']}/f_planted000000"
    post_file(upload_a, data, key=into_b)  # moto ignores the policy's fixed key; S3 would refuse it
    missing = await complete(sdk_a, upload_a, data)
    assert isinstance(missing, p.ErrorMessage) and missing.code == "upload.missing"
    stolen = await complete(sdk_b, upload_a, data)
    assert isinstance(stolen, p.ErrorMessage) and stolen.code == "upload.not_found"
    assert s3_server.session(b["session_id"])["files"] == []
    foreign = httpx.post(f"{s3_server.url}/v1/sessions/{b['session_id']}/uploads", json={"content_type": "image/png"},
                         headers={"Authorization": f"Bearer {a['token']}"})
    assert foreign.status_code == 401
    await sdk_a.close()
    await sdk_b.close()


def test_integrators_read_files_through_short_lived_presigned_urls(s3_server: Server,
                                                                   images: dict[str, Path]) -> None:
    session = s3_server.create()
    data = images["document_back"].read_bytes()
    file_id = s3_server.upload(session, data).json()["file_id"]
    with s3_server.api() as api:
        redirect = api.get(f"/v1/sessions/{session['session_id']}/files/{file_id}")
        url = api.get(f"/v1/sessions/{session['session_id']}/files/{file_id}/url").json()
    assert redirect.status_code == 307 and "X-Amz-Signature=" in redirect.headers["location"]
    assert "X-Amz-Expires=300" in url["url"]
    assert httpx.get(url["url"]).content == data


def test_the_local_store_has_no_direct_uploads(server: Server) -> None:
    session = server.create()
    response = httpx.post(f"{server.url}/v1/sessions/{session['session_id']}/uploads",
                          json={"content_type": "image/jpeg"}, headers={"Authorization": f"Bearer {session['token']}"})
    assert response.status_code == 409 and response.json()["code"] == "storage.direct_upload_unsupported"


def _erase_and_verify(server: Server, session: dict[str, str], remaining: Callable[[], list[str]]) -> None:
    with server.api() as api:
        erased = api.delete(f"/v1/sessions/{session['session_id']}")
        again = api.delete(f"/v1/sessions/{session['session_id']}")
        view = api.get(f"/v1/sessions/{session['session_id']}").json()
        file_ids = [f"f_{'x' * 10}"]
        files = [api.get(f"/v1/sessions/{session['session_id']}/files/{f}") for f in file_ids]
    assert erased.status_code == 200 and erased.json()["erased_by"] == "api_key:ak_default"
    assert again.json() == erased.json()
    assert set(view) == {"session_id", "journey", "outcome", "created_at", "completed_at", "erased_at", "erased_by"}
    assert all(f.status_code == 404 for f in files)
    assert remaining() == []


async def test_erasure_removes_documents_and_personal_data_and_is_verified(s3_server: Server, s3: S3Server,
                                                                          images: dict[str, Path]) -> None:
    session = s3_server.create("kyc_individual", reference="customer-42", prefill={"email": "a@b.c"})
    sdk = await Sdk(s3_server, session["token"]).connect()
    file_ids = [s3_server.upload(session, images[n].read_bytes()).json()["file_id"] for n in ("selfie", "document_back")]
    assert len(s3.keys(f"kyc/default/{session['session_id']}/")) == 2
    _erase_and_verify(s3_server, session, lambda: s3.keys(f"kyc/default/{session['session_id']}/"))
    pushed = await sdk.next(p.ErrorMessage, timeout=10)
    assert isinstance(pushed, p.ErrorMessage) and pushed.code == "session.erased"
    with s3_server.api() as api:
        for file_id in file_ids:
            assert api.get(f"/v1/sessions/{session['session_id']}/files/{file_id}").json()["code"] == \
                "file.not_found"
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(s3_server.url, auth={"token": session["token"]}, namespaces=["/sdk"],
                             transports=["websocket"])
    await sdk.close()


def test_erasure_works_the_same_on_the_local_store(server: Server, images: dict[str, Path]) -> None:
    session = server.create()
    server.upload(session, images["selfie"].read_bytes())
    folder = server.data_dir / "documents" / "default" / session["session_id"]
    assert len(list(folder.iterdir())) == 1
    _erase_and_verify(server, session, lambda: [str(p) for p in folder.rglob("*")] if folder.exists() else [])


def test_completed_sessions_are_erased_after_the_retention_period_even_across_a_restart(
        server_factory: Callable[..., Server], s3: S3Server, images: dict[str, Path]) -> None:
    env = {**s3.env(prefix="retention"), "ARABESQUE_RETENTION_SECONDS": "2"}
    server = server_factory(env).start()
    done = subprocess.run([sys.executable, "-m", "demo_client", "run", "--server", server.url, "--api-key", API_KEY,
                           "--journey", "kyc_individual", "--scenario", "reject"], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    session_id = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("session "))
    active = server.create()
    server.upload(active, images["selfie"].read_bytes())
    server.stop()
    time.sleep(2.5)
    restarted = server_factory(env, data_dir=server.data_dir).start()
    deadline = time.monotonic() + 20
    while "erased_by" not in restarted.session(session_id):
        assert time.monotonic() < deadline, "the retention job did not erase the completed session"
        time.sleep(0.3)
    assert restarted.session(session_id)["erased_by"] == "retention"
    assert restarted.session(active["session_id"])["status"] == "active"  # not completed: kept
    assert len(s3.keys(f"retention/default/{active['session_id']}/")) == 1


class Blackhole:
    """A TCP server that accepts connections and never answers: an S3 endpoint that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(connection)


@pytest.mark.parametrize("fault", ["down", "slow"])
def test_an_unreachable_or_hanging_s3_gives_a_clear_error_and_leaves_no_record(
        server_factory: Callable[..., Server], s3: S3Server, images: dict[str, Path], fault: str) -> None:
    from tests.server.live import free_port

    endpoint = f"http://127.0.0.1:{free_port()}" if fault == "down" else f"http://127.0.0.1:{Blackhole().port}"
    env = {**s3.env(prefix="faults"), "ARABESQUE_S3_ENDPOINT_URL": endpoint, "ARABESQUE_S3_MAX_ATTEMPTS": "2",
           "ARABESQUE_S3_CONNECT_TIMEOUT": "1", "ARABESQUE_S3_READ_TIMEOUT": "1"}
    server = server_factory(env)
    with pytest.raises(RuntimeError, match="not ready"):
        server.start(timeout=6)  # readiness fails: the store cannot be listed
    ready = server.answer("/readyz").json()
    assert ready["status"] == "not_ready" and "Expected to list s3://" in ready["checks"]["storage"]
    session = server.create()
    started = time.monotonic()
    response = server.upload(session, images["selfie"].read_bytes())
    assert response.status_code == 503 and response.json()["code"] == "storage.unavailable"
    assert time.monotonic() - started < 20
    assert server.session(session["session_id"])["files"] == []


def test_wrong_credentials_fail_readiness_with_the_reason(server_factory: Callable[..., Server],
                                                          s3_signed: S3Server) -> None:
    env = {**s3_signed.env(), "AWS_SECRET_ACCESS_KEY": "wrong", "ARABESQUE_S3_MAX_ATTEMPTS": "1"}
    server = server_factory(env)
    with pytest.raises(RuntimeError, match="not ready"):
        server.start(timeout=6)
    reason = server.answer("/readyz").json()["checks"]["storage"]
    assert "SignatureDoesNotMatch" in reason or "403" in reason
    asyncio.run(asyncio.sleep(0))


def test_an_upload_is_stored_with_the_type_its_bytes_show_not_the_declared_one(s3_server: Server, s3: S3Server,
                                                                             images: dict[str, Path]) -> None:
    import cv2
    import numpy as np

    session = s3_server.create()
    ok, png = cv2.imencode(".png", np.full((64, 64, 3), 90, np.uint8))
    assert ok
    body = s3_server.upload(session, png.tobytes(), content_type="application/octet-stream").json()
    head = s3.client().head_object(  # type: ignore[attr-defined]
        Bucket=s3.bucket, Key=f"kyc/default/{session['session_id']}/{body['file_id']}")
    assert (body["content_type"], head["ContentType"]) == ("image/png", "image/png")
