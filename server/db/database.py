"""One write path and bounded reads, for SQLite's single writer and PostgreSQL's pool alike.

Every write is a small synchronous function of a SQLAlchemy `Connection`, queued to one writer that
commits whatever has queued in one transaction (group commit): SQLite never sees two writers, so
"database is locked" cannot happen between our own requests, and a burst of transitions costs one
commit, not one each. Reads run the same kind of function on a reader connection. On SQLite both
run on threads (pysqlite, one hop per job instead of one per statement); elsewhere (asyncpg) on the
event loop through `run_sync`. Overload answers `server.busy` with a retry hint, never a pool timeout.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from sdk_protocol import ServerBusy

T = TypeVar("T")
log = logging.getLogger("arabesque.db")


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def make_engine(url: str) -> AsyncEngine:
    """An async engine (migrations, PostgreSQL); SQLite gets WAL, foreign keys and a busy timeout."""
    is_sqlite = url.startswith("sqlite")
    engine = create_async_engine(url, pool_pre_ping=not is_sqlite)
    if is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sync_sqlite_engine(url: str, pool_size: int) -> Engine:
    sync_url = sa.make_url(url).set(drivername="sqlite")
    engine = sa.create_engine(sync_url, pool_size=pool_size, max_overflow=0, pool_timeout=30)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _is_busy(exc: BaseException) -> bool:
    if isinstance(exc, PoolTimeout):
        return True
    return isinstance(exc, OperationalError) and "locked" in str(exc.orig).lower()


_UNREACHABLE = ("connect", "connection", "closed", "terminat", "timeout", "timed out", "unable to open", "disk i/o")


def _is_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or dropped the connection. (Other operational errors, a missing
    table say, are bugs and stay errors.)"""
    if isinstance(exc, InterfaceError | OSError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return True
    return isinstance(exc, OperationalError) and any(word in str(exc.orig).lower() for word in _UNREACHABLE)


def _answer(exc: BaseException, doing: str) -> BaseException:
    """What a caller gets for a database failure: `server.busy` when trying again later can work, else the error."""
    if _is_busy(exc):
        return ServerBusy(f"Expected the database to {doing}, got it busy; nothing was changed, retry shortly",
                          retry_after=2.0)
    if _is_unavailable(exc):
        return ServerBusy(f"Expected the database to {doing}, got it unreachable or the connection lost; retry "
                          "shortly (with the same idempotency key)", retry_after=2.0)
    return exc


class _Job(Generic[T]):
    __slots__ = ("enqueued", "fn", "future")

    def __init__(self, fn: Callable[[Connection], T], future: asyncio.Future[T]) -> None:
        self.fn = fn
        self.future = future
        self.enqueued = time.monotonic()


class _Outcome:
    __slots__ = ("error", "value")

    def __init__(self, value: object = None, error: BaseException | None = None) -> None:
        self.value = value
        self.error = error


def _run_batch(conn: Connection, jobs: list[_Job[Any]]) -> list[_Outcome]:
    """All jobs in one transaction; if one raises, each again in a transaction of its own, so one bad job
    fails alone (the failed transaction was rolled back: a rerun is the same work). When the connection
    itself failed, nothing is rerun: the commit may have reached the database, so every job gets the error
    (callers answer "retry with the same idempotency key")."""
    try:
        with conn.begin():
            values = [job.fn(conn) for job in jobs]
        return [_Outcome(value) for value in values]
    except Exception as exc:
        if len(jobs) == 1 or _is_unavailable(exc):
            return [_Outcome(error=exc) for _ in jobs]
    outcomes = []
    for job in jobs:
        try:
            with conn.begin():
                outcomes.append(_Outcome(job.fn(conn)))
        except Exception as exc:
            outcomes.append(_Outcome(error=exc))
    return outcomes


class Database:
    """Reads and batched writes as functions of a connection; built once per process."""

    def __init__(self, url: str, *, readers: int = 4, max_queue: int = 5000, max_wait_seconds: float = 10.0,
                 max_batch: int = 500) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.max_queue = max_queue
        self.max_wait = max_wait_seconds
        self.max_batch = max_batch
        self._queue: collections.deque[_Job[Any]] = collections.deque()
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._closing = False
        self._reads_in_flight = 0
        self._max_reads = max(64, readers * 64)
        self.batches = 0
        if self.is_sqlite:
            self._sync = _sync_sqlite_engine(url, pool_size=readers + 1)
            self._read_threads = ThreadPoolExecutor(readers, thread_name_prefix="db-read")
            self._write_thread = ThreadPoolExecutor(1, thread_name_prefix="db-write")
            self._writer_sync: Connection | None = None
        else:
            self._async = make_engine(url)
            self._writer_async: AsyncConnection | None = None

    # --- lifecycle --------------------------------------------------------------

    def start(self) -> None:
        if self._loop_task is None:
            self._loop_task = asyncio.create_task(self._write_loop(), name="db-writer")

    async def close(self) -> None:
        """Commit what is queued, then release every connection."""
        if self._loop_task is not None:
            self._closing = True
            self._wake.set()
            await self._loop_task
            self._loop_task = None
        if self.is_sqlite:
            if self._writer_sync is not None:
                writer = self._writer_sync
                await asyncio.get_running_loop().run_in_executor(self._write_thread, writer.close)
                self._writer_sync = None
            self._write_thread.shutdown(wait=True)
            self._read_threads.shutdown(wait=True)
            self._sync.dispose()
        else:
            if self._writer_async is not None:
                await self._writer_async.close()
                self._writer_async = None
            await self._async.dispose()

    # --- reads ------------------------------------------------------------------

    async def read(self, fn: Callable[[Connection], T]) -> T:
        if self._reads_in_flight >= self._max_reads:
            raise ServerBusy(f"Expected the database to take a read, got {self._reads_in_flight} waiting already; "
                             "retry shortly", retry_after=1.0)
        self._reads_in_flight += 1
        try:
            if self.is_sqlite:
                return await asyncio.get_running_loop().run_in_executor(self._read_threads, self._read_sync, fn)
            async with self._async.connect() as conn:
                return await conn.run_sync(fn)
        except (OperationalError, InterfaceError, PoolTimeout, OSError) as exc:
            answer = _answer(exc, "answer")
            if answer is exc:
                raise
            raise answer from None
        finally:
            self._reads_in_flight -= 1

    def _read_sync(self, fn: Callable[[Connection], T]) -> T:
        with self._sync.connect() as conn:
            return fn(conn)

    # --- writes -----------------------------------------------------------------

    async def write(self, fn: Callable[[Connection], T]) -> T:
        """Run `fn` in the next committed batch; its return value, or its exception, comes back here."""
        if self._closing:
            raise ServerBusy("Expected the server to take writes, got it shutting down; nothing was changed, retry "
                             "(another node, or this one after its restart)", retry_after=2.0)
        if len(self._queue) >= self.max_queue:
            raise ServerBusy(f"Expected room in the write queue, got {len(self._queue)} writes waiting; retry shortly",
                             retry_after=1.0)
        if self._loop_task is None:
            self.start()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Job(fn, future))
        self._wake.set()
        return await future

    async def _write_loop(self) -> None:
        while True:
            if not self._queue:
                if self._closing:
                    return
                await self._wake.wait()
                self._wake.clear()
                continue
            jobs: list[_Job[Any]] = []
            deadline = time.monotonic() - self.max_wait
            while self._queue and len(jobs) < self.max_batch:
                job = self._queue.popleft()
                if job.future.done():
                    continue  # its caller gave up (cancelled): nothing to write
                if job.enqueued < deadline:
                    job.future.set_exception(ServerBusy(
                        f"Expected the write to commit within {self.max_wait:g}s, got a queue too long; "
                        "nothing was changed, retry shortly", retry_after=2.0))
                    continue
                jobs.append(job)
            if jobs:
                await self._commit(jobs)

    async def _commit(self, jobs: list[_Job[Any]]) -> None:
        try:
            outcomes = await self._execute(jobs)
        except Exception as exc:  # the connection itself failed: every job of the batch fails with it
            # the exception's text may quote the statement's parameters (what a person entered): its type only
            log.warning("database write batch failed: %s", type(exc).__name__)
            outcomes = [_Outcome(error=exc) for _ in jobs]
        self.batches += 1
        if any(o.error is not None and (_is_busy(o.error) or _is_unavailable(o.error)) for o in outcomes):
            await self._reset_writer()
        for job, outcome in zip(jobs, outcomes, strict=True):
            if job.future.done():
                continue
            if outcome.error is not None:
                job.future.set_exception(_answer(outcome.error, "commit"))
            else:
                job.future.set_result(outcome.value)

    async def _execute(self, jobs: list[_Job[Any]]) -> list[_Outcome]:
        if self.is_sqlite:
            return await asyncio.get_running_loop().run_in_executor(self._write_thread, self._execute_sync, jobs)
        if self._writer_async is None:
            self._writer_async = await self._async.connect()
        return await self._writer_async.run_sync(_run_batch, jobs)

    def _execute_sync(self, jobs: list[_Job[Any]]) -> list[_Outcome]:
        if self._writer_sync is None:
            self._writer_sync = self._sync.connect()
        return _run_batch(self._writer_sync, jobs)

    async def _reset_writer(self) -> None:
        with contextlib.suppress(Exception):
            if self.is_sqlite and self._writer_sync is not None:
                writer = self._writer_sync
                self._writer_sync = None
                await asyncio.get_running_loop().run_in_executor(self._write_thread, writer.invalidate)
            elif not self.is_sqlite and self._writer_async is not None:
                writer_async = self._writer_async
                self._writer_async = None
                await writer_async.invalidate()


__all__ = ["Database", "make_engine"]
