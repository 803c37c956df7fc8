"""Rekognition's face collections on the real server: a stock boto3 client runs all seven operations, errors
arrive as boto3's, many clients index and search at once, and each tenant sees only its own collections."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import httpx
import numpy as np
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from PIL import Image
from skimage import data as skimage_data

from tests.conftest import fresh_postgres
from tests.server.live import Server

KEY_ID = "AKIATESTKEY000002"
SECRET = "test-secret-for-collections"
PEOPLE = ("Abdullah_Gul", "Aaron_Peirsol", "Abel_Pacheco", "Abdullah")


@pytest.fixture(scope="module")
def collection_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("collections"), {"ARABESQUE_REKOGNITION_ACCESS_KEY_ID": KEY_ID,
                                                              "ARABESQUE_REKOGNITION_SECRET_ACCESS_KEY": SECRET,
                                                              "ARABESQUE_WORKERS": "2"}).start()
    yield server
    server.stop()


def client(server: Server):  # type: ignore[no-untyped-def]
    return boto3.client("rekognition", endpoint_url=server.url, region_name="eu-west-1", aws_access_key_id=KEY_ID,
                        aws_secret_access_key=SECRET, config=Config(retries={"max_attempts": 1}))


@pytest.fixture(scope="module")
def people(shared_data: Path) -> dict[str, list[bytes]]:
    """Two LFW photos of each of four people."""
    root = shared_data / "faces" / "lfw"
    return {name: [p.read_bytes() for p in sorted((root / name).glob("*.jpg"))[:2]] for name in PEOPLE}


@pytest.fixture(scope="module")
def astronaut() -> bytes:
    out = io.BytesIO()
    Image.fromarray(skimage_data.astronaut()).save(out, format="JPEG", quality=92)  # type: ignore[no-untyped-call]
    return out.getvalue()


def error_code(call: object, **kwargs: object) -> str:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)  # type: ignore[operator]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return str(caught.value.response["Error"]["Code"])


def test_a_stock_boto3_client_runs_every_collection_operation(collection_server: Server,
                                                              people: dict[str, list[bytes]],
                                                              astronaut: bytes) -> None:
    every_operation(collection_server, people, astronaut)


def test_collections_on_postgresql(server_factory: Callable[..., Server], people: dict[str, list[bytes]],
                                   astronaut: bytes) -> None:
    with fresh_postgres() as url:
        server = server_factory({"ARABESQUE_DATABASE_URL": url, "ARABESQUE_REKOGNITION_ACCESS_KEY_ID": KEY_ID,
                                 "ARABESQUE_REKOGNITION_SECRET_ACCESS_KEY": SECRET, "ARABESQUE_WORKERS": "2"}).start()
        every_operation(server, people, astronaut)
        many_at_once(server, people)
        server.stop()


def every_operation(server: Server, people: dict[str, list[bytes]], astronaut: bytes) -> None:
    rekognition = client(server)
    created = rekognition.create_collection(CollectionId="members")
    assert created["StatusCode"] == 200 and created["CollectionArn"].endswith(":collection/members")
    assert created["FaceModelVersion"]
    assert error_code(rekognition.create_collection, CollectionId="members") == "ResourceAlreadyExistsException"
    indexed = {}
    for name in PEOPLE[:3]:
        response = rekognition.index_faces(CollectionId="members", Image={"Bytes": people[name][0]},
                                           ExternalImageId=name, MaxFaces=1, QualityFilter="NONE")
        (record,) = response["FaceRecords"]
        assert record["Face"]["ExternalImageId"] == name and 0 < record["Face"]["Confidence"] <= 100
        assert all(0 <= record["Face"]["BoundingBox"][k] <= 1 for k in ("Width", "Height", "Left", "Top"))
        assert set(record["FaceDetail"]["Pose"]) == {"Roll", "Yaw", "Pitch"}
        indexed[name] = record["Face"]["FaceId"]
    space = rekognition.index_faces(CollectionId="members", Image={"Bytes": astronaut}, ExternalImageId="astronaut",
                                    MaxFaces=1)
    assert len(space["FaceRecords"]) == 1  # the largest face; any other is left out for MaxFaces
    kept = space["FaceRecords"][0]["Face"]["BoundingBox"]
    for left_out in space["UnindexedFaces"]:
        assert left_out["Reasons"] == ["EXCEEDS_MAX_FACES"]
        assert left_out["FaceDetail"]["BoundingBox"]["Width"] <= kept["Width"]
    indexed["astronaut"] = space["FaceRecords"][0]["Face"]["FaceId"]

    first = rekognition.list_faces(CollectionId="members", MaxResults=3)
    second = rekognition.list_faces(CollectionId="members", MaxResults=3, NextToken=first["NextToken"])
    assert len(first["Faces"]) == 3 and len(second["Faces"]) == 1 and "NextToken" not in second
    listed = {f["ExternalImageId"]: f["FaceId"] for f in first["Faces"] + second["Faces"]}
    assert listed == indexed

    for name in PEOPLE[:3]:
        found = rekognition.search_faces_by_image(CollectionId="members", Image={"Bytes": people[name][1]})
        assert [m["Face"]["ExternalImageId"] for m in found["FaceMatches"]] == [name]
        assert found["FaceMatches"][0]["Similarity"] >= 80 and 0 < found["SearchedFaceBoundingBox"]["Width"] <= 1
    stranger = rekognition.search_faces_by_image(CollectionId="members", Image={"Bytes": people[PEOPLE[3]][0]})
    assert stranger["FaceMatches"] == []
    everyone = rekognition.search_faces_by_image(CollectionId="members", Image={"Bytes": people[PEOPLE[0]][1]},
                                                 FaceMatchThreshold=0, MaxFaces=2)
    assert len(everyone["FaceMatches"]) == 2
    assert everyone["FaceMatches"][0]["Similarity"] >= everyone["FaceMatches"][1]["Similarity"]

    itself = rekognition.search_faces(CollectionId="members", FaceId=indexed[PEOPLE[0]], FaceMatchThreshold=0)
    assert itself["SearchedFaceId"] == indexed[PEOPLE[0]]
    assert indexed[PEOPLE[0]] not in {m["Face"]["FaceId"] for m in itself["FaceMatches"]}
    assert len(itself["FaceMatches"]) == 3

    deleted = rekognition.delete_faces(CollectionId="members", FaceIds=[indexed[PEOPLE[0]],
                                                                        "00000000-0000-0000-0000-000000000000"])
    assert deleted["DeletedFaces"] == [indexed[PEOPLE[0]]]
    gone = rekognition.search_faces_by_image(CollectionId="members", Image={"Bytes": people[PEOPLE[0]][1]})
    assert gone["FaceMatches"] == []
    assert len(rekognition.list_faces(CollectionId="members")["Faces"]) == 3
    assert rekognition.delete_collection(CollectionId="members")["StatusCode"] == 200
    assert error_code(rekognition.list_faces, CollectionId="members") == "ResourceNotFoundException"


def test_collection_errors_arrive_as_boto3_client_errors(collection_server: Server, astronaut: bytes) -> None:
    rekognition = client(collection_server)
    assert error_code(rekognition.delete_collection, CollectionId="nowhere") == "ResourceNotFoundException"
    assert error_code(rekognition.index_faces, CollectionId="nowhere",
                      Image={"Bytes": astronaut}) == "ResourceNotFoundException"
    assert error_code(rekognition.search_faces_by_image, CollectionId="nowhere",
                      Image={"Bytes": astronaut}) == "ResourceNotFoundException"
    assert error_code(rekognition.create_collection, CollectionId="not a valid id!") == "InvalidParameterException"
    rekognition.create_collection(CollectionId="errors")
    assert error_code(rekognition.search_faces, CollectionId="errors",
                      FaceId="00000000-0000-0000-0000-000000000000") == "ResourceNotFoundException"
    assert error_code(rekognition.search_faces, CollectionId="errors", FaceId="not-a-face-id") == \
        "InvalidParameterException"
    assert error_code(rekognition.search_faces_by_image, CollectionId="errors", Image={"Bytes": astronaut},
                      FaceMatchThreshold=150) == "InvalidParameterException"
    blank = io.BytesIO()
    Image.fromarray(np.full((300, 300, 3), 128, np.uint8)).save(blank, format="PNG")
    assert error_code(rekognition.search_faces_by_image, CollectionId="errors",
                      Image={"Bytes": blank.getvalue()}) == "InvalidParameterException"
    assert error_code(rekognition.list_faces, CollectionId="errors", NextToken="%%%") == "InvalidParameterException"
    nothing = rekognition.index_faces(CollectionId="errors", Image={"Bytes": blank.getvalue()})
    assert nothing["FaceRecords"] == [] and nothing["UnindexedFaces"] == []


def test_many_clients_index_and_search_at_once(collection_server: Server, people: dict[str, list[bytes]]) -> None:
    many_at_once(collection_server, people)


def many_at_once(collection_server: Server, people: dict[str, list[bytes]]) -> None:
    client(collection_server).create_collection(CollectionId="busy")

    def index(job: tuple[int, str]) -> str:
        copy, name = job
        response = client(collection_server).index_faces(CollectionId="busy", Image={"Bytes": people[name][0]},
                                                         ExternalImageId=f"{name}.{copy}", QualityFilter="NONE")
        return str(response["FaceRecords"][0]["Face"]["FaceId"])

    def search(name: str) -> list[str]:
        found = client(collection_server).search_faces_by_image(CollectionId="busy", Image={"Bytes": people[name][1]},
                                                                MaxFaces=10)
        return [m["Face"]["ExternalImageId"].split(".")[0] for m in found["FaceMatches"]]

    jobs = [(copy, name) for copy in range(4) for name in PEOPLE]
    with ThreadPoolExecutor(16) as threads:
        face_ids = list(threads.map(index, jobs))
        during = list(threads.map(search, PEOPLE * 2))  # while nothing else runs, after every index answered
    assert len(set(face_ids)) == len(jobs)
    for name, found in zip(PEOPLE * 2, during, strict=True):
        assert found == [name] * 4
    listed = client(collection_server).list_faces(CollectionId="busy", MaxResults=100)["Faces"]
    assert sorted(f["FaceId"] for f in listed) == sorted(face_ids)

    def mixed(i: int) -> object:
        return index((10 + i, PEOPLE[i % 4])) if i % 2 else search(PEOPLE[i % 4])

    with ThreadPoolExecutor(16) as threads:
        results = list(threads.map(mixed, range(24)))
    for i, result in enumerate(results):
        if i % 2 == 0:  # the searched people (0 and 2) get no new faces meanwhile: 1 and 3 do
            assert result == [PEOPLE[i % 4]] * 4
    assert len(client(collection_server).list_faces(CollectionId="busy", MaxResults=100)["Faces"]) == 28


def test_each_tenant_has_its_own_collections(collection_server: Server, astronaut: bytes) -> None:
    other = collection_server.cli("keys", "create", "--tenant", "other", "--name", "other",
                                  "--role", "admin").stdout.strip()
    client(collection_server).create_collection(CollectionId="shared-name")
    client(collection_server).index_faces(CollectionId="shared-name", Image={"Bytes": astronaut}, MaxFaces=1)

    def post(operation: str, key: str, body: dict[str, object]) -> httpx.Response:
        return httpx.post(f"{collection_server.url}/v1/faces/collections/{operation}", json=body, timeout=60,
                          headers={"Authorization": f"Bearer {key}"})

    unseen = post("ListFaces", other, {"CollectionId": "shared-name"})
    assert unseen.status_code == 400 and unseen.json()["code"] == "rekognition.resource_not_found"
    assert post("CreateCollection", other, {"CollectionId": "shared-name"}).status_code == 200
    assert post("ListFaces", other, {"CollectionId": "shared-name"}).json()["Faces"] == []
    with collection_server.api() as api:
        mine = api.post("/v1/faces/collections/ListFaces", json={"CollectionId": "shared-name"})
    assert mine.status_code == 200 and len(mine.json()["Faces"]) == 1
    assert len(client(collection_server).list_faces(CollectionId="shared-name")["Faces"]) == 1
