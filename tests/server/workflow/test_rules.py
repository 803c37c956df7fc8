from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from server.workflow import RuleError, RulesEngine, js_truthy
from server.workflow.compat import rewrite
from server.workflow.operators import fold_text

NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)


def value(engine: RulesEngine, rule: object, data: dict[str, object] | None = None) -> object:
    return engine.compile("t", rule).evaluate(data or {}, now=NOW)


@pytest.mark.parametrize(("dob", "age"), [
    ("2008-11-25", 18),   # 18th birthday today
    ("2008-11-26", 17),   # tomorrow
    ("1990-02-28", 36),
    ("2000-02-29", 26),   # leap-day birthday, counted on 1 March in non-leap years
    ("1990-12-10T00:00:00Z", 35),
])
def test_age_in_years_is_counted_at_the_time_passed_in(engine: RulesEngine, dob: str, age: int) -> None:
    assert value(engine, {"age_years": [{"var": "dob"}]}, {"dob": dob}) == age


def test_age_can_be_measured_at_an_explicit_date(engine: RulesEngine) -> None:
    assert value(engine, {"age_years": ["2000-06-15", "2018-06-14"]}) == 17


def test_age_of_a_missing_date_is_null_and_a_malformed_one_is_an_error(engine: RulesEngine) -> None:
    assert value(engine, {"age_years": [{"var": "dob"}]}) is None
    with pytest.raises(RuleError) as caught:
        value(engine, {"age_years": ["31/12/1990"]})
    assert caught.value.code == "workflow.rule_failed"
    assert caught.value.error["type"] == "Invalid Arguments"


def test_days_until_counts_from_now_and_goes_negative_once_past(engine: RulesEngine) -> None:
    assert value(engine, {"days_until": ["2026-12-25"]}) == 30
    assert value(engine, {"days_until": ["2026-11-20"]}) == -5


@pytest.mark.parametrize(("a", "b", "same"), [
    ("José Müller", "jose muller", True),
    ("ÅSA  LINDSTRÖM", "asa lindstrom", True),
    ("Straße", "STRASSE", True),
    ("Zoë", "Zoe", True),
    ("Ana", "Anna", False),
])
def test_iequals_ignores_case_accents_and_spacing(engine: RulesEngine, a: str, b: str, same: bool) -> None:
    assert value(engine, {"iequals": [{"var": "a"}, {"var": "b"}]}, {"a": a, "b": b}) is same
    assert (fold_text(a) == fold_text(b)) is same


@pytest.mark.parametrize(("document", "typed", "same"), [
    ("COLLINS<<EILEEN<MARIE", "Eileen", True),              # a middle name left out of the form
    ("COLLINS<<EILEEN<MARIE", "Marie Eileen Collins", True),
    ("MUELLER<<JOSE", "José Müller", True),                 # ICAO writes Ü as UE ...
    ("MULLER<<JOSE", "Jose Müller", True),                  # ... or as U
    ("GARCIA<MARQUEZ<<ANA<MARIA", "Ana-María García Márquez", True),
    ("COLLINS<<EILEEN", "Eileen Marie", False),             # a word the document does not have
    ("COLLINS<<EILEEN", "Ellen", False),
    ("ANNA", "Ana", False),
])
def test_name_matches_takes_every_typed_word_from_the_document_name(engine: RulesEngine, document: str, typed: str,
                                                                    same: bool) -> None:
    rule = {"name_matches": [{"var": "mrz"}, {"var": "typed"}]}
    assert value(engine, rule, {"mrz": document, "typed": typed}) is same


def test_name_matches_is_null_when_a_name_is_missing(engine: RulesEngine) -> None:
    assert value(engine, {"name_matches": [{"var": "mrz"}, "Eileen"]}, {}) is None
    assert value(engine, {"name_matches": ["COLLINS", ""]}) is None


