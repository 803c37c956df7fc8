"""Name normalisation, matching and FtM loading of the screening matcher (pure code, real lists on disk)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from verification.screening import Entity, Query, ScreeningIndex, ScreeningListInvalid, list_version, load_entities
from verification.screening.names import normalise, parse_name, skeleton
from verification.screening.scoring import compare_names

REVIEW = 0.94


def person(entity_id: str, name: str, *, birth: str = "", nationality: str = "", alias: str = "") -> Entity:
    properties = {"name": [name], "topics": ["sanction"]}
    if birth:
        properties["birthDate"] = [birth]
    if nationality:
        properties["nationality"] = [nationality]
    if alias:
        properties["alias"] = [alias]
    return Entity(id=entity_id, schema="Person", properties=properties, datasets=["test"])


@pytest.fixture(scope="module")
def index() -> ScreeningIndex:
    return ScreeningIndex([
        person("putin", "Владимир Путин", birth="1952-10-07", nationality="ru"),
        person("smith", "John Michael Smith", birth="1970-01-02"),
        person("muller", "José Müller"),
        person("salman", "Mohammed bin Salman", birth="1985-08-31"),
        person("xi", "Xi Jinping"),
        person("ivanov", "Aleksandr Ivanov", birth="1961"),
        Entity(id="acme", schema="Company", properties={"name": ["ACME Trading LLC"], "jurisdiction": ["ir"],
                                                         "registrationNumber": ["12-345"]}),
    ])


def best(index: ScreeningIndex, query: Query) -> tuple[str, float, list[str]]:
    found = index.screen(query)
    return (found[0].id, found[0].score, found[0].reasons) if found else ("", 0.0, [])


def test_normalising_folds_accents_scripts_and_punctuation() -> None:
    assert normalise("José  Müller-Lüdenscheidt") == "jose muller ludenscheidt"
    assert normalise("Владимир Путин") == "vladimir putin"
    assert normalise("习近平") == "xi jin ping"
    assert normalise("O'Brien") == "obrien"


def test_transliteration_variants_share_a_key() -> None:
    assert skeleton("mohammed") == skeleton("muhammad") == skeleton("mohamed")
    assert skeleton("aleksandr") == skeleton("alexander")
    assert skeleton("smith") != skeleton("jones")


@pytest.mark.parametrize(("name", "birth", "expected"), [
    ("Vladimir Putin", "", "putin"),                    # another script
    ("Putin Vladimir", "", "putin"),                    # word order
    ("J. Smith", "1970-01-02", "smith"),                # an initial, the middle name missing
    ("John Smith", "", "smith"),                        # the middle name missing
    ("Jose Muller", "", "muller"),                      # accents dropped
    ("Jose Mueller", "", "muller"),                     # the German transcription of ü
    ("Muhammad bin Salman", "", "salman"),              # another transliteration
    ("محمد بن سلمان", "1985-08-31", "salman"),           # Arabic script
    ("习近平", "", "xi"),                                 # Chinese characters against pinyin
    ("Alexander Ivanov", "", "ivanov"),
    ("Jonh Michael Smith", "", "smith"),                # a typo
    ("Jonh Smith", "1970-01-02", "smith"),              # a typo, the middle name missing
])
def test_true_matches_score_at_or_above_the_review_threshold(index: ScreeningIndex, name: str, birth: str,
                                                             expected: str) -> None:
    found, score, reasons = best(index, Query(name=name, birth_date=birth))
    assert found == expected and score >= REVIEW, (score, reasons)


@pytest.mark.parametrize("name", ["J. Smith", "محمد بن سلمان", "Jonh Smith"])
def test_weaker_evidence_alone_is_a_candidate_under_the_threshold(index: ScreeningIndex, name: str) -> None:
    # An initial, a name written without vowels, a typo with a word missing: a reviewer sees the candidate,
    # but only an agreeing birth date (or nationality) makes it a hit.
    found, score, _ = best(index, Query(name=name))
    assert found and 0.85 <= score < REVIEW


def test_the_reasons_say_what_differed(index: ScreeningIndex) -> None:
    assert "word order differs" in best(index, Query(name="Putin Vladimir"))[2]
    assert "initial J for john" in best(index, Query(name="J. Smith"))[2]
    assert "not in the query: michael" in best(index, Query(name="John Smith"))[2]
    assert "compared after transliteration / accents removed" in best(index, Query(name="Vladimir Putin"))[2]
    reasons = best(index, Query(name="Vladimir Putin", birth_date="1952-10-07", nationality="RU"))[2]
    assert "birth date matches (1952-10-07)" in reasons and "nationality matches (ru)" in reasons


def test_near_misses_stay_under_the_threshold(index: ScreeningIndex) -> None:
    assert best(index, Query(name="James Smith"))[1] < REVIEW  # the same surname
    assert best(index, Query(name="Mary Muller"))[1] < REVIEW
    other_day = best(index, Query(name="John Michael Smith", birth_date="1985-06-30"))
    assert other_day[1] < REVIEW and "birth date differs (1985-06-30 vs 1970-01-02)" in other_day[2]
    assert best(index, Query(name="Ada Lovelace")) == ("", 0.0, [])


def test_a_birth_year_on_the_list_agrees_with_a_full_date(index: ScreeningIndex) -> None:
    found, score, reasons = best(index, Query(name="Aleksandr Ivanov", birth_date="1961-03-04"))
    assert found == "ivanov" and score == 1.0
    assert any(r.startswith("birth date agrees as far as both are known") for r in reasons)


def test_companies_match_without_their_legal_form_and_only_companies(index: ScreeningIndex) -> None:
    found, score, reasons = best(index, Query(name="Acme Trading", schema="Company", jurisdiction="IR",
                                              registration_number="12345"))
    assert found == "acme" and score == 1.0 and "registration number matches" in reasons
    assert best(index, Query(name="ACME Trading"))[0] == ""  # a person's query finds no company


def test_a_name_split_differently_still_matches() -> None:
    score, reasons = compare_names(parse_name("Xi Jin Ping"), parse_name("Xi Jinping"))
    assert score >= 0.95 and "same letters, split into words differently" in reasons


def _write(path: Path, entities: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entities))
    return path


def test_a_list_loads_from_a_file_or_a_folder_and_skips_other_schemas(tmp_path: Path) -> None:
    listed = [{"id": "a", "schema": "Person", "properties": {"name": ["Ann Lee"], "topics": "sanction"}},
              {"id": "b", "schema": "Sanction", "properties": {"entity": ["a"]}},
              {"id": "c", "schema": "Organization", "properties": {"name": ["Lee Foundation"]}}]
    file = _write(tmp_path / "one.ftm.json", listed)
    entities, skipped = load_entities(file)
    assert [e.id for e in entities] == ["a", "c"] and skipped == 1
    assert entities[0].values("topics") == ["sanction"]  # a single string is a list of one
    folder = tmp_path / "lists"
    (folder / "eu").mkdir(parents=True)
    _write(folder / "eu" / "eu.jsonl", listed[:1])
    (folder / "un.json").write_text(json.dumps(listed[2:]))  # a JSON array
    (folder / "README.txt").write_text("not a list")
    assert sorted(e.id for e in load_entities(folder)[0]) == ["a", "c"]
    version = list_version(folder)
    (folder / "un.json").write_text(json.dumps(listed[1:]))
    assert list_version(folder) != version


def test_a_bad_line_fails_with_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "schema": "Person", "properties": {}}\n{"id": 7}\n')
    with pytest.raises(ScreeningListInvalid) as caught:
        load_entities(bad)
    assert caught.value.code == "screening.list_invalid"
    assert caught.value.message.startswith("Expected an FtM entity") and f"line 2 of {bad}" in caught.value.message
    assert caught.value.details == {"path": str(bad), "line": 2}


def test_a_missing_path_or_an_empty_folder_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(ScreeningListInvalid, match="Expected a file or folder at"):
        load_entities(tmp_path / "nowhere")
    with pytest.raises(ScreeningListInvalid, match=r"Expected \.json, \.jsonl or \.ftm\.json files in the folder"):
        load_entities(tmp_path)
