from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from server.journeys import Registry
from server.workflow import RulesEngine, check_journey
from server.workflow.graph import to_mermaid
from ui_schemas.loader import Catalogs, Problem, parse_journey

GOOD: dict[str, object] = {
    "name": "demo",
    "version": 1,
    "title": "kyc.title",
    "initial": "personal",
    "steps": ["details"],
    "rules": {
        "is_minor": {"<": [{"age_years": [{"var": "person.date_of_birth"}]}, 18]},
        "front_ok": {"var": "checks.front.passed"},
    },
    "states": {
        "personal": {
            "type": "screen",
            "step": "details",
            "store_at": "person",
            "screen": {"title": "kyc.personal.title", "components": [
                {"type": "input.text", "name": "date_of_birth", "label": "field.date_of_birth", "input_type": "date"},
                {"type": "input.radio", "name": "pep", "label": "field.pep",
                 "options": [{"value": "yes", "label": "common.yes"}, {"value": "no", "label": "common.no"}]},
                {"type": "input.text", "name": "pep_role", "label": "field.pep_role",
                 "visible_if": {"==": [{"var": "pep"}, "yes"]}},
            ]},
            "on": {"submit": [{"target": "rejected", "guard": "is_minor"}, {"target": "front"}]},
        },
        "front": {
            "type": "screen",
            "store_at": "captures.front",
            "screen": {"components": [{"type": "capture.document", "name": "file", "label": "kyc.document_front.title"}]},
            "on": {"submit": "check"},
        },
        "check": {
            "type": "task", "task": "verify_document", "input": {"file": "captures.front.file"}, "result": "checks.front",
            "on": {"done": [{"target": "decide"}], "error": "decide"},
        },
        "decide": {"type": "decision", "always": [{"target": "approved", "guard": "front_ok"}, {"target": "rejected"}]},
        "approved": {"type": "final", "outcome": "approved"},
        "rejected": {"type": "final", "outcome": "rejected"},
    },
}


def problems(journey: dict[str, object], engine: RulesEngine, catalogs: Catalogs | None = None) -> list[Problem]:
    return check_journey(parse_journey(journey, "demo.yaml"), engine=engine, catalogs=catalogs, file="demo.yaml",
                         tasks={"verify_document", "verify_selfie"})


def broken(**changes: object) -> dict[str, object]:
    journey = copy.deepcopy(GOOD)
    for path, value in changes.items():
        *parents, last = path.split("__")
        node: dict[str, object] = journey
        for part in parents:
            child = node[part]
            assert isinstance(child, dict)
            node = child
        if value is None:
            del node[last]
        else:
            node[last] = value
    return journey


def only(found: list[Problem]) -> Problem:
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_the_good_journey_has_no_problems(engine: RulesEngine, catalogs: Catalogs) -> None:
    assert problems(GOOD, engine, catalogs) == []


def test_the_shipped_journeys_have_no_problems(registry: Registry) -> None:
    assert sorted(j.key for j in registry.all()) == ["kyb_business@1", "kyb_business@2", "kyb_business@3",
                                                    "kyc_individual@1",
                                                    "kyc_individual@2", "kyc_individual@3", "kyc_individual@4",
                                                    "kyc_individual@5",
                                                    "selfie_reverification@1",
                                                    "selfie_reverification@2", "selfie_reverification@3"]


def test_an_unknown_target_state_is_located_with_a_suggestion(engine: RulesEngine) -> None:
    journey = broken(states__front__on={"submit": "chek"})
    found = [p for p in problems(journey, engine) if "unknown state" in p.message]
    problem = only(found)
    assert problem.pointer == "/states/front/on/submit"
    assert problem.hint == "did you mean 'check'?"


def test_an_unreachable_state_is_reported(engine: RulesEngine) -> None:
    journey = broken(states__orphan={"type": "final", "outcome": "abandoned"})
    problem = only(problems(journey, engine))
    assert problem.pointer == "/states/orphan"
    assert "unreachable" in problem.message


def test_a_final_state_without_outcome_is_reported(engine: RulesEngine) -> None:
    problem = only(problems(broken(states__approved={"type": "final"}), engine))
    assert problem.pointer == "/states/approved"
    assert "no outcome" in problem.message


def test_an_unknown_message_key_is_reported_per_locale(engine: RulesEngine, catalogs: Catalogs) -> None:
    journey = broken(title="kyc.titel")
    found = problems(journey, engine, catalogs)
    assert {p.message for p in found} == {f"message key 'kyc.titel' is missing from the {loc!r} catalog"
                                          for loc in catalogs.locales}
    assert all(p.pointer == "/title" and p.hint == "did you mean 'kyc.title'?" for p in found)


def test_a_rule_error_from_datalogic_check_is_located_inside_the_rule(engine: RulesEngine) -> None:
    journey = broken(rules__front_ok={"if": [True, {"vr": "checks.front.passed"}, False]})
    problem = only(problems(journey, engine))
    assert problem.pointer == "/rules/front_ok/if/1"
    assert "unknown operator `vr`" in problem.message


