from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sdk_protocol as p
from sdk_protocol import codec

CLIENT_EXAMPLES: list[p.Message] = [
    p.Hello(protocol_version="1.0.0", sdk=p.SdkInfo(name="arabesque-web", version="0.3.1", platform="web"),
            components=["input.text", "capture.document"], locale="de-CH"),
    p.ScreenSubmit(screen_id="personal", revision=3, values={"first_name": "Ada", "tags": [1, None, {"x": True}]},
                   idempotency_key="8d0f7a5e-1"),
    p.ScreenAction(screen_id="personal", revision=3, action="back"),
    p.UploadCompleted(upload_id="u_123", field="file", sha256="0" * 64),
]
SERVER_EXAMPLES: list[p.Message] = [
    p.Welcome(protocol_version="1.0.0", session_id="s_1", locale="en"),
    p.Screen(screen_id="personal", revision=2, state="personal", title="About you", step=p.Step(n=1, m=5),
             components=[p.Heading(text="About you"), p.TextInput(name="first_name", label="First name",
                                                                  validation=p.Validation(required=True))],
             actions=[p.Action(name="back", label="Back")], values={"first_name": "Ada"}),
    p.ScreenErrors(screen_id="personal", revision=2,
                   errors=[p.FieldError(pointer="/first_name", code="validation.required", message="Required")]),
    p.ScreenAccepted(screen_id="personal", revision=2, next_revision=3),
    p.VerificationProgress(check="document_front.glare", status="running"),
    p.JourneyCompleted(outcome="approved", title="Done"),
    p.ErrorMessage(code="workflow.stale_screen", message="Expected ...", details={"revision": 3}),
]


@pytest.mark.parametrize("message", CLIENT_EXAMPLES, ids=lambda m: type(m).__name__)
def test_every_client_message_round_trips_through_the_wire_form(message: p.Message) -> None:
    assert p.decode_client(p.to_wire(message)) == message
    assert p.decode_json(msgspec.json.encode(message), p.ClientMessage) == message


@pytest.mark.parametrize("message", SERVER_EXAMPLES, ids=lambda m: type(m).__name__)
def test_every_server_message_round_trips_through_the_wire_form(message: p.Message) -> None:
    assert p.decode_server(p.to_wire(message)) == message


def test_wire_tags_are_dotted_and_stable() -> None:
    assert p.to_wire(CLIENT_EXAMPLES[1])["type"] == "screen.submit"
    assert p.to_wire(SERVER_EXAMPLES[3])["type"] == "screen.accepted"
    assert p.to_wire(SERVER_EXAMPLES[4])["type"] == "verification.progress"


def test_unknown_fields_are_allowed_and_ignored() -> None:
    wire = {**p.to_wire(CLIENT_EXAMPLES[1]), "added_in_v1_7": {"anything": 1}}
    assert p.decode_client(wire) == CLIENT_EXAMPLES[1]


def _error(data: object) -> p.SdkError:
    with pytest.raises(p.SdkError) as caught:
        p.decode_client(data)
    return caught.value


def test_an_unknown_message_type_names_the_type_and_the_path() -> None:
    error = _error({"type": "screen.teleport"})
    assert error.code == "protocol.unknown_message_type"
    assert error.details["path"] == "$.type"
    assert "'screen.teleport'" in error.message


def test_a_missing_field_says_which_field_is_expected() -> None:
    error = _error({"type": "screen.submit", "screen_id": "a", "revision": 1, "values": {}})
    assert error.code == "protocol.invalid_message"
    assert error.message == "Expected a `idempotency_key` field, got none - at $"


def test_a_wrong_type_says_what_was_expected_what_came_and_where() -> None:
    error = _error({"type": "screen.submit", "screen_id": "a", "revision": "3", "values": {}, "idempotency_key": "k"})
    assert error.code == "protocol.invalid_message"
    assert error.message == "Expected `int`, got `str` - at $.revision"
    assert error.details["path"] == "$.revision"


def test_a_value_out_of_range_shows_the_value_that_came() -> None:
    error = _error({"type": "screen.submit", "screen_id": "a", "revision": -1, "values": {}, "idempotency_key": "k"})
    assert error.message == "Expected `int` >= 0, got -1 - at $.revision"


def test_a_name_with_forbidden_characters_is_refused_at_its_path() -> None:
    error = _error({"type": "screen.action", "screen_id": "../../etc", "revision": 1, "action": "back"})
    assert error.code == "protocol.invalid_message"
    assert error.details["path"] == "$.screen_id"


def test_a_message_that_is_not_an_object_is_refused() -> None:
    for data in ([], "hello", 7, None):
        error = _error(data)
        assert error.code == "protocol.invalid_message"
        assert error.message.startswith("Expected an object, got")


def test_a_message_without_type_is_refused() -> None:
    assert _error({"screen_id": "x"}).message == "Expected a `type` field, got none - at $"


