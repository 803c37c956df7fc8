"""The http task's pure parts: templates, JSON pointers, response mapping, Retry-After, and its params."""

from __future__ import annotations

import datetime as dt

import pytest

from server.plugins.http_call import Attempt, Outbound, retry_after_seconds
from server.plugins.http_task import HttpTask, map_response, pointer, render
from server.plugins.registry import build_http_task
from server.secrets import Secrets
from server.settings import Settings
from server.tasks import TaskCall, TaskTools
from server.workers import TaskError

SECRETS = Secrets({"registry_api_key": "sk_123"})


def test_a_url_placeholder_is_an_input_url_encoded_and_a_header_may_name_a_secret() -> None:
    values = {"number": "HRB 12/34?x", "country": "DE"}
    assert render("https://r.example/{country}/{number}", values, None, quote=True) == \
        "https://r.example/DE/HRB%2012%2F34%3Fx"
    assert render("Bearer {secrets.registry_api_key}", values, SECRETS, quote=False) == "Bearer sk_123"


@pytest.mark.parametrize(("template", "secrets", "expected"), [
    ("https://r.example/{secrets.registry_api_key}", None, "Expected a placeholder naming an input (number), "
                                                           "got {secrets.registry_api_key}"),
    ("Bearer {secrets.other}", SECRETS, "Expected a configured secret (ARABESQUE_SECRETS, ARABESQUE_SECRETS_FILE), "
                                        "got unknown 'secrets.other'"),
    ("{nummer}", SECRETS, "Expected a placeholder naming an input (number) or a secrets.NAME, got {nummer}"),
])
def test_a_placeholder_that_names_nothing_is_http_invalid_task(template: str, secrets: Secrets | None,
                                                                expected: str) -> None:
    with pytest.raises(TaskError) as caught:
        render(template, {"number": "1"}, secrets, quote=True)
    assert caught.value.code == "http.invalid_task"
    assert caught.value.message == expected


def test_json_pointers_follow_rfc_6901() -> None:
    document = {"a/b": {"m~n": [10, {"x": None}]}, "": 1}
    assert pointer(document, "/a~1b/m~0n/1/x") is None
    assert pointer(document, "/a~1b/m~0n/0") == 10
    assert pointer(document, "") == document
    with pytest.raises(KeyError):
        pointer(document, "/a~1b/m~0n/2")


def test_the_response_mapping_nests_dotted_targets_and_a_missing_value_is_a_bad_response() -> None:
    body = b'{"data": {"state": "active", "officers": [{"name": "Ada"}]}}'
    assert map_response(body, {"/data/state": "company.state", "/data/officers/0/name": "first_officer"}) == \
        {"company": {"state": "active"}, "first_officer": "Ada"}
    for bad, expected in ((b"<html>", "Expected a JSON answer, got 6 bytes that are not JSON"),
                          (body, "Expected the answer to have a value at /data/number, got none")):
        with pytest.raises(TaskError) as caught:
            map_response(bad, {"/data/number": "number"})
        assert caught.value.code == "http.bad_response" and caught.value.message == expected


def test_retry_after_is_seconds_or_an_http_date() -> None:
    now = dt.datetime(2026, 11, 28, 6, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("1", now) == 1.0
    assert retry_after_seconds("Sat, 28 Nov 2026 06:00:07 GMT", now) == 7.0
    assert retry_after_seconds("Sat, 28 Nov 2026 05:59:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


async def test_bad_params_fail_with_http_invalid_task_and_their_path() -> None:
    task = build_http_task(Settings())
    assert isinstance(task, HttpTask)
    tools = TaskTools(files=None, progress=None, pool=None, faces=None, call=TaskCall("s/t"))  # type: ignore[arg-type]
    try:
        with pytest.raises(TaskError) as caught:
            await task(tools, {}, {"url": "https://r.example/", "retries": 99})
        assert caught.value.code == "http.invalid_task"
        assert caught.value.details["at"] == "$.retries"
        with pytest.raises(TaskError) as unknown:
            await task(tools, {}, {"url": "https://r.example/", "header.Authorization": "x"})
        assert unknown.value.code == "http.invalid_task" and "header" in unknown.value.message
    finally:
        await task.outbound.close()


class Scripted(Outbound):
    """Answers from a script instead of the network: the retry policy alone."""

    def __init__(self, answers: list[Attempt]) -> None:
        super().__init__(allowed_hosts="", max_response_bytes=1024)
        self.answers = answers
        self.sent = 0

    async def send(self, method: str, url: str, *, headers: dict[str, str], content: bytes | None,
                   connect_timeout: float, total_timeout: float, max_bytes: int) -> Attempt:
        self.sent += 1
        return self.answers.pop(0)


async def test_a_retry_after_longer_than_retry_after_max_fails_at_once_as_rate_limited() -> None:
    outbound = Scripted([Attempt(outcome="status", status=429, latency_ms=3, retry_after=120.0, detail="429")])
    task = HttpTask(outbound, SECRETS)
    call = TaskCall("s/t")
    tools = TaskTools(files=None, progress=None, pool=None, faces=None, call=call)  # type: ignore[arg-type]
    try:
        with pytest.raises(TaskError) as caught:
            await task(tools, {}, {"url": "https://r.example/", "retries": 5, "retry_after_max": 60})
    finally:
        await outbound.close()
    assert caught.value.code == "http.rate_limited"
    assert caught.value.message == "Expected to be asked to wait at most 60 s, got Retry-After 120 s"
    assert outbound.sent == 1 and call.notes == [{"attempt": 1, "host": "r.example", "outcome": "status",
                                                  "status": 429, "latency_ms": 3}]
