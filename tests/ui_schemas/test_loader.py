from __future__ import annotations

from pathlib import Path

import pytest

from sdk_protocol import Screen, TextInput, Validation, decode_server
from ui_schemas.loader import (
    Catalogs,
    DefinitionError,
    builtin_journey_files,
    load_journey_file,
    msgspec_path_to_pointer,
    parse_journey,
    read_yaml,
)
from ui_schemas.model import ScreenState

MINIMAL = """
name: tiny
version: 1
title: kyc.title
initial: ask
states:
  ask:
    type: screen
    screen:
      components:
        - {type: input.text, name: first_name, label: field.first_name}
    on:
      submit: done
  done:
    type: final
    outcome: approved
"""


def problem_of(text: str) -> tuple[str, str, str]:
    with pytest.raises(DefinitionError) as caught:
        parse_journey(read_yaml(text, "j.yaml"), "j.yaml")
    (problem,) = caught.value.problems
    return problem.pointer, problem.message, problem.hint


def test_the_three_shipped_journeys_load_with_their_kept_versions() -> None:
    keys = sorted(load_journey_file(f).key for f in builtin_journey_files())
    assert keys == ["kyb_business@1", "kyb_business@2", "kyb_business@3", "kyc_individual@1", "kyc_individual@2",
                    "kyc_individual@3",
                    "kyc_individual@4", "kyc_individual@5",
                    "selfie_reverification@1", "selfie_reverification@2", "selfie_reverification@3"]


def test_yaml_on_is_a_key_not_a_boolean() -> None:
    journey = parse_journey(read_yaml(MINIMAL, "j.yaml"), "j.yaml")
    state = journey.states["ask"]
    assert isinstance(state, ScreenState)
    assert state.on == {"submit": "done"}


def test_an_unknown_component_type_is_located_and_a_close_name_suggested() -> None:
    pointer, message, hint = problem_of(MINIMAL.replace("input.text", "input.txt"))
    assert pointer == "/states/ask/screen/components/0/type"
    assert "input.txt" in message
    assert hint == "did you mean 'input.text'?"


def test_an_unknown_state_kind_is_located() -> None:
    pointer, _, hint = problem_of(MINIMAL.replace("type: final", "type: finale"))
    assert pointer == "/states/done/type"
    assert hint == "did you mean 'final'?"


def test_a_wrong_value_type_is_located() -> None:
    pointer, message, _ = problem_of(MINIMAL.replace("version: 1", "version: one"))
    assert pointer == "/version"
    assert message == "Expected `int`, got `str`"


def test_a_misspelt_field_is_refused() -> None:
    pointer, message, hint = problem_of(MINIMAL.replace("    outcome: approved", "    outcome: approved\n    outcom: x"))
    assert pointer == "/states/done/outcom"
    assert message == "Expected a field of final, got unknown field 'outcom'"
    assert hint == "did you mean 'outcome'?"


@pytest.mark.parametrize(("component", "pointer", "owner", "typo", "meant"), [
    ("{type: input.text, name: first_name, lable: field.first_name}", "/lable", "input.text", "lable", "label"),
    ("{type: input.text, name: first_name, validation: {requird: true}}", "/validation/requird", "Validation",
     "requird", "required"),
    ("{type: input.text, name: first_name, validation: {max_lenght: 40}}", "/validation/max_lenght", "Validation",
     "max_lenght", "max_length"),
    ("{type: input.select, name: kind, options: [{value: a, lable: x}]}", "/options/0/lable", "Option", "lable",
     "label"),
    ("{type: capture.document, name: id, fallback: {type: input.file, name: id, max_file: 2}}", "/fallback/max_file",
     "input.file", "max_file", "max_files"),
    ("{type: input.repeater, name: owners, fields: [{type: input.country, name: c, countires: [DE]}]}",
     "/fields/0/countires", "input.country", "countires", "countries"),
])
def test_a_misspelt_component_key_is_refused_with_its_path_and_a_suggestion(
        component: str, pointer: str, owner: str, typo: str, meant: str) -> None:
    text = MINIMAL.replace("{type: input.text, name: first_name, label: field.first_name}", component)
    assert problem_of(text) == (f"/states/ask/screen/components/0{pointer}",
                                f"Expected a field of {owner}, got unknown field {typo!r}",
                                f"did you mean {meant!r}?")


def test_every_unknown_key_is_reported_at_once() -> None:
    text = MINIMAL.replace("label: field.first_name}", "lable: field.first_name, validation: {requird: true}}")
    with pytest.raises(DefinitionError) as caught:
        parse_journey(read_yaml(text, "j.yaml"), "j.yaml")
    assert [p.pointer for p in caught.value.problems] == [
        "/states/ask/screen/components/0/lable", "/states/ask/screen/components/0/validation/requird"]


def test_a_key_with_no_close_match_lists_the_known_fields() -> None:
    _, _, hint = problem_of(MINIMAL.replace("label: field.first_name}", "colour: red}"))
    assert hint.startswith("expected one of: ")
    assert "label" in hint and "validation" in hint


def test_components_stay_lenient_on_the_wire() -> None:
    screen = {"type": "screen", "screen_id": "s", "revision": 1, "state": "s",
              "components": [{"type": "input.text", "name": "n", "added_in_v9": True,
                              "validation": {"required": True, "future_rule": 1}}]}
    message = decode_server(screen)
    assert isinstance(message, Screen)
    assert message.components[0] == TextInput(name="n", validation=Validation(required=True))


def test_a_yaml_syntax_error_gives_the_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        read_yaml("name: [unclosed\n", "bad.yaml")
    assert "line 2" in str(caught.value) or "line 1" in str(caught.value)


def test_an_unreadable_file_is_a_definition_error(tmp_path: Path) -> None:
    path = tmp_path / "j.yaml"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(DefinitionError, match="UTF-8"):
        load_journey_file(path)


def test_msgspec_paths_become_json_pointers() -> None:
    assert msgspec_path_to_pointer("$.states.a.on.submit[0].target") == "/states/a/on/submit/0/target"
    assert msgspec_path_to_pointer("$") == ""


def test_every_catalog_has_the_same_keys(catalogs: Catalogs) -> None:
    assert {"en", "de", "es"} <= set(catalogs.locales)
    english = set(catalogs.messages["en"])
    for locale, table in catalogs.messages.items():
        assert set(table) == english, f"{locale} differs: {sorted(set(table) ^ english)}"


def test_a_regional_locale_falls_back_to_its_language_then_to_english(catalogs: Catalogs) -> None:
    assert catalogs.resolve_locale("de-CH") == "de"
    assert catalogs.text("common.back", "de-AT") == "Zurück"
    assert catalogs.text("common.back", "fr") == "Back"
    assert catalogs.text("no.such.key", "de") == "no.such.key"


def test_placeholders_are_filled(catalogs: Catalogs) -> None:
    assert catalogs.text("error.validation.min_length", "es", {"min_length": 3}) == "Introduzca al menos 3 caracteres."
