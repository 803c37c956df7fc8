"""Duplicate identities on the real server: approved sessions' faces are enrolled (with consent), a new
session's selfie is searched against them by the `search_duplicates` task, a match under another name or date
of birth is a rule-usable `faces.duplicates`, and an erased session's face is gone."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import sdk_protocol as p
from server.duplicates import DUPLICATE_SIMILARITY
from tests.server.live import Sdk, Server

JOURNEY = """
name: duplicates_probe
version: 1
title: kyc.title
initial: selfie
rules:
  consented: {"var": "prefill.consent"}
  is_duplicate: {">": [{"var": ["faces.duplicate_count", 0]}, 0]}
states:
  selfie:
    type: screen
    store_at: captures.selfie
    screen:
      components:
        - type: capture.selfie
          name: file
          label: kyc.selfie.title
          guidance: guidance.selfie
          validation: {required: true}
          fallback: {type: input.file, name: file, label: kyc.selfie.title, accepted_formats: [image/jpeg],
                     min_files: 1, max_files: 1}
    on:
      submit: [{target: search, assign: {consent.data_processing: consented}}]
  search:
    type: task
    task: search_duplicates
    input: {file: captures.selfie.file, first_name: prefill.person.first_name, last_name: prefill.person.last_name,
            date_of_birth: prefill.person.date_of_birth}
    params: {person: prefill.person}
    result: faces
    on:
      done:
        - {target: duplicate, guard: is_duplicate}
        - {target: approved}
      error: failed
  approved: {type: final, outcome: approved}
  duplicate: {type: final, outcome: rejected}
  failed: {type: final, outcome: abandoned}
"""
PEOPLE = ("Abdullah_Gul", "Aaron_Peirsol", "Abel_Pacheco", "Abdullah", "Adrien_Brody")


@pytest.fixture
def duplicates_server(server_factory: Callable[..., Server], tmp_path: Path) -> Server:
    folder = tmp_path / "journeys"
    folder.mkdir()
    (folder / "duplicates_probe.yaml").write_text(JOURNEY)
    return server_factory({"ARABESQUE_JOURNEYS_DIR": str(folder), "ARABESQUE_WORKERS": "2",
                           "ARABESQUE_TIMER_POLL_SECONDS": "0.2"}).start()


@pytest.fixture(scope="module")
def photos(shared_data: Path) -> dict[str, list[bytes]]:
    root = shared_data / "faces" / "lfw"
    return {name: [p.read_bytes() for p in sorted((root / name).glob("*.jpg"))[:2]] for name in PEOPLE}


def person(first: str, last: str, born: str) -> dict[str, str]:
    return {"first_name": first, "last_name": last, "date_of_birth": born}


async def verify(server: Server, photo: bytes, who: dict[str, str], *, consent: bool = True) -> tuple[str, dict]:  # type: ignore[type-arg]
    """One session of the probe journey to its end: (session id, its `faces` result)."""
    session = server.create("duplicates_probe", prefill={"person": who, "consent": consent})
    sdk = await Sdk(server, session["token"]).connect()
    screen = await sdk.screen("selfie")
    file_id = server.upload(session, photo).json()["file_id"]
    await sdk.submit(screen, {"file": file_id})
    done = await sdk.next(p.JourneyCompleted, timeout=120)
    await sdk.close()
    assert isinstance(done, p.JourneyCompleted)
    view = server.session(session["session_id"])
    result = view["data"]["faces"]  # type: ignore[index]
    assert done.outcome == ("rejected" if result["duplicate_count"] else "approved")
    return session["session_id"], result


def enrolments(server: Server) -> dict[str, tuple[str, int]]:
    """session id -> (enrolment outcome, faces held for it), read from the server's database."""
    with sqlite3.connect(next(server.data_dir.glob("*.db"))) as db:
        rows = db.execute("SELECT e.session_id, e.outcome, (SELECT count(*) FROM faces f WHERE f.session_id = "
                          "e.session_id) FROM face_enrolments e").fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


