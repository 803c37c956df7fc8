"""`arabesque bench storage`: put/get of 3 MB objects through each adapter, next to the same work done
directly (boto3 alone for S3, plain file I/O for the local folder), interleaved so noise hits both alike."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import numpy as np

from server.storage import LocalStore, S3Store

SIZE = 3 * 1024 * 1024


def _figures(timings: list[float]) -> dict[str, float]:
    values = np.asarray(timings)
    return {"mb_per_s": round(SIZE / 1024 / 1024 / float(np.median(values)), 1),
            "p50_ms": round(float(np.median(values)) * 1000, 2),
            "p99_ms": round(float(np.percentile(values, 99)) * 1000, 2)}


@contextlib.contextmanager
def _moto() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


async def _pair(repeats: int, ours: Callable[[int], Awaitable[None]], theirs: Callable[[int], Awaitable[None]]
                ) -> tuple[list[float], list[float]]:
    mine: list[float] = []
    baseline: list[float] = []
    for i in range(repeats):
        for fn, sink in ((ours, mine), (theirs, baseline)) if i % 2 == 0 else ((theirs, baseline), (ours, mine)):
            start = time.perf_counter()
            await fn(i)
            sink.append(time.perf_counter() - start)
    return mine, baseline


async def _run(endpoint: str, bucket: str, repeats: int) -> dict[str, object]:
    import boto3
    from botocore.config import Config

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "bench"),
                          aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "bench"),
                          config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    with contextlib.suppress(Exception):
        client.create_bucket(Bucket=bucket)
    payload = os.urandom(SIZE)
    store = S3Store(client=client, bucket=bucket, prefix="bench")

    async def s3_put(i: int) -> None:
        await store.put(f"t/s/ours{i}", payload, content_type="image/jpeg")

    async def boto_put(i: int) -> None:
        await asyncio.to_thread(client.put_object, Bucket=bucket, Key=f"bench/t/s/theirs{i}", Body=payload,
                                ContentType="image/jpeg")

    async def s3_get(i: int) -> None:
        await store.get(f"t/s/ours{i}")

    async def boto_get(i: int) -> None:
        def read() -> bytes:
            data: bytes = client.get_object(Bucket=bucket, Key=f"bench/t/s/theirs{i}")["Body"].read()
            return data

        await asyncio.to_thread(read)

    for warm in range(2):  # connections, imports, first allocations
        await s3_put(warm)
        await boto_put(warm)
    s3_puts, boto_puts = await _pair(repeats, s3_put, boto_put)
    s3_gets, boto_gets = await _pair(repeats, s3_get, boto_get)

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        local = LocalStore(root / "store")

        async def local_put(i: int) -> None:
            await local.put(f"t/s/ours{i}", payload, content_type="image/jpeg")

        def plain_write(i: int) -> None:  # what the adapter does, minus the adapter: write, fsync, rename
            target = root / f"plain{i}"
            with open(f"{target}.tmp", "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(f"{target}.tmp", target)

        async def plain_put(i: int) -> None:
            await asyncio.to_thread(plain_write, i)

        async def local_get(i: int) -> None:
            await local.get(f"t/s/ours{i}")

        async def plain_get(i: int) -> None:
            await asyncio.to_thread((root / f"plain{i}").read_bytes)

        local_puts, plain_puts = await _pair(repeats, local_put, plain_put)
        local_gets, plain_gets = await _pair(repeats, local_get, plain_get)

    def ratio(ours: list[float], theirs: list[float]) -> float:
        return round(float(np.median(ours)) / float(np.median(theirs)), 3)

    return {
        "object_bytes": SIZE, "repeats": repeats,
        "s3_adapter": {"put": _figures(s3_puts), "get": _figures(s3_gets)},
        "boto3_alone": {"put": _figures(boto_puts), "get": _figures(boto_gets)},
        "local_adapter": {"put": _figures(local_puts), "get": _figures(local_gets)},
        "plain_files": {"put": _figures(plain_puts), "get": _figures(plain_gets)},
        "overhead_ratio": {"s3_put": ratio(s3_puts, boto_puts), "s3_get": ratio(s3_gets, boto_gets),
                           "local_put": ratio(local_puts, plain_puts), "local_get": ratio(local_gets, plain_gets)},
    }


def run(*, endpoint: str | None, bucket: str, repeats: int) -> dict[str, object]:
    if endpoint:
        result = asyncio.run(_run(endpoint, bucket, repeats))
        result["s3_server"] = endpoint
        return result
    with _moto() as local_endpoint:
        result = asyncio.run(_run(local_endpoint, bucket, repeats))
        result["s3_server"] = "moto (started for this run on 127.0.0.1)"
        return result


__all__ = ["run"]
