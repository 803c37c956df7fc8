"""Named secrets a journey may reference (`{secrets.registry_api_key}`), never written in a journey itself.

They come from ARABESQUE_SECRETS (a JSON object of name to value) and ARABESQUE_SECRETS_FILE (one
`name=value` a line, `#` comments), the file winning a name both give. A value is only ever put into an
outgoing request: `redact` takes every known value out of a text before it is logged or kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import msgspec

from server.settings import PREFIX, ConfigError, Settings

NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
REDACTED = "[secret]"


class Secrets:
    """The operator's secrets by name; `redact` hides their values."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    def names(self) -> frozenset[str]:
        return frozenset(self._values)

    def get(self, name: str) -> str | None:
        return self._values.get(name)

    def redact(self, text: str) -> str:
        for value in sorted(self._values.values(), key=len, reverse=True):
            if value:
                text = text.replace(value, REDACTED)
        return text

    def __repr__(self) -> str:  # a Secrets in a traceback or a log line shows names only
        return f"Secrets({', '.join(sorted(self._values))})"


def _from_file(path: Path) -> dict[str, str]:
    variable = f"{PREFIX}SECRETS_FILE"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{variable}: expected a readable file, got {path} ({exc.strerror})",
                          variable=variable) from None
    found: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals:
            raise ConfigError(f"{variable}: expected `name=value` on line {number} of {path}, got no `=`",
                              variable=variable, line=number)
        found[name.strip()] = value.strip()
    return found


def load_secrets(settings: Settings) -> Secrets:
    """The secrets of ARABESQUE_SECRETS and ARABESQUE_SECRETS_FILE; ConfigError naming the variable (never a
    value) when one is malformed."""
    values: dict[str, str] = {}
    if settings.secrets:
        try:
            values.update(msgspec.json.decode(settings.secrets, type=dict[str, str]))
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise ConfigError(f"{PREFIX}SECRETS: expected a JSON object of names to string values, got something "
                              "else (its text is not repeated here)", variable=f"{PREFIX}SECRETS") from None
    if settings.secrets_file:
        values.update(_from_file(Path(settings.secrets_file)))
    bad = sorted(name for name in values if not NAME.match(name))
    if bad:
        raise ConfigError(f"{PREFIX}SECRETS: expected names of lowercase letters, digits and _, got {bad}",
                          variable=f"{PREFIX}SECRETS")
    return Secrets(values)


__all__ = ["REDACTED", "Secrets", "load_secrets"]
