"""Prometheus series of one server process, in a registry of its own (never the library's global one).

Built once in server/app.py and handed to what records. Label values are bounded and never personal: journey
names, event kinds, task names, route templates, methods and status strings, never an id or a value someone
entered. Every series is documented in the README ("Metrics and logs").
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.process_collector import ProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""seconds: transitions, screen pushes, HTTP requests"""
SLOW = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
"""seconds: verification checks"""
LAG = (0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0)
"""seconds: webhook delivery lag (retries included)"""
CHECK_OUTCOMES = ("passed", "failed", "error")
WEBHOOK_RESULTS = ("delivered", "failed", "gave_up")
"""delivered: a 2xx answer; failed: an attempt failed and will be retried; gave_up: no more attempts"""
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_KEPT_KINDS = frozenset({"task.done", "task.failed"})


def event_kind(kind: str) -> str:
    """The label of a timeline kind: `submit`, `action`, `signal`, `review`, `tick`, `start`, `task.done` or
    `task.failed` (an action's, signal's or decision's own name stays out: a label must stay bounded)."""
    return kind if kind in _KEPT_KINDS else kind.split(".", 1)[0]


class Metrics:
    """The series, and one method per thing that happened."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self._transitions = Counter("arabesque_transitions", "Committed session transitions",
                                    ["journey", "event", "status"], registry=r)
        self._transition_seconds = Histogram("arabesque_transition_seconds", "Deciding and committing a transition",
                                             ["journey", "event"], buckets=FAST, registry=r)
        self._push_seconds = Histogram("arabesque_screen_push_seconds", "From an event arriving to its screen "
                                       "emitted to this node's devices", ["journey"], buckets=FAST, registry=r)
        self._connections = Gauge("arabesque_sdk_connections", "SDK clients connected to this process", registry=r)
        self._checks = Counter("arabesque_checks", "Verification tasks finished", ["task", "outcome"], registry=r)
        self._check_seconds = Histogram("arabesque_check_seconds", "Duration of a verification task", ["task"],
                                        buckets=SLOW, registry=r)
        self._queued = Gauge("arabesque_worker_queue_depth", "Jobs waiting for a verification worker", registry=r)
        self._busy = Gauge("arabesque_workers_busy", "Verification workers running a job", registry=r)
        self._workers = Gauge("arabesque_workers", "Verification workers in the pool", registry=r)
        self._requests = Counter("arabesque_http_requests", "HTTP requests answered", ["route", "method", "status"],
                                 registry=r)
        self._request_seconds = Histogram("arabesque_http_request_seconds", "Duration of an HTTP request",
                                          ["route", "method"], buckets=FAST, registry=r)
        self._webhooks = Counter("arabesque_webhook_deliveries", "Webhook delivery attempts", ["result"], registry=r)
        self._webhook_lag = Histogram("arabesque_webhook_delivery_lag_seconds", "From the event to its webhook "
                                      "delivered", buckets=LAG, registry=r)
        for result in WEBHOOK_RESULTS:
            self._webhooks.labels(result)  # shown at zero before the first delivery
        ProcessCollector(registry=r)

    def watch_connections(self, count: Callable[[], int]) -> None:
        self._connections.set_function(lambda: float(count()))

    def watch_pool(self, *, queued: Callable[[], int], busy: Callable[[], int], size: int) -> None:
        self._queued.set_function(lambda: float(queued()))
        self._busy.set_function(lambda: float(busy()))
        self._workers.set(size)

    def transition(self, *, journey: str, kind: str, status: str, seconds: float) -> None:
        event = event_kind(kind)
        self._transitions.labels(journey, event, status).inc()
        self._transition_seconds.labels(journey, event).observe(seconds)

    def screen_pushed(self, journey: str, seconds: float) -> None:
        self._push_seconds.labels(journey).observe(seconds)

    def check(self, *, task: str, outcome: str, seconds: float) -> None:
        self._checks.labels(task, outcome if outcome in CHECK_OUTCOMES else "error").inc()
        self._check_seconds.labels(task).observe(seconds)

    def http_request(self, *, route: str, method: str, status: int, seconds: float) -> None:
        method = method if method in _METHODS else "other"
        self._requests.labels(route, method, str(status)).inc()
        self._request_seconds.labels(route, method).observe(seconds)

    def webhook_delivered(self, result: str, lag_seconds: float) -> None:
        """One delivery attempt's result (one of WEBHOOK_RESULTS) and, when delivered, how long after the event."""
        self._webhooks.labels(result if result in WEBHOOK_RESULTS else "failed").inc()
        if result == "delivered":
            self._webhook_lag.observe(lag_seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def route(self, path: str = "/metrics") -> Route:
        """GET `path`: the text exposition format."""

        async def endpoint(request: Request) -> Response:
            return Response(self.exposition(), media_type=CONTENT_TYPE_LATEST)

        return Route(path, endpoint, methods=["GET"])


__all__ = ["CHECK_OUTCOMES", "WEBHOOK_RESULTS", "Metrics", "event_kind"]
