"""Who may do what: tenants, roles, the permissions each role holds, and the principal a request acts as.

An API key (integrator, reviewer, admin) or a back-office login (reviewer, admin, viewer) resolves to one
`Principal`; every route names the permission it needs and `require` refuses the rest with `auth.forbidden`.
Everything a principal reaches belongs to its tenant: another tenant's session, case, key or user answers
as if it did not exist (404), never 403, so ids of other tenants cannot be probed.
"""

from __future__ import annotations

import enum
import re
from typing import Literal, get_args

import msgspec

import sdk_protocol as p

Role = Literal["integrator", "reviewer", "admin", "viewer"]
KeyRole = Literal["integrator", "reviewer", "admin"]
UserRole = Literal["reviewer", "admin", "viewer"]
ROLES: tuple[Role, ...] = get_args(Role)
KEY_ROLES: tuple[KeyRole, ...] = get_args(KeyRole)
USER_ROLES: tuple[UserRole, ...] = get_args(UserRole)
TENANT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class Permission(enum.StrEnum):
    JOURNEYS_READ = "journeys.read"
    SESSIONS_WRITE = "sessions.write"
    """open sessions, issue tokens, send signals, erase"""
    SESSIONS_READ = "sessions.read"
    FILES_READ = "files.read"
    CASES_READ = "cases.read"
    CASES_WORK = "cases.work"
    """claim, release, note, decide (a case assigned to oneself)"""
    CASES_MANAGE = "cases.manage"
    """assign to anyone, decide on anyone's case"""
    AUDIT_READ = "audit.read"
    KEYS_MANAGE = "keys.manage"
    USERS_MANAGE = "users.manage"
    WEBHOOKS_MANAGE = "webhooks.manage"
    """subscribe, change, rotate secrets, read delivery logs, redeliver"""


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    "integrator": frozenset({P.JOURNEYS_READ, P.SESSIONS_WRITE, P.SESSIONS_READ, P.FILES_READ, P.WEBHOOKS_MANAGE}),
    "reviewer": frozenset({P.JOURNEYS_READ, P.SESSIONS_READ, P.FILES_READ, P.CASES_READ, P.CASES_WORK}),
    "viewer": frozenset({P.JOURNEYS_READ, P.SESSIONS_READ, P.FILES_READ, P.CASES_READ}),
    "admin": frozenset(Permission),
}


class Forbidden(p.SdkError):
    """The credential is valid but its role does not allow this (the message names the permission)."""

    code = "auth.forbidden"
    http_status = 403


class InvalidCredentials(p.SdkError):
    """The email and password do not match an active back-office account (the message never says which)."""

    code = "auth.invalid_credentials"
    http_status = 401


class AccountLocked(p.SdkError):
    """Too many failed logins for this account: wait `retry_after` seconds."""

    code = "auth.locked"
    http_status = 429


class LoginRequired(p.SdkError):
    """No back-office login (or it expired or was ended): log in again."""

    code = "auth.login_required"
    http_status = 401


class CsrfFailed(p.SdkError):
    """A form post or cookie-authenticated request without the login's CSRF token."""

    code = "auth.csrf_failed"
    http_status = 403


class KeyNotFound(p.SdkError):
    """No API key with this id in the caller's tenant."""

    code = "key.not_found"
    http_status = 404


class UserNotFound(p.SdkError):
    """No back-office user with this id in the caller's tenant."""

    code = "user.not_found"
    http_status = 404


class UserExists(p.SdkError):
    """A back-office user with this email exists already."""

    code = "user.exists"
    http_status = 409


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is acting: `actor` is `api_key:<id>` or `user:<id>`, `name` is for people (a key's name, an email)."""

    tenant: str
    role: Role
    actor: str
    name: str
    ip: str = ""

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


def require(principal: Principal, permission: Permission) -> Principal:
    """`principal` when its role holds `permission`; else `auth.forbidden`."""
    if not principal.can(permission):
        raise Forbidden(f"Expected a role with permission {permission.value}, got role {principal.role}",
                        permission=permission.value, role=principal.role)
    return principal


SYSTEM = Principal(tenant="", role="admin", actor="system", name="system")
"""The server itself (timers, retention): only in audit records, never from a request."""

__all__ = ["KEY_ROLES", "ROLES", "ROLE_PERMISSIONS", "SYSTEM", "TENANT_PATTERN", "USER_ROLES", "AccountLocked",
           "CsrfFailed", "Forbidden", "InvalidCredentials", "KeyNotFound", "KeyRole", "LoginRequired", "Permission",
           "Principal", "Role", "UserExists", "UserNotFound", "UserRole", "require"]
