"""What each event says, through a real server: a case's assignment and decision, completion with and without
personal data, erasure, a session's own `webhook_url` with its own secret; and the timed-out journey."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.server.live import Server
from tests.server.test_access_matrix import CASE_JOURNEY
from tests.server.webhooks.receiver import Receiver, per_session
from tests.server.webhooks.test_delivery import FAST, subscribe

EXPIRING = """
name: expiring
version: 1
title: kyc.title
initial: waiting
after:
  - {delay: 1s, target: expired}
states:
  waiting:
    type: screen
    screen:
      components:
        - {type: content.heading, text: kyc.title}
        - {type: action.button, action: submit, label: common.start}
    on:
      submit: expired
  expired: {type: final, outcome: expired}
"""


@pytest.fixture
def server(server_factory: Callable[..., Server], tmp_path: Path) -> Server:
    journeys = tmp_path / "journeys"
    journeys.mkdir()
    (journeys / "case_probe.yaml").write_text(CASE_JOURNEY)
    (journeys / "expiring.yaml").write_text(EXPIRING)
    return server_factory({**FAST, "ARABESQUE_JOURNEYS_DIR": str(journeys)}).start()


def test_a_reviewed_and_erased_session_announces_each_step(server: Server, receivers: Callable[[], Receiver]) -> None:
    plain, personal, own = receivers(), receivers(), receivers()
    plain_secret = str(subscribe(server, plain.url)["secret"])
    personal_secret = str(subscribe(server, personal.url, include_personal_data=True,
                                    event_types=["session.completed"])["secret"])
    session = server.create("case_probe", prefill={"name": "Ada Lovelace"}, webhook_url=own.url)
    assert str(session["webhook_secret"]).startswith("whsec_") and str(session["webhook_id"]).startswith("wh_")
    sid = session["session_id"]
    with server.api() as api:
        assert api.post(f"/v1/sessions/{sid}/signals", json={"name": "to_review"}).status_code == 200
        assert api.post(f"/v1/cases/{sid}/claim").status_code == 200
        decided = api.post(f"/v1/cases/{sid}/decision", json={"action": "reject", "reason": "other"})
        assert decided.status_code == 200, decided.text
        assert api.delete(f"/v1/sessions/{sid}").status_code == 200
    got = plain.wait(lambda found: any(r.message["type"] == "session.erased" for r in found))
    assert per_session(got, plain_secret)[sid] == [
        "session.created", "session.state_changed", "case.assigned", "case.decided", "session.state_changed",
        "session.completed", "session.erased"]
    data = {r.message["type"]: r.verify(plain_secret)["data"] for r in got}
    assert data["case.assigned"] == {"session_id": sid, "assignee": "api_key:ak_default", "action": "claimed"}
    assert data["case.decided"] == {"session_id": sid, "action": "reject", "actor": "api_key:ak_default",
                                    "reason_codes": ["other"], "round": 1}
    assert data["session.completed"] == {"session_id": sid, "outcome": "rejected", "state": "rejected",
                                         "reason_codes": ["other"]}
    assert data["session.erased"] == {"session_id": sid, "erased_by": "api_key:ak_default", "reason": "request"}
    completed = personal.wait(lambda found: len(found) == 1)[0].verify(personal_secret)
    assert completed["data"]["personal_data"] == {"prefill": {"name": "Ada Lovelace"}}  # type: ignore[index]
    mine = own.wait(lambda found: any(r.message["type"] == "session.erased" for r in found))
    assert per_session(mine, str(session["webhook_secret"]))[sid] == per_session(got, plain_secret)[sid]
    assert all("Ada" not in r.body.decode() for r in [*got, *mine])


def test_a_session_that_times_out_sends_session_expired(server: Server, receivers: Callable[[], Receiver]) -> None:
    receiver = receivers()
    secret = str(subscribe(server, receiver.url)["secret"])
    sid = server.create("expiring")["session_id"]
    got = receiver.wait(lambda found: any(r.message["type"] == "session.expired" for r in found))
    assert per_session(got, secret)[sid] == ["session.created", "session.state_changed", "session.expired"]
    assert got[-1].verify(secret)["data"] == {"session_id": sid, "from_state": "waiting", "state": "expired"}
