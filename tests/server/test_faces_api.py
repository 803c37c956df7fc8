"""The Rekognition-compatible face API: an unmodified boto3 client, and the REST form."""

from __future__ import annotations

import base64
import csv
from collections.abc import Callable
from pathlib import Path

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.server.live import Sdk, Server
from verification.faces import OPERATING_POINTS

KEY_ID = "AKIATESTKEY000001"
SECRET = "test-secret-for-sigv4-only"


@pytest.fixture(scope="module")
def face_server(tmp_path_factory: pytest.TempPathFactory) -> Server:
    server = Server(tmp_path_factory.mktemp("faces"), {"ARABESQUE_REKOGNITION_ACCESS_KEY_ID": KEY_ID,
                                                        "ARABESQUE_REKOGNITION_SECRET_ACCESS_KEY": SECRET,
                                                        "ARABESQUE_WORKERS": "2"}).start()
    yield server
    server.stop()


def client(server: Server, key: str = KEY_ID, secret: str = SECRET):  # type: ignore[no-untyped-def]
    return boto3.client("rekognition", endpoint_url=server.url, region_name="eu-west-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="module")
def lfw_pair(shared_data: Path) -> tuple[bytes, bytes, bytes]:
    """(person A, person A again, person B) from the shared LFW pairs."""
    rows = list(csv.DictReader((shared_data / "faces" / "pairs.csv").open()))
    same = next(r for r in rows if r["same"] == "1")
    other = next(r for r in rows if r["same"] == "0" and same["left"].split("/")[1] not in r["right"])
    root = shared_data / "faces"
    return (root / same["left"]).read_bytes(), (root / same["right"]).read_bytes(), (root / other["right"]).read_bytes()


def test_a_stock_boto3_client_compares_two_faces(face_server: Server, lfw_pair: tuple[bytes, bytes, bytes]) -> None:
    a, a_again, b = lfw_pair
    response = client(face_server).compare_faces(SourceImage={"Bytes": a}, TargetImage={"Bytes": a_again})
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    (match,) = response["FaceMatches"]
    assert match["Similarity"] >= 80
    box = match["Face"]["BoundingBox"]
    assert all(0 <= box[k] <= 1 for k in ("Width", "Height", "Left", "Top"))
    assert {lm["Type"] for lm in match["Face"]["Landmarks"]} == {"eyeLeft", "eyeRight", "nose", "mouthLeft",
                                                                 "mouthRight"}
    assert set(match["Face"]["Pose"]) == {"Roll", "Yaw", "Pitch"}
    assert set(match["Face"]["Quality"]) == {"Brightness", "Sharpness"}
    assert 0 < response["SourceImageFace"]["Confidence"] <= 100
    different = client(face_server).compare_faces(SourceImage={"Bytes": a}, TargetImage={"Bytes": b},
                                                  SimilarityThreshold=80)
    assert different["FaceMatches"] == [] and len(different["UnmatchedFaces"]) >= 1


def test_boto3_detect_faces(face_server: Server, images: dict[str, Path]) -> None:
    response = client(face_server).detect_faces(Image={"Bytes": images["selfie"].read_bytes()})
    (face,) = response["FaceDetails"]
    assert face["Confidence"] > 90 and face["BoundingBox"]["Top"] < 0.5


def test_rekognitions_errors_arrive_as_boto3_client_errors(face_server: Server, images: dict[str, Path]) -> None:
    rekognition = client(face_server)
    with pytest.raises(ClientError) as no_face:
        rekognition.compare_faces(SourceImage={"Bytes": images["document_back"].read_bytes()},
                                  TargetImage={"Bytes": images["selfie"].read_bytes()})
    assert no_face.value.response["Error"]["Code"] == "InvalidParameterException"
    assert no_face.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as bad_format:
        rekognition.detect_faces(Image={"Bytes": b"GIF89a" + b"\x00" * 100})
    assert bad_format.value.response["Error"]["Code"] == "InvalidImageFormatException"
    with pytest.raises(ClientError) as too_large:
        rekognition.detect_faces(Image={"Bytes": b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024 + 10)})
    assert too_large.value.response["Error"]["Code"] == "ImageTooLargeException"


def test_a_wrong_signature_or_unknown_key_is_refused(face_server: Server, images: dict[str, Path]) -> None:
    data = {"Image": {"Bytes": images["selfie"].read_bytes()}}
    with pytest.raises(ClientError) as wrong_secret:
        client(face_server, secret="not-the-secret").detect_faces(**data)
    assert wrong_secret.value.response["Error"]["Code"] == "InvalidSignatureException"
    with pytest.raises(ClientError) as unknown:
        client(face_server, key="AKIAUNKNOWN0000000").detect_faces(**data)
    assert unknown.value.response["Error"]["Code"] == "UnrecognizedClientException"
    unsigned = httpx.post(face_server.url + "/", content=b"{}",
                          headers={"X-Amz-Target": "RekognitionService.DetectFaces",
                                   "Content-Type": "application/x-amz-json-1.1"})
    assert unsigned.status_code == 400 and unsigned.json()["__type"] == "InvalidSignatureException"


