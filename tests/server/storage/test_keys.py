"""Where a session's documents live: one layout, built and read in one place."""

from __future__ import annotations

from server.storage.base import check_key
from server.storage.keys import file_key, session_prefix, split_file_key


def test_a_file_key_is_under_its_sessions_prefix_and_reads_back() -> None:
    key = file_key("default", "s_abc", "f_123")
    assert key == "default/s_abc/f_123" and check_key(key) == key
    assert key.startswith(session_prefix("default", "s_abc") + "/")
    assert split_file_key(key, "default") == ("s_abc", "f_123")
    assert split_file_key("s_abc/f_123", "default") == ("s_abc", "f_123")


def test_a_name_of_another_shape_or_tenant_is_not_a_file_key() -> None:
    assert split_file_key("other/s_abc/f_123", "default") is None
    assert split_file_key("s_abc", "default") is None
    assert split_file_key("s_abc//", "default") is None
