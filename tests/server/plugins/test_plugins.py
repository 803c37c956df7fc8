"""Task plugins: a real `arabesque.tasks` entry point in a dist-info on the path, loaded by the server and listed
by `journeys check`."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import Distribution, EntryPoint
from pathlib import Path

import pytest
import yaml

from server.plugins.registry import GROUP, build_http_task, load_tasks
from server.settings import ConfigError, Settings
from server.tasks import TaskTools
from tests.server.live import ROOT, Server
from tests.server.plugins.journeys import run

PLUGIN = '''
import msgspec

from server.tasks import TaskTools, TypedTask


class ShoutInput(msgspec.Struct, frozen=True, kw_only=True):
    name: str


class ShoutParams(msgspec.Struct, frozen=True, kw_only=True):
    suffix: str = "!"


async def shout(tools: TaskTools, task_input: ShoutInput, params: ShoutParams) -> dict[str, object]:
    return {"passed": True, "loud": task_input.name.upper() + params.suffix}


SHOUT = TypedTask("shout", shout, input_type=ShoutInput, params_type=ShoutParams)
NOT_A_TASK = "shout"
'''
SHOUTING = {
    "name": "shouting", "version": 1, "title": "kyb.title", "initial": "company",
    "states": {
        "company": {"type": "screen", "store_at": "company", "on": {"submit": "shout"},
                    "screen": {"components": [{"type": "input.text", "name": "registration_number",
                                               "label": "field.registration_number", "validation": {"required": True}}]}},
        "shout": {"type": "task", "task": "shout", "input": {"name": "company.registration_number"},
                  "params": {"suffix": "?!"}, "result": "shouted", "on": {"done": "approved", "error": "rejected"}},
        "approved": {"type": "final", "outcome": "approved"},
        "rejected": {"type": "final", "outcome": "rejected"},
    },
}


def install(folder: Path, entries: str) -> Path:
    """A package `tiny_tasks` and its dist-info (`tiny-tasks` 0.1) with these entry points, as pip leaves them."""
    (folder / "tiny_tasks").mkdir(parents=True)
    (folder / "tiny_tasks" / "__init__.py").write_text(PLUGIN)
    info = folder / "tiny_tasks-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tiny-tasks\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{GROUP}]\n{entries}\n")
    return folder


def entries_of(folder: Path) -> list[EntryPoint]:
    return list(Distribution.at(folder / "tiny_tasks-0.1.dist-info").entry_points.select(group=GROUP))


async def test_a_plugin_task_is_loaded_typed_with_where_it_came_from(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    folder = install(tmp_path, "shout = tiny_tasks:SHOUT")
    monkeypatch.syspath_prepend(str(folder))
    tasks = load_tasks(build_http_task(Settings()), lambda: entries_of(folder))
    assert tasks.names() == {"http", "verify_company_document", "verify_document", "verify_selfie", "shout"}
    assert [(s.name, s.source) for s in tasks.sources if s.name == "shout"] == \
        [("shout", "plugin tiny-tasks 0.1 (tiny_tasks:SHOUT)")]
    tools = TaskTools(files=None, progress=None, pool=None, faces=None)  # type: ignore[arg-type]
    assert await tasks.functions["shout"](tools, {"name": "acme"}, {}) == {"passed": True, "loud": "ACME!"}


@pytest.mark.parametrize(("entry", "expected"), [
    ("shout = tiny_tasks:NOT_A_TASK", "expected a server.tasks.TypedTask (typed input and params), got str"),
    ("http = tiny_tasks:SHOUT", "expected a task name not taken, got 'http'"),
    ("shout = tiny_tasks_missing:SHOUT", "expected it to load, got ModuleNotFoundError"),
])
def test_a_broken_plugin_stops_the_start_naming_its_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          entry: str, expected: str) -> None:
    folder = install(tmp_path, entry)
    monkeypatch.syspath_prepend(str(folder))
    with pytest.raises(ConfigError) as caught:
        load_tasks(build_http_task(Settings()), lambda: entries_of(folder))
    assert caught.value.code == "config.invalid"
    assert f"entry point {entry.split(' ', maxsplit=1)[0]!r} of group arabesque.tasks" in caught.value.message
    assert expected in caught.value.message


def check(path: Path, pythonpath: Path | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARABESQUE_") and k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([sys.executable, "-m", "server.cli", "journeys", "check", str(path)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=env)


def test_journeys_check_lists_the_plugin_and_knows_its_task_only_when_installed(tmp_path: Path) -> None:
    folder = install(tmp_path / "site", "shout = tiny_tasks:SHOUT")
    path = tmp_path / "shouting.yaml"
    path.write_text(yaml.safe_dump(SHOUTING))
    found = check(path, folder)
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines()[:7] == ["task http\tbuilt-in", "task screening\tbuilt-in",
                                             "task search_duplicates\tbuilt-in",
                                             "task shout\tplugin tiny-tasks 0.1 (tiny_tasks:SHOUT)",
                                             "task verify_company_document\tbuilt-in",
                                             "task verify_document\tbuilt-in", "task verify_selfie\tbuilt-in"]
    assert "ok shouting@1" in found.stdout
    missing = check(path, None)
    assert missing.returncode == 1
    assert "got unknown task 'shout'" in missing.stderr


async def test_a_journey_runs_a_plugin_task_on_the_real_server(tmp_path: Path) -> None:
    folder = install(tmp_path / "site", "shout = tiny_tasks:SHOUT")
    (tmp_path / "journeys").mkdir()
    (tmp_path / "journeys" / "shouting.yaml").write_text(yaml.safe_dump(SHOUTING))
    server = Server(tmp_path / "data", {"ARABESQUE_JOURNEYS_DIR": str(tmp_path / "journeys"),
                                        "PYTHONPATH": str(folder)}).start()
    try:
        views = [await run(server, "shouting", f"acme {i}") for i in range(3)]
    finally:
        server.stop()
    for i, view in enumerate(views):
        assert view["outcome"] == "approved"
        data = view["data"]
        assert isinstance(data, dict) and data["shouted"] == {"passed": True, "loud": f"ACME {i}?!"}
