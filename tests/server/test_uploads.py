"""Uploads: streamed to storage with a limit, typed by magic bytes, never named by the client."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

import sdk_protocol as p
from tests.server.live import Sdk, Server


def png_bytes() -> bytes:
    ok, encoded = cv2.imencode(".png", np.full((64, 64, 3), 200, np.uint8))
    assert ok
    return encoded.tobytes()


def stored_files(server: Server) -> list[Path]:
    root = server.data_dir / "documents"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_an_upload_returns_an_id_and_the_sha256_and_is_stored_under_a_server_key(server: Server,
                                                                                  images: dict[str, Path]) -> None:
    session = server.create()
    data = images["selfie"].read_bytes()
    response = server.upload(session, data, name="../../etc/passwd\x00\n.jpg")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["file_id"].startswith("f_")
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert (body["size"], body["content_type"]) == (len(data), "image/jpeg")
    assert body["name"] == "passwd.jpg"
    stored = server.data_dir / "documents" / "default" / session["session_id"] / body["file_id"]
    assert stored.read_bytes() == data
    files = server.session(session["session_id"])["files"]
    assert [f["file_id"] for f in files] == [body["file_id"]]  # type: ignore[union-attr]


def test_the_type_is_decided_by_the_bytes_not_the_declared_type(server: Server) -> None:
    session = server.create()
    mismatch = server.upload(session, png_bytes(), content_type="image/jpeg")
    assert mismatch.status_code == 415 and mismatch.json()["code"] == "upload.type_mismatch"
    assert "got image/png" in mismatch.json()["message"]
    undeclared = server.upload(session, png_bytes(), content_type="application/octet-stream")
    assert undeclared.status_code == 201 and undeclared.json()["content_type"] == "image/png"


@pytest.mark.parametrize(("data", "code"), [
    (b"", "upload.unsupported_type"),
    (b"MZ\x90\x00" + b"\x00" * 200, "upload.unsupported_type"),
    (b"GIF89a" + b"\x00" * 100, "upload.unsupported_type"),
    (b"\xff\xd8", "upload.unsupported_type"),
])
def test_bytes_that_are_not_a_supported_file_are_refused(server: Server, data: bytes, code: str) -> None:
    session = server.create()
    before = stored_files(server)
    response = server.upload(session, data, content_type="application/octet-stream")
    assert response.status_code == 415 and response.json()["code"] == code
    assert stored_files(server) == before


def test_a_pdf_is_accepted_for_file_uploads(server: Server) -> None:
    session = server.create()
    response = server.upload(session, b"%PDF-1.7\n" + b"1 0 obj\n" * 100, content_type="application/pdf")
    assert response.status_code == 201 and response.json()["content_type"] == "application/pdf"


def test_an_upload_over_the_limit_is_cut_off_while_streaming_and_nothing_is_left(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory({"ARABESQUE_MAX_UPLOAD_BYTES": "200000"}).start()
    session = server.create()
    sent = 0

    def body() -> Iterator[bytes]:
        nonlocal sent
        yield b"\xff\xd8\xff\xe0" + b"\x00" * 65532
        for _ in range(100):  # 6.5 MB if nobody stops us
            sent += 65536
            yield b"\x00" * 65536

    response = httpx.post(f"{server.url}/v1/sessions/{session['session_id']}/files", content=body(),
                          headers={"Authorization": f"Bearer {session['token']}", "Content-Type": "image/jpeg"},
                          timeout=30)
    assert response.status_code == 413 and response.json()["code"] == "upload.too_large"
    assert stored_files(server) == []
    assert list((server.data_dir / "documents").rglob(".upload-*")) == []
    declared = server.upload(session, b"\xff\xd8\xff" + b"\x00" * 300_000)
    assert declared.status_code == 413
    assert server.create()["session_id"]


def test_a_capture_must_reference_a_file_of_this_session(server: Server, images: dict[str, Path]) -> None:
    import asyncio

    async def walk() -> None:
        session = server.create()
        other = server.create()
        foreign = server.upload(other, images["selfie"].read_bytes()).json()["file_id"]
        sdk = await Sdk(server, session["token"]).connect()
        await sdk.submit(await sdk.screen("welcome"), {})
        await sdk.submit(await sdk.screen("personal"), {
            "first_name": "A", "last_name": "B", "date_of_birth": "1990-01-01", "nationality": "GB",
            "email": "a@example.com", "pep": "no"})
        await sdk.submit(await sdk.screen("address"), {"line1": "x", "city": "y", "postal_code": "12345",
                                                        "country": "GB"})
        await sdk.submit(await sdk.screen("document_choice"), {"type": "passport", "issuing_country": "GB"})
        screen = await sdk.screen("document_front")
        for value, code in [(foreign, "validation.file_unknown"), ("f_doesnotexist0", "validation.file_unknown"),
                            ("../../x", "validation.file_id")]:
            reply = await sdk.submit(screen, {"file": value})
            assert isinstance(reply, p.ScreenErrors), reply
            assert [(e.pointer, e.code) for e in reply.errors] == [("/file", code)]
        await sdk.close()

    asyncio.run(walk())


def test_integrators_can_download_a_file_but_sdks_cannot_list_them(server: Server, images: dict[str, Path]) -> None:
    session = server.create()
    data = images["document_back"].read_bytes()
    file_id = server.upload(session, data).json()["file_id"]
    with server.api() as api:
        got = api.get(f"/v1/sessions/{session['session_id']}/files/{file_id}")
        missing = api.get(f"/v1/sessions/{session['session_id']}/files/f_nothere00")
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "image/jpeg"
    assert missing.status_code == 404 and missing.json()["code"] == "file.not_found"
    as_sdk = httpx.get(f"{server.url}/v1/sessions/{session['session_id']}/files/{file_id}",
                       headers={"Authorization": f"Bearer {session['token']}"})
    assert as_sdk.status_code == 401
