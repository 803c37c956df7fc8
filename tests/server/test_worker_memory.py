"""A worker's memory stays bounded whatever image it is given: decode budget, reduced decodes, the CNN's size."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import boto3
import cv2
import httpx
import numpy as np
from botocore.config import Config

import sdk_protocol as p
from server.bench.proc import children, sample
from tests.server.live import Sdk, Server

PERSON = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-12-10", "nationality": "GB",
          "email": "ada@example.com", "pep": "no"}
ADDRESS = {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH", "country": "GB"}
LIMIT = 400 * 1024 * 1024
KEY_ID, SECRET = "AKIAMEMORYTEST0001", "memory-test-secret"


def png(height: int, width: int) -> bytes:
    """A plain card on a plain desk: compresses to a few hundred KB however many pixels it has."""
    image = np.full((height, width, 3), 200, np.uint8)
    cv2.rectangle(image, (width // 5, height // 4), (width * 4 // 5, height * 3 // 4), (40, 60, 90), -1)
    ok, encoded = cv2.imencode(".png", image)
    assert ok
    return encoded.tobytes()


def workers(server: Server) -> list[int]:
    assert server.process is not None
    return [pid for pid in children(server.process.pid)
            if b"multiprocessing.spawn" in open(f"/proc/{pid}/cmdline", "rb").read()
            and b"resource_tracker" not in open(f"/proc/{pid}/cmdline", "rb").read()]


async def test_a_7000_by_7000_png_is_refused_and_no_worker_passes_400_mb(server_factory: Callable[..., Server]
                                                                        ) -> None:
    server = server_factory({"ARABESQUE_WORKERS": "1", "ARABESQUE_REKOGNITION_ACCESS_KEY_ID": KEY_ID,
                             "ARABESQUE_REKOGNITION_SECRET_ACCESS_KEY": SECRET}).start()
    huge, large = png(7000, 7000), png(4000, 5000)  # 49 MP (under the 50 MP header limit) and 20 MP
    assert len(huge) < 400_000
    session = server.create()
    sdk = await Sdk(server, session["token"]).connect()
    screen = await sdk.screen("welcome")
    for values, then in [({}, "personal"), (PERSON, "address"), (ADDRESS, "document_choice"),
                         ({"type": "passport", "issuing_country": "GB"}, "document_front")]:
        assert isinstance(await sdk.submit(screen, values), p.ScreenAccepted)
        screen = await sdk.screen(then)
    for capture, data in (("document_front", huge), ("retake_document_front", large)):
        uploaded = server.upload(session, data, "image/png", "scan.png")
        assert uploaded.status_code == 201, uploaded.text
        assert isinstance(await sdk.submit(screen, {"file": uploaded.json()["file_id"]}), p.ScreenAccepted)
        screen = await sdk.next(p.Screen, lambda m: isinstance(m, p.Screen) and not m.screen_id.startswith("check"),
                                timeout=60)  # type: ignore[assignment]
        if capture == "document_front":
            assert screen.screen_id == "retake_document_front"
            refused = server.session(session["session_id"])["checks"]["document_front"]  # type: ignore[index]
            assert refused["unreadable"]["code"] == "verification.image_too_large"  # type: ignore[index]
            assert "7000x7000" in refused["unreadable"]["message"]  # type: ignore[index]
    decoded = server.session(session["session_id"])["checks"]["document_front"]  # type: ignore[index]
    assert "unreadable" not in decoded and decoded["image"]["width"] == 5000  # type: ignore[index]
    # the face path too: no face anywhere in 20 MP, so the CNN detector runs as well
    rekognition = boto3.client("rekognition", endpoint_url=server.url, region_name="eu-west-1",
                               aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET,
                               config=Config(retries={"max_attempts": 1}))
    with contextlib.suppress(rekognition.exceptions.InvalidParameterException):  # no face: what matters here is
        rekognition.compare_faces(SourceImage={"Bytes": large}, TargetImage={"Bytes": large})  # the memory it took
    time.sleep(0.5)
    peaks = {pid: sample(pid).peak_rss_bytes for pid in workers(server)}
    assert peaks and max(peaks.values()) <= LIMIT, {pid: peak // 2**20 for pid, peak in peaks.items()}
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
    await sdk.close()
