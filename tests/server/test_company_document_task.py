"""verify_company_document on the real server: a journey's uploaded company documents are checked in the worker
pool and land at `checks.<capture>`, rule-usable, with progress per check; several sessions at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

import sdk_protocol as p
from tests.server.live import Sdk, Server
from tests.server.observability import scrape, total
from tests.verification.company_pages import CUT_OFF, PHOTO, certificate, jpeg, on_desk, pdf
from ui_schemas.loader import Catalogs

JOURNEY = """
name: company_documents_probe
version: 1
title: kyb.title
initial: company_documents
rules:
  certificate_ok: {"var": "checks.certificate.passed"}
states:
  company_documents:
    type: screen
    store_at: company_documents
    screen:
      title: kyb.documents.title
      components:
        - type: input.file
          name: certificate_of_incorporation
          label: kyb.documents.certificate
          min_files: 1
          max_files: 3
          validation: {required: true}
    on:
      submit: check_certificate
  check_certificate:
    type: task
    task: verify_company_document
    input: {files: company_documents.certificate_of_incorporation}
    params: {preset: certificate_of_incorporation, capture: certificate}
    result: checks.certificate
    on:
      done:
        - {target: approved, guard: certificate_ok}
        - {target: rejected}
      error: failed
  approved: {type: final, outcome: approved}
  rejected: {type: final, outcome: rejected}
  failed: {type: final, outcome: abandoned}
"""


@pytest.fixture
def company_server(server_factory: Callable[..., Server], tmp_path: Path) -> Server:
    folder = tmp_path / "journeys"
    folder.mkdir()
    (folder / "company_documents_probe.yaml").write_text(JOURNEY)
    return server_factory({"ARABESQUE_JOURNEYS_DIR": str(folder), "ARABESQUE_WORKERS": "2"}).start()


@pytest.fixture(scope="module")
def documents() -> dict[str, tuple[bytes, str]]:
    page = certificate()
    return {"photo": (jpeg(on_desk(page, PHOTO)), "image/jpeg"), "cut_off": (jpeg(on_desk(page, CUT_OFF)), "image/jpeg"),
            "pdf": (pdf(page, certificate(seed=2)), "application/pdf")}


async def submit_documents(server: Server, files: list[tuple[bytes, str]]) -> tuple[str, list[str], list[p.ServerMessage]]:
    """One session of the probe journey to its end: (outcome, the uploaded file ids, what the SDK was sent)."""
    session = server.create("company_documents_probe")
    sdk = await Sdk(server, session["token"]).connect()
    try:
        screen = await sdk.screen("company_documents")
        ids = []
        for data, content_type in files:
            response = server.upload(session, data, content_type=content_type, name="certificate")
            assert response.status_code == 201, response.text
            ids.append(response.json()["file_id"])
        await sdk.submit(screen, {"certificate_of_incorporation": ids})
        done = await sdk.next(p.JourneyCompleted, timeout=120)
    finally:
        await sdk.close()
    assert isinstance(done, p.JourneyCompleted)
    return session["session_id"], ids, [*sdk.seen]


def context(server: Server, session_id: str) -> dict:  # type: ignore[type-arg]
    view = server.session(session_id)
    return view["checks"]["certificate"]  # type: ignore[index,no-any-return]


async def test_a_photo_and_a_pdf_of_the_certificate_pass_and_the_journey_approves(
        company_server: Server, documents: dict[str, tuple[bytes, str]]) -> None:
    session_id, ids, seen = await submit_documents(company_server, [documents["photo"], documents["pdf"]])
    done = next(m for m in seen if isinstance(m, p.JourneyCompleted))
    assert done.outcome == "approved"
    checks = context(company_server, session_id)
    assert (checks["passed"], checks["message_key"], checks["failed"]) == (True, "", [])
    assert [f["file"] for f in checks["files"]] == ids
    assert [(f["source"], f["pages"], f["passed"]) for f in checks["files"]] == [("image", 1, True), ("pdf", 2, True)]
    assert {name: checks[name]["status"] for name in ("format", "found", "not_cut_off", "readable")} == \
        dict.fromkeys(("format", "found", "not_cut_off", "readable"), "passed")
    progress = {(m.check, m.status) for m in seen if isinstance(m, p.VerificationProgress)}
    assert {("certificate.format", "passed"), ("certificate.found", "passed"), ("certificate.not_cut_off", "passed"),
            ("certificate.readable", "passed")} <= progress
    assert total(scrape(company_server), "arabesque_checks_total", task="verify_company_document") == 1


async def test_a_cut_off_photo_among_the_files_rejects_with_its_retake_message(
        company_server: Server, documents: dict[str, tuple[bytes, str]]) -> None:
    session_id, ids, seen = await submit_documents(company_server, [documents["pdf"], documents["cut_off"]])
    assert next(m for m in seen if isinstance(m, p.JourneyCompleted)).outcome == "rejected"
    checks = context(company_server, session_id)
    assert (checks["passed"], checks["message_key"], checks["failed"]) == (False, "retake.page_cut_off",
                                                                           ["not_cut_off"])
    assert checks["not_cut_off"]["reason"] == "verification.page_cut_off"
    assert [(f["file"], f["passed"]) for f in checks["files"]] == [(ids[0], True), (ids[1], False)]
    assert ("certificate.not_cut_off", "failed") in {(m.check, m.status) for m in seen
                                                     if isinstance(m, p.VerificationProgress)}


async def test_eight_sessions_at_once_each_get_their_own_files_checked(
        company_server: Server, documents: dict[str, tuple[bytes, str]]) -> None:
    kinds = ["photo", "cut_off", "pdf", "photo", "cut_off", "pdf", "photo", "cut_off"]
    results = await asyncio.gather(*(submit_documents(company_server, [documents[kind]]) for kind in kinds))
    for kind, (session_id, ids, seen) in zip(kinds, results, strict=True):
        checks = context(company_server, session_id)
        assert [f["file"] for f in checks["files"]] == ids
        assert checks["passed"] is (kind != "cut_off"), (kind, checks)
        outcome = next(m for m in seen if isinstance(m, p.JourneyCompleted)).outcome
        assert outcome == ("rejected" if kind == "cut_off" else "approved")
    assert total(scrape(company_server), "arabesque_checks_total", task="verify_company_document") == len(kinds)


def test_the_task_has_checklist_words_in_every_catalog(catalogs: Catalogs) -> None:
    for locale, table in catalogs.messages.items():
        assert "sdk.check.verify_company_document" in table, locale
        assert "sdk.check.certificate_of_incorporation" in table, locale