def test_a_guard_reading_a_field_no_screen_collects_is_reported(engine: RulesEngine) -> None:
    journey = broken(rules__is_minor={"<": [{"age_years": [{"var": "person.birth_date"}]}, 18]})
    problem = only(problems(journey, engine))
    assert problem.pointer == "/rules/is_minor"
    assert "'person.birth_date'" in problem.message
    assert problem.hint == "did you mean 'person.date_of_birth'?"


def test_a_guard_naming_an_unknown_rule_is_reported(engine: RulesEngine) -> None:
    journey = broken(states__decide={"type": "decision", "always": [{"target": "approved", "guard": "front_okay"},
                                                                    {"target": "rejected"}]})
    found = problems(journey, engine)
    assert any(p.pointer == "/states/decide/always/0/guard" and p.hint == "did you mean 'front_ok'?" for p in found)


def test_a_decision_that_may_not_settle_is_reported(engine: RulesEngine) -> None:
    journey = broken(states__decide={"type": "decision", "always": [{"target": "approved", "guard": "front_ok"}]})
    found = problems(journey, engine)
    assert any("must have no guard" in p.message for p in found)


def test_a_task_without_an_error_transition_is_reported(engine: RulesEngine) -> None:
    journey = broken(states__check__on={"done": "decide"})
    assert "task state has no `error` transition" in only(problems(journey, engine)).message


def test_an_unknown_task_is_reported(engine: RulesEngine) -> None:
    journey = broken(states__check__task="verify_documnet")
    problem = only(problems(journey, engine))
    assert problem.pointer == "/states/check/task"
    assert problem.message == "Expected a task the server runs (verify_document, verify_selfie), got unknown task " \
                              "'verify_documnet'"
    assert problem.hint == "did you mean 'verify_document'?"


def test_a_visibility_rule_reading_another_screens_field_is_reported(engine: RulesEngine) -> None:
    journey = copy.deepcopy(GOOD)
    components = journey["states"]["personal"]["screen"]["components"]  # type: ignore[index]
    components[2]["visible_if"] = {"==": [{"var": "address.country"}, "DE"]}
    problem = only(problems(journey, engine))
    assert problem.pointer == "/states/personal/screen/components/2/visible_if"


def test_two_inputs_with_one_name_are_reported(engine: RulesEngine) -> None:
    journey = copy.deepcopy(GOOD)
    components = journey["states"]["personal"]["screen"]["components"]  # type: ignore[index]
    components.append({"type": "input.text", "name": "pep"})
    assert "two inputs are named 'pep'" in only(problems(journey, engine)).message


def test_a_bad_pattern_and_a_bad_date_limit_are_reported(engine: RulesEngine) -> None:
    journey = copy.deepcopy(GOOD)
    components = journey["states"]["personal"]["screen"]["components"]  # type: ignore[index]
    components[0]["validation"] = {"pattern": "([a-z", "max_date": "tomorrow"}
    pointers = sorted(p.pointer for p in problems(journey, engine))
    assert pointers == ["/states/personal/screen/components/0/validation/max_date",
                        "/states/personal/screen/components/0/validation/pattern"]


def test_a_country_list_with_an_unassigned_code_is_reported(engine: RulesEngine) -> None:
    journey = copy.deepcopy(GOOD)
    components = journey["states"]["personal"]["screen"]["components"]  # type: ignore[index]
    components.append({"type": "input.country", "name": "nationality", "countries": ["DE", "EU", "gb"]})
    found = [(p.pointer, p.message) for p in problems(journey, engine)]
    assert found == [
        ("/states/personal/screen/components/3/countries/1", "Expected an assigned ISO 3166-1 alpha-2 code, got 'EU'"),
        ("/states/personal/screen/components/3/countries/2", "Expected an assigned ISO 3166-1 alpha-2 code, got 'gb'"),
    ]


def test_a_button_without_a_transition_is_reported(engine: RulesEngine) -> None:
    journey = copy.deepcopy(GOOD)
    components = journey["states"]["front"]["screen"]["components"]  # type: ignore[index]
    components.append({"type": "action.button", "action": "switch_device", "label": "common.back"})
    assert "offers action 'switch_device'" in only(problems(journey, engine)).message


def test_bad_identifiers_paths_and_delays_are_reported(engine: RulesEngine) -> None:
    journey = broken(states__front__store_at="captures..front", states__front__after=[{"delay": "5y", "target": "x"}])
    messages = " | ".join(p.message for p in problems(journey, engine))
    assert "dotted context path" in messages
    assert "Expected a delay like 30m or 7d" in messages


