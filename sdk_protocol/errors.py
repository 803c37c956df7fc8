"""One error hierarchy for the whole wire: every failure has a stable dotted code."""

from __future__ import annotations

from typing import ClassVar

DetailValue = str | int | float | bool | None | list[str]


class SdkError(Exception):
    """Base of every error that can cross the wire.

    `code` is stable and dotted; `message` says what was expected and what came;
    `details` is data for machines (paths, limits, ids), never prose.
    """

    code: ClassVar[str] = "internal"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, **details: DetailValue) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, DetailValue] = details


class InternalError(SdkError):
    code = "internal"


class InvalidMessage(SdkError):
    code = "protocol.invalid_message"
    http_status = 400


class UnknownMessageType(SdkError):
    code = "protocol.unknown_message_type"
    http_status = 400


class MessageTooLarge(SdkError):
    code = "protocol.message_too_large"
    http_status = 413


class UnsupportedVersion(SdkError):
    code = "protocol.unsupported_version"
    http_status = 400


class HandshakeRequired(SdkError):
    code = "protocol.handshake_required"
    http_status = 400


class StaleScreen(SdkError):
    code = "workflow.stale_screen"
    http_status = 409


class EventNotAllowed(SdkError):
    code = "workflow.event_not_allowed"
    http_status = 409


class UnknownAction(SdkError):
    code = "workflow.unknown_action"
    http_status = 400


class JourneyFinished(SdkError):
    code = "workflow.journey_finished"
    http_status = 409


class RuleFailed(SdkError):
    code = "workflow.rule_failed"
    http_status = 500


class SessionExpired(SdkError):
    code = "session.expired"
    http_status = 410


class SessionNotFound(SdkError):
    code = "session.not_found"
    http_status = 404


class InvalidToken(SdkError):
    code = "session.invalid_token"
    http_status = 401


class ValidationFailed(SdkError):
    code = "validation.failed"
    http_status = 422


class InvalidApiKey(SdkError):
    code = "auth.invalid_api_key"
    http_status = 401


class InvalidRequest(SdkError):
    code = "request.invalid"
    http_status = 400


class JourneyNotFound(SdkError):
    code = "journey.not_found"
    http_status = 404


class FileNotFound(SdkError):
    code = "file.not_found"
    http_status = 404


class UploadTooLarge(SdkError):
    code = "upload.too_large"
    http_status = 413


class UploadTypeMismatch(SdkError):
    code = "upload.type_mismatch"
    http_status = 415


class UnsupportedFileType(SdkError):
    code = "upload.unsupported_type"
    http_status = 415


class InvalidMultipart(SdkError):
    """A multipart/form-data upload that is not exactly one part named `file` carrying a file."""

    code = "upload.invalid_multipart"
    http_status = 400


class UploadNotFound(SdkError):
    code = "upload.not_found"
    http_status = 404


class UploadHashMismatch(SdkError):
    code = "upload.hash_mismatch"
    http_status = 422


class UploadMissing(SdkError):
    code = "upload.missing"
    http_status = 409


class DirectUploadUnsupported(SdkError):
    code = "storage.direct_upload_unsupported"
    http_status = 409


class SessionErased(SdkError):
    code = "session.erased"
    http_status = 410


class ServiceUnavailable(SdkError):
    code = "service.unavailable"
    http_status = 503


class ServerBusy(SdkError):
    """The server is overloaded and did nothing with the request; `details.retry_after` says when to retry."""

    code = "server.busy"
    http_status = 503


class RateLimited(SdkError):
    """This connection or API key sent more than its share; `details.retry_after` (seconds) says when to retry."""

    code = "request.rate_limited"
    http_status = 429


__all__ = [
    "DetailValue",
    "DirectUploadUnsupported",
    "EventNotAllowed",
    "FileNotFound",
    "HandshakeRequired",
    "InternalError",
    "InvalidApiKey",
    "InvalidMessage",
    "InvalidMultipart",
    "InvalidRequest",
    "InvalidToken",
    "JourneyFinished",
    "JourneyNotFound",
    "MessageTooLarge",
    "RateLimited",
    "RuleFailed",
    "SdkError",
    "ServerBusy",
    "ServiceUnavailable",
    "SessionErased",
    "SessionExpired",
    "SessionNotFound",
    "StaleScreen",
    "UnknownAction",
    "UnknownMessageType",
    "UnsupportedFileType",
    "UnsupportedVersion",
    "UploadHashMismatch",
    "UploadMissing",
    "UploadNotFound",
    "UploadTooLarge",
    "UploadTypeMismatch",
    "ValidationFailed",
]
