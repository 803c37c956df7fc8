"""The screening task on its own: a company's owners screened at once, companies, bad input, and the case view."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sdk_protocol.messages import CheckStatus
from server.cases.views import screening as screening_view
from server.screening.local import LocalBackend
from server.screening.task import make_screening
from server.settings import ConfigError, load_settings
from server.tasks import TaskError, TaskFn, TaskTools
from tests.server.screening.journey import write_list

NOW = dt.datetime(2026, 11, 28, 6, 0, tzinfo=dt.UTC)


class Progress:
    def __init__(self) -> None:
        self.reports: list[tuple[str, CheckStatus]] = []

    async def report(self, check: str, status: CheckStatus) -> None:
        self.reports.append((check, status))


def tools(progress: Progress) -> TaskTools:
    unused: object = None  # screening reads no file, runs nothing in the pool, compares no face
    return TaskTools(files=unused, progress=progress, pool=unused, faces=unused)  # type: ignore[arg-type]


@pytest.fixture
def task(tmp_path: Path) -> TaskFn:
    return make_screening({"local": LocalBackend(write_list(tmp_path))}, default="local", threshold=0.94,
                          clock=lambda: NOW)


async def test_owners_are_screened_each_and_totalled(task: TaskFn) -> None:
    progress = Progress()
    owners = [{"first_name": "Jane", "last_name": "Doe", "date_of_birth": "1980-01-01", "nationality": "GB",
               "share": 60},
              {"first_name": "Vladimir", "last_name": "Putin", "date_of_birth": "1952-10-07", "nationality": "RU",
               "share": 40}]
    result = await task(tools(progress), {"people": owners}, {"capture": "screening.owners"})
    assert result["passed"] is False and result["hits"] == 1 and result["max_score"] == 1.0
    people = result["people"]
    assert isinstance(people, list)
    jane, vladimir = people
    assert jane == {"name": "Jane Doe", "max_score": 0.0, "hits": 0, "candidates": []}
    assert vladimir["hits"] == 1 and vladimir["candidates"][0]["id"] == "os-putin"
    assert "birth date matches (1952-10-07)" in vladimir["candidates"][0]["reasons"]
    assert result["checked_at"] == NOW.isoformat() and "candidates" not in result
    assert progress.reports == [("screening.owners", "running"), ("screening.owners", "warning")]
    views = screening_view({"screening": {"owners": result}})
    assert [(v.name, v.hits) for v in views] == [("owners: Jane Doe", 0), ("owners: Vladimir Putin", 1)]
    assert views[1].candidates[0].caption == "Vladimir Putin" and views[1].threshold == 0.94


async def test_a_company_is_screened_with_its_jurisdiction_and_number(task: TaskFn) -> None:
    progress = Progress()
    result = await task(tools(progress), {"name": "Acme Trading Ltd", "jurisdiction": "IR",
                                          "registration_number": "IR 12345"}, {"schema": "Company", "threshold": 0.9})
    assert result["hits"] == 1 and result["threshold"] == 0.9 and result["passed"] is False
    best = result["candidates"][0]  # type: ignore[index]
    assert best["id"] == "os-acme" and "registration number matches" in best["reasons"]
    assert progress.reports[-1] == ("screening.company", "warning")


async def test_no_name_is_a_bad_input_with_its_path(task: TaskFn) -> None:
    with pytest.raises(TaskError) as caught:
        await task(tools(Progress()), {"first_name": None, "last_name": " "}, {})
    assert caught.value.code == "verification.failed" and caught.value.details["at"] == "$.name"
    with pytest.raises(TaskError, match=r"Invalid enum value 'Vessel' - at `\$\.schema` \(the params of task screening\)"):
        await task(tools(Progress()), {"name": "Acme"}, {"schema": "Vessel"})


async def test_the_yente_backend_unset_names_its_setting(task: TaskFn) -> None:
    with pytest.raises(TaskError) as caught:
        await task(tools(Progress()), {"name": "Ada Lovelace"}, {"backend": "yente"})
    assert caught.value.code == "screening.not_configured"
    assert caught.value.message == ("Expected a screening list for the yente backend, got none: set "
                                    "ARABESQUE_SCREENING_YENTE_URL")



@pytest.mark.parametrize(("env", "says"), [
    ({"ARABESQUE_SCREENING_BACKEND": "ofac"}, "ARABESQUE_SCREENING_BACKEND: expected local or yente, got 'ofac'"),
    ({"ARABESQUE_SCREENING_THRESHOLD": "1.5"}, "ARABESQUE_SCREENING_THRESHOLD / ARABESQUE_SCREENING_TIMEOUT_SECONDS: "
                                               "expected a threshold in (0, 1] and a timeout > 0, got 1.5 and 10.0"),
])
def test_screening_settings_are_checked_at_start(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert caught.value.message == says
