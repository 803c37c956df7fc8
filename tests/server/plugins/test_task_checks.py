"""`journeys check` asks each task about its states: params that convert, inputs it needs, and for `http`
placeholders that name inputs and credential headers that reference secrets."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from server.journeys import check_files
from server.plugins.registry import build_http_task, load_tasks
from server.settings import Settings
from server.workflow import RulesEngine
from tests.server.live import ROOT
from tests.server.plugins.journeys import journey
from ui_schemas.loader import load_catalogs


def problems(tmp_path: Path, definition: dict[str, object]) -> list[str]:
    path = tmp_path / "probe.yaml"
    path.write_text(yaml.safe_dump(definition))
    tasks = load_tasks(build_http_task(Settings()), lambda: [])
    _, found = check_files([path], engine=RulesEngine(), catalogs=load_catalogs(), tasks=tasks.checks)
    return [f"{p.pointer}: {p.message}" for p in found]


def http_state(**params: object) -> dict[str, object]:
    definition = journey("probe", "https://registry.example/companies/{number}")
    state = definition["states"]["check_registry"]  # type: ignore[index]
    state["params"] = {"url": "https://registry.example/companies/{number}", **params}
    return definition


def test_a_well_formed_http_state_passes(tmp_path: Path) -> None:
    assert problems(tmp_path, http_state(**{"headers.Authorization": "Bearer {secrets.registry_api_key}",
                                            "response./data/state": "company.state", "retries": 3})) == []


def test_a_url_opening_with_a_secret_base_passes(tmp_path: Path) -> None:
    assert problems(tmp_path, http_state(url="{secrets.registry_base_url}/v1/companies/{number}")) == []


@pytest.mark.parametrize(("params", "expected"), [
    ({"retries": 99}, "/states/check_registry/params/retries: Expected `int` <= 10 (the params of task http)"),
    ({"verb": "GET"}, "/states/check_registry/params: Object contains unknown field `verb` (the params of task http)"),
    ({"url": "https://r.example/{country}/{number}"},
     "/states/check_registry/params/url: Expected placeholders naming the task's inputs (number), got {country}"),
    ({"url": "https://r.example/{secrets.registry_api_key}"},
     "/states/check_registry/params/url: Expected placeholders naming the task's inputs (number), got "
     "{secrets.registry_api_key} (a secret may only open the URL, as its base: {secrets.NAME}/path; other secrets go "
     "in headers)"),
    ({"url": "{secrets.registry_base_url}/companies/{number}/{secrets.registry_api_key}"},
     "/states/check_registry/params/url: Expected placeholders naming the task's inputs (number), got "
     "{secrets.registry_api_key} (a secret may only open the URL, as its base: {secrets.NAME}/path; other secrets go "
     "in headers)"),
    ({"headers.Authorization": "Bearer sk_live_written_in_the_journey"},
     "/states/check_registry/params/headers.Authorization: Expected the credential header Authorization to "
     "reference a secret ({secrets.NAME}), got a value written in the journey"),
    ({"headers.X-Api-Key": "{number}"},
     "/states/check_registry/params/headers.X-Api-Key: Expected the credential header X-Api-Key to reference a "
     "secret ({secrets.NAME}), got a value written in the journey"),
    ({"response.data/state": "state"},
     "/states/check_registry/params/response.data/state: Expected a JSON pointer starting with /, got 'data/state'"),
])
def test_a_bad_http_state_is_refused_at_its_param(tmp_path: Path, params: dict[str, object], expected: str) -> None:
    assert problems(tmp_path, http_state(**params)) == [expected]


def test_a_typed_task_state_missing_an_input_or_with_a_bad_param_is_refused(tmp_path: Path) -> None:
    definition = copy.deepcopy(http_state())
    state = definition["states"]["check_registry"]  # type: ignore[index]
    state.update(task="verify_document", input={"document_type": "company.registration_number"},
                 params={"side": "middle"})
    assert problems(tmp_path, definition) == [
        "/states/check_registry/input: Expected input `file` of task verify_document, got none",
        "/states/check_registry/params/side: Invalid enum value 'middle' (the params of task verify_document)"]


def test_journeys_check_refuses_a_secret_written_in_a_journey(tmp_path: Path) -> None:
    path = tmp_path / "inline.yaml"
    path.write_text(yaml.safe_dump(http_state(**{"headers.Authorization": "Bearer sk_live_inline"})))
    out = subprocess.run([sys.executable, "-m", "server.cli", "journeys", "check", str(path)], capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 1
    assert (f"{path}#/states/check_registry/params/headers.Authorization: Expected the credential header "
            "Authorization to reference a secret") in out.stderr
