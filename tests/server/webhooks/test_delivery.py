"""Webhooks end to end: a real server subprocess, a real receiver on 127.0.0.1, every message verified with
`standardwebhooks`: whole journeys, an outage with a kill -9 in between, many sessions at once."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from demo_client.client import DemoClient, load_scenario
from tests.server.live import API_KEY, ROOT, Server
from tests.server.webhooks.receiver import Receiver, per_session

FAST = {"ARABESQUE_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "ARABESQUE_WEBHOOK_RETRY_SECONDS": "0,0.5,1,1,1,1,1,1,1,1",
        "ARABESQUE_WEBHOOK_SWEEP_SECONDS": "0.3", "ARABESQUE_WEBHOOK_TIMEOUT_SECONDS": "2"}
APPROVED = ["session.created", "session.state_changed", "check.completed", "session.completed"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def demo(server: Server, scenario: str = "approve", journey: str = "kyc_individual") -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "demo_client", "run", "--server", server.url, "--api-key", API_KEY,
                             "--journey", journey, "--scenario", scenario, "--timeout", "120"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)


def finish(run: subprocess.Popen[str]) -> str:
    out, _ = run.communicate(timeout=180)
    assert run.returncode == 0, out
    return out.strip().splitlines()[-1]


def subscribe(server: Server, url: str, **body: object) -> dict[str, object]:
    with server.api() as api:
        response = api.post("/v1/webhooks", json={"url": url, **body})
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def logged(server: Server, webhook_id: str) -> dict[str, list[str]]:
    """Event types per session as the server wrote them (the delivery log, oldest first)."""
    deliveries: list[dict[str, object]] = []  # newest first, page after page
    with server.api() as api:
        params: dict[str, object] = {"limit": 200}
        while True:
            page = api.get(f"/v1/webhooks/{webhook_id}/deliveries", params=params).json()
            deliveries += page["deliveries"]
            if page["next_cursor"] is None:
                break
            params = {"limit": 200, "before_id": page["next_cursor"]}
    found: dict[str, list[str]] = {}
    for delivery in reversed(deliveries):
        found.setdefault(str(delivery["session_id"]), []).append(str(delivery["type"]))
    return found


def assert_journey(types: list[str]) -> None:
    """A whole approved journey: created first, state changes and checks between, completed last, once each."""
    assert types[0] == "session.created" and types[-1] == "session.completed", types
    assert types.count("session.created") == 1 and types.count("session.completed") == 1, types
    assert "check.completed" in types and "session.state_changed" in types, types


def test_a_demo_journey_sends_every_event_in_order_signed(server_factory: Callable[..., Server],
                                                          receiver: Receiver) -> None:
    server = server_factory(FAST).start()
    created = subscribe(server, receiver.url)
    secret = str(created["secret"])
    assert secret.startswith("whsec_")
    assert finish(demo(server)) == "outcome: approved"
    got = receiver.wait(lambda found: any(r.message["type"] == "session.completed" for r in found))
    sessions = per_session(got, secret)
    assert len(sessions) == 1
    types = next(iter(sessions.values()))
    assert_journey(types)
    assert set(types) == set(APPROVED)
    assert sessions == logged(server, str(created["id"]))  # every event, in the order they were committed
    message = got[-1].verify(secret)
    assert message["data"] == {"session_id": next(iter(sessions)), "outcome": "approved", "state": "approved",
                               "reason_codes": []}  # no personal data: not asked for
    checks = [r.message["data"] for r in got if r.message["type"] == "check.completed"]
    assert all(c["result"] in ("passed", "failed", "error") and c["task"] for c in checks)  # type: ignore[index]


def test_an_outage_and_a_kill_9_lose_nothing_and_keep_the_order(server_factory: Callable[..., Server],
                                                                 receiver: Receiver) -> None:
    server = server_factory(FAST).start()
    created = subscribe(server, receiver.url)
    secret, webhook_id = str(created["secret"]), str(created["id"])
    receiver.mode = "503"
    assert finish(demo(server)) == "outcome: approved"
    receiver.wait(lambda found: True)
    assert len(receiver.requests) >= 2  # refused, and retried
    server.kill()  # kill -9 while deliveries wait for their retries
    receiver.stop()  # now refusing connections
    server.start()
    time.sleep(2)
    receiver.start()
    receiver.mode = "ok"
    got = receiver.wait(lambda found: any(r.message["type"] == "session.completed" for r in found), timeout=90)
    sessions = per_session(got, secret)
    assert len(sessions) == 1
    assert_journey(next(iter(sessions.values())))
    assert sessions == logged(server, webhook_id)
    with server.api() as api:
        page = api.get(f"/v1/webhooks/{webhook_id}/deliveries", params={"limit": 200}).json()
    first = page["deliveries"][-1]  # newest first: session.created is the last
    assert first["type"] == "session.created" and first["status"] == "delivered"
    codes = [a["error_code"] for a in first["attempts"]]
    assert "webhook.http_status" in codes and "webhook.connect_failed" in codes, first["attempts"]
    assert first["attempts"][-1]["status_code"] == 200 and first["attempts"][-1]["error_code"] is None
    assert [a["number"] for a in first["attempts"]] == list(range(1, len(first["attempts"]) + 1))
    assert all(d["status"] == "delivered" for d in page["deliveries"])


async def test_many_sessions_at_once_each_get_every_event_in_order(server_factory: Callable[..., Server],
                                                                    receiver: Receiver, images: dict[str, Path]) -> None:
    server = server_factory({**FAST, "ARABESQUE_WORKERS": "2"}).start()
    created = subscribe(server, receiver.url)
    secret = str(created["secret"])
    count = 12
    # the demo client in this process (its command line is run above): the sample images are made once
    scenario = load_scenario("kyc_individual", "approve")
    clients = [DemoClient(server=server.url, api_key=API_KEY, journey="kyc_individual", scenario=scenario,
                          images=images, out=io.StringIO(), timeout=120) for _ in range(count)]
    outcomes = await asyncio.gather(*(c.run() for c in clients))
    assert outcomes == ["approved"] * count
    got = await asyncio.to_thread(receiver.wait, lambda found: sum(r.message["type"] == "session.completed"
                                                                   for r in found) >= count, timeout=120)
    sessions = per_session(got, secret)
    assert len(sessions) == count
    for types in sessions.values():
        assert_journey(types)
    assert sessions == logged(server, str(created["id"]))