def test_an_empty_object_is_truthy_as_in_javascript(engine: RulesEngine) -> None:
    assert value(engine, {"!!": {"var": "address"}}, {"address": {}}) is True
    assert value(engine, {"if": [{"var": "address"}, "has", "none"]}, {"address": {}}) == "has"
    assert value(engine, {"or": [{"var": "a"}, 5]}, {"a": {}}) == {}
    assert value(engine, {"and": [{"var": "a"}, 5]}, {"a": {}}) == 5
    assert value(engine, {"filter": [{"var": "xs"}, {"var": ""}]}, {"xs": [{}, 0, []]}) == [{}]
    assert js_truthy({}) and not js_truthy([]) and not js_truthy("") and not js_truthy(0.0)


def test_rules_without_objects_are_left_as_written(engine: RulesEngine) -> None:
    rule = {"and": [{">": [{"var": "age"}, 18]}, {"==": [{"var": "country"}, "DE"]}]}
    assert rewrite(rule) == rule


def test_compiling_reports_what_a_rule_reads(engine: RulesEngine) -> None:
    compiled = engine.compile("r", {"and": [{"<": [{"age_years": [{"var": "person.dob"}]}, 18]},
                                            {"in": [{"var": "address.country"}, ["IR"]]}]})
    assert compiled.reads == ["address.country", "person.dob"]


def test_a_guard_evaluation_records_inputs_and_result(engine: RulesEngine) -> None:
    compiled = engine.compile("is_minor", {"<": [{"age_years": [{"var": "person.dob"}]}, 18]})
    evaluation = compiled.test({"person": {"dob": "2010-01-01"}}, now=NOW)
    assert evaluation.rule == "is_minor"
    assert evaluation.inputs == {"person.dob": "2010-01-01"}
    assert evaluation.result is True and evaluation.error is None


def test_a_failing_guard_is_false_and_keeps_the_error_for_the_trace(engine: RulesEngine) -> None:
    evaluation = engine.compile("g", {"all": [{"var": "xs"}, {">": [{"var": ""}, 0]}]}).test({}, now=NOW)
    assert evaluation.result is False
    assert evaluation.error is not None and "Invalid Arguments" in evaluation.error


def test_an_unknown_operator_is_reported_by_check_with_a_pointer(engine: RulesEngine) -> None:
    (diagnostic,) = engine.check({"if": [True, {"vr": "x"}, 1]})
    assert diagnostic.code == "UnknownOperator"
    assert diagnostic.pointer == "/if/1"
    assert "did you mean `var`" in diagnostic.message


def test_a_rule_that_can_never_run_fails_to_compile(engine: RulesEngine) -> None:
    with pytest.raises(RuleError) as caught:
        engine.compile("m", {"map": [None, {"var": ""}]})
    assert caught.value.error == {"type": "Invalid Arguments"}


def test_thrown_errors_keep_their_payload(engine: RulesEngine) -> None:
    with pytest.raises(RuleError) as caught:
        value(engine, {"throw": {"var": "e"}}, {"e": {"type": "Not an admin"}})
    assert caught.value.error == {"type": "Not an admin"}


def test_the_conformance_suite_passes_in_full(shared_data: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "server.cli", "rules", "conformance", str(shared_data / "jsonlogic")],
                         capture_output=True, text=True, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "1138 passed, 0 failed", out.stdout + out.stderr
    assert out.returncode == 0


def test_datalogic_alone_misses_cases_that_the_compatibility_pass_fixes(shared_data: Path) -> None:
    # Keeps the README honest: the pass is needed, and shows by how much.
    out = subprocess.run([sys.executable, "-m", "server.cli", "rules", "conformance", "--engine-only",
                          str(shared_data / "jsonlogic")], capture_output=True, text=True, timeout=300)
    passed = int(out.stdout.strip().splitlines()[-1].split()[0])
    assert 1000 < passed < 1138
    assert out.returncode == 1
