"""The `screening` task: a person or a company against sanctions and PEP lists, into `screening.<who>`.

```yaml
task: screening
input: {first_name: owner.first_name, last_name: owner.last_name, birth_date: owner.birth_date,
        nationality: owner.nationality}
params: {schema: Person, threshold: 0.94}
result: screening.person
```

The result is rule-usable: `max_score` (0 when nothing came close), `hits` (candidates at or above
the review threshold), and the `candidates` a reviewer reads, each with its score and reasons.
`input: {people: ownership.owners}` screens every item of a list (a company's owners) at once: the
result then holds `people`, one `{name, max_score, hits, candidates}` each, and the totals. With no
list configured the task fails with `screening.not_configured`: a journey that screens must never
pass someone unscreened because a setting was forgotten.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol

import msgspec

from server.screening.errors import ScreeningNotConfigured
from server.screening.local import LocalBackend
from server.screening.yente import YenteBackend
from server.settings import Settings
from server.tasks import TaskError, TaskFn, TaskTools, TypedTask
from verification.screening import Candidate, Query

FLOOR = 0.5
"""Candidates under this are not worth a reviewer's time, and not returned."""


class Backend(Protocol):
    @property
    def version(self) -> str: ...

    async def screen(self, query: Query, *, limit: int, floor: float) -> list[Candidate]: ...


class Screened(msgspec.Struct, frozen=True, kw_only=True):
    """One person or company: `name` (a company's, or a person's whole name) or `first_name` and `last_name`.

    Every field may be missing or null: a form leaves optional answers out. `date_of_birth` is the
    shipped journeys' name for `birth_date`, so a repeater's items (`ownership.owners`) fit as they are.
    """

    name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    birth_date: str | None = None
    date_of_birth: str | None = None
    nationality: str | None = None
    jurisdiction: str | None = None
    registration_number: str | None = None

    @property
    def full_name(self) -> str:
        parts = (self.first_name, self.middle_name, self.last_name)
        return (self.name or "").strip() or " ".join(p.strip() for p in parts if p and p.strip())

    def query(self, schema: str) -> Query:
        return Query(name=self.full_name, schema=schema, birth_date=self.birth_date or self.date_of_birth or "",
                     nationality=self.nationality or "", jurisdiction=self.jurisdiction or "",
                     registration_number=self.registration_number or "")


class ScreeningInput(Screened, frozen=True, kw_only=True):
    """One person or company, or `people`: a list of them (a company's owners), each screened."""

    people: list[Screened] | None = None


class ScreeningParams(msgspec.Struct, frozen=True, kw_only=True):
    schema: Literal["Person", "Company"] = "Person"
    threshold: float | None = None
    """the review threshold; default ARABESQUE_SCREENING_THRESHOLD"""
    limit: int = 10
    backend: Literal["", "local", "yente"] = ""
    """`""`: ARABESQUE_SCREENING_BACKEND"""
    capture: str = ""
    """what progress reports name (`screening.person`); default `screening.<schema in lower case>`"""


class Screening(msgspec.Struct, frozen=True, kw_only=True):
    """What one person's or company's screening found."""

    name: str
    max_score: float
    hits: int
    candidates: list[Candidate]


def _result(name: str, candidates: list[Candidate], review: float) -> Screening:
    return Screening(name=name, max_score=max((c.score for c in candidates), default=0.0),
                     hits=sum(1 for c in candidates if c.score >= review), candidates=candidates)


def backends(settings: Settings) -> dict[str, Backend]:
    """The configured backends by name: none until the operator names a list or a yente server."""
    configured: dict[str, Backend] = {}
    if settings.screening_list:
        configured["local"] = LocalBackend(Path(settings.screening_list).expanduser())
    if settings.screening_yente_url:
        configured["yente"] = YenteBackend(settings.screening_yente_url, dataset=settings.screening_yente_dataset,
                                           timeout=settings.screening_timeout_seconds)
    return configured


def make_screening(configured: dict[str, Backend], *, default: str, threshold: float,
                   clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> TaskFn:
    """The task, screening through `configured[params.backend or default]`."""

    async def screening(tools: TaskTools, task_input: ScreeningInput, params: ScreeningParams) -> dict[str, object]:
        which = params.backend or default
        backend = configured.get(which)
        if backend is None:
            setting = "ARABESQUE_SCREENING_YENTE_URL" if which == "yente" else "ARABESQUE_SCREENING_LIST"
            raise ScreeningNotConfigured(f"Expected a screening list for the {which} backend, got none: set {setting}",
                                         backend=which)
        review = threshold if params.threshold is None else params.threshold
        screened = task_input.people if task_input.people is not None else [task_input]
        if not screened or not all(one.full_name for one in screened):
            raise TaskError("Expected a name to screen (`name`, or `first_name` and `last_name`) for each, got none",
                            task="screening", at="$.name")
        capture = params.capture or f"screening.{params.schema.lower()}"
        await tools.progress.report(capture, "running")
        found = await asyncio.gather(*(backend.screen(one.query(params.schema), limit=params.limit, floor=FLOOR)
                                       for one in screened))
        results = [_result(one.full_name, candidates, review) for one, candidates in zip(screened, found, strict=True)]
        hits = sum(r.hits for r in results)
        await tools.progress.report(capture, "warning" if hits else "passed")
        summary: dict[str, object] = {
            "passed": hits == 0, "max_score": max(r.max_score for r in results),
            "hits": hits, "threshold": review, "backend": which, "list_version": backend.version,
            "checked_at": clock().isoformat()}
        if task_input.people is None:
            return {**summary, "candidates": msgspec.to_builtins(results[0].candidates)}
        return {**summary, "people": msgspec.to_builtins(results)}

    return TypedTask("screening", screening, input_type=ScreeningInput, params_type=ScreeningParams)


def screening_tasks(settings: Settings) -> dict[str, TaskFn]:
    """`{"screening": ...}`, to merge where the server gathers its tasks."""
    return {"screening": make_screening(backends(settings), default=settings.screening_backend,
                                        threshold=settings.screening_threshold)}


__all__ = ["FLOOR", "Screened", "Screening", "ScreeningInput", "ScreeningParams", "backends", "make_screening",
           "screening_tasks"]
