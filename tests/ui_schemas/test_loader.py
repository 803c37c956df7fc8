from __future__ import annotations

from pathlib import Path

import pytest

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
    assert keys == ["kyb_business@1", "kyc_individual@1", "kyc_individual@2", "selfie_reverification@1",
                    "selfie_reverification@2"]


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
    assert pointer == "/states/done"
    assert "outcom" in message
    assert "spelling" in hint


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
