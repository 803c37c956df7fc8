"""The codes a screening task fails with; the journey takes its `error` transition on each."""

from __future__ import annotations

from typing import ClassVar

from server.workers import TaskError


class ScreeningNotConfigured(TaskError):
    """A journey screens names but no list is configured: set ARABESQUE_SCREENING_LIST (or the yente backend)."""

    code: ClassVar[str] = "screening.not_configured"


class ScreeningUnavailable(TaskError):
    """The yente screening service did not answer in time, answered an error, or answered in another shape."""

    code: ClassVar[str] = "screening.unavailable"


__all__ = ["ScreeningNotConfigured", "ScreeningUnavailable"]
