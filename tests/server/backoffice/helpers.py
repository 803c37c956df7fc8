"""Back-office helpers for tests against a real server: accounts through the CLI, logins through the form."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.server.live import ROOT, Server

PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
OUTPUT = ROOT / "test-output"
"""screenshots are copied here too (git-ignored) so a person can look at them after `make test`"""


def cli(server: Server, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`arabesque ...` on the server's own configuration (its data dir, so its database)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARABESQUE_")} | server.env
    return subprocess.run([sys.executable, "-m", "server.cli", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)


def create_users(server: Server, *accounts: tuple[str, str, str]) -> None:
    """(email, role, tenant) accounts, created in parallel through `arabesque users create`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARABESQUE_")} | server.env
    running = [subprocess.Popen([sys.executable, "-m", "server.cli", "users", "create", "--email", email, "--role",
                                 role, "--tenant", tenant], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env) for email, role, tenant in accounts]
    for process in running:
        out, err = process.communicate(PASSWORD + "\n", timeout=60)
        assert process.returncode == 0, err
        assert out.startswith("created u_"), out


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found is not None, html[:800]
    return found[1]


def log_in(server: Server, email: str, *, ip: str = "127.0.0.1", password: str = PASSWORD) -> tuple[httpx.Client, str]:
    """A client holding the login cookie, and the login's CSRF token. `ip` goes out as X-Forwarded-For, which
    uvicorn trusts from 127.0.0.1 (as from a proxy on the same host), so tests stay apart in the per-IP limit."""
    client = httpx.Client(base_url=server.url, headers={"X-Forwarded-For": ip}, timeout=30.0)
    form = client.get("/backoffice/login")
    done = client.post("/backoffice/login", data={"email": email, "password": password,
                                                  "csrf_token": csrf_of(form.text)})
    assert done.status_code == 303, done.text
    return client, csrf_of(client.get("/backoffice").text)


def save_screenshot(data: bytes, folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(data)
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / name).write_bytes(data)
    return path
