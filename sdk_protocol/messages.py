"""Every message on the SDK channel, both ways: one tagged union per direction."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

import msgspec

from sdk_protocol.components import AnyComponent
from sdk_protocol.errors import DetailValue
from sdk_protocol.validation import FieldError

Outcome = Literal["approved", "rejected", "manual_review", "abandoned", "expired"]
OUTCOMES: tuple[Outcome, ...] = ("approved", "rejected", "manual_review", "abandoned", "expired")
CheckStatus = Literal["pending", "running", "passed", "warning", "failed", "error"]
Platform = Literal["ios", "android", "web", "react-native", "flutter", "other"]
# Patterns are enforced in __post_init__, not with the pattern option of msgspec.Meta: msgspec 0.19-0.22 can crash at
# interpreter exit when a Meta holds a compiled pattern (msgspec issue #717). The schema still shows them.
NAME_PATTERN = r"^[A-Za-z0-9_.:-]+$"
LOCALE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
_NAME = re.compile(NAME_PATTERN)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_LOCALE = re.compile(LOCALE_PATTERN)
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=128, extra_json_schema={"pattern": NAME_PATTERN})]
IdempotencyKey = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Revision = Annotated[int, msgspec.Meta(ge=0)]
Locale = Annotated[str, msgspec.Meta(max_length=35, extra_json_schema={"pattern": LOCALE_PATTERN})]


def _match(pattern: re.Pattern[str], value: str, field: str) -> None:
    if pattern.match(value) is None:
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise ValueError(f"Expected `{field}` matching {pattern.pattern}, got {shown!r}")


class Message(msgspec.Struct, tag_field="type", frozen=True, kw_only=True):
    """Base for everything on the wire."""


# --- client -> server ---------------------------------------------------------


class SdkInfo(msgspec.Struct, frozen=True, kw_only=True):
    name: Annotated[str, msgspec.Meta(max_length=64)]
    version: Annotated[str, msgspec.Meta(max_length=32)]
    platform: Platform = "other"


class Hello(Message, tag="hello", frozen=True, kw_only=True):
    """First message of every connection: versions, capabilities, locale."""

    protocol_version: Annotated[str, msgspec.Meta(max_length=32)]
    sdk: SdkInfo
    components: Annotated[list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=256)] = []
    locale: Locale = "en"

    def __post_init__(self) -> None:
        _match(_LOCALE, self.locale, "locale")


class ScreenSubmit(Message, tag="screen.submit", frozen=True, kw_only=True):
    """The user's answers to the screen identified by (`screen_id`, `revision`)."""

    screen_id: Name
    revision: Revision
    values: dict[str, object]
    idempotency_key: IdempotencyKey

    def __post_init__(self) -> None:
        _match(_NAME, self.screen_id, "screen_id")


class ScreenAction(Message, tag="screen.action", frozen=True, kw_only=True):
    """A named action on the current screen: `back`, `retake`, `switch_device`, ..."""

    screen_id: Name
    revision: Revision
    action: Name
    idempotency_key: IdempotencyKey | None = None

    def __post_init__(self) -> None:
        _match(_NAME, self.screen_id, "screen_id")
        _match(_NAME, self.action, "action")


class UploadCompleted(Message, tag="upload.completed", frozen=True, kw_only=True):
    """The SDK finished a direct-to-storage upload and the server may verify it."""

    upload_id: Name
    sha256: Annotated[str, msgspec.Meta(min_length=64, max_length=64)]
    field: str = ""

    def __post_init__(self) -> None:
        _match(_NAME, self.upload_id, "upload_id")
        _match(_SHA256, self.sha256, "sha256")


ClientMessage = Hello | ScreenSubmit | ScreenAction | UploadCompleted


# --- server -> client ---------------------------------------------------------


class Welcome(Message, tag="welcome", frozen=True, kw_only=True):
    """Reply to `hello`: the protocol version both sides now speak."""

    protocol_version: str
    session_id: str
    locale: str


class Step(msgspec.Struct, frozen=True, kw_only=True):
    n: int
    m: int


class Action(msgspec.Struct, frozen=True, kw_only=True):
    """An action the screen offers besides submitting (e.g. `back`)."""

    name: str
    label: str


class Screen(Message, tag="screen", frozen=True, kw_only=True):
    """Render this. `values` holds what the user already entered on it.

    `waiting` marks a screen shown while the server works (checks running) or a person reviews: it takes no
    submit; the next `screen` follows on its own. `screen_id` `upgrade_required` means the SDK lacks components
    it needs.
    """

    screen_id: str
    revision: int
    state: str
    title: str = ""
    step: Step | None = None
    components: list[AnyComponent]
    actions: list[Action] = []
    values: dict[str, object] = {}
    locale: str = "en"
    waiting: bool = False  # added in 1.1: a default, so 1.0 SDKs and servers still decode it


class ScreenErrors(Message, tag="screen.errors", frozen=True, kw_only=True):
    """The submission was refused: one entry per problem, by JSON pointer into `values`."""

    screen_id: str
    revision: int
    errors: list[FieldError]


class ScreenAccepted(Message, tag="screen.accepted", frozen=True, kw_only=True):
    """Acknowledges a submit or action; the next `screen` follows on the channel."""

    screen_id: str
    revision: int
    next_revision: int


class VerificationProgress(Message, tag="verification.progress", frozen=True, kw_only=True):
    check: str
    status: CheckStatus
    message: str = ""


class JourneyCompleted(Message, tag="journey.completed", frozen=True, kw_only=True):
    outcome: Outcome
    title: str = ""
    message: str = ""


class UploadVerified(Message, tag="upload.verified", frozen=True, kw_only=True):
    """Reply to `upload.completed`: the object was checked (size, type by content, hash) and is now a file."""

    upload_id: str
    file_id: str
    sha256: str
    size: int
    content_type: str


class HandoffClaimed(Message, tag="handoff.claimed", frozen=True, kw_only=True):
    """Pushed (added in 1.2): a handoff link of this session was exchanged, so another device now holds a token
    for it. The journey goes on where it was, on every device."""

    handoff_id: str
    claimed_at: dt.datetime


class ErrorMessage(Message, tag="error", frozen=True, kw_only=True):
    code: str
    message: str
    details: dict[str, DetailValue] = {}


ServerMessage = (
    Welcome | Screen | ScreenErrors | ScreenAccepted | VerificationProgress | JourneyCompleted | UploadVerified
    | HandoffClaimed | ErrorMessage
)

__all__ = [
    "OUTCOMES",
    "Action",
    "CheckStatus",
    "ClientMessage",
    "ErrorMessage",
    "HandoffClaimed",
    "Hello",
    "IdempotencyKey",
    "JourneyCompleted",
    "Message",
    "Name",
    "Outcome",
    "Platform",
    "Revision",
    "Screen",
    "ScreenAccepted",
    "ScreenAction",
    "ScreenErrors",
    "ScreenSubmit",
    "SdkInfo",
    "ServerMessage",
    "Step",
    "UploadCompleted",
    "UploadVerified",
    "VerificationProgress",
    "Welcome",
]
