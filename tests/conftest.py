"""Shared fixtures: the real rules engine, catalogs and journey registry (all pure, no I/O beyond loading)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from demo_client.images import generate
from server.journeys import Registry, load_registry
from server.workflow import RulesEngine
from tests.server.live import Server
from ui_schemas.loader import Catalogs, load_catalogs

ROOT = Path(__file__).resolve().parents[1]
# The team's shared test data lives beside the checkout (../shared/data); ARABESQUE_SHARED_DATA overrides.
SHARED_CANDIDATES = [Path(os.environ["ARABESQUE_SHARED_DATA"])] if "ARABESQUE_SHARED_DATA" in os.environ else [
    ROOT.parent / "shared" / "data", Path("/work/shared/data")]
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def engine() -> RulesEngine:
    return RulesEngine()


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return load_catalogs()


@pytest.fixture(scope="session")
def registry(engine: RulesEngine, catalogs: Catalogs) -> Registry:
    return load_registry(engine=engine, catalogs=catalogs)


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture(scope="session")
def shared_data() -> Path:
    for candidate in SHARED_CANDIDATES:
        if (candidate / "README.md").is_file():
            return candidate
    pytest.fail(f"the shared test data is expected at one of {[str(c) for c in SHARED_CANDIDATES]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("server")).start()
    yield running
    running.stop()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def make(env: dict[str, str] | None = None, data_dir: Path | None = None) -> Server:
        instance = Server(data_dir or tmp_path / f"data{len(started)}", env)
        started.append(instance)
        return instance

    yield make
    for instance in started:
        instance.kill()


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return generate(tmp_path_factory.mktemp("images"))
