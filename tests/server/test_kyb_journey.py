"""kyb_business (version 3) on the real server: the registry stand-in of the demo client on 127.0.0.1, a small
sanctions list, the SDK filling in the screens, and each owner who must verify themselves (25 % or more, or a
director) walking their child kyc_individual with the demo client's child runner. Outcomes and review flags come
from the registry and screening (the owners approved)."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import httpx
import pytest

from demo_client.children import Children, Ended
from demo_client.images import certificate as certificate_photo
from demo_client.registry import RegistryStandin
from demo_client.scenario import ChildFace, ChildPlan
from tests.server.live import API_KEY, Sdk, Server, free_port
from tests.server.screening.journey import write_list

REGISTRY_KEY = "rk_test_5b1f0c9e7d"
COMPANY = {"legal_name": "Analytical Engines Ltd", "country": "GB", "registration_number": "01234567",
           "legal_form": "limited", "incorporation_date": "2015-06-01"}
ADDRESS = {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4LB", "country": "GB"}
ADA = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1985-12-10", "nationality": "GB", "share": 60,
       "is_director": True}
CHARLES = {"first_name": "Charles", "last_name": "Babbage", "date_of_birth": "1971-12-26", "nationality": "GB",
           "share": 40}
LISTED_OWNER = {"first_name": "Vladimir", "last_name": "Putin", "date_of_birth": "1952-10-07", "nationality": "RU",
                "share": 20}  # under 25 % and not a director: screened with the others, no verification of his own
DISSOLVED = {**COMPANY, "legal_name": "Jacquard Looms Ltd", "registration_number": "00000042",
             "incorporation_date": "1901-01-01"}


OWNER_FACES = ChildPlan(people=[ChildFace(face="ada", sex="F"), ChildFace(face="charles", sex="M")])
"""each child's captures, in the owners' order: Ada's face, Charles's (different people)"""


def certificate() -> bytes:
    """A certificate of incorporation photographed on a desk (it passes the certificate check)."""
    ok, encoded = cv2.imencode(".jpg", certificate_photo(), [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return encoded.tobytes()


def verifying(owners: list[dict[str, object]]) -> int:
    """How many owners verify themselves in a child (verify_owners's `needs_kyc`)."""
    return sum(1 for o in owners if float(str(o["share"])) >= 25 or o.get("is_director") is True)


@pytest.fixture(scope="module")
def standin() -> Iterator[RegistryStandin]:
    running = RegistryStandin(api_key=REGISTRY_KEY).start()
    yield running
    running.stop()


def kyb_env(folder: Path, base: str) -> dict[str, str]:
    return {"ARABESQUE_HTTP_ALLOWED_HOSTS": "127.0.0.0/8",
            "ARABESQUE_SECRETS": json.dumps({"registry_base_url": base, "registry_api_key": REGISTRY_KEY}),
            "ARABESQUE_SCREENING_LIST": str(write_list(folder / "list"))}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, standin: RegistryStandin) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("kyb")
    server = Server(folder / "data", kyb_env(folder, standin.base)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def registry_down(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The registry's base names a port nothing listens on, and no screening list is set."""
    folder = tmp_path_factory.mktemp("kyb_down")
    env = kyb_env(folder, f"http://127.0.0.1:{free_port()}")
    del env["ARABESQUE_SCREENING_LIST"]
    server = Server(folder / "data", env).start()
    yield server
    server.stop()


async def walk(server: Server, company: dict[str, object], owners: list[dict[str, object]],
               timeout: float = 60.0) -> dict[str, object]:
    """A kyb_business session through the SDK, its owners' children walked to approved by the demo's child
    runner; its view once it is decided or waits for a reviewer."""
    created = server.create("kyb_business")
    uploaded = await asyncio.to_thread(server.upload, created, certificate())
    assert uploaded.status_code in (200, 201), uploaded.text
    sdk = await Sdk(server, created["token"]).connect()
    try:
        await sdk.submit(await sdk.screen("company"), company)
        await sdk.submit(await sdk.screen("company_address"), ADDRESS)
        await sdk.submit(await sdk.screen("company_documents"),
                         {"certificate_of_incorporation": [uploaded.json()["file_id"]]})
        await sdk.submit(await sdk.screen("owners"), {"owners": owners})
        await sdk.submit(await sdk.screen("consent"), {"data_processing": True, "authorised": True})
    finally:
        await sdk.close()
    deadline = time.monotonic() + timeout
    children: asyncio.Task[list[Ended]] | None = None
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"},
                                 timeout=30.0) as api:
        while time.monotonic() < deadline:
            view: dict[str, object] = (await api.get(f"/v1/sessions/{created['session_id']}")).json()
            if view.get("outcome") or view.get("state") == "manual_review":
                if children is not None:
                    assert [ended.outcome for ended in await children] == ["approved"] * verifying(owners)
                return view
            if view.get("state") == "verify_owners" and children is None:
                runner = Children(server=server.url, api_key=API_KEY, plan=OWNER_FACES, out=io.StringIO(),
                                  timeout=timeout)
                children = asyncio.create_task(runner.complete(str(created["session_id"]), verifying(owners)))
            await asyncio.sleep(0.1)
    raise TimeoutError(f"kyb_business session {created['session_id']} was not decided within {timeout} s")


def data_of(view: dict[str, object]) -> dict[str, object]:
    data = view["data"]
    assert isinstance(data, dict)
    return data


def flags_of(view: dict[str, object]) -> list[str]:
    review = data_of(view)["review"]
    assert isinstance(review, dict)
    return list(review["flags"])


async def test_a_clean_company_the_registry_confirms_is_approved(live: Server) -> None:
    view = await walk(live, COMPANY, [ADA, CHARLES])
    assert (view["journey"], view["version"], view["outcome"]) == ("kyb_business", 3, "approved")
    data = data_of(view)
    assert data["registry"] == {"passed": True, "status": 200, "company": {
        "status": "active", "name": "ANALYTICAL ENGINES LIMITED", "incorporation_date": "2015-06-01"}}
    screening = data["screening"]
    assert isinstance(screening, dict)
    assert screening["company"]["hits"] == 0 and screening["owners"]["hits"] == 0
    assert [p["name"] for p in screening["owners"]["people"]] == ["Ada Lovelace", "Charles Babbage"]


async def test_a_company_the_registry_says_is_dissolved_is_rejected(live: Server) -> None:
    view = await walk(live, DISSOLVED, [ADA, CHARLES])
    assert view["outcome"] == "rejected"
    assert data_of(view)["registry"]["company"]["status"] == "dissolved"  # type: ignore[index]


async def test_an_owner_on_the_list_sends_the_case_to_review_flagged_screening_hit(live: Server) -> None:
    view = await walk(live, COMPANY, [ADA, LISTED_OWNER])
    assert view["state"] == "manual_review" and view.get("outcome") is None
    assert flags_of(view) == ["screening_hit"]
    owners = data_of(view)["screening"]["owners"]  # type: ignore[index]
    putin = next(p for p in owners["people"] if p["name"] == "Vladimir Putin")
    assert putin["hits"] == 1 and putin["candidates"][0]["id"] == "os-putin"


async def test_a_number_the_registry_does_not_know_goes_to_review_flagged_not_found(live: Server) -> None:
    view = await walk(live, {**COMPANY, "registration_number": "99999999"}, [ADA, CHARLES])
    assert view["state"] == "manual_review" and flags_of(view) == ["registry_not_found"]
    assert data_of(view)["registry"]["error"]["code"] == "http.not_found"  # type: ignore[index]


async def test_a_registry_that_is_down_sends_the_case_to_review_unverified(registry_down: Server) -> None:
    view = await walk(registry_down, COMPANY, [ADA, CHARLES])
    assert view["state"] == "manual_review" and view.get("outcome") is None
    assert flags_of(view) == ["registry_unverified", "screening_unchecked"]
    data = data_of(view)
    assert data["registry"]["error"]["code"] == "http.connect_failed"  # type: ignore[index]
    assert data["screening"]["company"]["error"]["code"] == "screening.not_configured"  # type: ignore[index]
    assert "127.0.0.1" not in json.dumps(view["timeline"])  # the base URL is a secret: its host is not shown


async def test_ten_kyb_sessions_at_once_each_reach_their_own_outcome(live: Server, standin: RegistryStandin) -> None:
    # one owner to verify each (Ada; a 20 % owner does not verify): ten KYBs, seven owners' kyc at once
    minority = {**CHARLES, "share": 20}
    cases = [(COMPANY, [{**ADA, "share": 80}, minority], "approved"), (DISSOLVED, [ADA, CHARLES], "rejected"),
             (COMPANY, [{**ADA, "share": 80}, LISTED_OWNER], "manual_review")] * 3 + [
        (COMPANY, [{**ADA, "share": 80}, minority], "approved")]
    before = standin.calls
    views = await asyncio.gather(*(walk(live, company, owners, timeout=180.0) for company, owners, _ in cases))
    assert [v.get("outcome") or v["state"] for v in views] == [expected for _, _, expected in cases]
    assert standin.calls - before == len(cases)
