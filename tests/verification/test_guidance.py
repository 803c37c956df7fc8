"""Every retake message and every check a capture can report has words in every language."""

from __future__ import annotations

import re
from pathlib import Path

from ui_schemas.loader import Catalogs
from verification import company_document, document, selfie

SOURCES = Path(document.__file__).parent


def _retake_keys() -> set[str]:
    """Every `retake.*` key written in the checks' sources (limits, outright failures, guidance)."""
    keys: set[str] = set()
    for source in SOURCES.glob("*.py"):
        keys.update(re.findall(r'"(retake\.[a-z_]+)"', source.read_text()))
    return keys


def test_every_retake_message_a_check_can_give_is_in_every_catalog(catalogs: Catalogs) -> None:
    keys = _retake_keys()
    assert {"retake.glare", "retake.wrong_side", "retake.occluded", "retake.mrz_invalid"} <= keys
    for locale, table in catalogs.messages.items():
        missing = sorted(keys - set(table))
        assert not missing, f"{locale} lacks {missing}"


def test_every_check_a_capture_reports_has_a_checklist_line_in_every_catalog(catalogs: Catalogs) -> None:
    names = set(document.ORDER) | set(selfie.ORDER) | set(company_document.ORDER) | {"face_match"}
    for locale, table in catalogs.messages.items():
        missing = sorted(name for name in names if f"sdk.check.{name}" not in table)
        assert not missing, f"{locale} has no sdk.check.* words for {missing}"
