from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import sdk_protocol as p
from sdk_protocol.validation import resolve_date, validate_form

TODAY = dt.date(2026, 11, 25)


def errors(component: p.Input, value: object, *, required: bool | None = None) -> list[str]:
    found = p.validate_value(component, value, pointer=f"/{component.name}",
                             required=component.validation.required if required is None else required, today=TODAY)
    return [e.code for e in found]


def test_required_fields_refuse_nothing_empty_text_and_false() -> None:
    field = p.TextInput(name="n", validation=p.Validation(required=True))
    for empty in (None, "", []):
        assert errors(field, empty) == ["validation.required"]
    assert errors(p.Checkbox(name="c", validation=p.Validation(required=True)), False) == ["validation.required"]
    assert errors(p.TextInput(name="n"), None) == []


@pytest.mark.parametrize(("value", "codes"), [
    ("Ada", []),
    ("A", ["validation.min_length"]),
    ("A" * 11, ["validation.max_length"]),
    ("Ad4", ["validation.pattern"]),
    (3, ["validation.type"]),
])
def test_text_length_and_pattern(value: object, codes: list[str]) -> None:
    field = p.TextInput(name="n", validation=p.Validation(min_length=2, max_length=10, pattern="[A-Za-z]+"))
    assert errors(field, value) == codes


@pytest.mark.parametrize(("input_type", "good", "bad", "code"), [
    ("email", "ada@example.com", "ada@", "validation.email"),
    ("tel", "+44 20 7946 0958", "call me", "validation.tel"),
    ("date", "1990-12-10", "10/12/1990", "validation.date"),
])
def test_typed_text_inputs(input_type: p.components.InputType, good: str, bad: str, code: str) -> None:
    field = p.TextInput(name="n", input_type=input_type)
    assert errors(field, good) == []
    assert errors(field, bad) == [code]


def test_number_inputs_take_numbers_within_range() -> None:
    field = p.TextInput(name="share", input_type="number", validation=p.Validation(min_value=0, max_value=100))
    assert errors(field, 25) == []
    assert errors(field, 12.5) == []
    assert errors(field, -1) == ["validation.min_value"]
    assert errors(field, 101) == ["validation.max_value"]
    assert errors(field, "25") == ["validation.type"]
    assert errors(field, True) == ["validation.type"]


def test_date_ranges_accept_iso_and_relative_limits() -> None:
    adult = p.TextInput(name="dob", input_type="date", validation=p.Validation(min_date="1900-01-01",
                                                                              max_date="today-18y"))
    assert errors(adult, "2008-11-25") == []
    assert errors(adult, "2008-11-26") == ["validation.max_date"]
    assert errors(adult, "1899-12-31") == ["validation.min_date"]
    found = p.validate_value(adult, "2010-01-01", pointer="/dob", required=False, today=TODAY)
    assert found[0].params == {"max_date": "2008-11-25"}


def test_relative_dates_resolve_against_the_day_given() -> None:
    assert resolve_date("today", TODAY) == TODAY
    assert resolve_date("today+30d", TODAY) == dt.date(2026, 12, 25)
    assert resolve_date("today-6m", TODAY) == dt.date(2026, 5, 25)
    assert resolve_date("today-1y", dt.date(2028, 2, 29)) == dt.date(2027, 2, 28)
    with pytest.raises(ValueError):
        resolve_date("yesterday", TODAY)


def test_choices_accept_only_their_options() -> None:
    options = [p.Option(value="passport", label="Passport"), p.Option(value="id_card", label="ID")]
    for component in (p.Select(name="t", options=options), p.Radio(name="t", options=options)):
        assert errors(component, "passport") == []
        assert errors(component, "visa") == ["validation.not_allowed"]
        assert errors(component, 1) == ["validation.type"]


def test_allowed_values_narrow_a_text_or_select() -> None:
    field = p.TextInput(name="c", validation=p.Validation(allowed_values=["a", "b"]))
    assert errors(field, "a") == []
    assert errors(field, "c") == ["validation.not_allowed"]


def test_country_select_takes_iso_codes_from_its_list() -> None:
    field = p.CountrySelect(name="c", countries=["DE", "ES"])
    assert errors(field, "DE") == []
    assert errors(field, "FR") == ["validation.not_allowed"]
    assert errors(field, "germany") == ["validation.country"]
    assert errors(p.CountrySelect(name="c"), "FR") == []


