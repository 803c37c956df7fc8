"""The screening task through the real server: many sessions at once, hits to review, candidates in the data."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import sdk_protocol as p
from tests.server.backoffice.helpers import create_users, log_in
from tests.server.live import Sdk, Server
from tests.server.screening.journey import write_journey, write_list

PEOPLE = [  # (first, last, birth date, nationality, expected to be a hit)
    ("Vladimir", "Putin", "1952-10-07", "RU", True),
    ("Putin", "Vladimir", "", "", True),
    ("Владимир", "Путин", "1952-10-07", "", True),
    ("John", "Smith", "1970-01-02", "", True),
    ("James", "Smith", "1970-01-02", "", False),
    ("John", "Smith", "1985-06-30", "", False),
    ("Ada", "Lovelace", "1990-12-10", "GB", False),
]


async def _run(server: Server, person: tuple[str, str, str, str, bool]) -> tuple[str, dict[str, object]]:
    session = server.create("screened_person")
    device = await Sdk(server, session["token"]).connect()
    try:
        screen = await device.screen("person")
        first, last, born, nationality, _ = person
        values: dict[str, object] = {"first_name": first, "last_name": last}
        if born:
            values["date_of_birth"] = born
        if nationality:
            values["nationality"] = nationality
        await device.submit(screen, values)
        await device.next(p.Message, lambda m: (isinstance(m, p.Screen) and m.screen_id in ("manual_review", "approved"))
                          or isinstance(m, p.JourneyCompleted), timeout=60)
    finally:
        await device.close()
    view = await asyncio.to_thread(server.session, session["session_id"])
    data = view["data"]
    assert isinstance(data, dict)
    return str(view["state"]), data


async def test_many_sessions_screen_at_once_and_hits_go_to_review(server_factory: Callable[..., Server],
                                                                    tmp_path: Path) -> None:
    env = {"ARABESQUE_SCREENING_LIST": str(write_list(tmp_path / "list")),
           "ARABESQUE_JOURNEYS_DIR": str(write_journey(tmp_path / "journeys"))}
    server = server_factory(env).start()
    people = PEOPLE * 6
    results = await asyncio.gather(*(_run(server, person) for person in people))
    for person, (state, data) in zip(people, results, strict=True):
        screening = data["screening"]
        assert isinstance(screening, dict)
        found = screening["person"]
        assert state == ("manual_review" if person[4] else "approved"), (person, found)
        assert found["hits"] == (1 if person[4] else 0), (person, found)
        assert found["threshold"] == 0.94 and found["backend"] == "local" and len(found["list_version"]) == 16
        if person[4]:
            best = found["candidates"][0]
            assert best["id"] in ("os-putin", "os-smith") and best["score"] == found["max_score"] >= 0.94
            assert best["reasons"][0].startswith("name ") and "sanction" in best["topics"] and best["datasets"]
    putin = next(data for person, (_, data) in zip(people, results, strict=True) if person[1] == "Путин")
    assert "compared after transliteration / accents removed" in putin["screening"]["person"]["candidates"][0]["reasons"]  # type: ignore[index]


async def test_without_a_list_the_task_fails_with_its_code_and_the_case_goes_to_review(
        server_factory: Callable[..., Server], tmp_path: Path) -> None:
    server = server_factory({"ARABESQUE_JOURNEYS_DIR": str(write_journey(tmp_path / "journeys"))}).start()
    session = server.create("screened_person")
    device = await Sdk(server, session["token"]).connect()
    screen = await device.screen("person")
    await device.submit(screen, {"first_name": "Ada", "last_name": "Lovelace"})
    await device.screen("manual_review", timeout=60)
    await device.close()
    view = server.session(session["session_id"])
    timeline, data = view["timeline"], view["data"]
    assert isinstance(timeline, list) and isinstance(data, dict)
    assert [e["kind"] for e in timeline] == ["start", "submit", "task.failed"]
    error = data["screening"]["person"]["error"]
    assert error == {"code": "screening.not_configured",
                     "message": "Expected a screening list for the local backend, got none: set ARABESQUE_SCREENING_LIST"}


def test_a_list_path_that_does_not_exist_stops_the_server_with_the_setting(server_factory: Callable[..., Server],
                                                                           tmp_path: Path) -> None:
    server = server_factory({"ARABESQUE_SCREENING_LIST": str(tmp_path / "nowhere.json")})
    try:
        server.start(timeout=20)
    except RuntimeError as exc:
        assert "ARABESQUE_SCREENING_LIST: expected an FtM file or folder, found nothing at" in str(exc)
    else:
        raise AssertionError("the server started with a list that does not exist")


async def test_the_reviewer_sees_the_candidates_and_their_reasons(server_factory: Callable[..., Server],
                                                                  tmp_path: Path) -> None:
    env = {"ARABESQUE_SCREENING_LIST": str(write_list(tmp_path / "list")),
           "ARABESQUE_JOURNEYS_DIR": str(write_journey(tmp_path / "journeys"))}
    server = server_factory(env).start()
    hits = await asyncio.gather(*(_run(server, PEOPLE[0]) for _ in range(4)))
    assert {state for state, _ in hits} == {"manual_review"}
    with server.api() as api:
        cases = api.get("/v1/cases", params={"journey": "screened_person"}).json()["cases"]
        assert len(cases) == 4
        detail = api.get(f"/v1/cases/{cases[0]['session_id']}").json()
    assert "screening" not in detail["data"] and detail["case"]["flags"] == ["screening_hit"]
    [person] = detail["screening"]
    assert person["name"] == "person" and person["hits"] == 1 and person["threshold"] == 0.94
    best = person["candidates"][0]
    assert best["id"] == "os-putin" and best["caption"] == "Vladimir Putin" and best["score"] >= 0.94
    assert "birth date matches (1952-10-07)" in best["reasons"] and "nationality matches (ru)" in best["reasons"]
    create_users(server, ("reviewer@example.com", "reviewer", "default"))
    client, _ = log_in(server, "reviewer@example.com")
    page = client.get(f"/backoffice/cases/{cases[0]['session_id']}")
    client.close()
    assert page.status_code == 200
    assert 'id="screening-person"' in page.text and 'data-candidate="os-putin"' in page.text
    assert "birth date matches (1952-10-07)" in page.text and "us_ofac_sdn" in page.text
