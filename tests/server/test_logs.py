"""Logs: every stderr line of a real server that walked real journeys is JSON with the context's ids, and none
holds anything the person entered; the formatter's safety net on its own."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from demo_client.registry import RegistryStandin
from server import context
from server.logs import REDACTED, JsonFormatter, TextFormatter, configure_logging, fields_of
from tests.server.live import Server
from tests.server.observability import PERSONAL_VALUES, personal_scenarios, run_demo, session_of
from tests.server.test_kyb_journey import REGISTRY_KEY, kyb_env

REQUIRED = {"timestamp", "level", "logger", "message"}


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory, images: dict[str, Path]) -> Iterator[tuple[Server, list[str]]]:
    """A server logging JSON at info to its own stderr file, on which a KYC journey (with a retaken capture) and
    a KYB journey were walked with distinctive personal values; the session ids of both."""
    folder = tmp_path_factory.mktemp("logs")
    pictures = personal_scenarios(folder, images)
    standin = RegistryStandin(api_key=REGISTRY_KEY).start()  # kyb_business checks the registry and screens
    server = Server(folder / "data", {"ARABESQUE_LOG_FORMAT": "json", "ARABESQUE_LOG_LEVEL": "info",
                                      **kyb_env(folder, standin.base)})
    server.stderr_path = folder / "stderr.log"
    server.start()
    try:
        extra = ("--scenarios", str(folder / "scenarios"), "--images", str(pictures))
        sessions = [session_of(run_demo(server, "kyc_individual", "retake", *extra)),
                    session_of(run_demo(server, "kyb_business", "approve", *extra))]
        yield server, sessions
    finally:
        server.stop()
        standin.stop()


def lines_of(server: Server) -> list[str]:
    assert server.stderr_path is not None
    return server.stderr_path.read_text(encoding="utf-8").splitlines()


def test_every_line_on_stderr_is_a_json_object_with_the_required_fields(logged: tuple[Server, list[str]]) -> None:
    server, _ = logged
    lines = lines_of(server)
    assert len(lines) > 20
    for line in lines:
        record = json.loads(line)
        assert isinstance(record, dict), line
        assert set(record) >= REQUIRED, line
        assert record["level"] in ("debug", "info", "warning", "error", "critical")


def test_nothing_the_person_entered_is_in_the_logs(logged: tuple[Server, list[str]]) -> None:
    server, _ = logged
    text = (server.stderr_path.read_text(encoding="utf-8") if server.stderr_path else "").lower()
    assert [value for value in PERSONAL_VALUES if value.lower() in text] == []
    assert "filename=" not in text  # the uploads' query strings are not logged
    assert "127.0.0.1:" not in text.replace(f"127.0.0.1:{server.port}", "")  # nor client addresses


def test_request_and_session_ids_are_in_the_logs(logged: tuple[Server, list[str]]) -> None:
    server, sessions = logged
    records = [json.loads(line) for line in lines_of(server)]
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    assert access and all(r.get("request_id", "").startswith("req_") for r in access)
    assert len({r["request_id"] for r in access}) == len(access)  # one each
    for session_id in sessions:
        assert any(r.get("session_id") == session_id for r in records), session_id
    assert any(r.get("tenant") == "default" for r in access)
    uploads = [r for r in access if r["method"] == "POST" and r["path"].endswith("/files")]
    assert uploads and all(r["status_code"] == 201 and "?" not in r["path"] for r in uploads)


def test_a_request_id_is_taken_when_plain_made_otherwise_and_returned(logged: tuple[Server, list[str]]) -> None:
    server, _ = logged
    given = httpx.get(f"{server.url}/healthz", headers={"X-Request-Id": "lb-7f3a.2"})
    assert given.headers["x-request-id"] == "lb-7f3a.2"
    odd = httpx.get(f"{server.url}/healthz", headers={"X-Request-Id": "eileen collins <e@x.org>"})
    assert odd.headers["x-request-id"].startswith("req_")
    made = httpx.get(f"{server.url}/healthz")
    assert made.headers["x-request-id"].startswith("req_")
    records = [json.loads(line) for line in lines_of(server)]
    logged_ids = {r.get("request_id") for r in records if r.get("path") == "/healthz"}
    assert {"lb-7f3a.2", odd.headers["x-request-id"], made.headers["x-request-id"]} <= logged_ids


def record(message: str, *args: object, name: str = "arabesque.test", exc: bool = False,
           **extra: object) -> logging.LogRecord:
    info = sys.exc_info() if exc else None
    made = logging.LogRecord(name, logging.WARNING, __file__, 1, message, args, info)
    made.__dict__.update(extra)
    return made


def test_fields_named_like_personal_data_are_redacted_and_unlisted_ones_named_only() -> None:
    fields = fields_of(record("submitted", session_id="s_abc", email="x@y.org", first_name="Zephyrine",
                              colour="teal", count=3))
    assert fields["email"] == fields["first_name"] == REDACTED
    assert fields["session_id"] == "s_abc" and fields["count"] == 3
    assert fields["unlisted"] == ["colour"]
    assert "teal" not in json.dumps(fields)


def test_arguments_that_are_not_scalars_are_redacted_and_emails_masked() -> None:
    fields = fields_of(record("values %s from %s at %d", {"first_name": "Zephyrine"}, "zq@example.org", 3))
    assert fields["message"] == f"values {REDACTED} from {REDACTED} at 3"


def test_an_exception_is_logged_as_its_type_and_stack_without_its_message() -> None:
    entered = "-".join(["1961", "07", "23x"])  # (the stack shows source lines: the value must not be in them)
    try:
        dt.date.fromisoformat(entered)
    except ValueError:
        fields = fields_of(record("parse failed", exc=True))
    assert fields["exc_type"] == "ValueError"
    assert "test_logs.py" in str(fields["stack"])
    assert "1961" not in json.dumps(fields)


def test_the_access_log_loses_the_query_string_and_the_client_address() -> None:
    fields = fields_of(record('%s - "%s %s HTTP/%s" %d', "10.1.2.3:5555", "POST",
                              "/v1/sessions/s_1/files?filename=zq_passport.jpg", "1.1", 201, name="uvicorn.access"))
    assert fields["message"] == "POST /v1/sessions/s_1/files 201"
    assert (fields["method"], fields["path"], fields["status_code"]) == ("POST", "/v1/sessions/s_1/files", 201)
    ws = fields_of(record('%s - "WebSocket %s" [accepted]', "10.1.2.3:5555", "/socket.io/?EIO=4&t=1",
                          name="uvicorn.error"))
    assert ws["message"] == '- - "WebSocket /socket.io/" [accepted]'


def test_the_context_ids_are_on_every_line_inside_a_scope_and_gone_after() -> None:
    with context.scope(request_id="req_1", session_id="s_1"):
        context.bind(tenant="acme")
        inside = fields_of(record("inside"))
    outside = fields_of(record("outside"))
    assert (inside["request_id"], inside["session_id"], inside["tenant"]) == ("req_1", "s_1", "acme")
    assert not {"request_id", "session_id", "tenant"} & set(outside)


def test_configure_logging_writes_json_or_text_through_one_root_handler() -> None:
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    try:
        stream = io.StringIO()
        handler = configure_logging(level="info", form="auto", stream=stream)  # not a terminal: JSON
        assert isinstance(handler.formatter, JsonFormatter) and root.handlers == [handler]
        logging.getLogger("arabesque.test").info("hello %s", "world")
        assert json.loads(stream.getvalue())["message"] == "hello world"
        assert logging.getLogger("engineio.server").getEffectiveLevel() >= logging.WARNING
        text = configure_logging(level="info", form="text", stream=io.StringIO())
        assert isinstance(text.formatter, TextFormatter)
    finally:
        root.handlers[:], level = kept
        root.setLevel(level)
