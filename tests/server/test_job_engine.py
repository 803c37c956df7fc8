"""Background work on procrastinate: two API nodes and two worker nodes on PostgreSQL + Redis."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import sdk_protocol as p
from demo_client.registry import RegistryStandin
from tests.conftest import fresh_postgres
from tests.server.live import ROOT, Sdk, Server, Worker
from tests.server.test_durability import QUICK
from tests.server.test_kyb_journey import REGISTRY_KEY, kyb_env
from tests.server.test_scaled_out import REDIS
from tests.server.webhooks.receiver import Receiver, per_session
from tests.server.webhooks.test_delivery import demo, finish, logged, subscribe

JOURNEYS = [("kyc_individual", "approve", "approved"), ("kyc_individual", "reject", "rejected"),
            ("selfie_reverification", "approve", "approved"), ("kyb_business", "approve", "approved")]


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_postgres() as url:
        yield url


def scaled_env(database: str, documents: Path, registry: str = "") -> dict[str, str]:
    """`registry`: the base URL of a registry stand-in, for kyb_business (with a screening list beside `documents`)."""
    kyb = kyb_env(documents.parent, registry) if registry else {}
    return {**kyb, "ARABESQUE_DATABASE_URL": database, "ARABESQUE_REDIS_URL": REDIS, "ARABESQUE_JOBS": "procrastinate",
            "ARABESQUE_STORAGE_URL": documents.as_uri(), "ARABESQUE_JOB_HEARTBEAT_SECONDS": "1",
            "ARABESQUE_JOB_STALLED_SECONDS": "4", "ARABESQUE_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
            "ARABESQUE_WEBHOOK_SECRETS_KEY": "one key for every node of the test",
            "ARABESQUE_WEBHOOK_SWEEP_SECONDS": "1"}


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def make(env: dict[str, str], name: str) -> Worker:
        worker = Worker(tmp_path / f"worker-{name}", env, name)
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.kill()


def test_a_serve_node_on_procrastinate_runs_no_job_itself(server_factory: Callable[..., Server], database: str,
                                                           tmp_path: Path) -> None:
    api = server_factory(scaled_env(database, tmp_path / "documents")).start()
    run = demo(api)
    time.sleep(8)
    assert run.poll() is None, run.communicate()[0]  # waits at the first check: no worker runs it
    run.kill()
    run.communicate()


def test_two_api_nodes_and_two_workers_complete_every_journey(server_factory: Callable[..., Server], database: str,
                                                              workers: Callable[..., Worker], tmp_path: Path) -> None:
    standin = RegistryStandin(api_key=REGISTRY_KEY).start()
    env = scaled_env(database, tmp_path / "documents", standin.base)
    nodes = [server_factory(env).start(), server_factory(env).start()]
    pair = [workers(env, name).start() for name in ("w1", "w2")]
    receiver = Receiver().start()
    try:
        created = subscribe(nodes[0], receiver.url)  # every event of every journey goes to it, from the workers
        runs = [(demo(nodes[i % 2], scenario, journey), outcome) for i, (journey, scenario, outcome) in
                enumerate(JOURNEYS * 2)]
        assert [finish(run) for run, _ in runs] == [f"outcome: {outcome}" for _, outcome in runs]
        # and each kyb_business run's two owners' own sessions (children), walked by the demo
        sessions_run = len(runs) + 2 * sum(journey == "kyb_business" for journey, _, _ in JOURNEYS * 2)
        got = receiver.wait(lambda found: sum(r.message["type"] == "session.completed" for r in found) ==
                            sessions_run, timeout=120)
    finally:
        receiver.stop()
        standin.stop()
    sessions = per_session(got, str(created["secret"]))
    assert sessions == logged(nodes[1], str(created["id"]))  # every event, in the order committed, per session
    assert all(types[0] == "session.created" for types in sessions.values())
    ended = [types for types in sessions.values() if "session.completed" in types]
    assert len(ended) == sessions_run and all(types[-1] == "session.completed" for types in ended)
    # every check ran on a worker node, none on a serve node
    on_workers = [checks_run(f"http://127.0.0.1:{worker.metrics_port}/metrics") for worker in pair]
    assert [checks_run(f"{node.url}/metrics") for node in nodes] == [0, 0]
    assert sum(on_workers) >= len(runs), on_workers  # (every journey checks at least one capture)


def libpq(database: str) -> str:
    return database.replace("postgresql+asyncpg://", "postgresql://")


def checks_run(url: str) -> float:
    families = text_string_to_metric_families(httpx.get(url, timeout=10).text)
    return sum(sample.value for family in families if family.name == "arabesque_checks"
               for sample in family.samples if sample.name == "arabesque_checks_total")


async def doing_check(database: str, timeout: float) -> int:
    """The id of a `check.run` job a worker is running, as soon as there is one."""
    connection = await asyncpg.connect(libpq(database))
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = await connection.fetchval("SELECT id FROM procrastinate_jobs WHERE task_name = 'check.run' "
                                              "AND status = 'doing' ORDER BY id LIMIT 1")
            if found is not None:
                return int(found)
            await asyncio.sleep(0.01)
    finally:
        await connection.close()
    raise AssertionError(f"no check.run job was running within {timeout} s")


async def job_status(database: str, job: int) -> str | None:
    connection = await asyncpg.connect(libpq(database))
    try:
        status: str | None = await connection.fetchval("SELECT status::text FROM procrastinate_jobs WHERE id = $1",
                                                       job)
        return status
    finally:
        await connection.close()


async def test_a_worker_killed_mid_check_leaves_the_check_to_the_other(
        server_factory: Callable[..., Server], database: str, workers: Callable[..., Worker], tmp_path: Path) -> None:
    env = scaled_env(database, tmp_path / "documents")
    api = server_factory(env).start()
    first = workers(env, "first").start()
    run = demo(api)
    for _ in range(5):
        job = await doing_check(database, 90)
        first.freeze()  # (SIGSTOP: the worker and its pool stop where they are)
        if await job_status(database, job) == "doing":
            break
        first.signal_group(signal.SIGCONT)  # it finished just before: catch the next check
    else:
        raise AssertionError("never caught a worker in the middle of a check")
    second = workers(env, "second").start()  # the other worker runs beside it when it dies
    first.kill()
    assert finish(run) == "outcome: approved"
    assert f"job {job} (check.run) was running on a worker that stopped;" in second.log()


async def test_timers_fire_once_on_the_workers_and_reach_devices_on_either_node(
        server_factory: Callable[..., Server], database: str, workers: Callable[..., Worker], tmp_path: Path) -> None:
    folder = tmp_path / "journeys"
    folder.mkdir()
    (folder / "quick_expiry.yaml").write_text(QUICK)
    env = {**scaled_env(database, tmp_path / "documents"), "ARABESQUE_JOURNEYS_DIR": str(folder)}
    nodes = [server_factory(env).start(), server_factory(env).start()]
    for name in ("t1", "t2"):
        workers(env, name).start()
    sessions = [nodes[i % 2].create("quick_expiry") for i in range(8)]
    devices = [await Sdk(nodes[(i + 1) % 2], s["token"]).connect() for i, s in enumerate(sessions)]
    for device in devices:
        await device.screen("ask")
    completed = await asyncio.gather(*(device.next(p.JourneyCompleted, timeout=30) for device in devices))
    assert {c.outcome for c in completed if isinstance(c, p.JourneyCompleted)} == {"expired"}
    for session in sessions:
        timeline = nodes[0].session(session["session_id"])["timeline"]
        assert [e["kind"] for e in timeline] == ["start", "tick"]  # type: ignore[index, union-attr]
    for device in devices:
        await device.close()


@pytest.mark.parametrize(("env", "says"), [
    ({}, "ARABESQUE_JOBS: a worker node runs jobs from PostgreSQL; expected procrastinate, got 'local'"),
    ({"ARABESQUE_JOBS": "procrastinate"}, "ARABESQUE_JOBS: procrastinate keeps its jobs in PostgreSQL; expected "
                                          "ARABESQUE_DATABASE_URL=postgresql+asyncpg://..., got sqlite+aiosqlite"),
    ({"ARABESQUE_JOBS": "celery"}, "ARABESQUE_JOBS: expected local or procrastinate, got 'celery'"),
])
def test_a_worker_without_a_job_database_exits_2_with_the_reason(tmp_path: Path, env: dict[str, str],
                                                                 says: str) -> None:
    done = subprocess.run([sys.executable, "-m", "server.cli", "worker"], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env={"PATH": "/usr/bin:/bin", "ARABESQUE_DATA_DIR": str(tmp_path), **env})
    assert done.returncode == 2
    assert says in done.stderr
