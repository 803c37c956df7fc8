"""Duplicate identities: the selfie face of every approved session is enrolled in its tenant's KYC collection,
and the `search_duplicates` task searches a new session's selfie against them.

Enrolment is a periodic job (`faces.enrol`) over approved sessions not yet looked at, so a crash between an
approval and its enrolment loses nothing; it needs the consent the journey collected (a truthy
`consent.data_processing`) and a selfie (`captures.selfie.file`), and records the outcome either way. The
face is erased with its session (server/db/faces.py). The KYC collection's id is not a valid Rekognition
collection id, so the Rekognition API cannot reach it.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping
from typing import Protocol, runtime_checkable

import msgspec
import numpy as np

import sdk_protocol as p
from server.db.faces import CollectionRow, FaceRecords
from server.db.rows import SessionRow
from server.rekognition.collections import MODEL_VERSION, Collections, face_row
from server.rekognition.shapes import RekognitionError, ResourceNotFound
from server.tasks import TaskError, TaskTools, TypedTask
from server.workflow.context import get_path
from server.workflow.operators import name_matches
from server.workflow.snapshot import Snapshot

log = logging.getLogger("arabesque.duplicates")
KYC_COLLECTION = "@kyc"
CONSENT_PATH = "consent.data_processing"
SELFIE_PATH = "captures.selfie.file"
SEARCH_DUPLICATES = "search_duplicates"
DUPLICATE_SIMILARITY = 91.9
"""the default threshold (cosine distance 0.0542): frozen by `bench duplicates` on its freeze half of LFW
identities (1% of strangers matched someone among 267 enrolled); on the report half it found 75.5% of the
enrolled with 1.1% false matches (2026-11-28). The matcher's 1:1 review point (60) would match 92% of strangers
among 500: a 1:N search needs a stricter one. Re-derive it whenever the operating points move."""


class SessionStore(Protocol):
    async def load_session(self, session_id: str) -> SessionRow | None: ...


class FileStore(Protocol):
    async def read(self, session_id: str, file_id: str) -> bytes: ...


@runtime_checkable
class SessionBound(Protocol):
    """A task's file reader that knows its session (server/sessions/supervisor.py's)."""

    session_id: str


class DuplicatesInput(msgspec.Struct, frozen=True, kw_only=True):
    file: str
    first_name: str | None = None
    last_name: str | None = None
    date_of_birth: str | None = None


class DuplicatesParams(msgspec.Struct, frozen=True, kw_only=True):
    threshold: float = DUPLICATE_SIMILARITY
    """the similarity from which an enrolled face counts"""
    max_matches: int = 10
    person: str = "person"
    """where an enrolled session's context holds first_name, last_name and date_of_birth"""


def context_of(row: SessionRow) -> dict[str, object]:
    return msgspec.json.decode(row.snapshot, type=Snapshot).context if row.snapshot not in ("", "{}") else {}


def same_name(first: str, second: str) -> bool:
    """Every word of one name is a word of the other (either way), as the journeys' `name_matches` compares."""
    return bool(name_matches([first, second])) or bool(name_matches([second, first]))