def test_journeys_check_exits_1_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken(states__approved={"type": "final"}, title="nope.key")))
    out = subprocess.run([sys.executable, "-m", "server.cli", "journeys", "check", str(path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1
    assert f"{path}#/states/approved: final state 'approved' has no outcome" in out.stderr
    assert "message key 'nope.key' is missing" in out.stderr


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.cli", "journeys", "check", str(path)], capture_output=True,
                          text=True, timeout=60, cwd=Path(__file__).resolve().parents[3])


def test_journeys_check_refuses_a_task_the_server_does_not_run(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(broken(states__check__task="verify_documnet")))
    out = _check(path)
    assert out.returncode == 1
    assert f"{path}#/states/check/task: Expected a task the server runs" in out.stderr
    assert "got unknown task 'verify_documnet' (hint: did you mean 'verify_document'?)" in out.stderr


@pytest.mark.parametrize(("where", "key", "meant", "owner"), [
    ("", "lable", "label", "input.text"),
    ("/validation", "requird", "required", "Validation"),
    ("/validation", "max_lenght", "max_length", "Validation"),
])
def test_journeys_check_refuses_a_misspelt_key_with_a_suggestion(tmp_path: Path, where: str, key: str, meant: str,
                                                                 owner: str) -> None:
    journey = copy.deepcopy(GOOD)
    field = journey["states"]["personal"]["screen"]["components"][2]  # type: ignore[index]
    (field.setdefault("validation", {}) if where else field)[key] = True if key == "requird" else 40
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(journey))
    out = _check(path)
    assert out.returncode == 1
    assert (f"{path}#/states/personal/screen/components/2{where}/{key}: Expected a field of {owner}, got unknown "
            f"field {key!r} (hint: did you mean {meant!r}?)") in out.stderr


def test_journeys_check_passes_on_the_shipped_journeys() -> None:
    out = subprocess.run([sys.executable, "-m", "server.cli", "journeys", "check", "ui_schemas/"],
                         capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[3])
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("ok ") == 11  # every journey keeps its earlier versions for the sessions pinned to them


@pytest.mark.parametrize("name", ["kyc_individual", "kyb_business", "selfie_reverification"])
def test_journeys_graph_prints_a_mermaid_state_diagram(name: str, registry: Registry) -> None:
    out = subprocess.run([sys.executable, "-m", "server.cli", "journeys", "graph", name], capture_output=True,
                         text=True, timeout=60, check=True)
    journey = registry.get(name)
    assert journey is not None
    assert out.stdout == to_mermaid(journey.journey)
    assert out.stdout.startswith("stateDiagram-v2\n")
    assert f"[*] --> {journey.journey.initial}" in out.stdout


def test_the_graph_labels_events_and_guards(registry: Registry) -> None:
    journey = registry.get("kyc_individual")
    assert journey is not None
    text = to_mermaid(journey.journey)
    assert "address --> rejected_minor : submit [is_minor]" in text
    assert "check_document_front --> retake_document_front : done [can_retake_front]" in text
    assert "welcome --> abandoned : after 24h" in text


def with_review(review: dict[str, object] | None, on: dict[str, object]) -> dict[str, object]:
    journey = broken(states__decide={"type": "decision", "always": [{"target": "approved", "guard": "front_ok"},
                                                                     {"target": "waiting"}]},
                     states__waiting={"type": "review", "on": on})
    if review is not None:
        journey["review"] = review
    return journey


def test_a_review_state_needs_the_journeys_review_choices(engine: RulesEngine) -> None:
    problem = only(problems(with_review(None, {"approve": "approved", "reject": "rejected"}), engine))
    assert problem.pointer == "/states/waiting" and "`review:`" in problem.message


def test_a_review_state_must_handle_approve_and_reject(engine: RulesEngine) -> None:
    found = problems(with_review({"reject_reasons": {"other": "common.no"}}, {"approve": "approved"}), engine)
    assert [(p.pointer, p.message) for p in found] == [("/states/waiting/on", "review state has no `reject` "
                                                        "transition")]


def test_request_changes_needs_items_and_reasons(engine: RulesEngine) -> None:
    found = problems(with_review({"reject_reasons": {"other": "common.no"}},
                                 {"approve": "approved", "reject": "rejected", "request_changes": "front"}), engine)
    assert [p.pointer for p in found] == ["/review"]


def test_review_flags_name_known_rules(engine: RulesEngine) -> None:
    found = problems(with_review({"reject_reasons": {"other": "common.no"}, "flags": {"risky": "is_minr"}},
                                 {"approve": "approved", "reject": "rejected"}), engine)
    problem = only(found)
    assert problem.pointer == "/review/flags/risky" and problem.hint == "did you mean 'is_minor'?"


def test_review_decisions_are_not_signals_and_their_context_is_readable(engine: RulesEngine) -> None:
    journey = with_review({"reject_reasons": {"other": "common.no"}},
                          {"approve": "approved", "reject": "rejected"})
    journey["rules"] = {**journey["rules"], "second_round": {">": [{"var": "review.round"}, 1]}}  # type: ignore[dict-item]
    assert problems(journey, engine) == []
