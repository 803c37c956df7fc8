"""Documents in a local folder (the embedded default)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from server.storage.base import ObjectHead, ObjectNotFound, StorageError, check_key


def _unavailable(action: str, key: str, exc: OSError) -> StorageError:
    return StorageError(f"Expected to {action} {key} in the document folder, got {type(exc).__name__}: "
                        f"{exc.strerror or exc}", key=key)


class LocalStore:
    """Files under `root`, one per key; writes go to a temporary file renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _prepare(self, key: str) -> tuple[Path, int, str]:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        return path, fd, tmp

    async def put(self, key: str, data: bytes, *, content_type: str) -> None:
        async def one() -> AsyncIterator[bytes]:
            yield data

        await self.put_stream(key, one(), content_type=content_type)

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes], *, content_type: str) -> int:
        try:
            path, fd, tmp = await asyncio.to_thread(self._prepare, key)
        except OSError as exc:
            raise _unavailable("write", key, exc) from None
        size = 0
        try:
            with os.fdopen(fd, "wb") as handle:
                async for chunk in chunks:
                    await asyncio.to_thread(handle.write, chunk)
                    size += len(chunk)
                await asyncio.to_thread(handle.flush)
                await asyncio.to_thread(os.fsync, handle.fileno())
            await asyncio.to_thread(os.replace, tmp, path)
        except OSError as exc:  # a full or read-only disk, or the folder erased while writing
            await asyncio.to_thread(_unlink, tmp)
            raise _unavailable("write", key, exc) from None
        except BaseException:
            await asyncio.to_thread(_unlink, tmp)
            raise
        return size

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except FileNotFoundError:
            raise ObjectNotFound(f"Expected a stored document at {key}, got none", key=key) from None

    async def stream(self, key: str, chunk_size: int = 256 * 1024) -> AsyncIterator[bytes]:
        try:
            handle = await asyncio.to_thread(self._path(key).open, "rb")
        except FileNotFoundError:
            raise ObjectNotFound(f"Expected a stored document at {key}, got none", key=key) from None
        try:
            while chunk := await asyncio.to_thread(handle.read, chunk_size):
                yield chunk
        finally:
            handle.close()

    async def head(self, key: str) -> ObjectHead:
        try:
            stat = await asyncio.to_thread(self._path(key).stat)
        except FileNotFoundError:
            raise ObjectNotFound(f"Expected a stored document at {key}, got none", key=key) from None
        return ObjectHead(size=stat.st_size, content_type="")

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(_unlink, str(self._path(key)))

    async def delete_prefix(self, prefix: str) -> int:
        folder = self._path(prefix)
        count = len(await self.keys(prefix))
        await asyncio.to_thread(shutil.rmtree, folder, True)
        return count

    async def keys(self, prefix: str) -> list[str]:
        folder = self._path(prefix)

        def walk() -> list[str]:
            if not folder.is_dir():
                return []
            return sorted(str(p.relative_to(self.root)) for p in folder.rglob("*")
                          if p.is_file() and not p.name.startswith(".upload-"))

        return await asyncio.to_thread(walk)

    async def check(self) -> None:
        def probe() -> None:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-"):
                pass

        try:
            await asyncio.to_thread(probe)
        except OSError as exc:
            raise StorageError(f"Expected a writable folder at {self.root}, got {exc}") from None


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


__all__ = ["LocalStore"]
