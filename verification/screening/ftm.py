"""Sanctions and PEP lists in the FollowTheMoney entity format, as OpenSanctions publishes them.

One JSON object per line (`entities.ftm.json`), or a JSON array: `{"id", "schema", "properties":
{"name": [...], "birthDate": [...], ...}, "datasets": [...]}`. Only the schemas that name a person
or a legal entity are screened against; the others an export carries (Sanction, Address,
Ownership...) are counted and skipped. A file the matcher cannot read fails with the file and line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import msgspec

from sdk_protocol.errors import SdkError

PERSON_SCHEMAS = frozenset({"Person"})
COMPANY_SCHEMAS = frozenset({"Company", "Organization", "LegalEntity", "PublicBody"})
SUFFIXES = (".json", ".jsonl", ".ftm.json", ".ijson")


class ScreeningListInvalid(SdkError):
    """The configured sanctions/PEP list cannot be read: a missing path, or a line that is not an FtM entity."""

    code: ClassVar[str] = "screening.list_invalid"
    http_status: ClassVar[int] = 500


class Entity(msgspec.Struct, frozen=True, kw_only=True):
    """An FtM entity; `properties` maps a property name to its values, as FtM writes every property."""

    id: str
    schema: str
    properties: dict[str, list[str]] = {}
    datasets: list[str] = []
    caption: str = ""

    def values(self, *names: str) -> list[str]:
        return [value for name in names for value in self.properties.get(name, [])]

    @property
    def is_person(self) -> bool:
        return self.schema in PERSON_SCHEMAS

    @property
    def label(self) -> str:
        """What a reviewer reads first: the caption, else the first name on the list, else the id."""
        return self.caption or next(iter(self.values("name")), self.id)


class _Loose(msgspec.Struct, kw_only=True):
    # FtM writes every property as a list of strings; a property given as one string is taken as a list of one.
    id: str
    schema: str
    properties: dict[str, list[str] | str] = {}
    datasets: list[str] = []
    caption: str = ""


_decode_line = msgspec.json.Decoder(_Loose).decode
_decode_array = msgspec.json.Decoder(list[_Loose]).decode


def _entity(loose: _Loose) -> Entity:
    properties = {k: [v] if isinstance(v, str) else v for k, v in loose.properties.items()}
    return Entity(id=loose.id, schema=loose.schema, properties=properties, datasets=loose.datasets,
                  caption=loose.caption)


def list_files(path: Path) -> list[Path]:
    """The list's files: `path` itself, or every `.json`/`.jsonl`/`.ftm.json` file under the folder, sorted."""
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
        if files:
            return files
        raise ScreeningListInvalid(f"Expected .json, .jsonl or .ftm.json files in the folder {path}, found none",
                                   path=str(path))
    raise ScreeningListInvalid(f"Expected a file or folder at {path}, found nothing", path=str(path))


def _read(path: Path) -> Iterator[_Loose]:
    data = path.read_bytes()
    if data.lstrip()[:1] == b"[":
        try:
            yield from _decode_array(data)
        except msgspec.DecodeError as exc:
            raise ScreeningListInvalid(f"Expected a JSON array of FtM entities in {path}, got: {exc}",
                                       path=str(path)) from None
        return
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield _decode_line(line)
        except msgspec.DecodeError as exc:
            raise ScreeningListInvalid(f"Expected an FtM entity ({{\"id\", \"schema\", \"properties\"}}) on line "
                                       f"{number} of {path}, got: {exc}", path=str(path), line=number) from None


def load_entities(path: Path) -> tuple[list[Entity], int]:
    """The persons and legal entities of the list at `path`, and how many other entities were skipped."""
    entities: list[Entity] = []
    skipped = 0
    for file in list_files(path):
        for loose in _read(file):
            if loose.schema in PERSON_SCHEMAS or loose.schema in COMPANY_SCHEMAS:
                entities.append(_entity(loose))
            else:
                skipped += 1
    return entities, skipped


def list_version(path: Path) -> str:
    """Which list was screened against: a digest of the files' names, sizes and modification times."""
    digest = hashlib.sha256()
    for file in list_files(path):
        stat = file.stat()
        digest.update(f"{file.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


__all__ = ["COMPANY_SCHEMAS", "PERSON_SCHEMAS", "Entity", "ScreeningListInvalid", "list_files", "list_version",
           "load_entities"]
