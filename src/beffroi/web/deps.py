"""FastAPI dependencies: the context, authentication, and permission checks.

Every route declares exactly one of `require(permission)` or `public()`; `guard.py`
checks that at start-up. `authenticate` is the seam where the rights issue adds TOTP,
lockout and the journal: routes only ever see a `Principal`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.access.sessions import resolve_session
from beffroi.web.context import AppContext

# Attribute naming what a dependency grants, read by the route guard.
GUARD_ATTR = "__beffroi_guard__"
PUBLIC = "public"

_bearer = HTTPBearer(auto_error=False, description="The token returned by /api/auth/login")


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def authenticate(
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("authentication required")
    principal = resolve_session(ctx.engine, credentials.credentials, ctx.clock)
    if principal is None:
        raise _unauthorized("session expired or invalid: log in again")
    return principal


def require(permission: Permission) -> Callable[..., Principal]:
    """A dependency that authenticates and checks `permission`; returns the principal."""

    def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.can(permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"permission required: {permission.value}"
            )
        return principal

    setattr(dependency, GUARD_ATTR, permission)
    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency


def public() -> Callable[[], None]:
    """Marks a route as deliberately open; only the guard's allow-list may use it."""

    def dependency() -> None:
        return None

    setattr(dependency, GUARD_ATTR, PUBLIC)
    return dependency
