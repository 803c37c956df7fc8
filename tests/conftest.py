"""Shared fixtures: the real rules engine, catalogs and journey registry (all pure, no I/O beyond loading)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import boto3
import pytest

from demo_client.images import generate
from server.journeys import Registry, load_registry
from server.workflow import RulesEngine
from tests.server.live import Server, free_port
from ui_schemas.loader import Catalogs, load_catalogs

ROOT = Path(__file__).resolve().parents[1]
# The team's shared test data lives beside the checkout (../shared/data); ARABESQUE_SHARED_DATA overrides.
SHARED_CANDIDATES = [Path(os.environ["ARABESQUE_SHARED_DATA"])] if "ARABESQUE_SHARED_DATA" in os.environ else [
    ROOT.parent / "shared" / "data", Path("/work/shared/data")]
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
POSTGRES = os.environ.get("ARABESQUE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def fresh_postgres() -> Iterator[str]:
    """A new PostgreSQL database (SQLAlchemy asyncpg URL), dropped afterwards. The admin statements run on a
    thread of their own, so this works inside a running event loop (async tests) as well as outside."""
    name = f"arabesque_{uuid.uuid4().hex[:12]}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(POSTGRES)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    def run(statement: str) -> None:
        with concurrent.futures.ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, admin(statement)).result()

    run(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_postgres() as url:
        yield url


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


class S3Server:
    """moto's standalone S3 server with SigV4 checking on, and an IAM user allowed to use it."""

    def __init__(self, endpoint: str, key_id: str, secret: str, bucket: str) -> None:
        self.endpoint = endpoint
        self.key_id = key_id
        self.secret = secret
        self.bucket = bucket

    def client(self, key_id: str | None = None, secret: str | None = None) -> object:
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=key_id or self.key_id, aws_secret_access_key=secret or self.secret,
                            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))

    def env(self, prefix: str = "kyc") -> dict[str, str]:
        """What a server needs to use this bucket (credentials through the standard AWS chain)."""
        return {"ARABESQUE_STORAGE_URL": f"s3://{self.bucket}/{prefix}", "ARABESQUE_S3_ENDPOINT_URL": self.endpoint,
                "ARABESQUE_S3_ADDRESSING": "path", "ARABESQUE_S3_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": self.key_id, "AWS_SECRET_ACCESS_KEY": self.secret}

    def keys(self, prefix: str) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix)  # type: ignore[attr-defined]
        return sorted(item["Key"] for item in listed.get("Contents", []))


def start_moto(folder: Path, *, check_signatures: bool) -> tuple[subprocess.Popen[bytes], S3Server]:
    """moto's standalone S3 server as a subprocess on a free port. With `check_signatures`, IAM auth is on
    (SigV4 verified; moto then cannot serve presigned GETs), and an IAM user is made for us."""
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"} if check_signatures else dict(os.environ)
    log = (folder / "moto.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()  # not an S3 call: counts nothing
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("moto server did not start") from None
            time.sleep(0.1)
    endpoint = f"http://127.0.0.1:{port}"
    key_id, secret = "AKIAMOTOEXAMPLE", "moto-secret"
    if check_signatures:
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bootstrap",
                           aws_secret_access_key="bootstrap")
        iam.create_user(UserName="arabesque")
        key = iam.create_access_key(UserName="arabesque")["AccessKey"]
        iam.put_user_policy(UserName="arabesque", PolicyName="documents", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        key_id, secret = key["AccessKeyId"], key["SecretAccessKey"]
    server = S3Server(endpoint, key_id, secret, "arabesque-documents")
    server.client().create_bucket(Bucket=server.bucket)  # type: ignore[attr-defined]
    return process, server


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    process, server = start_moto(tmp_path_factory.mktemp("moto"), check_signatures=False)
    yield server
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="session")
def s3_signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    process, server = start_moto(tmp_path_factory.mktemp("moto-signed"), check_signatures=True)
    yield server
    process.terminate()
    process.wait(10)
