"""The back office: server-rendered pages for reviewers (Jinja2, a little JS), their logins, and live updates.

`build_backoffice` returns the routes; `register_live` adds the Socket.IO namespace /backoffice. Built once in
server/app.py, on top of the cases service, the accounts and the files.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from server.audit import Audit
from server.backoffice.actions import build_actions
from server.backoffice.live import register_live
from server.backoffice.logins import Logins
from server.backoffice.pages import build_pages
from server.backoffice.ports import CaseService
from server.backoffice.render import environment
from server.backoffice.site import Site
from server.files import Files
from server.users import Users


def build_backoffice(*, logins: Logins, cases: CaseService, users: Users, files: Files, audit: Audit
                     ) -> list[BaseRoute]:
    site = Site(logins=logins, cases=cases, users=users, files=files, audit=audit, env=environment())
    return [*build_actions(site), *build_pages(site)]


__all__ = ["CaseService", "Logins", "build_backoffice", "register_live"]
