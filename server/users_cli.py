"""`arabesque users create|list|disable`: back-office accounts, on the configured database directly.

Operators run it on a server's host (the same `ARABESQUE_*` settings as `serve`); migrations run first, and
every change is audited with the actor `cli`. The password is read from standard input (one line), so it
never appears in the process list or the shell history.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import sdk_protocol as p
from server.access import USER_ROLES, Principal

if TYPE_CHECKING:
    from server.users import Users

Work = Callable[["Users"], Awaitable[int]]

CLI_ACTOR = "cli"


def cli_principal(tenant: str) -> Principal:
    return Principal(tenant=tenant, role="admin", actor=CLI_ACTOR, name=CLI_ACTOR)


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("password (at least 12 characters): ")
    return sys.stdin.readline().rstrip("\r\n")


async def _with_users(work: Work) -> int:
    from server.audit import Audit
    from server.db import Database, Repository
    from server.db.migrate import upgrade
    from server.settings import load_settings
    from server.users import Users

    settings = load_settings(os.environ)
    if not settings.database_url:
        settings.data_path.mkdir(parents=True, exist_ok=True)  # the embedded database lives there
    await asyncio.to_thread(upgrade, settings.resolved_database_url)
    repo = Repository(Database(settings.resolved_database_url))
    try:
        return await work(Users(repo, Audit(repo, lambda: dt.datetime.now(dt.UTC)), lambda: dt.datetime.now(dt.UTC)))
    finally:
        await repo.close()


def _run(work: Work) -> int:
    from server.settings import ConfigError

    try:
        return asyncio.run(_with_users(work))
    except ConfigError as exc:
        print(f"configuration error: {exc.message}", file=sys.stderr)
        return 2
    except p.SdkError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 1


def _create(args: argparse.Namespace) -> int:
    password = _read_password()

    async def work(users: Users) -> int:
        created = await users.create(cli_principal(args.tenant), email=args.email, role=args.role, password=password)
        print(f"created {created.id}\t{created.email}\t{created.role}\t{created.tenant}")
        return 0

    return _run(work)


def _list(args: argparse.Namespace) -> int:
    async def work(users: Users) -> int:
        for user in await users.list(args.tenant):
            state = "disabled" if user.disabled_at else "active"
            last = user.last_login_at.isoformat(timespec="seconds") if user.last_login_at else "-"
            print(f"{user.id}\t{user.tenant}\t{user.email}\t{user.role}\t{state}\t{last}")
        return 0

    return _run(work)


def _disable(args: argparse.Namespace) -> int:
    async def work(users: Users) -> int:
        found = await users.find(args.email)
        disabled = await users.disable(cli_principal(found.tenant), args.email)
        print(f"disabled {disabled.id}\t{disabled.email}\t{disabled.tenant}")
        return 0

    return _run(work)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `users` to the `arabesque` parser's subcommands."""
    users = commands.add_parser("users", help="back-office accounts").add_subparsers(dest="sub", required=True)
    create = users.add_parser("create", help="create an account; the password is read from stdin (one line)")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=USER_ROLES)
    create.add_argument("--tenant", required=True)
    create.set_defaults(run=_create)
    listing = users.add_parser("list", help="list accounts (tab-separated: id, tenant, email, role, state, last login)")
    listing.add_argument("--tenant")
    listing.set_defaults(run=_list)
    disable = users.add_parser("disable", help="disable an account and end its logins")
    disable.add_argument("email")
    disable.set_defaults(run=_disable)


__all__ = ["CLI_ACTOR", "cli_principal", "register"]
