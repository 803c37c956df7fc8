"""The cases API's refusals, each with a stable code (also in `arabesque protocol codes`)."""

from __future__ import annotations

import sdk_protocol as p


class CaseNotFound(p.SdkError):
    """No case for this session id in the caller's tenant (the session never needed a person, or is erased)."""

    code = "case.not_found"
    http_status = 404


class CaseDecided(p.SdkError):
    """The case has been decided already; a decision is final."""

    code = "case.decided"
    http_status = 409


class CaseNotInReview(p.SdkError):
    """The case moved on: it is not waiting for a decision now (e.g. the user is redoing requested changes)."""

    code = "case.not_in_review"
    http_status = 409


class CaseChanged(p.SdkError):
    """The case is no longer at the version the request expected (someone else acted first): reload it."""

    code = "case.changed"
    http_status = 409


class CaseAssignedToOther(p.SdkError):
    """Only the case's assignee (or an admin) may do this; claim or get assigned first."""

    code = "case.assigned_to_other"
    http_status = 409


class NotAssignee(p.SdkError):
    """Deciding needs the case assigned to the caller (an admin may decide any case)."""

    code = "case.not_assignee"
    http_status = 403


class InvalidDecision(p.SdkError):
    """The decision does not fit the journey: an unknown reason code or item, a missing reason or item list."""

    code = "case.invalid_decision"
    http_status = 422


class UnknownAssignee(p.SdkError):
    """The assignee is not a reviewer or admin of the caller's tenant."""

    code = "case.unknown_assignee"
    http_status = 422


__all__ = ["CaseAssignedToOther", "CaseChanged", "CaseDecided", "CaseNotFound", "CaseNotInReview", "InvalidDecision",
           "NotAssignee", "UnknownAssignee"]
