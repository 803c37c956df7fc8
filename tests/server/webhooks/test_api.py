"""The webhook API against a real server: rotation, outbound safety, redelivery, disabling, bad input."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.server.live import Server
from tests.server.webhooks.receiver import Receiver
from tests.server.webhooks.test_delivery import FAST, subscribe


def deliveries(server: Server, webhook_id: str) -> list[dict[str, object]]:
    with server.api() as api:
        response = api.get(f"/v1/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.text
    found: list[dict[str, object]] = response.json()["deliveries"]
    return found


def settled(server: Server, webhook_id: str, timeout: float = 30.0) -> list[dict[str, object]]:
    """The delivery log once some attempt was made for every delivery."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = deliveries(server, webhook_id)
        if found and all(d["attempts"] for d in found):
            return found
        time.sleep(0.1)
    raise AssertionError(f"no attempt within {timeout}s: {deliveries(server, webhook_id)}")


def test_during_a_rotation_both_secrets_verify_and_after_it_only_the_new(
        server_factory: Callable[..., Server], receivers: Callable[[], Receiver]) -> None:
    server = server_factory({**FAST, "ARABESQUE_WEBHOOK_SECRET_OVERLAP_SECONDS": "3"}).start()
    receiver = receivers()
    created = subscribe(server, receiver.url, event_types=["session.created"])
    old = str(created["secret"])
    with server.api() as api:
        rotated = api.post(f"/v1/webhooks/{created['id']}/rotate-secret")
        assert rotated.status_code == 201, rotated.text
        assert api.get(f"/v1/webhooks/{created['id']}").json()["old_secret_expires_at"] is not None
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != old
    server.create()
    during = receiver.wait(lambda found: len(found) == 1)[0]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    during.verify(old)
    during.verify(new)
    time.sleep(3.5)
    server.create()
    after = receiver.wait(lambda found: len(found) == 2)[1]
    after.verify(new)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://[::1]/hook",
                                 "http://169.254.169.254/latest", "http://[::ffff:10.0.0.1]/x", "http://10.1.2.3/",
                                 "http://0.0.0.0/", "http://224.0.0.1/", "ftp://example.com/", "not a url"])
def test_a_private_or_odd_destination_is_refused_with_its_code(server: Server, url: str) -> None:
    with server.api() as api:
        response = api.post("/v1/webhooks", json={"url": url})
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "webhook.destination_refused"
        assert response.json()["message"].startswith("Expected an http(s) URL of a public host")
        opened = api.post("/v1/sessions", json={"journey": "kyc_individual", "webhook_url": url})
        assert opened.json()["code"] == "webhook.destination_refused"


def test_redirects_are_not_followed_slow_receivers_time_out_and_huge_answers_are_capped(
        server_factory: Callable[..., Server], receivers: Callable[[], Receiver]) -> None:
    server = server_factory({**FAST, "ARABESQUE_WEBHOOK_TIMEOUT_SECONDS": "1",
                             "ARABESQUE_WEBHOOK_RETRY_SECONDS": "0,60"}).start()
    kinds = {"redirect": receivers(), "slow": receivers(), "huge": receivers()}
    ids = {}
    for mode, receiver in kinds.items():
        receiver.mode = mode
        ids[mode] = str(subscribe(server, receiver.url, event_types=["session.created"])["id"])
    started = time.monotonic()
    server.create()
    redirect = settled(server, ids["redirect"])[0]["attempts"][0]  # type: ignore[index]
    assert redirect["status_code"] == 302 and redirect["error_code"] == "webhook.redirect_not_followed"
    assert [r.headers.get("host") for r in kinds["redirect"].requests] == [f"127.0.0.1:{kinds['redirect'].port}"]
    slow = settled(server, ids["slow"])[0]["attempts"][0]  # type: ignore[index]
    assert slow["error_code"] == "webhook.timeout" and slow["status_code"] is None
    assert 900 <= slow["latency_ms"] < 2500
    huge = settled(server, ids["huge"])[0]
    assert huge["status"] == "delivered"
    assert len(huge["attempts"][0]["excerpt"]) <= 200  # type: ignore[index]
    assert time.monotonic() - started < 15


