"""Configuration: environment variables only; a bad one stops the server with its name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from server.settings import DOCUMENTED, ConfigError, Settings, load_settings
from tests.server.live import ROOT


def test_defaults_are_the_embedded_ones(tmp_path: Path) -> None:
    settings = load_settings({"ARABESQUE_DATA_DIR": str(tmp_path)})
    assert settings.resolved_database_url == f"sqlite+aiosqlite:///{tmp_path / 'arabesque.db'}"
    assert settings.resolved_storage_url == (tmp_path / "documents").as_uri()
    assert settings.face_provider == "local" and settings.retention_seconds == 0


@pytest.mark.parametrize(("environ", "variable"), [
    ({"ARABESQUE_MAX_UPLOAD_BYTES": "lots"}, "ARABESQUE_MAX_UPLOAD_BYTES"),
    ({"ARABESQUE_TOKEN_TTL_SECONDS": "0"}, "ARABESQUE_TOKEN_TTL_SECONDS"),
    ({"ARABESQUE_WORKERS": "-2"}, "ARABESQUE_WORKERS"),
    ({"ARABESQUE_LOG_LEVEL": "loud"}, "ARABESQUE_LOG_LEVEL"),
    ({"ARABESQUE_FACE_PROVIDER": "azure"}, "ARABESQUE_FACE_PROVIDER"),
    ({"ARABESQUE_S3_ADDRESSING": "sideways"}, "ARABESQUE_S3_ADDRESSING"),
    ({"ARABESQUE_REKOGNITION_ACCESS_KEY_ID": "AKIA"}, "ARABESQUE_REKOGNITION_ACCESS_KEY_ID"),
    ({"ARABESQUE_DATABSE_URL": "x"}, "ARABESQUE_DATABSE_URL"),
    ({"ARABESQUE_TENANT": "Acme Corp"}, "ARABESQUE_TENANT"),
    ({"ARABESQUE_TENANT": "../other"}, "ARABESQUE_TENANT"),
    ({"ARABESQUE_KEY_CACHE_SECONDS": "-1"}, "ARABESQUE_KEY_CACHE_SECONDS"),
])
def test_a_bad_variable_is_named_in_the_error(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ)
    assert variable in caught.value.message
    assert caught.value.code == "config.invalid"


def test_serve_exits_2_with_the_reason_on_bad_configuration(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "server.cli", "serve", "--port", "1"], capture_output=True,
                          text=True, timeout=60, cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin", "ARABESQUE_DATA_DIR": str(tmp_path),
                               "ARABESQUE_STORAGE_URL": "ftp://nope"})
    assert done.returncode == 2
    assert "ARABESQUE_STORAGE_URL: expected file:///path or s3://bucket/prefix" in done.stderr


def test_every_setting_is_documented_here_and_in_the_readme() -> None:
    names = {f"ARABESQUE_{field.upper()}" for field in Settings.__struct_fields__}
    assert set(DOCUMENTED) == names
    readme = (ROOT / "README.md").read_text()
    assert [name for name in sorted(names) if name not in readme] == []


def test_the_message_limit_is_one_number_shared_with_the_decoder() -> None:
    from sdk_protocol import DEFAULT_LIMITS, Limits

    assert load_settings({}).limits() == DEFAULT_LIMITS
    settings = load_settings({"ARABESQUE_MAX_MESSAGE_BYTES": "1000"})
    assert settings.limits() == Limits(max_message_bytes=1000, max_depth=24, max_nodes=20_000)
    assert settings.transport_max_bytes > settings.max_message_bytes


def test_a_value_of_the_wrong_type_names_its_variable_and_what_was_expected() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"ARABESQUE_MAX_MESSAGE_BYTES": "big"})
    assert caught.value.message == "ARABESQUE_MAX_MESSAGE_BYTES: Expected `int`, got 'big'"
    assert caught.value.details == {"variable": "ARABESQUE_MAX_MESSAGE_BYTES"}
