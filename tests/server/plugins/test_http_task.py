"""The `http` task on the real server against a registry stand-in on 127.0.0.1 that times out, fails, limits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from tests.server.live import Server
from tests.server.plugins.journeys import calls, journey, run, write
from tests.server.plugins.standin import Registry

API_SECRET = "sk_live_9f8e7d6c5b4a39281706"
FILE_SECRET = "cid_file_5e4d3c2b1a"


@pytest.fixture(scope="module")
def registry() -> Iterator[Registry]:
    running = Registry(slow_seconds=2.0).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def breaking() -> Iterator[Registry]:
    running = Registry().start()  # its own host:port, so its circuit is its own
    yield running
    running.stop()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, registry: Registry, breaking: Registry) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("http_task")
    base = registry.base
    write(folder / "journeys", [
        journey("registry_slow", f"{base}/slow/{{number}}", timeout=0.5, retries=2),
        journey("registry_flaky", f"{base}/flaky/{{number}}", method="POST", body="json"),
        journey("registry_limited", f"{base}/limited/{{number}}", retries=1),
        journey("registry_big", f"{base}/big/{{number}}", max_bytes=4096),
        journey("registry_blocked", "http://169.254.169.254/latest/meta-data/{number}"),
        journey("registry_secret", f"{base}/companies/{{number}}", **{
            "headers.Authorization": "Bearer {secrets.registry_api_key}",
            "headers.X-Client": "{secrets.registry_client_id}"}),
        journey("registry_plain", f"{base}/companies/{{number}}"),
        journey("registry_breaker", f"{breaking.base}/down/{{number}}", retries=0, breaker_failures=2,
                breaker_cooldown=1.5),
    ])
    (folder / "secrets").write_text(f"# the registry's client id\nregistry_client_id={FILE_SECRET}\n")
    server = Server(folder / "data", {
        "ARABESQUE_JOURNEYS_DIR": str(folder / "journeys"), "ARABESQUE_HTTP_ALLOWED_HOSTS": "127.0.0.0/8",
        "ARABESQUE_SECRETS": json.dumps({"registry_api_key": API_SECRET}),
        "ARABESQUE_SECRETS_FILE": str(folder / "secrets"), "ARABESQUE_LOG_LEVEL": "debug"}).start()
    yield server
    server.stop()


def error_of(view: dict[str, object]) -> dict[str, object]:
    data = view["data"]
    assert isinstance(data, dict)
    return dict(data["registry"]["error"])


async def test_a_registry_that_never_answers_is_tried_three_times_then_the_journey_takes_its_timeout_branch(
        live: Server, registry: Registry) -> None:
    view = await run(live, "registry_slow", "T100")
    assert view["outcome"] == "manual_review" and view["state"] == "registry_down"
    assert error_of(view)["code"] == "http.timeout"
    noted = calls(view)
    assert [c["outcome"] for c in noted] == ["timeout"] * 3
    assert all(450 <= int(c["latency_ms"]) < 1500 for c in noted), noted  # type: ignore[call-overload]
    assert len(registry.of("/slow/T100")) == 3


async def test_a_500_then_a_200_is_retried_once_with_the_same_idempotency_key_and_maps_the_answer(
        live: Server, registry: Registry) -> None:
    view = await run(live, "registry_flaky", "F200")
    assert view["outcome"] == "approved"
    data = view["data"]
    assert isinstance(data, dict)
    assert data["registry"] == {"passed": True, "status": 200,
                                "company": {"state": "active", "name": "Company F200"}}
    assert [(c["attempt"], c["status"], c["outcome"]) for c in calls(view)] == [(1, 500, "status"), (2, 200, "ok")]
    seen = registry.of("/flaky/F200")
    assert [s.method for s in seen] == ["POST", "POST"]
    assert json.loads(seen[0].body) == {"number": "F200"}
    keys = {s.headers["idempotency-key"] for s in seen}
    assert len(keys) == 1 and len(keys.pop()) == 32


async def test_a_429_with_retry_after_is_waited_out_then_succeeds(live: Server, registry: Registry) -> None:
    view = await run(live, "registry_limited", "L300")
    assert view["outcome"] == "approved"
    first, second = registry.of("/limited/L300")
    assert second.at - first.at >= 1.0
    assert [c["status"] for c in calls(view)] == [429, 200]


async def test_the_circuit_opens_after_two_failures_and_half_opens_after_its_cool_down(
        live: Server, breaking: Registry) -> None:
    for number in ("B1", "B2"):
        view = await run(live, "registry_breaker", number)
        assert error_of(view)["code"] == "http.status_5xx"
    view = await run(live, "registry_breaker", "B3")
    assert error_of(view)["code"] == "http.circuit_open" and view["outcome"] == "rejected"
    assert calls(view) == [{"attempt": 1, "host": breaking.base.removeprefix("http://"), "outcome": "circuit_open",
                            "latency_ms": 0, "status": None}]
    assert len(breaking.seen) == 2  # the open circuit did not call
    breaking.healthy = True
    await asyncio.sleep(1.6)
    view = await run(live, "registry_breaker", "B4")  # the half-open probe succeeds and closes the circuit
    assert view["outcome"] == "approved"
    assert (await run(live, "registry_breaker", "B5"))["outcome"] == "approved"
    assert [s.path for s in breaking.seen] == ["/down/B1", "/down/B2", "/down/B4", "/down/B5"]


async def test_an_answer_over_max_bytes_fails_without_being_read_whole(live: Server) -> None:
    view = await run(live, "registry_big", "G1")
    assert error_of(view)["code"] == "http.too_large" and view["outcome"] == "rejected"
    assert [c["outcome"] for c in calls(view)] == ["too_large"]


async def test_a_link_local_host_is_refused_without_a_call(live: Server) -> None:
    view = await run(live, "registry_blocked", "X1")
    error = error_of(view)
    assert error["code"] == "http.blocked_host"
    assert "169.254.169.254" in str(error["message"]) and "link-local" in str(error["message"])
    assert [c["outcome"] for c in calls(view)] == ["blocked_host"]


async def test_secrets_reach_the_registry_but_never_the_timeline_or_the_logs(live: Server, registry: Registry) -> None:
    view = await run(live, "registry_secret", "S1")
    assert view["outcome"] == "approved"
    (seen,) = registry.of("/companies/S1")
    assert seen.headers["authorization"] == f"Bearer {API_SECRET}"
    assert seen.headers["x-client"] == FILE_SECRET
    text = json.dumps(view)
    log = live.log()
    assert "send_request_headers.started" in log  # the outward call is logged at debug: its silence below counts
    for secret in (API_SECRET, FILE_SECRET):
        assert secret not in text and secret not in log


async def test_forty_sessions_call_the_registry_at_once(live: Server, registry: Registry) -> None:
    registry.delay_seconds = 0.3
    try:
        views = await asyncio.gather(*(run(live, "registry_plain", f"C{i}") for i in range(40)))
    finally:
        registry.delay_seconds = 0.0
    assert [v["outcome"] for v in views] == ["approved"] * 40
    for i, view in enumerate(views):
        data = view["data"]
        assert isinstance(data, dict) and data["registry"]["company"]["name"] == f"Company C{i}"
        assert [c["status"] for c in calls(view)] == [200]
    assert sorted(s.path for s in registry.seen if s.path.startswith("/companies/C")) == \
        sorted(f"/companies/C{i}" for i in range(40))
    assert registry.most_in_flight > 1  # the calls overlapped


BASE_SECRETS = {"registry_base": "", "registry_slash": "", "metadata_base": "http://169.254.169.254"}


@pytest.fixture(scope="module")
def based(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Iterator[Server]:
    """A server whose journeys name no host: the registry's base URL is the secret registry_base."""
    folder = tmp_path_factory.mktemp("http_task_base")
    write(folder / "journeys", [
        journey("base_secret", "{secrets.registry_base}/companies/{number}",
                **{"headers.Authorization": "Bearer {secrets.registry_api_key}"}),
        journey("base_slash", "{secrets.registry_slash}/companies/{number}"),
        journey("base_unknown", "{secrets.registry_nowhere}/companies/{number}"),
        journey("base_blocked", "{secrets.metadata_base}/latest/{number}"),
        journey("base_missing", "{secrets.registry_base}/nothing/{number}"),
    ])
    secrets = {**BASE_SECRETS, "registry_base": registry.base, "registry_slash": registry.base + "/",
               "registry_api_key": API_SECRET}
    server = Server(folder / "data", {
        "ARABESQUE_JOURNEYS_DIR": str(folder / "journeys"), "ARABESQUE_HTTP_ALLOWED_HOSTS": "127.0.0.0/8",
        "ARABESQUE_SECRETS": json.dumps(secrets), "ARABESQUE_LOG_LEVEL": "debug"}).start()
    yield server
    server.stop()


