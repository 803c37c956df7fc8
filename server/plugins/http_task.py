"""The `http` task: a journey calls a service outside (a company registry) and maps its answer into the context.

```yaml
check_registry:
  type: task
  task: http
  input: {number: company.registration_number, country: company.country}
  params:
    url: "https://registry.example/companies/{country}/{number}"   # {name}: an input, URL-encoded
    headers.Authorization: "Bearer {secrets.registry_api_key}"     # secrets by name only
    response./status: status                                        # JSON pointer -> path in the result
  result: registry
  on: {done: ..., error: [{target: registry_down, guard: registry_timed_out}, ...]}
```

The URL may open with one secret, its base (`url: "{secrets.registry_url}/v1/companies/{number}"`), so a
shipped journey names no host: the secret is put in as it is (not URL-encoded; a trailing `/` before the path's
`/` is dropped), and the host it names is shown as `{secrets.registry_url}` on the timeline and in messages.
A secret anywhere else in a URL is refused (keys go in headers, not in URLs that proxies log).

Timeouts, 5xx, connection errors and 429 are tried again (`retries`, exponential backoff with jitter, or
the host's `Retry-After` up to `retry_after_max`); a host failing `breaker_failures` calls in a row is not
called for `breaker_cooldown` seconds (server/plugins/breaker.py). Non-GET calls carry an `Idempotency-Key`
that is the same for every attempt and restart of this task in this session. Each attempt's status and
latency go onto the timeline; header values and secrets never do, nor into a log or an error message.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
from collections.abc import Collection, Mapping
from typing import Annotated, ClassVar, Literal
from urllib.parse import quote as url_quote

import httpx
import msgspec

from sdk_protocol.codec import describe_error
from server.plugins.breaker import Breakers
from server.plugins.http_call import Attempt, Outbound
from server.plugins.http_errors import (
    HttpBadResponse,
    HttpBlockedHost,
    HttpCircuitOpen,
    HttpConnectFailed,
    HttpNotFound,
    HttpRateLimited,
    HttpServerError,
    HttpStatus,
    HttpTaskInvalid,
    HttpTimeout,
    HttpTooLarge,
)
from server.secrets import Secrets
from server.tasks import TaskTools, check_params, nest
from server.workers import TaskError

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
BASE_SECRET = re.compile(r"^\{secrets\.([A-Za-z_][A-Za-z0-9_]*)\}")
"""a secret opening a URL: its base (scheme, host, port, a path prefix)"""
CREDENTIAL = re.compile(r"authorization|api[-_]?key|token|secret|password|cookie", re.IGNORECASE)
"""header names whose value must come from a secret, never be written in the journey"""
Positive = Annotated[float, msgspec.Meta(gt=0)]


class HttpParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An `http` state's `params` (dotted names such as `headers.Authorization` are nested)."""

    url: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    headers: dict[str, str] = {}
    body: Literal["none", "json"] = "none"
    """`json`: the task's input, as a JSON object"""
    response: dict[str, str] = {}
    """JSON pointer of the answer -> dotted path in the result"""
    connect_timeout: Positive = 3.0
    timeout: Positive = 10.0
    retries: Annotated[int, msgspec.Meta(ge=0, le=10)] = 2
    backoff: Annotated[float, msgspec.Meta(ge=0)] = 0.25
    backoff_max: Annotated[float, msgspec.Meta(ge=0)] = 5.0
    retry_after_max: Annotated[float, msgspec.Meta(ge=0)] = 30.0
    max_bytes: Annotated[int, msgspec.Meta(ge=0)] = 0
    """0: ARABESQUE_HTTP_MAX_RESPONSE_BYTES"""
    breaker_failures: Annotated[int, msgspec.Meta(ge=1)] = 5
    breaker_cooldown: Positive = 30.0
    idempotency_header: str = "Idempotency-Key"


def render(template: str, values: Mapping[str, object], secrets: Secrets | None, *, quote: bool) -> str:
    """`{name}` of the input (URL-encoded when `quote`), `{secrets.NAME}` when secrets are allowed here."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("secrets.") and secrets is not None:
            value = secrets.get(name.removeprefix("secrets."))
            if value is None:
                raise HttpTaskInvalid(f"Expected a configured secret (ARABESQUE_SECRETS, ARABESQUE_SECRETS_FILE), "
                                      f"got unknown {name!r}", secret=name)
            return value
        if name not in values:
            raise HttpTaskInvalid(f"Expected a placeholder naming an input ({', '.join(sorted(values))})"
                                  f"{' or a secrets.NAME' if secrets is not None else ''}, got {{{name}}}",
                                  placeholder=name)
        text = str(values[name])
        return url_quote(text, safe="") if quote else text

    return PLACEHOLDER.sub(one, template)


def render_url(template: str, values: Mapping[str, object], secrets: Secrets) -> tuple[str, str]:
    """The URL, and the secret's name when one opened it (else ""): inputs URL-encoded, the base as it is."""
    opening = BASE_SECRET.match(template)
    if opening is None:
        return render(template, values, None, quote=True), ""
    name = opening.group(1)
    base = secrets.get(name)
    if base is None:
        raise HttpTaskInvalid(f"Expected a configured secret (ARABESQUE_SECRETS, ARABESQUE_SECRETS_FILE) as the "
                              f"URL's base, got unknown 'secrets.{name}'", secret=f"secrets.{name}")
    rest = render(template[opening.end():], values, None, quote=True)
    if base.endswith("/") and rest.startswith("/"):
        base = base[:-1]
    return base + rest, name