class Duplicates:
    """Built once in server/app.py: the enrolment job and the `search_duplicates` task."""

    def __init__(self, collections: Collections, records: FaceRecords, sessions: SessionStore, files: FileStore, *,
                 clock: Callable[[], dt.datetime]) -> None:
        self.collections = collections
        self.records = records
        self.sessions = sessions
        self.files = files
        self.clock = clock

    async def enrol_due(self) -> int:
        """Enrol the approved sessions not looked at yet (the `faces.enrol` job); how many were enrolled."""
        enrolled = 0
        for session_id, tenant in await self.records.due_enrolments():
            try:
                enrolled += await self.enrol(session_id, tenant)
            except p.SdkError as exc:  # left for the next run: its enrolment was not recorded
                log.warning("enrolment of %s not done: %s", session_id, exc.code)
        return enrolled

    async def enrol(self, session_id: str, tenant: str) -> bool:
        row = await self.sessions.load_session(session_id)
        if row is None or row.status != "final" or row.outcome != "approved":
            return False
        context = context_of(row)
        selfie = get_path(context, SELFIE_PATH)
        outcome, face = "enrolled", None
        if not get_path(context, CONSENT_PATH):
            outcome = "no_consent"
        elif not isinstance(selfie, str) or not selfie:
            outcome = "no_selfie"
        else:
            try:
                found = await self.collections.faces(await self.files.read(session_id, selfie), max_faces=1,
                                                     quality_filter="NONE")
            except RekognitionError:
                found = []
            kept = next((f for f in found if f.descriptor), None)
            if kept is None:
                outcome = "no_face"
            else:
                face = face_row(tenant, KYC_COLLECTION, kept, image_id=str(uuid.uuid4()), external_image_id=session_id,
                                now=self.clock(), session_id=session_id)
        collection = CollectionRow(tenant=tenant, id=KYC_COLLECTION, created_at=self.clock(),
                                   model_version=MODEL_VERSION, revision=0)
        revision = await self.records.enrol(session_id, tenant, outcome=outcome, face=face, collection=collection,
                                            now=self.clock())
        if revision is not None and face is not None:
            self.collections.index.apply((tenant, KYC_COLLECTION), revision, [(face.id, face.vector())], [])
        return revision is not None

    async def search(self, tools: TaskTools, task_input: DuplicatesInput,
                     params: DuplicatesParams) -> dict[str, object]:
        """`faces.duplicates`: approved sessions of the tenant whose face matches this selfie's under another
        name or date of birth; `faces.matches` counts every match, `faces.duplicate_count` the duplicates."""
        session_id = tools.files.session_id if isinstance(tools.files, SessionBound) else ""
        this = await self.sessions.load_session(session_id) if session_id else None
        if this is None:
            raise TaskError("Expected the task's session to be known, got none", task=SEARCH_DUPLICATES)
        data = await tools.files.read(task_input.file)
        found = await self.collections.faces(data, max_faces=1, quality_filter="NONE")
        probe = next((f for f in found if f.descriptor), None)
        if probe is None:
            return {"searched": False, "reason": "no_face", "matches": 0, "duplicates": [], "duplicate_count": 0}
        try:
            matches = await self.collections.search(this.tenant, KYC_COLLECTION, np.frombuffer(probe.descriptor,
                                                                                                np.float32),
                                                    limit=params.max_matches, threshold=params.threshold,
                                                    exclude="")
        except ResourceNotFound:  # nobody enrolled in this tenant yet
            matches = []
        name = " ".join(n for n in (task_input.first_name, task_input.last_name) if n)
        duplicates: list[dict[str, object]] = []
        for match in matches:
            other_id = match.face.session_id or ""
            other = await self.sessions.load_session(other_id) if other_id and other_id != session_id else None
            if other is None:
                continue
            person = get_path(context_of(other), params.person)
            person = person if isinstance(person, Mapping) else {}
            other_name = " ".join(str(person[k]) for k in ("first_name", "last_name") if person.get(k))
            names_agree = bool(name and other_name and same_name(name, other_name))
            births_agree = bool(task_input.date_of_birth) and person.get("date_of_birth") == task_input.date_of_birth
            if not (names_agree and births_agree):
                duplicates.append({"session_id": other_id, "similarity": match.similarity, "same_name": names_agree,
                                   "same_birth_date": births_agree})
        return {"searched": True, "matches": len(matches), "duplicates": duplicates,
                "duplicate_count": len(duplicates)}

    def task(self) -> TypedTask[DuplicatesInput, DuplicatesParams]:
        return TypedTask(SEARCH_DUPLICATES, self.search, input_type=DuplicatesInput, params_type=DuplicatesParams)


__all__ = ["CONSENT_PATH", "DUPLICATE_SIMILARITY", "KYC_COLLECTION", "SEARCH_DUPLICATES", "SELFIE_PATH",
           "Duplicates", "DuplicatesInput", "DuplicatesParams", "same_name"]
