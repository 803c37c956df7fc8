"""The same behaviour from both DocumentStore adapters: a local folder, and S3 (moto's server, real SigV4)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from server.settings import load_settings
from server.storage import DocumentStore, LocalStore, ObjectNotFound, S3Store, StorageError, open_store
from tests.conftest import S3Server


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> DocumentStore:
    if request.param == "local":
        return LocalStore(tmp_path / "documents")
    s3: S3Server = request.getfixturevalue("s3_signed")  # every call's SigV4 signature is verified
    settings = load_settings({**s3.env(prefix=f"t{os.urandom(4).hex()}"), "ARABESQUE_DATA_DIR": str(tmp_path)})
    os.environ.update({"AWS_ACCESS_KEY_ID": s3.key_id, "AWS_SECRET_ACCESS_KEY": s3.secret})
    built = open_store(settings)
    assert isinstance(built, S3Store)
    built.part_size = 5 * 1024 * 1024
    return built


async def chunks_of(data: bytes, size: int = 64 * 1024, fail_after: int | None = None) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        if fail_after is not None and start >= fail_after:
            raise RuntimeError("the client went away")
        yield data[start:start + size]


async def test_put_get_head_stream_and_delete(store: DocumentStore) -> None:
    await store.put("default/s_1/f_1", b"hello", content_type="image/jpeg")
    assert await store.get("default/s_1/f_1") == b"hello"
    assert (await store.head("default/s_1/f_1")).size == 5
    assert b"".join([c async for c in store.stream("default/s_1/f_1", chunk_size=2)]) == b"hello"
    await store.delete("default/s_1/f_1")
    with pytest.raises(ObjectNotFound):
        await store.get("default/s_1/f_1")
    with pytest.raises(ObjectNotFound):
        await store.head("default/s_1/f_1")


async def test_a_large_stream_is_stored_whole(store: DocumentStore) -> None:
    data = os.urandom(12 * 1024 * 1024 + 123)  # three multipart parts on S3
    assert await store.put_stream("default/s_2/f_big", chunks_of(data), content_type="image/jpeg") == len(data)
    stored = await store.get("default/s_2/f_big")
    assert hashlib.sha256(stored).digest() == hashlib.sha256(data).digest()


async def test_a_stream_that_fails_leaves_nothing_behind(store: DocumentStore) -> None:
    data = os.urandom(11 * 1024 * 1024)
    with pytest.raises(RuntimeError):
        await store.put_stream("default/s_3/f_half", chunks_of(data, fail_after=7 * 1024 * 1024),
                               content_type="image/jpeg")
    assert await store.keys("default/s_3") == []
    if isinstance(store, S3Store):
        uploads = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=store.prefix)
        assert uploads.get("Uploads", []) == []


async def test_a_prefix_is_listed_and_deleted_whole(store: DocumentStore) -> None:
    for name in ("f_a", "f_b", "f_c"):
        await store.put(f"default/s_4/{name}", name.encode(), content_type="image/png")
    await store.put("default/s_5/f_keep", b"keep", content_type="image/png")
    assert await store.keys("default/s_4") == ["default/s_4/f_a", "default/s_4/f_b", "default/s_4/f_c"]
    assert await store.delete_prefix("default/s_4") == 3
    assert await store.keys("default/s_4") == []
    assert await store.get("default/s_5/f_keep") == b"keep"


@pytest.mark.parametrize("key", ["../etc/passwd", "default/s_1/../../x", "/abs", "a b", "default/s\x00/f", ""])
async def test_keys_built_from_anything_but_ids_are_refused(store: DocumentStore, key: str) -> None:
    with pytest.raises(ValueError, match="storage key"):
        await store.put(key, b"x", content_type="image/png")


async def test_the_readiness_check_passes(store: DocumentStore) -> None:
    await store.check()


async def test_wrong_credentials_fail_the_readiness_check_with_the_reason(s3_signed: S3Server) -> None:
    store = S3Store(client=s3_signed.client(secret="wrong-secret"), bucket=s3_signed.bucket, prefix="kyc")
    with pytest.raises(StorageError) as caught:
        await store.check()
    assert "SignatureDoesNotMatch" in caught.value.message or "403" in caught.value.message


async def test_server_side_encryption_is_requested(s3: S3Server) -> None:
    store = S3Store(client=s3.client(), bucket=s3.bucket, prefix="sse", sse="AES256")
    await store.put("default/s_6/f_1", b"secret", content_type="image/jpeg")
    head = s3.client().head_object(Bucket=s3.bucket, Key="sse/default/s_6/f_1")  # type: ignore[attr-defined]
    assert head["ServerSideEncryption"] == "AES256"


async def test_a_presigned_get_is_short_lived_and_reads_the_object(s3: S3Server) -> None:
    store = S3Store(client=s3.client(), bucket=s3.bucket, prefix="urls")
    await store.put("default/s_7/f_1", b"portrait", content_type="image/jpeg")
    url = store.presigned_get("default/s_7/f_1", expires=dt.timedelta(seconds=60), filename="f_1")
    assert "X-Amz-Expires=60" in url and "X-Amz-Signature=" in url
    assert (await asyncio.to_thread(httpx.get, url)).content == b"portrait"


async def test_a_presigned_post_fixes_key_type_and_size(s3: S3Server) -> None:
    store = S3Store(client=s3.client(), bucket=s3.bucket, prefix="posts", sse="AES256")
    post = store.presigned_post("default/s_8/f_1", content_type="image/png", max_bytes=1000,
                                expires=dt.timedelta(minutes=5), now=dt.datetime.now(dt.UTC))
    assert post.fields["key"] == "posts/default/s_8/f_1"
    assert post.fields["Content-Type"] == "image/png"
    assert post.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    response = await asyncio.to_thread(httpx.post, post.url, data=post.fields,
                                       files={"file": ("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png")})
    assert response.status_code in (200, 204)
    assert (await store.head("default/s_8/f_1")).size == 108