def check(inputs: Collection[str], params: Mapping[str, object]) -> list[tuple[str, str]]:
    """What `journeys check` asks of an `http` state: params that convert, placeholders that name its inputs
    (or secrets, in headers and as the URL's opening), and credential headers that reference a secret instead
    of holding one."""
    found = check_params(params, HttpParams, "http")
    if found:
        return found
    typed = msgspec.convert(nest(params), HttpParams)
    names = ", ".join(sorted(inputs)) or "none"
    opening = BASE_SECRET.match(typed.url)
    for name in PLACEHOLDER.findall(typed.url[opening.end():] if opening else typed.url):
        if name not in inputs:
            found.append(("params/url", f"Expected placeholders naming the task's inputs ({names}), got {{{name}}}"
                          + (" (a secret may only open the URL, as its base: {secrets.NAME}/path; other secrets "
                             "go in headers)" if name.startswith("secrets.") else "")))
    for header, value in typed.headers.items():
        used = PLACEHOLDER.findall(value)
        found += [(f"params/headers.{header}", f"Expected placeholders naming the task's inputs ({names}) or "
                   f"secrets.NAME, got {{{name}}}") for name in used if not name.startswith("secrets.")
                  and name not in inputs]
        if CREDENTIAL.search(header) and not any(name.startswith("secrets.") for name in used):
            found.append((f"params/headers.{header}", f"Expected the credential header {header} to reference a "
                          "secret ({secrets.NAME}), got a value written in the journey"))
    for path in typed.response:
        if path and not path.startswith("/"):
            found.append((f"params/response.{path}", f"Expected a JSON pointer starting with /, got {path!r}"))
    return found


