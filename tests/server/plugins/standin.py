"""A company-registry stand-in on 127.0.0.1 (a real HTTP server in a thread) that misbehaves on request.

The first path segment says how it answers: `companies` (200 with the company), `slow` (answers after
`slow_seconds`), `flaky` (500 the first time a number is asked, then 200), `limited` (429 with
`Retry-After: 1` the first time, then 200), `down` (500 until `healthy` is set), `big` (2 MB).
Every request is recorded with its headers, body and arrival time.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import msgspec


class Seen(msgspec.Struct, frozen=True, kw_only=True):
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # forty callers at once must not overflow the default backlog of 5
    daemon_threads = True


class Registry:
    """Start with `start()`, stop with `stop()`; `seen` lists the requests, `healthy` mends `down`."""

    def __init__(self, *, slow_seconds: float = 3.0, delay_seconds: float = 0.0) -> None:
        self.slow_seconds = slow_seconds
        self.delay_seconds = delay_seconds
        self.healthy = False
        self.seen: list[Seen] = []
        self.asked: Counter[str] = Counter()
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Registry:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def of(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def _answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        _, kind, number = [*path.split("/"), "", ""][:3]
        with self._lock:
            self.asked[path] += 1
            first = self.asked[path] == 1
        company = json.dumps({"data": {"number": number, "state": "active", "name": f"Company {number}"}}).encode()
        if kind == "slow":
            time.sleep(self.slow_seconds)
        if (kind == "flaky" and first) or (kind == "down" and not self.healthy):
            return 500, {}, b'{"error": "registry unavailable"}'
        if kind == "limited" and first:
            return 429, {"Retry-After": "1"}, b'{"error": "slow down"}'
        if kind == "big":
            return 200, {}, b"[" + b"0," * 1_000_000 + b"0]"
        if kind in ("companies", "slow", "flaky", "limited", "down"):
            time.sleep(self.delay_seconds)
            return 200, {"Content-Type": "application/json"}, company
        return 404, {}, b"{}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with registry._lock:
                    registry.seen.append(Seen(method=self.command, path=self.path, body=body, at=time.monotonic(),
                                              headers={k.lower(): v for k, v in self.headers.items()}))
                    registry.in_flight += 1
                    registry.most_in_flight = max(registry.most_in_flight, registry.in_flight)
                try:
                    status, headers, payload = registry._answer(self.path)
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller gave up (its timeout, its size cap)
                finally:
                    with registry._lock:
                        registry.in_flight -= 1

            do_GET = do_POST = _any

        return Handler


__all__ = ["Registry", "Seen"]