def test_redelivery_sends_the_same_message_again(server_factory: Callable[..., Server],
                                                 receivers: Callable[[], Receiver]) -> None:
    server = server_factory(FAST).start()
    receiver = receivers()
    created = subscribe(server, receiver.url, event_types=["session.created"])
    server.create()
    first = receiver.wait(lambda found: len(found) == 1)[0]
    event_id = first.headers["webhook-id"]
    with server.api() as api:
        again = api.post(f"/v1/webhooks/{created['id']}/deliveries/{event_id}/redeliver")
        assert again.status_code == 202 and again.json() == {"event_id": event_id, "status": "pending"}
        unknown = api.post(f"/v1/webhooks/{created['id']}/deliveries/msg_nothing/redeliver")
        assert unknown.status_code == 404 and unknown.json()["code"] == "webhook.delivery_not_found"
        audit = api.get("/v1/audit", params={"action": "webhook."}).json()["entries"]
    second = receiver.wait(lambda found: len(found) == 2)[1]
    assert second.headers["webhook-id"] == event_id and second.body == first.body
    second.verify(str(created["secret"]))
    assert {e["action"] for e in audit} == {"webhook.created", "webhook.redelivered"}
    assert all("secret" not in str(e) for e in audit)


def test_a_subscription_failing_too_long_is_disabled_and_announced(server_factory: Callable[..., Server],
                                                                  receivers: Callable[[], Receiver]) -> None:
    server = server_factory({**FAST, "ARABESQUE_WEBHOOK_DISABLE_AFTER_SECONDS": "1.5",
                             "ARABESQUE_WEBHOOK_RETRY_SECONDS": "0,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3"}).start()
    failing, watching = receivers(), receivers()
    failing.mode = "503"
    broken = subscribe(server, failing.url, event_types=["session.created"])
    watcher = subscribe(server, watching.url, event_types=["webhook.disabled"])
    session = server.create()
    announced = watching.wait(lambda found: len(found) == 1, timeout=30)[0].verify(str(watcher["secret"]))
    assert announced["type"] == "webhook.disabled"
    assert announced["data"]["webhook_id"] == broken["id"]  # type: ignore[index]
    with server.api() as api:
        view = api.get(f"/v1/webhooks/{broken['id']}").json()
        assert view["enabled"] is False and view["disabled_at"] is not None
        audit = api.get("/v1/audit", params={"action": "webhook.disabled"}).json()["entries"]
        assert [(e["actor"], e["subject_id"]) for e in audit] == [("system", broken["id"])]
        failing.mode = "ok"
        enabled = api.patch(f"/v1/webhooks/{broken['id']}", json={"enabled": True})
        assert enabled.status_code == 200 and enabled.json()["enabled"] is True
    got = failing.wait(lambda found: len(found) == 1)[0].verify(str(broken["secret"]))
    assert got["data"]["session_id"] == session["session_id"]  # type: ignore[index]


@pytest.mark.parametrize(("method", "path", "body", "status", "code"), [
    ("POST", "/v1/webhooks", {}, 400, "request.invalid"),
    ("POST", "/v1/webhooks", {"url": "https://example.com/h", "event_types": ["session.nope"]}, 400,
     "request.invalid"),
    ("POST", "/v1/webhooks", {"url": "https://example.com/h", "secret": "mine"}, 400, "request.invalid"),
    ("POST", "/v1/webhooks", {"url": "https://example.com/h", "event_types": []}, 400, "request.invalid"),
    ("GET", "/v1/webhooks/wh_unknown", None, 404, "webhook.not_found"),
    ("PATCH", "/v1/webhooks/wh_unknown", {"enabled": False}, 404, "webhook.not_found"),
    ("PATCH", "/v1/webhooks/{id}", {"enabled": "yes"}, 400, "request.invalid"),
    ("PATCH", "/v1/webhooks/{id}", {"url": "http://127.0.0.1/"}, 422, "webhook.destination_refused"),
    ("DELETE", "/v1/webhooks/wh_unknown", None, 404, "webhook.not_found"),
    ("POST", "/v1/webhooks/wh_unknown/rotate-secret", None, 404, "webhook.not_found"),
    ("GET", "/v1/webhooks/wh_unknown/deliveries", None, 404, "webhook.not_found"),
    ("GET", "/v1/webhooks/{id}/deliveries?limit=0", None, 400, "request.invalid"),
    ("GET", "/v1/webhooks/{id}/deliveries?cursor=x", None, 400, "request.invalid"),
    ("POST", "/v1/webhooks/wh_unknown/deliveries/msg_x/redeliver", None, 404, "webhook.not_found"),
    ("POST", "/v1/webhooks/{id}/deliveries/msg_x/redeliver", None, 404, "webhook.delivery_not_found"),
])
def test_bad_input_to_every_route_gets_its_code(server: Server, method: str, path: str, body: object, status: int,
                                                code: str) -> None:
    with server.api() as api:
        made = api.post("/v1/webhooks", json={"url": "https://93.184.215.14/hook", "enabled": False})
        assert made.status_code == 201, made.text
        response = api.request(method, path.replace("{id}", made.json()["id"]), json=body)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
