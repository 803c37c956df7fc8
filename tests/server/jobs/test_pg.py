"""The procrastinate backend's pure parts: URLs, cron strings and the retry strategy."""

from __future__ import annotations

import datetime as dt

import pytest
from procrastinate.jobs import Job

import sdk_protocol as p
from server.jobs.pg import Backoff, cron_every, libpq_url


def test_the_sqlalchemy_url_becomes_a_libpq_url() -> None:
    assert libpq_url("postgresql+asyncpg://app:pw@db:5432/arabesque") == "postgresql://app:pw@db:5432/arabesque"


def test_a_non_postgresql_url_is_refused_with_what_came() -> None:
    with pytest.raises(p.InternalError) as refused:
        libpq_url("sqlite+aiosqlite:///var/arabesque.db")
    assert "sqlite+aiosqlite" in refused.value.message


def test_cron_strings_count_whole_seconds_between_1_and_59() -> None:
    assert [cron_every(s) for s in (0.2, 1, 2.5, 30, 600)] == [
        "* * * * * */1", "* * * * * */1", "* * * * * */3", "* * * * * */30", "* * * * * */59"]


def test_the_retry_strategy_follows_the_delays_then_gives_up() -> None:
    strategy = Backoff((10.0, 60.0))
    job = Job(id=1, queue="arabesque", lock=None, queueing_lock=None, task_name="check.run", task_kwargs={},
              attempts=0)
    first = strategy.get_retry_decision(exception=RuntimeError(), job=job)
    assert first is not None and first.retry_at is not None
    wait = (first.retry_at - dt.datetime.now(dt.UTC)).total_seconds()
    assert 7.5 <= wait <= 12.5
    assert strategy.get_retry_decision(exception=RuntimeError(), job=Job(**{**job.__dict__, "attempts": 2})) is None
