"""How an `http` task fails: each a TaskError with a stable code that a journey's `on.error` guards read at
`<result>.error.code` (e.g. `registry.error.code == "http.timeout"`)."""

from __future__ import annotations

from typing import ClassVar

from server.workers import TaskError


class HttpTaskInvalid(TaskError):
    """An `http` task's params or templates do not fit: an unknown placeholder or secret, a bad JSON pointer."""

    code: ClassVar[str] = "http.invalid_task"
    http_status: ClassVar[int] = 500


class HttpBlockedHost(TaskError):
    """An `http` task's URL is not http(s), does not resolve, or reaches a private, loopback, link-local or
    reserved address not in ARABESQUE_HTTP_ALLOWED_HOSTS."""

    code: ClassVar[str] = "http.blocked_host"
    http_status: ClassVar[int] = 502


class HttpTimeout(TaskError):
    """An `http` task got no answer within its timeouts, on every attempt."""

    code: ClassVar[str] = "http.timeout"
    http_status: ClassVar[int] = 504


class HttpConnectFailed(TaskError):
    """An `http` task could not connect (refused, reset, TLS), on every attempt."""

    code: ClassVar[str] = "http.connect_failed"
    http_status: ClassVar[int] = 502


class HttpServerError(TaskError):
    """An `http` task's host answered 5xx on every attempt."""

    code: ClassVar[str] = "http.status_5xx"
    http_status: ClassVar[int] = 502


class HttpRateLimited(TaskError):
    """An `http` task's host answered 429 on every attempt, or asked to wait longer than the task's
    `retry_after_max`."""

    code: ClassVar[str] = "http.rate_limited"
    http_status: ClassVar[int] = 502


class HttpStatus(TaskError):
    """An `http` task's host answered a status that is neither success nor retried (3xx, 4xx but 429);
    `details.status` has it."""

    code: ClassVar[str] = "http.status"
    http_status: ClassVar[int] = 502


class HttpNotFound(HttpStatus):
    """An `http` task's host answered 404: what was asked for (a company number at a registry) is not there."""

    code: ClassVar[str] = "http.not_found"
    http_status: ClassVar[int] = 502


class HttpCircuitOpen(TaskError):
    """An `http` task's host failed too often in a row; calls to it are refused until its cool-down ends."""

    code: ClassVar[str] = "http.circuit_open"
    http_status: ClassVar[int] = 503


class HttpTooLarge(TaskError):
    """An `http` task's answer is longer than its `max_bytes` (or ARABESQUE_HTTP_MAX_RESPONSE_BYTES)."""

    code: ClassVar[str] = "http.too_large"
    http_status: ClassVar[int] = 502


class HttpBadResponse(TaskError):
    """An `http` task's answer is not JSON, or lacks a value its `response` mapping reads."""

    code: ClassVar[str] = "http.bad_response"
    http_status: ClassVar[int] = 502


__all__ = ["HttpBadResponse", "HttpBlockedHost", "HttpCircuitOpen", "HttpConnectFailed", "HttpNotFound",
           "HttpRateLimited", "HttpServerError", "HttpStatus", "HttpTaskInvalid", "HttpTimeout", "HttpTooLarge"]
