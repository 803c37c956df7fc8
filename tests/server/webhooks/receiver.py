"""A real webhook receiver on 127.0.0.1 for the tests: records every request, answers as told, verifies
what it got with `standardwebhooks`."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgspec
from standardwebhooks import Webhook

from tests.server.live import free_port


class Request(msgspec.Struct, frozen=True):
    body: bytes
    headers: dict[str, str]
    answered: int

    @property
    def message(self) -> dict[str, object]:
        found: dict[str, object] = json.loads(self.body)
        return found

    def verify(self, secret: str) -> dict[str, object]:
        verified: dict[str, object] = Webhook(secret).verify(self.body, self.headers)
        return verified


class Receiver:
    """`mode`: ok (204), an HTTP status as text ("503"), redirect, slow, huge; stop() refuses connections."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mode = "ok"
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def delivered(self) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if 200 <= r.answered < 300]

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                mode = receiver.mode
                status = 200 if mode in ("ok", "huge", "slow") else 302 if mode == "redirect" else int(mode)
                if mode == "slow":
                    time.sleep(3)
                with receiver.lock:
                    receiver.requests.append(Request(body, {k.lower(): v for k, v in self.headers.items()}, status))
                self.send_response(status)
                if mode == "redirect":
                    self.send_header("location", receiver.url + "/elsewhere")
                payload = b"x" * (5 * 1024 * 1024) if mode == "huge" else b"ok"
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def wait(self, until: Callable[[list[Request]], bool], timeout: float = 60.0) -> list[Request]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.delivered
            if until(found):
                return found
            time.sleep(0.1)
        raise AssertionError(f"receiver: condition not met within {timeout}s; got "
                             f"{[(r.answered, r.message.get('type')) for r in self.requests]}")


def per_session(requests: list[Request], secret: str) -> dict[str, list[str]]:
    """Event types each session's messages brought, in the order they arrived (verified, duplicates by
    webhook-id dropped)."""
    seen: set[str] = set()
    found: dict[str, list[str]] = {}
    for request in requests:
        message = request.verify(secret)
        if request.headers["webhook-id"] in seen:
            continue
        seen.add(request.headers["webhook-id"])
        data = message["data"]
        assert isinstance(data, dict)
        found.setdefault(str(data.get("session_id")), []).append(str(message["type"]))
    return found


__all__ = ["Receiver", "Request", "per_session"]