def test_the_rest_form_takes_the_same_shapes_and_s3_objects_from_our_storage(face_server: Server,
                                                                              images: dict[str, Path]) -> None:
    session = face_server.create()
    file_id = face_server.upload(session, images["document_front"].read_bytes()).json()["file_id"]
    selfie = base64.b64encode(images["selfie"].read_bytes()).decode()
    with face_server.api() as api:
        response = api.post("/v1/faces/compare", json={
            "SourceImage": {"S3Object": {"Bucket": "documents", "Name": f"{session['session_id']}/{file_id}"}},
            "TargetImage": {"Bytes": selfie}})
        missing = api.post("/v1/faces/compare", json={
            "SourceImage": {"S3Object": {"Bucket": "documents", "Name": "s_none/f_nothere00"}},
            "TargetImage": {"Bytes": selfie}})
        both = api.post("/v1/faces/detect", json={"Image": {}})
    assert response.status_code == 200, response.text
    assert response.json()["FaceMatches"][0]["Similarity"] >= 90
    assert missing.status_code == 400 and missing.json()["__type"] == "InvalidS3ObjectException"
    assert both.status_code == 400 and both.json()["code"] == "rekognition.invalid_parameter"
    unauthorised = httpx.post(face_server.url + "/v1/faces/detect", json={"Image": {"Bytes": selfie}})
    assert unauthorised.status_code == 401 and unauthorised.json()["code"] == "auth.invalid_api_key"


async def test_the_aws_provider_drives_a_journey_through_boto3_against_our_own_endpoint(
        face_server: Server, server_factory: Callable[..., Server], images: dict[str, Path]) -> None:
    proxy = server_factory({"ARABESQUE_FACE_PROVIDER": "aws_rekognition",
                            "ARABESQUE_REKOGNITION_ENDPOINT_URL": face_server.url,
                            "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET}).start()
    enrolment = proxy.create()
    enrolled = proxy.upload(enrolment, images["selfie"].read_bytes()).json()["file_id"]
    session = proxy.create("selfie_reverification", prefill={"enrolled_face": f"{enrolment['session_id']}/{enrolled}"})
    sdk = await Sdk(proxy, session["token"]).connect()
    await sdk.submit(await sdk.screen("intro"), {})
    screen = await sdk.screen("selfie")
    file_id = proxy.upload(session, images["selfie"].read_bytes()).json()["file_id"]
    await sdk.submit(screen, {"file": file_id})
    import sdk_protocol as p

    done = await sdk.next(p.JourneyCompleted, timeout=60)
    assert isinstance(done, p.JourneyCompleted) and done.outcome == "approved"
    checks = proxy.session(session["session_id"])["checks"]
    face_match = checks["selfie"]["face_match"]  # type: ignore[index]
    assert face_match["verdict"] == "match" and face_match["similarity"] >= 90
    assert face_match["distance"] is None  # Rekognition gives no distance, and none is made up
    await sdk.close()


async def reverify(server: Server, enrolled_image: bytes, selfie: bytes) -> dict[str, object]:
    """selfie_reverification against an enrolled face; the session's `checks.selfie` at the end."""
    import sdk_protocol as p

    enrolment = server.create()
    enrolled = server.upload(enrolment, enrolled_image).json()["file_id"]
    session = server.create("selfie_reverification", prefill={"enrolled_face": f"{enrolment['session_id']}/{enrolled}"})
    sdk = await Sdk(server, session["token"]).connect()
    await sdk.submit(await sdk.screen("intro"), {})
    screen = await sdk.screen("selfie")
    file_id = server.upload(session, selfie).json()["file_id"]
    await sdk.submit(screen, {"file": file_id})
    done = await sdk.next(p.JourneyCompleted, timeout=60)
    await sdk.close()
    assert isinstance(done, p.JourneyCompleted)
    checks = server.session(session["session_id"])["checks"]
    return {"outcome": done.outcome, **checks["selfie"]}  # type: ignore[index, dict-item]


async def test_the_local_matcher_records_its_verdict_and_the_real_distance(face_server: Server,
                                                                           images: dict[str, Path]) -> None:
    selfie = await reverify(face_server, images["selfie"].read_bytes(), images["selfie"].read_bytes())
    face_match = selfie["face_match"]
    assert isinstance(face_match, dict)
    assert selfie["outcome"] == "approved" and face_match["verdict"] == "match"
    assert isinstance(face_match["distance"], float)  # a real distance, not -1
    assert 0.0 <= face_match["distance"] < OPERATING_POINTS["strict"].distance


async def test_a_different_person_is_a_mismatch_and_rejected(face_server: Server,
                                                             lfw_pair: tuple[bytes, bytes, bytes]) -> None:
    person, _, someone_else = lfw_pair
    selfie = await reverify(face_server, person, someone_else)
    face_match = selfie["face_match"]
    assert isinstance(face_match, dict)
    assert face_match["verdict"] == "mismatch" and face_match["distance"] > OPERATING_POINTS["review"].distance
    assert selfie["outcome"] == "rejected"