def test_deeply_nested_values_are_refused_before_conversion() -> None:
    deep: object = "leaf"
    for _ in range(codec.MAX_DEPTH + 5):
        deep = [deep]
    error = _error({"type": "screen.submit", "screen_id": "a", "revision": 1, "values": {"x": deep},
                    "idempotency_key": "k"})
    assert error.code == "protocol.message_too_large"
    assert error.details["limit"] == codec.MAX_DEPTH


def test_sprawling_values_are_refused() -> None:
    error = _error({"type": "screen.submit", "screen_id": "a", "revision": 1,
                    "values": {f"k{i}": i for i in range(codec.MAX_NODES + 1)}, "idempotency_key": "k"})
    assert error.code == "protocol.message_too_large"


def test_oversized_json_text_is_refused_before_parsing() -> None:
    raw = b'{"type":"hello","pad":"' + b"x" * codec.MAX_MESSAGE_BYTES + b'"}'
    with pytest.raises(p.MessageTooLarge) as caught:
        p.decode_json(raw, p.ClientMessage)
    assert caught.value.details["found"] == len(raw)


def test_broken_json_text_is_an_invalid_message() -> None:
    with pytest.raises(p.InvalidMessage, match="Expected valid JSON"):
        p.decode_json(b'{"type": "hello", ', p.ClientMessage)


def test_an_sdk_error_becomes_one_wire_error_message() -> None:
    wire = p.to_wire(p.error_message(p.StaleScreen("Expected revision 3, got 2", revision=3)))
    assert wire == {"type": "error", "code": "workflow.stale_screen", "message": "Expected revision 3, got 2",
                    "details": {"revision": 3}}


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=40,
)
TYPES = st.sampled_from(["hello", "screen.submit", "screen.action", "upload.completed", "nope", ""])


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=16), JSON, max_size=6), TYPES)
def test_arbitrary_json_either_decodes_or_raises_a_coded_sdk_error(data: dict[str, object], kind: str) -> None:
    data = {**data, "type": kind}
    try:
        message = p.decode_client(data)
    except p.SdkError as exc:
        assert exc.code.startswith("protocol.")
        assert " - at $" in exc.message or exc.code == "protocol.message_too_large"
    else:
        assert isinstance(message, p.Hello | p.ScreenSubmit | p.ScreenAction | p.UploadCompleted)


@settings(max_examples=200, deadline=None)
@given(
    screen_id=st.from_regex(r"\A[a-z][a-z0-9_]{0,30}\Z"),
    revision=st.integers(0, 10**6),
    values=st.dictionaries(st.from_regex(r"\A[a-z_]{1,12}\Z"), JSON, max_size=8),
    key=st.text(min_size=1, max_size=64),
)
def test_generated_submits_round_trip(screen_id: str, revision: int, values: dict[str, object], key: str) -> None:
    message = p.ScreenSubmit(screen_id=screen_id, revision=revision, values=values, idempotency_key=key)
    assert p.decode_json(msgspec.json.encode(message), p.ClientMessage) == message


def test_the_decoder_applies_the_limits_it_is_handed() -> None:
    small = p.Limits(max_message_bytes=64, max_depth=3, max_nodes=5)
    with pytest.raises(p.MessageTooLarge) as caught:
        p.decode_json(b'{"type":"hello","pad":"' + b"x" * 64 + b'"}', p.ClientMessage, limits=small)
    assert caught.value.details["limit"] == 64
    with pytest.raises(p.MessageTooLarge) as caught:
        codec.decode_client({"type": "hello", "a": {"b": {"c": 1}}}, limits=small)
    assert caught.value.message == "Expected at most 3 levels of nesting, got 4 - at $.a.b.c"
    with pytest.raises(p.MessageTooLarge) as caught:
        p.check_bounds({"type": "hello", "k": [1, 2, 3, 4]}, small)
    assert caught.value.details["limit"] == 5
    assert p.Limits(max_message_bytes=256 * 1024, max_depth=24, max_nodes=20_000) == p.DEFAULT_LIMITS


@pytest.mark.parametrize(("text", "expected"), [
    ("Expected `int`, got `str` - at `$.revision`", ("Expected `int`, got `str`", "$.revision")),
    ("Object missing required field `type`", ("Object missing required field `type`", "$")),
    ("Invalid value 'x' - at `$.states[...].type`", ("Invalid value 'x'", "$.states[...].type")),
    ("Expected `str` - at `$`", ("Expected `str`", "$")),
])
def test_describe_error_splits_message_and_path(text: str, expected: tuple[str, str]) -> None:
    assert p.describe_error(text) == expected


def test_describe_error_reads_a_real_validation_error() -> None:
    with pytest.raises(msgspec.ValidationError) as caught:
        msgspec.convert({"screen_id": 1}, p.ScreenAction)
    assert p.describe_error(caught.value) == ("Expected `str`, got `int`", "$.screen_id")


def test_path_steps_name_keys_indexes_and_unnamed_dict_keys() -> None:
    assert codec.path_steps("$.states[...].on.submit[0].target") == ["states", None, "on", "submit", 0, "target"]
    assert codec.path_steps("$") == []
