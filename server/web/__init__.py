"""The web SDK (demo_client/web) as the server serves it: its ES modules and words at /sdk/web/, the handoff
landing page /continue, and the QA demo page /demo. Built once in server/app.py."""

from __future__ import annotations

from starlette.routing import BaseRoute

from sdk_protocol import Limits
from server.sessions.integrator import IntegratorSessions
from server.web.assets import build_assets
from server.web.pages import build_pages
from ui_schemas.loader import Catalogs


def build_web(catalogs: Catalogs, integrator: IntegratorSessions, *, demo: bool, tenant: str, limits: Limits
              ) -> list[BaseRoute]:
    return [*build_assets(catalogs),
            *build_pages(integrator, locales=catalogs.locales, demo=demo, tenant=tenant, limits=limits)]


__all__ = ["build_web"]
