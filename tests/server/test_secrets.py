"""Secrets by name from ARABESQUE_SECRETS and ARABESQUE_SECRETS_FILE; a malformed one never shows its value."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.secrets import Secrets, load_secrets
from server.settings import ConfigError, load_settings


def test_the_file_adds_to_the_variable_and_wins_a_name_both_give(tmp_path: Path) -> None:
    path = tmp_path / "secrets"
    path.write_text("# registry\nregistry_api_key = from-file\n\nregistry_client_id=cid=with=equals\n")
    secrets = load_secrets(load_settings({"ARABESQUE_SECRETS": '{"registry_api_key": "from-env", "other": "o"}',
                                          "ARABESQUE_SECRETS_FILE": str(path)}))
    assert secrets.get("registry_api_key") == "from-file"
    assert secrets.get("registry_client_id") == "cid=with=equals"
    assert secrets.names() == {"registry_api_key", "registry_client_id", "other"}


@pytest.mark.parametrize(("environ", "expected"), [
    ({"ARABESQUE_SECRETS": '{"key": "sk_live_hidden"'}, "ARABESQUE_SECRETS: expected a JSON object"),
    ({"ARABESQUE_SECRETS": '{"Bad-Name": "sk_live_hidden"}'}, "expected names of lowercase letters"),
    ({"ARABESQUE_SECRETS_FILE": "/nonexistent/secrets"}, "ARABESQUE_SECRETS_FILE: expected a readable file"),
])
def test_a_malformed_secret_setting_is_named_but_its_value_is_not_repeated(environ: dict[str, str],
                                                                           expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_secrets(load_settings(environ))
    assert caught.value.code == "config.invalid" and expected in caught.value.message
    assert "sk_live_hidden" not in caught.value.message


def test_redact_hides_every_value_and_repr_shows_names_only() -> None:
    secrets = Secrets({"a": "sk_1", "b": "sk_12"})
    assert secrets.redact("got sk_12 and sk_1") == "got [secret] and [secret]"
    assert repr(secrets) == "Secrets(a, b)"
