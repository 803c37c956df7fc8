"""One error hierarchy for the whole wire: every failure has a stable dotted code."""

from __future__ import annotations

from typing import ClassVar

from sdk_protocol.codes import register

DetailValue = str | int | float | bool | None | list[str]


def _first_paragraph(doc: str) -> str:
    return " ".join(doc.strip().split("\n\n", 1)[0].split())


class SdkError(Exception):
    """Base of every error that can cross the wire.

    `code` is stable and dotted; `message` says what was expected and what came;
    `details` is data for machines (paths, limits, ids), never prose.
    """

    code: ClassVar[str] = "internal"
    http_status: ClassVar[int] = 500

    def __init_subclass__(cls, **kwargs: object) -> None:
        # Every class that names its own code enters the code table (sdk_protocol.codes), wherever it lives.
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            register(cls.code, cls.http_status, _first_paragraph(cls.__doc__ or ""))

    def __init__(self, message: str, **details: DetailValue) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, DetailValue] = details


class InternalError(SdkError):
    """The server failed in a way it did not expect; nothing is promised about the request's effect."""

    code = "internal"


class InvalidMessage(SdkError):
    """Not an object, or a missing or mistyped field; `details.path` says where."""

    code = "protocol.invalid_message"
    http_status = 400


class UnknownMessageType(SdkError):
    """`type` is not a message this protocol version knows."""

    code = "protocol.unknown_message_type"
    http_status = 400


class MessageTooLarge(SdkError):
    """Over 256 KiB, nested deeper than 24 levels, or more than 20,000 values in one message."""

    code = "protocol.message_too_large"
    http_status = 413


class UnsupportedVersion(SdkError):
    """`hello` with a major version the server does not speak; `details` lists the supported ones."""

    code = "protocol.unsupported_version"
    http_status = 400


class HandshakeRequired(SdkError):
    """A message that needs `hello` first came before it."""

    code = "protocol.handshake_required"
    http_status = 400


class StaleScreen(SdkError):
    """A submit or action for a screen or revision that is no longer current; `details` has the current pair."""

    code = "workflow.stale_screen"
    http_status = 409


class EventNotAllowed(SdkError):
    """The journey's current state does not take this event (e.g. a submit while a task runs)."""

    code = "workflow.event_not_allowed"
    http_status = 409


class UnknownAction(SdkError):
    """An action the current screen does not offer."""

    code = "workflow.unknown_action"
    http_status = 400


class JourneyFinished(SdkError):
    """The journey already has its outcome; nothing more is accepted."""

    code = "workflow.journey_finished"
    http_status = 409


class RuleFailed(SdkError):
    """A journey rule could not be evaluated (a bug in the journey definition)."""

    code = "workflow.rule_failed"
    http_status = 500


class TokenExpired(SdkError):
    """The session token expired (tokens are short-lived; the integrator issues another one)."""

    code = "session.expired"  # the wire code predates the class name; codes never change
    http_status = 410


class SessionNotFound(SdkError):
    """No such session (for this API key's tenant)."""

    code = "session.not_found"
    http_status = 404


class InvalidToken(SdkError):
    """The session token is wrong, unknown, or for another session."""

    code = "session.invalid_token"
    http_status = 401


class ValidationFailed(SdkError):
    """A submit failed validation; the fields' codes are listed with it."""

    code = "validation.failed"
    http_status = 422


class InvalidApiKey(SdkError):
    """The API key is missing, wrong, revoked or expired."""

    code = "auth.invalid_api_key"
    http_status = 401


class InvalidRequest(SdkError):
    """The HTTP request body or parameters do not have the documented shape; `details.path` says where."""

    code = "request.invalid"
    http_status = 400


class JourneyNotFound(SdkError):
    """No journey (or journey version) by that name."""

    code = "journey.not_found"
    http_status = 404


class FileNotFound(SdkError):
    """No such file in this session (or its bytes are gone from the document store)."""

    code = "file.not_found"
    http_status = 404


class UploadTooLarge(SdkError):
    """The upload is over the size limit; `details.limit` is the limit in bytes."""

    code = "upload.too_large"
    http_status = 413


class UploadTypeMismatch(SdkError):
    """The bytes are of another type than the declared `Content-Type`."""

    code = "upload.type_mismatch"
    http_status = 415


class UnsupportedFileType(SdkError):
    """The bytes are not one of the accepted file types (checked by content, not by name)."""

    code = "upload.unsupported_type"
    http_status = 415


class InvalidMultipart(SdkError):
    """A `multipart/form-data` upload without exactly one file part named `file`, or with other parts."""

    code = "upload.invalid_multipart"
    http_status = 400


class UploadNotFound(SdkError):
    """No direct upload with that id in this session."""

    code = "upload.not_found"
    http_status = 404


class UploadHashMismatch(SdkError):
    """The stored object's SHA-256 is not the one `upload.completed` announced."""

    code = "upload.hash_mismatch"
    http_status = 422


class UploadMissing(SdkError):
    """Nothing was stored at the presigned location of a direct upload."""

    code = "upload.missing"
    http_status = 409


class DirectUploadUnsupported(SdkError):
    """Presigned URLs (direct uploads, file URLs) need S3 storage; this server stores files locally."""

    code = "storage.direct_upload_unsupported"
    http_status = 409


class SessionErased(SdkError):
    """The session was erased (`DELETE` or retention); pushed to connected clients too."""

    code = "session.erased"
    http_status = 410


class ServiceUnavailable(SdkError):
    """A dependency of the server is down; try again later."""

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


class HandoffNotFound(SdkError):
    """No handoff link with this code (or not a code at all): ask for a new link."""

    code = "handoff.not_found"
    http_status = 404


class HandoffUsed(SdkError):
    """The handoff link was used already: a link works once; ask for a new one."""

    code = "handoff.used"
    http_status = 409


class HandoffExpired(SdkError):
    """The handoff link is past its expiry (`details.expired_at`); ask for a new one."""

    code = "handoff.expired"
    http_status = 410


__all__ = [
    "DetailValue",
    "DirectUploadUnsupported",
    "EventNotAllowed",
    "FileNotFound",
    "HandoffExpired",
    "HandoffNotFound",
    "HandoffUsed",
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
    "SessionNotFound",
    "StaleScreen",
    "TokenExpired",
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