@pytest.mark.parametrize("code", ["ZZ", "XX", "QQ", "EU", "uk", "UK", "AA", "gb"])
def test_a_country_must_be_an_assigned_iso_3166_alpha_2_code(code: str) -> None:
    found = p.validate_value(p.CountrySelect(name="c"), code, pointer="/c", required=True, today=TODAY)
    assert [(e.code, e.message) for e in found] == [
        ("validation.country", f"Expected an assigned ISO 3166-1 alpha-2 code, got {code!r}")]


@pytest.mark.parametrize("code", ["GB", "DE", "US", "AX", "SS", "CW"])
def test_assigned_country_codes_are_accepted(code: str) -> None:
    assert errors(p.CountrySelect(name="c"), code) == []


def test_the_country_list_has_the_249_assigned_codes_and_matches_the_tz_database() -> None:
    assert len(p.COUNTRY_CODES) == 249
    assert all(len(c) == 2 and c.isupper() for c in p.COUNTRY_CODES)
    tab = Path("/usr/share/zoneinfo/iso3166.tab")
    if not tab.exists():
        pytest.skip("no tz database to compare with")
    listed = {line.split("\t", 1)[0] for line in tab.read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("#")}
    assert listed == p.COUNTRY_CODES


def test_checkbox_and_consent_take_booleans() -> None:
    consent = p.Consent(name="ok", text="t", version="1", validation=p.Validation(required=True))
    assert errors(consent, True) == []
    assert errors(consent, False) == ["validation.required"]
    assert errors(consent, "yes") == ["validation.type"]


def test_captures_take_uploaded_file_ids() -> None:
    for capture in (p.DocumentCapture(name="f"), p.SelfieCapture(name="f")):
        assert errors(capture, "f_0123456789ab") == []
        assert errors(capture, "../../etc/passwd") == ["validation.file_id"]
        assert errors(capture, 17) == ["validation.file_id"]


def test_file_upload_counts_files() -> None:
    upload = p.FileUpload(name="docs", min_files=1, max_files=2)
    assert errors(upload, ["f_0123456789ab"]) == []
    assert errors(upload, ["f_0123456789ab"] * 3) == ["validation.max_items"]
    assert errors(upload, ["nope"]) == ["validation.file_id"]
    assert errors(upload, "f_0123456789ab") == ["validation.type"]


def test_repeater_validates_each_item_with_pointers_into_the_list() -> None:
    owners = p.Repeater(name="owners", min_items=1, max_items=3, fields=[
        p.TextInput(name="name", validation=p.Validation(required=True)),
        p.TextInput(name="share", input_type="number", validation=p.Validation(max_value=100)),
    ])
    assert errors(owners, [{"name": "Ada", "share": 60}]) == []
    assert errors(owners, []) == ["validation.min_items"]
    assert errors(owners, [{}, {}, {}, {}]) == ["validation.max_items"]
    found = p.validate_value(owners, [{"name": "Ada"}, {"share": 150}, "x"], pointer="/owners", required=True,
                             today=TODAY)
    assert [(e.pointer, e.code) for e in found] == [
        ("/owners/1/name", "validation.required"),
        ("/owners/1/share", "validation.max_value"),
        ("/owners/2", "validation.type"),
    ]


def test_a_form_refuses_unknown_fields_and_skips_hidden_ones() -> None:
    inputs: list[p.Input] = [
        p.Radio(name="pep", options=[p.Option(value="yes", label="y"), p.Option(value="no", label="n")]),
        p.TextInput(name="role", validation=p.Validation(required=True)),
    ]

    def hide_role_unless_pep(component: p.Input, values: object) -> tuple[bool, bool]:
        assert isinstance(values, dict)
        if component.name == "role":
            return values.get("pep") == "yes", values.get("pep") == "yes"
        return True, False

    assert validate_form(inputs, {"pep": "no"}, today=TODAY, conditions=hide_role_unless_pep) == []
    found = validate_form(inputs, {"pep": "yes", "hacker": 1}, today=TODAY, conditions=hide_role_unless_pep)
    assert [(e.pointer, e.code) for e in found] == [("/hacker", "validation.unknown_field"),
                                                    ("/role", "validation.required")]


def test_pointers_escape_slash_and_tilde() -> None:
    found = validate_form([p.TextInput(name="a")], {"x/y~z": 1}, today=TODAY)
    assert found[0].pointer == "/x~1y~0z"