def pointer(document: object, path: str) -> object:
    """RFC 6901: `/a/0/b`; KeyError when the answer has nothing there."""
    if path == "":
        return document
    if not path.startswith("/"):
        raise HttpTaskInvalid(f"Expected a JSON pointer starting with /, got {path!r}", pointer=path)
    for raw in path[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(document, dict) and token in document:
            document = document[token]
        elif isinstance(document, list) and token.isdigit() and int(token) < len(document):
            document = document[int(token)]
        else:
            raise KeyError(path)
    return document


def map_response(body: bytes, mapping: Mapping[str, str]) -> dict[str, object]:
    """The mapped values at their dotted paths; HttpBadResponse when the answer lacks one."""
    result: dict[str, object] = {}
    if not mapping:
        return result
    try:
        document = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise HttpBadResponse(f"Expected a JSON answer, got {len(body)} bytes that are not JSON") from None
    for path, target in mapping.items():
        try:
            value = pointer(document, path)
        except KeyError:
            raise HttpBadResponse(f"Expected the answer to have a value at {path}, got none", pointer=path) from None
        *groups, last = target.split(".")
        into = result
        for group in groups:
            inner = into.setdefault(group, {})
            into = inner if isinstance(inner, dict) else {}
        into[last] = value
    return result


def _failure(attempt: Attempt, attempts: int) -> TaskError:
    said = f"after {attempts} attempt(s), the last: {attempt.detail}"
    if attempt.outcome == "timeout":
        return HttpTimeout(f"Expected an answer, got none {said}", attempts=attempts)
    if attempt.outcome == "connect_failed":
        return HttpConnectFailed(f"Expected to connect, got {attempt.detail} {said}", attempts=attempts)
    if attempt.outcome == "blocked_host":
        return HttpBlockedHost(f"Expected a public host (or one in ARABESQUE_HTTP_ALLOWED_HOSTS), got "
                               f"{attempt.detail}")
    if attempt.outcome == "too_large":
        return HttpTooLarge(f"Expected an answer of at most the task's max_bytes, got {attempt.detail}")
    status = attempt.status or 0
    if status == 404:
        return HttpNotFound("Expected a 2xx answer, got 404 (not found)", status=status)
    if status == 429:
        return HttpRateLimited(f"Expected an answer, got 429 {said}", attempts=attempts, status=status)
    if status >= 500:
        return HttpServerError(f"Expected a 2xx answer, got {status} {said}", attempts=attempts, status=status)
    return HttpStatus(f"Expected a 2xx answer, got {status}", status=status)


def _host_of(url: str) -> tuple[str, str]:
    """`host:port` (the breaker's key, lower case) and the bare host name of `url`."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return url, ""
    return parsed.netloc.decode("ascii", "replace").rpartition("@")[2].lower(), parsed.host


def _retryable(attempt: Attempt) -> bool:
    return attempt.outcome in ("timeout", "connect_failed") or (
        attempt.outcome == "status" and (attempt.status == 429 or (attempt.status or 0) >= 500))


class HttpTask:
    """The `http` task, built once per process with its client, the secrets and the per-host breakers."""

    name: ClassVar[str] = "http"
    params_type: ClassVar[type[HttpParams]] = HttpParams

    def __init__(self, outbound: Outbound, secrets: Secrets, breakers: Breakers | None = None) -> None:
        self.outbound = outbound
        self.secrets = secrets
        self.breakers = breakers or Breakers()
        self.check = check

    async def __call__(self, tools: TaskTools, task_input: Mapping[str, object],
                       params: Mapping[str, object]) -> dict[str, object]:
        try:
            typed = msgspec.convert(nest(params), HttpParams)
        except msgspec.ValidationError as exc:
            raise HttpTaskInvalid(f"{exc} (the params of task http)", at=describe_error(exc)[1]) from None
        url, base_secret = render_url(typed.url, task_input, self.secrets)
        headers = {name: render(value, task_input, self.secrets, quote=False) for name, value in typed.headers.items()}
        content = msgspec.json.encode(dict(task_input)) if typed.body == "json" else None
        if content is not None:
            headers.setdefault("content-type", "application/json")
        if typed.method != "GET" and typed.idempotency_header:
            key = hashlib.sha256(f"{tools.call.key}\n{typed.method} {typed.url}".encode()).hexdigest()[:32]
            headers[typed.idempotency_header] = key
        host, hostname = _host_of(url)
        shown = f"{{secrets.{base_secret}}}" if base_secret else host
        try:
            attempt = await self._call(tools, typed, url, headers, content, host=host, shown=shown)
        except TaskError as exc:  # no message says a secret, whatever a host or a bug put into it
            message = self.secrets.redact(exc.message)
            if base_secret:  # nor the host a secret base names
                for part in sorted({host, hostname} - {""}, key=len, reverse=True):
                    message = message.replace(part, shown)
            exc.message = message
            exc.args = (exc.message,)
            raise
        return {"passed": True, "status": attempt.status, **map_response(attempt.body, typed.response)}

    async def _call(self, tools: TaskTools, typed: HttpParams, url: str, headers: dict[str, str],
                    content: bytes | None, *, host: str, shown: str) -> Attempt:
        """`host` keys the breaker; `shown` is what the timeline and messages name (a secret's name for its host)."""
        attempts = typed.retries + 1
        for number in range(1, attempts + 1):
            if not self.breakers.admit(host, typed.breaker_cooldown):
                tools.call.note(attempt=number, host=shown, outcome="circuit_open", latency_ms=0, status=None)
                raise HttpCircuitOpen(f"Expected {shown} to be called, got its circuit open after "
                                      f"{typed.breaker_failures} failures in a row (cool-down "
                                      f"{typed.breaker_cooldown:g} s)", host=shown)
            try:
                attempt = await self.outbound.send(typed.method, url, headers=headers, content=content,
                                                   connect_timeout=typed.connect_timeout,
                                                   total_timeout=typed.timeout, max_bytes=typed.max_bytes)
            except BaseException:
                self.breakers.release(host)
                raise
            tools.call.note(attempt=number, host=shown, outcome=attempt.outcome, status=attempt.status,
                            latency_ms=attempt.latency_ms)
            if attempt.outcome == "blocked_host":
                self.breakers.release(host)
            else:
                self.breakers.record(host, failed=_retryable(attempt) and attempt.status != 429,
                                     failures=typed.breaker_failures)
            if attempt.outcome == "ok":
                return attempt
            if not _retryable(attempt) or number == attempts:
                raise _failure(attempt, number)
            delay = min(typed.backoff_max, typed.backoff * 2 ** (number - 1)) * random.uniform(0.5, 1.0)
            if attempt.retry_after is not None:
                if attempt.retry_after > typed.retry_after_max:
                    raise HttpRateLimited(f"Expected to be asked to wait at most {typed.retry_after_max:g} s, "
                                          f"got Retry-After {attempt.retry_after:g} s", status=attempt.status or 0)
                delay = max(delay, attempt.retry_after)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")


__all__ = ["HttpParams", "HttpTask", "check", "map_response", "pointer", "render", "render_url"]
