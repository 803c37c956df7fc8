"""A small journey that screens the person it asks about: how the task is wired into kyb_business too."""

from __future__ import annotations

import json
from pathlib import Path

SCREENED = """
name: screened_person
version: 1
title: kyc.title
initial: person
rules:
  screening_hit: {">": [{"var": "screening.person.hits"}, 0]}
review:
  reject_reasons: {sanctions_match: review.reject.sanctions_match, other: review.reject.other}
  flags: {screening_hit: screening_hit}
states:
  person:
    type: screen
    store_at: person
    screen:
      components:
        - {type: input.text, name: first_name, label: field.first_name, validation: {required: true}}
        - {type: input.text, name: last_name, label: field.last_name, validation: {required: true}}
        - {type: input.text, name: date_of_birth, label: field.date_of_birth, input_type: date}
        - {type: input.country, name: nationality, label: field.nationality}
    on:
      submit: screen_person
  screen_person:
    type: task
    task: screening
    input: {first_name: person.first_name, last_name: person.last_name, birth_date: person.date_of_birth,
            nationality: person.nationality}
    params: {schema: Person}
    result: screening.person
    screen:
      components:
        - {type: content.heading, text: kyc.checking.title}
    on:
      done:
        - {target: manual_review, guard: screening_hit}
        - {target: approved}
      error: manual_review
  manual_review:
    type: review
    screen:
      components:
        - {type: content.heading, text: review.waiting.title}
    on:
      approve: approved
      reject: rejected
  approved: {type: final, outcome: approved}
  rejected: {type: final, outcome: rejected}
"""

LISTED = [
    {"id": "os-putin", "schema": "Person", "caption": "Vladimir Putin",
     "properties": {"name": ["Vladimir Vladimirovich Putin"], "alias": ["Владимир Владимирович Путин"],
                    "birthDate": ["1952-10-07"], "nationality": ["ru"], "topics": ["sanction", "role.pep"]},
     "datasets": ["eu_fsf", "us_ofac_sdn"]},
    {"id": "os-smith", "schema": "Person", "properties": {"name": ["John Michael Smith"], "birthDate": ["1970-01-02"],
                                                          "topics": ["sanction"]}, "datasets": ["gb_hmt_sanctions"]},
    {"id": "os-acme", "schema": "Company", "properties": {"name": ["ACME Trading LLC"], "jurisdiction": ["ir"],
                                                          "registrationNumber": ["IR-12345"], "topics": ["sanction"]},
     "datasets": ["us_ofac_sdn"]},
    {"id": "os-sanction-1", "schema": "Sanction", "properties": {"entity": ["os-putin"]}},
]


def write_list(folder: Path) -> Path:
    """The list as OpenSanctions writes it: one FtM entity a line."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "entities.ftm.json"
    path.write_text("".join(json.dumps(entity, ensure_ascii=False) + "\n" for entity in LISTED))
    return path


def write_journey(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "screened_person.yaml").write_text(SCREENED)
    return folder
