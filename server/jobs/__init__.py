"""Background work as durable jobs, with two backends: in-process (local.py) and procrastinate (pg.py)."""

from __future__ import annotations

from server.jobs.local import LocalJobs
from server.jobs.types import RETRY_DELAYS, Handler, JobArgs, JobEngine, JobKind, Jobs, Periodic, backoff

__all__ = ["RETRY_DELAYS", "Handler", "JobArgs", "JobEngine", "JobKind", "Jobs", "LocalJobs", "Periodic", "backoff"]
