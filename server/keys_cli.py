"""`arabesque keys create | list | revoke | rotate`: API keys of every tenant, straight in the database.

Works on the database the server would use (ARABESQUE_DATA_DIR / ARABESQUE_DATABASE_URL, migrated first),
whether or not a server is running; every change is audited with the actor `cli`. Running servers see a
change within ARABESQUE_KEY_CACHE_SECONDS. A new key is printed once, alone on stdout (for `KEY=$(...)`);
what it is goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
from typing import TYPE_CHECKING

import msgspec

from server.access import KEY_ROLES

if TYPE_CHECKING:
    from server.keys import KeyAdmin, KeyView
    from server.settings import Settings

CLI_ACTOR = "cli"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _describe(key: KeyView) -> str:
    expires = key.expires_at.isoformat() if key.expires_at is not None else "never"
    return f"{key.id}\t{key.tenant}\t{key.role}\t{key.status}\t{key.prefix}\t{expires}\t{key.name}"


async def _act(args: argparse.Namespace, admin: KeyAdmin) -> int:
    from server.access import Principal
    from server.keys import CreateKey, parse_duration, parse_expiry

    by = Principal(tenant="", role="admin", actor=CLI_ACTOR, name=CLI_ACTOR)
    if args.action == "create":
        expires_at = parse_expiry(args.expires, _now()) if args.expires else None
        created = await admin.create(by, CreateKey(name=args.name, role=args.role, expires_at=expires_at),
                                     tenant=args.tenant)
        print(created.api_key, flush=True)
        print(f"created {_describe(created)}\n(the key is shown this once: only its SHA-256 digest is kept)",
              file=sys.stderr)
    elif args.action == "list":
        keys = await admin.list_keys(tenant=args.tenant)
        if args.json:
            print(msgspec.json.encode(keys).decode())
        else:
            print("id\ttenant\trole\tstatus\tprefix\texpires_at\tname")
            for key in keys:
                print(_describe(key))
    elif args.action == "revoke":
        print(f"revoked {_describe(await admin.revoke(by, args.key_id, tenant=None))}", file=sys.stderr)
    else:
        rotated = await admin.rotate(by, args.key_id, grace=parse_duration(args.grace) if args.grace else
                                     dt.timedelta(0), tenant=None)
        print(rotated.api_key, flush=True)
        print(f"created {_describe(rotated)}\nreplaced {_describe(rotated.replaced)}\n(the key is shown this once)",
              file=sys.stderr)
    return 0


async def _main(args: argparse.Namespace, settings: Settings) -> int:
    from server.audit import Audit
    from server.db import Database, Repository
    from server.db.migrate import upgrade
    from server.keys import KeyAdmin

    await asyncio.to_thread(upgrade, settings.resolved_database_url)
    database = Database(settings.resolved_database_url)
    database.start()
    repo = Repository(database)
    try:
        return await _act(args, KeyAdmin(repo, Audit(repo, _now), _now))
    finally:
        await repo.close()


def _run(args: argparse.Namespace) -> int:
    import sdk_protocol as p
    from server.settings import ConfigError, load_settings

    try:
        settings = load_settings(os.environ)
    except ConfigError as exc:
        print(f"configuration error: {exc.message}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_main(args, settings))
    except p.SdkError as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 1


def add_keys_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`arabesque keys ...` under the top-level parser's commands."""
    keys = commands.add_parser("keys", help="API keys of every tenant (in the configured database)")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a key and print it once")
    create.add_argument("--tenant", required=True, help="lowercase letters, digits, - and _")
    create.add_argument("--name", required=True, help="what the key is for (shown in listings and the audit)")
    create.add_argument("--role", required=True, choices=KEY_ROLES)
    create.add_argument("--expires", help="a duration (90s, 15m, 1h, 30d, 2w) or an ISO-8601 time with its zone")
    listing = actions.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--tenant", help="only this tenant's keys (default: every tenant)")
    listing.add_argument("--json", action="store_true", help="a JSON array instead of a table")
    revoke = actions.add_parser("revoke", help="stop a key (running servers: within the key cache time)")
    revoke.add_argument("key_id")
    rotate = actions.add_parser("rotate", help="replace a key by a new one (same tenant, name, role, lifetime)")
    rotate.add_argument("key_id")
    rotate.add_argument("--grace", help="how long the old key keeps working (90s, 15m, 1h, 30d; default: none)")
    keys.set_defaults(run=_run)


__all__ = ["CLI_ACTOR", "add_keys_commands"]
