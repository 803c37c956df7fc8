"""GET /metrics on a real server after real journeys: every documented series, sensible values, labels that
hold no id and nothing personal, and counts that add up exactly under concurrent sessions."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import sdk_protocol as p
from tests.server.live import API_KEY, Sdk, Server
from tests.server.observability import (
    KYC_ADDRESS,
    KYC_PERSONAL,
    PERSONAL_VALUES,
    personal_scenarios,
    run_demo,
    scrape,
    session_of,
    total,
)

DOCUMENTED = {  # family name -> type, as in the README's table
    "arabesque_transitions": "counter", "arabesque_transition_seconds": "histogram",
    "arabesque_screen_push_seconds": "histogram", "arabesque_sdk_connections": "gauge",
    "arabesque_checks": "counter", "arabesque_check_seconds": "histogram",
    "arabesque_worker_queue_depth": "gauge", "arabesque_workers_busy": "gauge", "arabesque_workers": "gauge",
    "arabesque_http_requests": "counter", "arabesque_http_request_seconds": "histogram",
    "arabesque_webhook_deliveries": "counter", "arabesque_webhook_delivery_lag_seconds": "histogram",
}
ROUTE_TEMPLATE = re.compile(r"(/[a-z0-9_.-]*|/\{[a-z_]+\})+/?|unmatched")


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory, images: dict[str, Path]) -> Iterator[tuple[Server, str]]:
    """A server on which a KYC journey with a retaken capture (a failed check, then passed ones) was walked."""
    folder = tmp_path_factory.mktemp("metrics")
    pictures = personal_scenarios(folder, images)
    server = Server(folder / "data").start()
    try:
        done = run_demo(server, "kyc_individual", "retake", "--scenarios", str(folder / "scenarios"), "--images",
                        str(pictures))
        yield server, session_of(done)
    finally:
        server.stop()


def test_after_a_journey_every_documented_series_is_there_with_its_type(walked: tuple[Server, str]) -> None:
    server, _ = walked
    text = httpx.get(f"{server.url}/metrics").text
    kinds = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert {name: kinds.get(name) for name in DOCUMENTED} == DOCUMENTED
    assert "process_resident_memory_bytes" in kinds


def test_after_a_journey_the_series_count_what_it_did(walked: tuple[Server, str]) -> None:
    server, _ = walked
    samples = scrape(server)
    journey = {"journey": "kyc_individual"}
    assert total(samples, "arabesque_transitions_total", event="start", **journey) == 1
    assert total(samples, "arabesque_transitions_total", event="submit", **journey) >= 8
    assert total(samples, "arabesque_transitions_total", event="task.done", **journey) >= 3
    # the planted person is not the demo card's holder, so its machine-readable zone sends the case to a reviewer
    assert total(samples, "arabesque_transitions_total", status="review", **journey) == 1
    assert total(samples, "arabesque_transition_seconds_count", **journey) == \
        total(samples, "arabesque_transitions_total", **journey)
    assert total(samples, "arabesque_screen_push_seconds_count", **journey) >= 8
    assert total(samples, "arabesque_checks_total", task="verify_document", outcome="failed") == 1  # the blurred one
    assert total(samples, "arabesque_checks_total", task="verify_document", outcome="passed") >= 2
    assert total(samples, "arabesque_checks_total", task="verify_selfie", outcome="passed") == 1
    assert total(samples, "arabesque_check_seconds_count") == total(samples, "arabesque_checks_total")
    assert total(samples, "arabesque_check_seconds_sum") > 0
    assert total(samples, "arabesque_http_requests_total", route="/v1/sessions", method="POST", status="201") == 1
    assert total(samples, "arabesque_http_requests_total", route="/v1/sessions/{session_id}/files",
                 method="POST", status="201") == 4
    assert total(samples, "arabesque_http_request_seconds_count", route="/v1/sessions/{session_id}/files") == 4
    assert samples[("arabesque_sdk_connections", ())] == 0  # the demo client has gone
    assert samples[("arabesque_workers", ())] == 1
    assert samples[("arabesque_workers_busy", ())] == 0
    assert samples[("arabesque_worker_queue_depth", ())] == 0
    for result in ("delivered", "failed", "gave_up"):  # defined, not yet recorded by anything
        assert samples[("arabesque_webhook_deliveries_total", (("result", result),))] == 0
    assert samples[("arabesque_webhook_delivery_lag_seconds_count", ())] == 0


def test_no_label_value_is_an_id_or_anything_entered(walked: tuple[Server, str]) -> None:
    server, session_id = walked
    httpx.get(f"{server.url}/v1/sessions/{session_id}/nowhere?email=zephyrine.quaxworthy@example.org")
    samples = scrape(server)
    assert total(samples, "arabesque_http_requests_total", route="unmatched", status="404") == 1
    values = {value for _, labels in samples for _, value in labels}
    for value in values:
        assert not re.search(r"\b(s|f|ak|req|up)_[A-Za-z0-9]{6,}", value), value
        assert session_id not in value
        assert not any(entered.lower() in value.lower() for entered in PERSONAL_VALUES), value
    routes = {value for _, labels in samples for name, value in labels if name == "route"}
    assert all(ROUTE_TEMPLATE.fullmatch(route) for route in routes), routes
    assert "/v1/sessions/{session_id}" in routes


def test_metrics_can_be_turned_off(server_factory: Callable[..., Server]) -> None:
    server = server_factory({"ARABESQUE_METRICS": "off"}).start()
    assert httpx.get(f"{server.url}/metrics").status_code == 404


async def _walk_three_screens(server: Server, http: httpx.AsyncClient, connected: asyncio.Barrier) -> None:
    created = await http.post("/v1/sessions", json={"journey": "kyc_individual"})
    assert created.status_code == 201, created.text
    sdk = await Sdk(server, created.json()["token"]).connect()
    try:
        await connected.wait()  # all connected at once: the gauge is read while they are
        await connected.wait()
        for screen_id, values in (("welcome", {}), ("personal", KYC_PERSONAL), ("address", KYC_ADDRESS)):
            screen = await sdk.screen(screen_id)
            reply = await sdk.submit(screen, values)
            assert isinstance(reply, p.ScreenAccepted), reply
        await sdk.screen("document_choice")
    finally:
        await sdk.close()


async def test_concurrent_sessions_add_up_exactly(server: Server) -> None:
    sessions = 20
    before = scrape(server)
    connected = asyncio.Barrier(sessions + 1)
    async with httpx.AsyncClient(base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"},
                                 timeout=60.0) as http:
        walks = [asyncio.create_task(_walk_three_screens(server, http, connected)) for _ in range(sessions)]
        await connected.wait()
        during = await asyncio.to_thread(scrape, server)
        await connected.wait()
        await asyncio.gather(*walks)
    assert during[("arabesque_sdk_connections", ())] == sessions
    deadline = time.monotonic() + 10
    while (after := scrape(server))[("arabesque_sdk_connections", ())] != 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)

    def grew(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    journey = {"journey": "kyc_individual"}
    assert after[("arabesque_sdk_connections", ())] == 0
    assert grew("arabesque_transitions_total", event="start", **journey) == sessions
    assert grew("arabesque_transitions_total", event="submit", status="active", **journey) == 3 * sessions
    assert grew("arabesque_transitions_total", **journey) == 4 * sessions
    assert grew("arabesque_transition_seconds_count", **journey) == 4 * sessions
    assert grew("arabesque_screen_push_seconds_count", **journey) == 3 * sessions
    assert grew("arabesque_http_requests_total", route="/v1/sessions", method="POST", status="201") == sessions
    assert grew("arabesque_http_request_seconds_count", route="/v1/sessions", method="POST") == sessions

