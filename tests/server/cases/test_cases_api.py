"""The cases API against a real server: the queue, claims, decisions that move the user's screen, conflicts."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import sdk_protocol as p
from tests.server.live import API_KEY, Sdk, Server

JOURNEYS = Path(__file__).parent / "journeys"


@pytest.fixture(scope="module")
def review_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("cases"), {"ARABESQUE_JOURNEYS_DIR": str(JOURNEYS),
                                                         "ARABESQUE_API_RATE_PER_SECOND": "1000",
                                                         "ARABESQUE_API_RATE_BURST": "1000"}).start()
    yield running
    running.stop()


def add_key(server: Server, role: str) -> str:
    """A new key of `role` in the default tenant, made through the admin API."""
    with server.api() as api:
        response = api.post("/v1/keys", json={"name": f"{role} {secrets.token_hex(3)}", "role": role})
    assert response.status_code == 201, response.text
    return str(response.json()["api_key"])


def audit_rows(server: Server, subject_id: str) -> list[tuple[str, str]]:
    """(actor, action) of the audit records about one case, oldest first, read through `GET /v1/audit`."""
    with server.api() as api:
        entries = api.get("/v1/audit", params={"subject_id": subject_id, "limit": 500}).json()["entries"]
    return [(e["actor"], e["action"]) for e in reversed(entries)]


def client(server: Server, key: str = API_KEY) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30.0)


async def to_review(server: Server, first: str = "Ada", last: str = "Lovelace", pep: str = "no",
                    **body: object) -> tuple[str, Sdk]:
    session = server.create("quick_review", **body)
    sdk = await Sdk(server, session["token"]).connect()
    screen = await sdk.screen("details")
    reply = await sdk.submit(screen, {"first_name": first, "last_name": last, "pep": pep})
    assert not isinstance(reply, p.ErrorMessage | p.ScreenErrors), reply
    waiting = await sdk.screen("review")
    assert waiting.waiting
    return session["session_id"], sdk


async def test_a_session_in_review_is_a_waiting_case_with_its_flags_and_name(review_server: Server) -> None:
    session_id, sdk = await to_review(review_server, "Grace", "Hopper", pep="yes")
    async with client(review_server) as api:
        case = (await api.get(f"/v1/cases/{session_id}")).json()
    assert case["case"]["status"] == "waiting" and case["case"]["assignee"] is None
    assert (case["case"]["name"], case["case"]["flags"], case["case"]["round"]) == ("Grace Hopper", ["pep"], 1)
    assert case["session_status"] == "review" and case["data"]["person"]["pep"] == "yes"
    assert [c["code"] for c in case["options"]["reject_reasons"]] == ["other", "high_risk"]
    assert case["can_decide"] is True  # an admin may decide without claiming
    flags_step = next(t for t in case["trace"] if t["event"] == "review.flags")
    assert flags_step["rules"][0]["rule"] == "is_pep" and flags_step["rules"][0]["result"] is True
    await sdk.close()


async def test_request_changes_pushes_the_redo_screen_to_every_device_and_the_resubmission_returns_to_review(
        review_server: Server) -> None:
    session_id, phone = await to_review(review_server)
    token = (await client(review_server).post(f"/v1/sessions/{session_id}/tokens")).json()["token"]
    laptop = await Sdk(review_server, token).connect(locale="de")
    await laptop.screen("review")
    reviewer = add_key(review_server, "reviewer")
    async with client(review_server, reviewer) as api:
        assert (await api.post(f"/v1/cases/{session_id}/claim")).json()["status"] == "assigned"
        decided = await api.post(f"/v1/cases/{session_id}/decision", json={
            "action": "request_changes", "items": [{"item": "address", "reason": "address_mismatch"}]})
        assert decided.status_code == 200, decided.text
        assert decided.json()["status"] == "changes_requested"
        redo = await phone.screen("redo_address", timeout=5)
        alert = redo.components[0]
        assert isinstance(alert, p.Alert) and alert.text.startswith("The address does not match your documents")
        german = await laptop.screen("redo_address", timeout=5)
        assert german.components[0].text.startswith("Die Adresse stimmt nicht")  # type: ignore[union-attr]
        again = await api.post(f"/v1/cases/{session_id}/decision", json={"action": "approve"})
        assert again.json()["code"] == "case.not_in_review" and again.status_code == 409
        await phone.submit(redo, {"line1": "1 New Street"})
        await phone.screen("review")
        case = (await api.get(f"/v1/cases/{session_id}")).json()
        assert (case["case"]["status"], case["case"]["round"]) == ("assigned", 2)  # back to the same reviewer
        assert case["data"]["address"] == {"line1": "1 New Street"}
        approved = await api.post(f"/v1/cases/{session_id}/decision", json={"action": "approve",
                                                                            "expected_version": case["case"]["version"]})
        assert approved.json()["status"] == "decided" and approved.json()["outcome"] == "approved"
        done = await phone.next(p.JourneyCompleted)
        assert isinstance(done, p.JourneyCompleted) and done.outcome == "approved"
        case = (await api.get(f"/v1/cases/{session_id}")).json()
    assert [(d["action"], d["round"]) for d in case["decisions"]] == [("request_changes", 1), ("approve", 2)]
    assert [t["actor"] for t in case["trace"] if t["actor"]] == [case["decisions"][0]["actor"]] * 2
    assert review_server.session(session_id)["outcome"] == "approved"
    assert audit_rows(review_server, session_id) == [
        ("system", "case.opened"), (case["decisions"][0]["actor"], "case.claimed"),
        (case["decisions"][0]["actor"], "case.decided"), ("system", "case.resubmitted"),
        (case["decisions"][0]["actor"], "case.decided")]
    await phone.close()
    await laptop.close()


@pytest.mark.parametrize(("body", "code", "status"), [
    ({"action": "reject"}, "case.invalid_decision", 422),
    ({"action": "reject", "reason": "bored"}, "case.invalid_decision", 422),
    ({"action": "request_changes", "items": []}, "case.invalid_decision", 422),
    ({"action": "request_changes", "items": [{"item": "selfie", "reason": "address_mismatch"}]},
     "case.invalid_decision", 422),
    ({"action": "request_changes", "items": [{"item": "address", "reason": "address_mismatch"}] * 2},
     "case.invalid_decision", 422),
    ({"action": "approve", "reason": "other"}, "case.invalid_decision", 422),
    ({"action": "escalate"}, "request.invalid", 400),
    ({"action": "approve", "comment": "x"}, "request.invalid", 400),
    ({"action": "approve", "expected_version": 99}, "case.changed", 409),
])
async def test_a_decision_that_does_not_fit_is_refused_and_nothing_changes(review_server: Server, body: object,
                                                                           code: str, status: int) -> None:
    session_id, sdk = await to_review(review_server)
    async with client(review_server) as api:
        refused = await api.post(f"/v1/cases/{session_id}/decision", json=body)
        assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
        message = refused.json()["message"]
        # ours say what was expected; msgspec's name what came (the unknown value or field)
        assert message.startswith("Expected") if code.startswith("case.") else \
            ("'escalate'" in message or "`comment`" in message), message
        assert (await api.get(f"/v1/cases/{session_id}")).json()["case"]["status"] == "waiting"
    await sdk.close()


async def test_only_the_assignee_decides_and_a_decision_is_final(review_server: Server) -> None:
    session_id, sdk = await to_review(review_server)
    first, second = add_key(review_server, "reviewer"), add_key(review_server, "reviewer")
    async with client(review_server, first) as one, client(review_server, second) as two:
        unclaimed = await one.post(f"/v1/cases/{session_id}/decision", json={"action": "approve"})
        assert (unclaimed.status_code, unclaimed.json()["code"]) == (403, "case.not_assignee")
        assert (await one.post(f"/v1/cases/{session_id}/claim")).status_code == 200
        taken = await two.post(f"/v1/cases/{session_id}/claim")
        assert (taken.status_code, taken.json()["code"]) == (409, "case.assigned_to_other")
        other = await two.post(f"/v1/cases/{session_id}/decision", json={"action": "approve"})
        assert other.json()["code"] == "case.not_assignee"
        rejected = await one.post(f"/v1/cases/{session_id}/decision", json={"action": "reject", "reason": "high_risk"})
        assert rejected.json()["outcome"] == "rejected"
        twice = await one.post(f"/v1/cases/{session_id}/decision", json={"action": "approve"})
        assert (twice.status_code, twice.json()["code"]) == (409, "case.decided")
        released = await one.post(f"/v1/cases/{session_id}/release")
        assert released.json()["code"] == "case.decided"
    done = await sdk.next(p.JourneyCompleted)
    assert isinstance(done, p.JourneyCompleted) and done.outcome == "rejected"
    await sdk.close()


async def test_claim_assign_and_release_move_the_case_between_people(review_server: Server) -> None:
    session_id, sdk = await to_review(review_server)
    reviewer = add_key(review_server, "reviewer")
    async with client(review_server, reviewer) as mine, client(review_server) as admin:
        me = (await mine.post(f"/v1/cases/{session_id}/claim")).json()
        assert me["status"] == "assigned"
        unknown = await admin.post(f"/v1/cases/{session_id}/assign", json={"assignee": "user:u_nobody"})
        assert (unknown.status_code, unknown.json()["code"]) == (422, "case.unknown_assignee")
        by_reviewer = await mine.post(f"/v1/cases/{session_id}/assign", json={"assignee": me["assignee"]})
        assert (by_reviewer.status_code, by_reviewer.json()["code"]) == (403, "auth.forbidden")
        to_admin = await admin.post(f"/v1/cases/{session_id}/assign", json={"assignee": "api_key:ak_default"})
        assert to_admin.json()["assignee"] == "api_key:ak_default"
        not_mine = await mine.post(f"/v1/cases/{session_id}/release")
        assert not_mine.json()["code"] == "case.assigned_to_other"
        released = (await admin.post(f"/v1/cases/{session_id}/release")).json()
        assert (released["status"], released["assignee"]) == ("waiting", None)
        mine_now = (await mine.get("/v1/cases", params={"assignee": "none", "status": "waiting"})).json()
        assert session_id in [c["session_id"] for c in mine_now["cases"]]
    actions = [action for _, action in audit_rows(review_server, session_id)]
    assert actions == ["case.opened", "case.claimed", "case.assigned", "case.released"]
    await sdk.close()


async def test_notes_are_kept_on_the_case_and_audited_without_their_text(review_server: Server) -> None:
    session_id, sdk = await to_review(review_server)
    async with client(review_server) as api:
        note = await api.post(f"/v1/cases/{session_id}/notes", json={"text": "Called the customer: moved house."})
        assert note.status_code == 201 and note.json()["author"] == "api_key:ak_default"
        empty = await api.post(f"/v1/cases/{session_id}/notes", json={"text": ""})
        assert empty.json()["code"] == "request.invalid"
        case = (await api.get(f"/v1/cases/{session_id}")).json()
    assert [n["text"] for n in case["notes"]] == ["Called the customer: moved house."]
    with sqlite3.connect(review_server.data_dir / "arabesque.db") as db:
        details = db.execute("SELECT details FROM audit WHERE subject_id = ? AND action = 'case.note_added'",
                             (session_id,)).fetchone()[0]
    assert "moved house" not in details and note.json()["id"] in details
    await sdk.close()


async def test_the_queue_filters_counts_and_pages_without_gaps(review_server: Server) -> None:
    tag = secrets.token_hex(4)
    made = [await to_review(review_server, f"Zed{tag}", f"N{i}", pep="yes" if i % 3 == 0 else "no",
                            reference=f"ref-{tag}-{i}") for i in range(7)]
    async with client(review_server) as api:
        found = (await api.get("/v1/cases", params={"q": f"zed{tag}", "limit": 2, "sort": "-created_at"})).json()
        pages = [found]
        while found["next_cursor"]:
            found = (await api.get("/v1/cases", params={"q": f"zed{tag}", "limit": 2, "sort": "-created_at",
                                                        "cursor": found["next_cursor"]})).json()
            pages.append(found)
        listed = [c["session_id"] for page in pages for c in page["cases"]]
        assert listed == [session_id for session_id, _ in reversed(made)]
        assert len(pages) == 4 and pages[0]["counts"] == {"waiting": 7}
        peps = (await api.get("/v1/cases", params={"q": tag, "flag": "pep"})).json()
        assert len(peps["cases"]) == 3
        one = (await api.get("/v1/cases", params={"reference": f"ref-{tag}-4"})).json()
        assert [c["name"] for c in one["cases"]] == [f"Zed{tag} N4"]
        bad = await api.get("/v1/cases", params={"status": "open"})
        assert bad.json()["code"] == "request.invalid" and "$.status" in bad.json()["message"]
        cursor = await api.get("/v1/cases", params={"cursor": "not-a-cursor"})
        assert cursor.json()["code"] == "request.invalid"
        twice = await api.get("/v1/cases?status=waiting&status=decided")
        assert (twice.json()["code"], twice.json()["details"]["path"]) == ("request.invalid", "$.status")
        unknown = await api.get("/v1/cases", params={"state": "waiting"})
        assert unknown.json()["message"].startswith("Expected query parameters among assignee, created_from")
    for _, sdk in made:
        await sdk.close()


async def test_many_sessions_and_two_reviewers_at_once_each_case_is_claimed_and_decided_once(
        review_server: Server) -> None:
    tag = secrets.token_hex(4)
    made = await asyncio.gather(*(to_review(review_server, f"Crowd{tag}", f"P{i}") for i in range(24)))
    ids = {session_id for session_id, _ in made}
    reviewers = [add_key(review_server, "reviewer") for _ in range(2)]
    decided: list[tuple[int, str]] = []

    async def work(n: int) -> None:
        async with client(review_server, reviewers[n]) as api:
            for _ in range(200):
                claimed = await api.post("/v1/cases/next")
                if claimed.status_code == 204:
                    return
                session_id = claimed.json()["session_id"]
                answer = await api.post(f"/v1/cases/{session_id}/decision", json={"action": "approve"})
                assert answer.status_code == 200, answer.text
                decided.append((n, session_id))

    await asyncio.gather(work(0), work(1))
    mine = [session_id for _, session_id in decided if session_id in ids]
    assert sorted(mine) == sorted(ids)  # every case once, none twice
    assert {n for n, _ in decided} == {0, 1}
    done = await asyncio.gather(*(sdk.next(p.JourneyCompleted) for _, sdk in made))
    assert {d.outcome for d in done if isinstance(d, p.JourneyCompleted)} == {"approved"}
    for session_id in ids:
        assert [a for _, a in audit_rows(review_server, session_id)] == ["case.opened", "case.claimed",
                                                                          "case.decided"]
    for _, sdk in made:
        await sdk.close()


async def test_an_unknown_case_and_a_session_that_never_needed_review_are_not_found(review_server: Server) -> None:
    plain = review_server.create("kyc_individual")
    async with client(review_server) as api:
        for session_id in ("s_nope", plain["session_id"]):
            missing = await api.get(f"/v1/cases/{session_id}")
            assert (missing.status_code, missing.json()["code"]) == (404, "case.not_found")
            claim = await api.post(f"/v1/cases/{session_id}/claim")
            assert claim.json()["code"] == "case.not_found"


async def test_erasure_removes_the_case_and_its_notes_and_keeps_the_audit_records(review_server: Server) -> None:
    session_id, sdk = await to_review(review_server, "Erin", "Erased")
    async with client(review_server) as api:
        await api.post(f"/v1/cases/{session_id}/claim")
        await api.post(f"/v1/cases/{session_id}/notes", json={"text": "Erin phoned."})
        assert (await api.delete(f"/v1/sessions/{session_id}")).status_code == 200
        gone = await api.get(f"/v1/cases/{session_id}")
        assert gone.json()["code"] == "case.not_found"
        listed = (await api.get("/v1/cases", params={"q": "erin"})).json()
        assert listed["cases"] == []
    with sqlite3.connect(review_server.data_dir / "arabesque.db") as db:
        left = db.execute("SELECT count(*) FROM case_notes WHERE session_id = ?", (session_id,)).fetchone()[0]
        kept = db.execute("SELECT action, details FROM audit WHERE subject_id = ? ORDER BY id",
                          (session_id,)).fetchall()
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("DELETE FROM audit WHERE subject_id = ?", (session_id,))
    assert left == 0
    assert [action for action, _ in kept][:3] == ["case.opened", "case.claimed", "case.note_added"]
    assert not any("Erin" in details for _, details in kept)
    await sdk.close()
