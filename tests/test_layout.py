"""The shape the code is held to (STYLE.md): one concept per module, no runner classes."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("server", "sdk_protocol", "verification", "ui_schemas", "demo_client")
MAX_MODULE_LINES = 350
MAX_CLASS_LINES = 200


def sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py")
                  if "migrations" not in p.parts)


def test_no_module_is_over_350_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p in sources() if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_class_is_over_200_lines() -> None:
    long = {}
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_CLASS_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.name}"] = lines
    assert long == {}


def test_the_app_has_one_home_per_concept() -> None:
    """The session service is gone: its concerns live in their own modules."""
    assert not (ROOT / "server" / "service.py").exists()
    for module in ("sessions/core.py", "sessions/effects.py", "sessions/presenter.py", "sessions/supervisor.py",
                   "sessions/sdk.py", "sessions/integrator.py", "files.py", "erasure.py", "background.py", "jobs/local.py", "jobs/pg.py", "workers.py",
                   "storage/keys.py", "workflow/context.py", "rekognition/api.py", "handoffs.py", "http_handoff.py",
                   "db/handoffs.py"):
        assert (ROOT / "server" / module).is_file(), module
    assert not (ROOT / "sdk_protocol" / "rekognition.py").exists()
    assert not (ROOT / "verification" / "rekognition.py").exists()


def test_each_name_means_one_thing() -> None:
    """The wire message keeps its name; the definition types and the token error got their own."""
    import sdk_protocol as p
    from server.workflow import journey
    from ui_schemas import model

    assert hasattr(p, "ScreenAction") and not hasattr(model, "ScreenAction") and hasattr(model, "ActionDef")
    assert not hasattr(journey, "Conditions") and hasattr(journey, "InputConditions")
    assert not hasattr(p, "SessionExpired") and p.TokenExpired.code == "session.expired"
