"""Screen components: the closed, typed set a server may ask an SDK to render.

In a journey definition every user-facing text field holds a message key; on the
wire it holds the localised text. Each input carries its own validation so the
SDK can check locally with the very definitions the server enforces.
"""

from __future__ import annotations

from typing import Literal

import msgspec

JsonLogic = dict[str, object] | bool
"""A JsonLogic rule over the screen's form values (see docs/PROTOCOL.md)."""

InputType = Literal["text", "email", "tel", "number", "date"]
DocumentSide = Literal["front", "back"]
ChallengeMove = Literal["turn_left", "turn_right"]
"""A move of an active-liveness challenge; left and right are the person's own (see docs/PROTOCOL.md)."""

CHALLENGE_MAX_FRAMES = 12
"""At most this many frames answer a challenge, the selfie included."""

DEFAULT_IMAGE_FORMATS = ["image/jpeg", "image/png", "image/webp", "image/heic"]


class Validation(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Constraints on one input's value, checked by SDK and server alike.

    `min_date`/`max_date` take an ISO date (`2000-01-31`) or a date relative to
    today: `today`, `today-18y`, `today+30d`, `today-6m`.
    """

    required: bool = False
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    min_date: str | None = None
    max_date: str | None = None
    allowed_values: list[str] | None = None


class Option(msgspec.Struct, frozen=True, kw_only=True):
    value: str
    label: str


class Component(msgspec.Struct, tag_field="type", frozen=True, kw_only=True, omit_defaults=True):
    """Base of every component. `fallback` is sent instead when the SDK lacks this type."""

    fallback: AnyComponent | None = None


class Heading(Component, tag="content.heading", frozen=True, kw_only=True):
    text: str
    level: int = 1


class Paragraph(Component, tag="content.paragraph", frozen=True, kw_only=True):
    text: str
    markdown: bool = False


class Alert(Component, tag="content.alert", frozen=True, kw_only=True):
    text: str
    severity: Literal["info", "success", "warning", "error"] = "info"


class Button(Component, tag="action.button", frozen=True, kw_only=True):
    action: str
    label: str
    style: Literal["primary", "secondary", "link"] = "primary"


class Input(Component, frozen=True, kw_only=True):
    """Base of components that collect a value under `name`."""

    name: str
    label: str = ""
    help: str | None = None
    validation: Validation = Validation()
    visible_if: JsonLogic | None = None
    required_if: JsonLogic | None = None


class TextInput(Input, tag="input.text", frozen=True, kw_only=True):
    input_type: InputType = "text"
    placeholder: str | None = None
    autocomplete: str | None = None


class Select(Input, tag="input.select", frozen=True, kw_only=True):
    options: list[Option]


class CountrySelect(Input, tag="input.country", frozen=True, kw_only=True):
    """ISO 3166-1 alpha-2 codes; `countries` restricts the list when set."""

    countries: list[str] | None = None


class Radio(Input, tag="input.radio", frozen=True, kw_only=True):
    options: list[Option]


class Checkbox(Input, tag="input.checkbox", frozen=True, kw_only=True):
    pass


class Consent(Input, tag="input.consent", frozen=True, kw_only=True):
    """A consent the user must accept; `version` is stored with the answer."""

    text: str
    version: str
    document_url: str | None = None


class DocumentCapture(Input, tag="capture.document", frozen=True, kw_only=True):
    """Capture one side of an identity document; the value is an uploaded file id.

    `document_type_from` names a context path whose value becomes `document_type`
    when the server renders the screen.
    """

    document_type: str | None = None
    document_type_from: str | None = None
    side: DocumentSide = "front"
    accepted_formats: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_IMAGE_FORMATS))
    guidance: str | None = None


class SelfieCapture(Input, tag="capture.selfie", frozen=True, kw_only=True):
    """A selfie; with `challenge` (protocol 1.3), also frames of the person doing the moves, in order.

    In a journey, `challenge_moves` asks for a challenge of that many moves; the server draws the moves per
    screen revision and sends them as `challenge` to clients of protocol 1.3 or later only. Such a client
    submits the frontal selfie as the value and the later frames, unmirrored, as `<name>_frames`.
    """

    accepted_formats: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_IMAGE_FORMATS))
    guidance: str | None = None
    challenge_moves: int = 0
    challenge: list[ChallengeMove] | None = None


class FileUpload(Input, tag="input.file", frozen=True, kw_only=True):
    accepted_formats: list[str] = msgspec.field(default_factory=lambda: ["application/pdf", *DEFAULT_IMAGE_FORMATS])
    min_files: int = 0
    max_files: int = 1


RepeaterField = TextInput | Select | CountrySelect | Radio | Checkbox


class Repeater(Input, tag="input.repeater", frozen=True, kw_only=True):
    """A list of grouped fields (e.g. company owners); the value is a list of objects."""

    fields: list[RepeaterField]
    min_items: int = 0
    max_items: int = 20
    add_label: str | None = None
    item_label: str | None = None


AnyInput = (
    TextInput
    | Select
    | CountrySelect
    | Radio
    | Checkbox
    | Consent
    | DocumentCapture
    | SelfieCapture
    | FileUpload
    | Repeater
)
AnyComponent = Heading | Paragraph | Alert | Button | AnyInput

CAPTURE_TYPES: frozenset[type[Input]] = frozenset({DocumentCapture, SelfieCapture, FileUpload})

CORE_COMPONENT_TYPES: frozenset[str] = frozenset(
    {"content.heading", "content.paragraph", "content.alert", "action.button"}
)
"""Every v1 SDK renders these; they need not be declared in `hello`."""


def component_type(component: Component) -> str:
    """The wire tag of a component (`input.text`, ...).

    Read from the class's struct config, O(1): this runs for every component of every render.
    """
    return str(type(component).__struct_config__.tag)


ALL_COMPONENT_TYPES: frozenset[str] = frozenset(
    str(cls.__struct_config__.tag)
    for cls in (Heading, Paragraph, Alert, Button, TextInput, Select, CountrySelect, Radio, Checkbox,
                Consent, DocumentCapture, SelfieCapture, FileUpload, Repeater)
)

__all__ = [
    "ALL_COMPONENT_TYPES",
    "CAPTURE_TYPES",
    "CHALLENGE_MAX_FRAMES",
    "CORE_COMPONENT_TYPES",
    "DEFAULT_IMAGE_FORMATS",
    "Alert",
    "AnyComponent",
    "AnyInput",
    "Button",
    "ChallengeMove",
    "Checkbox",
    "Component",
    "Consent",
    "CountrySelect",
    "DocumentCapture",
    "DocumentSide",
    "FileUpload",
    "Heading",
    "Input",
    "InputType",
    "JsonLogic",
    "Option",
    "Paragraph",
    "Radio",
    "Repeater",
    "RepeaterField",
    "Select",
    "SelfieCapture",
    "TextInput",
    "Validation",
    "component_type",
]
