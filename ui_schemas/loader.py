"""Typed loaders: YAML journey files and message catalogs into Structs, with precise errors."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path

import msgspec
import yaml

from sdk_protocol import ALL_COMPONENT_TYPES
from sdk_protocol.codec import PathStep, describe_error, path_steps
from ui_schemas.model import Journey
from ui_schemas.strict import UnknownField, unknown_fields

PACKAGE_DIR = Path(__file__).parent
JOURNEYS_DIR = PACKAGE_DIR / "journeys"
MESSAGES_DIR = PACKAGE_DIR / "messages"

_TAG = re.compile(r"^Invalid value '(?P<value>[^']*)'")


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """One thing wrong with a definition: where (file + JSON pointer), what, and a suggestion."""

    file: str
    pointer: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}#{self.pointer or '/'}"
        return f"{where}: {self.message}" + (f" (hint: {self.hint})" if self.hint else "")


class DefinitionError(Exception):
    """A definition failed to load or check; `problems` says every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's `on`/`off`/`yes`/`no` booleans (`on:` is a key here)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml(text: str, file: str) -> object:
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown place"
        raise DefinitionError(
            [Problem(file=file, pointer="", message=f"Expected valid YAML, got a syntax error at {where}: "
                     f"{getattr(exc, 'problem', exc)}")]
        ) from None


def _pointer(segments: list[PathStep]) -> str:
    return "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in segments)


def msgspec_path_to_pointer(path: str) -> str:
    """`$.states.a.on.submit[0].target` -> `/states/a/on/submit/0/target`."""
    return _pointer(path_steps(path))


def _at(data: object, segments: list[PathStep]) -> object:
    for segment in segments:
        if isinstance(segment, str) and isinstance(data, dict):
            data = data.get(segment)
        elif isinstance(segment, int) and isinstance(data, list) and segment < len(data):
            data = data[segment]
        else:
            return None
    return data


def _replaced(data: object, segments: list[PathStep], value: object) -> object:
    if not segments:
        return value
    head, rest = segments[0], segments[1:]
    if isinstance(head, str) and isinstance(data, dict):
        return {**data, head: _replaced(data.get(head), rest, value)}
    if isinstance(head, int) and isinstance(data, list):
        return [_replaced(item, rest, value) if i == head else item for i, item in enumerate(data)]
    return data


def _name_dict_keys(raw: object, kind: type, message: str, segments: list[PathStep]) -> list[PathStep]:
    """msgspec writes a dict key as `[...]`; find the key by converting with one entry at a time."""
    while None in segments:
        cut = segments.index(None)
        container = _at(raw, segments[:cut])
        if not isinstance(container, dict):
            break
        for key, value in container.items():
            try:
                msgspec.convert(_replaced(raw, segments[:cut], {key: value}), kind)
            except msgspec.ValidationError as exc:
                if describe_error(exc)[0] == message:
                    segments = [*segments[:cut], key, *segments[cut + 1:]]
                    break
        else:
            break
    return segments


def _hint_for(message: str, pointer: str) -> str:
    tag = _TAG.match(message)
    if tag is not None and pointer.endswith("/type"):
        choices = sorted(ALL_COMPONENT_TYPES) if "/components/" in pointer or "/fields/" in pointer or \
            "/fallback" in pointer else ["screen", "task", "decision", "final"]
        close = difflib.get_close_matches(tag["value"], choices, n=1)
        return f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(choices)}"
    if "unknown field" in message:
        return "remove the field or check its spelling against docs/JOURNEYS.md"
    return ""


def _unknown_field_problem(unknown: UnknownField, file: str) -> Problem:
    close = unknown.suggestion
    return Problem(file=file, pointer=_pointer([*unknown.path, unknown.key]),
                   message=f"Expected a field of {unknown.owner}, got unknown field {unknown.key!r}",
                   hint=f"did you mean {close!r}?" if close else f"expected one of: {', '.join(unknown.known)}")


def parse_journey(raw: object, file: str) -> Journey:
    """Typed conversion of parsed YAML/JSON; errors carry the JSON pointer of the bad value.

    Unknown keys are refused everywhere, components included (they are lenient only on the wire).
    """
    unknown = unknown_fields(raw, Journey)
    if unknown:
        raise DefinitionError([_unknown_field_problem(u, file) for u in unknown])
    try:
        return msgspec.convert(raw, Journey)
    except msgspec.ValidationError as exc:
        message, path = describe_error(exc)
        pointer = _pointer(_name_dict_keys(raw, Journey, message, path_steps(path)))
        raise DefinitionError(
            [Problem(file=file, pointer=pointer, message=message, hint=_hint_for(message, pointer))]
        ) from None


def load_journey_file(path: Path) -> Journey:
    """Load one `.yaml`/`.yml`/`.json` journey file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError([Problem(file=str(path), pointer="", message=f"Expected a readable UTF-8 file: {exc}")]) \
            from None
    return parse_journey(read_yaml(text, str(path)), str(path))


def journey_files(paths: Iterable[Path]) -> list[Path]:
    """Expand directories into the journey files they hold (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml", ".json"}
                                and "messages" not in p.parts))
        else:
            files.append(path)
    return files


def builtin_journey_files() -> list[Path]:
    return journey_files([JOURNEYS_DIR])


class Catalogs(msgspec.Struct, frozen=True, kw_only=True):
    """Message catalogs: locale -> key -> text with `{param}` placeholders."""

    messages: dict[str, dict[str, str]]
    default_locale: str = "en"

    @property
    def locales(self) -> list[str]:
        return sorted(self.messages)

    def has(self, key: str, locale: str) -> bool:
        return key in self.messages.get(locale, {})

    def resolve_locale(self, locale: str) -> str:
        """`de-CH` -> `de` when only `de` exists; unknown -> the default locale."""
        if locale in self.messages:
            return locale
        base = locale.split("-", 1)[0]
        return base if base in self.messages else self.default_locale

    def text(self, key: str, locale: str, params: dict[str, str | int | float] | None = None) -> str:
        """The text for `key` in `locale`, falling back to the default locale, then to the key."""
        table = self.messages.get(self.resolve_locale(locale), {})
        template = table.get(key) or self.messages.get(self.default_locale, {}).get(key) or key
        if not params:
            return template
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            return template


def load_catalogs(directory: Path = MESSAGES_DIR) -> Catalogs:
    """Every `<locale>.yaml` in `directory` (flat `key: text` maps)."""
    messages: dict[str, dict[str, str]] = {}
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.yaml")):
        raw = read_yaml(path.read_text(encoding="utf-8"), str(path))
        try:
            messages[path.stem] = msgspec.convert(raw, dict[str, str])
        except msgspec.ValidationError as exc:
            problems.append(Problem(file=str(path), pointer="", message=f"Expected a flat map of key: text; {exc}"))
    if problems:
        raise DefinitionError(problems)
    return Catalogs(messages=messages)


__all__ = [
    "JOURNEYS_DIR",
    "MESSAGES_DIR",
    "Catalogs",
    "DefinitionError",
    "Problem",
    "builtin_journey_files",
    "journey_files",
    "load_catalogs",
    "load_journey_file",
    "msgspec_path_to_pointer",
    "parse_journey",
    "read_yaml",
]