async def test_a_secret_base_url_reaches_the_registry_but_its_host_is_shown_as_the_secrets_name(
        based: Server, registry: Registry) -> None:
    view = await run(based, "base_secret", "BASE1")
    assert view["outcome"] == "approved"
    (seen,) = registry.of("/companies/BASE1")
    assert seen.headers["authorization"] == f"Bearer {API_SECRET}"
    assert calls(view) == [{"attempt": 1, "host": "{secrets.registry_base}", "outcome": "ok", "status": 200,
                            "latency_ms": calls(view)[0]["latency_ms"]}]
    text = json.dumps(view)
    assert registry.base not in text and registry.base.removeprefix("http://") not in text
    log = based.log()
    assert "send_request_headers.started" in log  # debug logging is on: the silence below counts
    assert registry.base not in log and API_SECRET not in log


async def test_a_secret_base_ending_in_a_slash_gives_one_slash(based: Server, registry: Registry) -> None:
    view = await run(based, "base_slash", "BASE2")
    assert view["outcome"] == "approved"
    assert len(registry.of("/companies/BASE2")) == 1


async def test_an_unknown_base_secret_fails_as_an_invalid_task_naming_the_secret(based: Server) -> None:
    view = await run(based, "base_unknown", "BASE3")
    error = error_of(view)
    assert error["code"] == "http.invalid_task" and view["outcome"] == "rejected"
    assert "secrets.registry_nowhere" in str(error["message"])


async def test_a_refused_host_behind_a_secret_base_is_named_by_the_secret_not_its_address(based: Server) -> None:
    view = await run(based, "base_blocked", "BASE4")
    error = error_of(view)
    assert error["code"] == "http.blocked_host"
    assert "169.254.169.254" not in json.dumps(view)
    assert "{secrets.metadata_base}" in str(error["message"]) and "link-local" in str(error["message"])


async def test_a_404_is_http_not_found(based: Server) -> None:
    view = await run(based, "base_missing", "BASE5")
    assert error_of(view)["code"] == "http.not_found" and view["outcome"] == "rejected"
    assert [(c["status"], c["outcome"]) for c in calls(view)] == [(404, "status")]
