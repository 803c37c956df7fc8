from __future__ import annotations

import datetime as dt

import jsonschema

import sdk_protocol as p
from server.journeys import Registry
from server.workflow import RejectInput, localize_errors, render_screen
from tests.server.workflow.test_engine import ADA, ADDRESS, FILE, Walk, kyc, to_documents
from ui_schemas.loader import Catalogs

EVERYTHING = p.Capabilities.declare(p.ALL_COMPONENT_TYPES)


def screen(walk: Walk, catalogs: Catalogs, locale: str = "en",
           capabilities: p.Capabilities = EVERYTHING) -> p.Screen:
    return render_screen(walk.journey, walk.snapshot, catalogs=catalogs, locale=locale, capabilities=capabilities)


def test_message_keys_become_text_in_the_clients_locale(registry: Registry, catalogs: Catalogs) -> None:
    walk = kyc(registry)
    walk.submit()
    for locale, title, label in [("en", "About you", "First name"), ("de", "Über Sie", "Vorname"),
                                 ("es-MX", "Sobre usted", "Nombre")]:
        rendered = screen(walk, catalogs, locale)
        assert rendered.title == title
        first = rendered.components[1]
        assert isinstance(first, p.TextInput) and first.label == label


def test_the_screen_carries_id_revision_step_actions_and_entered_values(registry: Registry,
                                                                        catalogs: Catalogs) -> None:
    walk = kyc(registry)
    walk.submit()
    walk.submit(ADA)
    walk.action("back")
    rendered = screen(walk, catalogs)
    assert (rendered.screen_id, rendered.revision, rendered.state) == ("personal", walk.snapshot.revision, "personal")
    assert rendered.step == p.Step(n=1, m=5)
    assert rendered.actions == [p.Action(name="back", label="Back")]
    assert rendered.values == ADA


def test_validation_and_rules_travel_with_the_components(registry: Registry, catalogs: Catalogs) -> None:
    walk = kyc(registry)
    walk.submit()
    by_name = {c.name: c for c in screen(walk, catalogs).components if isinstance(c, p.Input)}
    assert by_name["date_of_birth"].validation.max_date == "today"
    assert by_name["pep_role"].visible_if == {"==": [{"var": "pep"}, "yes"]}


def test_the_document_type_chosen_earlier_is_filled_into_the_capture(registry: Registry, catalogs: Catalogs) -> None:
    walk = kyc(registry)
    to_documents(walk, document="driving_licence")
    capture = screen(walk, catalogs).components[1]
    assert isinstance(capture, p.DocumentCapture)
    assert (capture.document_type, capture.side) == ("driving_licence", "front")


def test_a_client_without_document_capture_gets_the_file_upload_fallback(registry: Registry,
                                                                         catalogs: Catalogs) -> None:
    walk = kyc(registry)
    to_documents(walk)
    rendered = screen(walk, catalogs, capabilities=p.Capabilities.declare(["input.file"]))
    assert isinstance(rendered.components[1], p.FileUpload)
    assert rendered.components[1].label == "Front of your document"


def test_a_client_missing_a_component_without_fallback_gets_an_upgrade_screen(registry: Registry,
                                                                              catalogs: Catalogs) -> None:
    walk = kyc(registry)
    walk.submit()
    rendered = screen(walk, catalogs, "de", p.Capabilities.declare(["input.text", "input.radio"]))
    assert rendered.screen_id == "upgrade_required"
    assert rendered.title == "Aktualisierung erforderlich"
    assert all(p.component_type(c) in p.CORE_COMPONENT_TYPES for c in rendered.components)
    assert "input.country" in rendered.components[-1].text  # type: ignore[union-attr]


def test_a_retake_screen_names_the_problem_found(registry: Registry, catalogs: Catalogs) -> None:
    walk = kyc(registry)
    to_documents(walk)
    walk.submit({"file": FILE})
    walk.task_done(passed=False, message_key="retake.glare")
    alert = screen(walk, catalogs, "es").components[1]
    assert isinstance(alert, p.Alert)
    assert alert.text == "Hay reflejos en la tarjeta. Inclínela para alejarla de la luz."


def test_a_running_task_shows_its_waiting_screen(registry: Registry, catalogs: Catalogs) -> None:
    walk = kyc(registry)
    to_documents(walk)
    walk.submit({"file": FILE})
    rendered = screen(walk, catalogs)
    assert rendered.screen_id == "check_document_front"
    assert [p.component_type(c) for c in rendered.components] == ["content.heading", "content.paragraph"]
    assert rendered.waiting is True


def test_only_a_running_task_s_screen_is_a_waiting_screen(registry: Registry, catalogs: Catalogs) -> None:
    walk = kyc(registry)
    walk.submit()
    assert screen(walk, catalogs).waiting is False
    assert screen(walk, catalogs, capabilities=p.Capabilities.declare(["input.text"])).waiting is False


def test_every_kind_of_screen_the_server_sends_is_valid_under_the_published_schema(registry: Registry,
                                                                                   catalogs: Catalogs) -> None:
    schema = p.protocol_schema()
    validator = jsonschema.Draft202012Validator({**schema, "oneOf": [{"$ref": "#/$defs/ServerMessage"}]})
    walk = kyc(registry)
    walk.submit()
    kinds = {"form": screen(walk, catalogs),
             "upgrade_required": screen(walk, catalogs, "de", p.Capabilities.declare(["input.text"]))}
    walk = kyc(registry)
    to_documents(walk)
    kinds["capture"] = screen(walk, catalogs)
    kinds["capture fallback"] = screen(walk, catalogs, capabilities=p.Capabilities.declare(["input.file"]))
    walk.submit({"file": FILE})
    kinds["waiting"] = screen(walk, catalogs)
    for kind, rendered in kinds.items():
        errors = [e.message for e in validator.iter_errors(p.to_wire(rendered))]
        assert errors == [], kind


def test_field_errors_are_localised_with_their_params(registry: Registry, catalogs: Catalogs) -> None:
    walk = kyc(registry)
    walk.submit()
    walk.submit({**ADA, "first_name": "", "date_of_birth": "2031-01-01"}, allow_errors=True)
    (reject,) = walk.effects
    assert isinstance(reject, RejectInput)
    messages = {e.pointer: e.message for e in localize_errors(reject.errors, catalogs, "de")}
    assert messages["/first_name"] == "Dieses Feld ist erforderlich."
    assert messages["/date_of_birth"] == f"Das Datum muss am {dt.date(2026, 11, 25).isoformat()} oder früher liegen."


def test_the_final_screen_is_rendered_with_the_outcome(registry: Registry, catalogs: Catalogs) -> None:
    walk = kyc(registry)
    walk.submit()
    walk.submit({**ADA, "date_of_birth": "2015-01-01"})
    walk.submit(ADDRESS)
    rendered = screen(walk, catalogs)
    assert rendered.title == "Verification unsuccessful"
