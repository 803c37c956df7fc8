"""A company-registry stand-in for the demo and the tests: `GET /v1/companies/{country}/{number}` on 127.0.0.1.

`python -m demo_client registry --port 8123 --api-key demo-registry-key` serves it until interrupted; the
server reaches it through the `http` task of kyb_business (README, "Registry check"). Every call needs
`Authorization: Bearer <api key>` (401 otherwise). It answers from a small table:

- the companies in `COMPANIES` (the demo scenarios' among them), with their registered name and status;
- any number starting with `DISSOLVED` or `INACTIVE`: a company of that status named `Company <number>`;
- any other number: 404.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import msgspec


class Company(msgspec.Struct, frozen=True, kw_only=True):
    """What the registry knows of one company."""

    country: str
    number: str
    name: str
    status: str = "active"
    incorporation_date: str = "2015-06-01"


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    company: Company


COMPANIES: tuple[Company, ...] = (
    Company(country="GB", number="01234567", name="ANALYTICAL ENGINES LIMITED", incorporation_date="2015-06-01"),
    Company(country="GB", number="07654321", name="Difference Engine Works Ltd", incorporation_date="2012-03-14"),
    Company(country="DE", number="HRB 12345", name="Müller Maschinenbau GmbH", incorporation_date="1998-03-15"),
    Company(country="GB", number="00000042", name="Jacquard Looms Limited", status="dissolved",
            incorporation_date="1901-01-01"),
)
CLOSED_PREFIXES = {"DISSOLVED": "dissolved", "INACTIVE": "inactive"}


def lookup(table: Mapping[tuple[str, str], Company], country: str, number: str) -> Company | None:
    """The company registered under `number` in `country` (case and spaces as typed do not matter)."""
    key = (country.upper(), "".join(number.split()).upper())
    if key in table:
        return table[key]
    for prefix, status in CLOSED_PREFIXES.items():
        if key[1].startswith(prefix):
            return Company(country=key[0], number=number, name=f"Company {number}", status=status)
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64


class RegistryStandin:
    """The stand-in, serving from a thread once `start()` is called; `stop()` ends it. `calls` counts requests."""

    def __init__(self, *, api_key: str, host: str = "127.0.0.1", port: int = 0,
                 companies: tuple[Company, ...] = ()) -> None:
        self.api_key = api_key
        self.table = {(c.country.upper(), "".join(c.number.split()).upper()): c for c in (*COMPANIES, *companies)}
        self.calls = 0
        self._lock = threading.Lock()
        self._server = _Server((host, port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        """`http://host:port`: the value of the server's `registry_base_url` secret."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> RegistryStandin:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def run(self) -> None:
        """Serve in this thread until interrupted."""
        try:
            self._server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._server.server_close()

    def answer(self, path: str, authorization: str) -> tuple[int, bytes]:
        """The status and JSON body for a GET of `path`."""
        with self._lock:
            self.calls += 1
        if authorization != f"Bearer {self.api_key}":
            return 401, b'{"error": "Expected a valid bearer token"}'
        parts = path.split("?", maxsplit=1)[0].split("/")
        if len(parts) != 5 or parts[:3] != ["", "v1", "companies"]:
            return 404, b'{"error": "Expected /v1/companies/{country}/{number}"}'
        company = lookup(self.table, unquote(parts[3]), unquote(parts[4]))
        if company is None:
            return 404, b'{"error": "No company is registered under this number"}'
        return 200, msgspec.json.encode(Answer(company=company))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server names it so
                status, body = standin.answer(self.path, self.headers.get("Authorization", ""))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return  # quiet: the demo prints what it needs

        return Handler


def serve(*, host: str, port: int, api_key: str) -> None:
    """Serve until interrupted (`python -m demo_client registry`)."""
    standin = RegistryStandin(api_key=api_key, host=host, port=port)
    print(f"registry stand-in on {standin.base} (secret registry_base_url={standin.base})", flush=True)
    standin.run()


__all__ = ["CLOSED_PREFIXES", "COMPANIES", "Company", "RegistryStandin", "lookup", "serve"]