async def enrolled(server: Server, session_ids: list[str]) -> dict[str, tuple[str, int]]:
    deadline = time.monotonic() + 60
    while not set(session_ids) <= set(found := enrolments(server)):
        assert time.monotonic() < deadline, "approved sessions were not looked at for enrolment"
        await asyncio.sleep(0.2)
    return found


async def test_a_face_approved_under_one_name_is_a_duplicate_under_another_until_erased(
        duplicates_server: Server, photos: dict[str, list[bytes]]) -> None:
    server = duplicates_server
    first, nothing = await verify(server, photos[PEOPLE[0]][0], person("Ali", "Gul", "1950-10-29"))
    assert nothing == {"searched": True, "matches": 0, "duplicates": [], "duplicate_count": 0}
    assert (await enrolled(server, [first]))[first] == ("enrolled", 1)

    renamed, found = await verify(server, photos[PEOPLE[0]][1], person("Bob", "Smith", "1950-10-29"))
    (duplicate,) = found["duplicates"]
    assert duplicate["session_id"] == first and duplicate["similarity"] >= DUPLICATE_SIMILARITY
    assert (duplicate["same_name"], duplicate["same_birth_date"]) == (False, True)
    born_again, other_birth = await verify(server, photos[PEOPLE[0]][1], person("Ali", "Gul", "1980-01-01"))
    assert [(d["session_id"], d["same_name"], d["same_birth_date"]) for d in other_birth["duplicates"]] == \
        [(first, True, False)]
    same, agreed = await verify(server, photos[PEOPLE[0]][1], person("ALI", "GUL", "1950-10-29"))
    assert agreed["matches"] == 1 and agreed["duplicates"] == []
    stranger, unknown = await verify(server, photos[PEOPLE[1]][0], person("Ali", "Gul", "1950-10-29"))
    assert unknown["matches"] == 0 and unknown["duplicates"] == []
    assert (await enrolled(server, [same, stranger]))[same] == ("enrolled", 1)
    assert renamed not in enrolments(server) and born_again not in enrolments(server)  # rejected: not enrolled

    with server.api() as api:
        for session_id in (first, same):
            assert api.delete(f"/v1/sessions/{session_id}").status_code == 200
    held = enrolments(server)
    assert first not in held and same not in held
    _, after = await verify(server, photos[PEOPLE[0]][1], person("Carl", "Other", "2000-01-01"))
    assert after["matches"] == 0 and after["duplicates"] == []


async def test_a_session_without_consent_is_not_enrolled(duplicates_server: Server,
                                                         photos: dict[str, list[bytes]]) -> None:
    server = duplicates_server
    refused, _ = await verify(server, photos[PEOPLE[2]][0], person("Abel", "Pacheco", "1933-12-22"), consent=False)
    assert (await enrolled(server, [refused]))[refused] == ("no_consent", 0)
    _, later = await verify(server, photos[PEOPLE[2]][1], person("Other", "Name", "1933-12-22"))
    assert later["matches"] == 0


async def test_many_sessions_enrol_and_search_at_once(duplicates_server: Server,
                                                      photos: dict[str, list[bytes]]) -> None:
    server = duplicates_server
    names = [person(name.split("_")[0], f"Family{i}", f"19{60 + i}-01-01") for i, name in enumerate(PEOPLE)]
    approved = await asyncio.gather(*(verify(server, photos[n][0], who) for n, who in zip(PEOPLE, names,
                                                                                         strict=True)))
    firsts = [session_id for session_id, _ in approved]
    held = await enrolled(server, firsts)
    assert all(held[s] == ("enrolled", 1) for s in firsts)
    renamed = [person("Someone", f"Else{i}", f"19{60 + i}-01-01") for i in range(len(PEOPLE))]
    searched = await asyncio.gather(*(verify(server, photos[n][1], who) for n, who in zip(PEOPLE, renamed,
                                                                                         strict=True)))
    for first, (_, found) in zip(firsts, searched, strict=True):
        assert [d["session_id"] for d in found["duplicates"]] == [first]
