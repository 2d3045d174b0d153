"""FastAPI dependencies: the context, authentication, and permission checks.

Every route declares exactly one of `require(permission)`, `require_enrolment()` or
`public()`; `guard.py` checks that at start-up. Routes only ever see a `Principal`.

A request authenticates in one of three ways, tried in this order:
- `Authorization: Bearer <token>`: a bearer session (API clients) or, with the `bft_`
  prefix, a machine API token. No CSRF token: a browser never adds this header by itself.
- the `beffroi_session` cookie (browser console): state-changing methods must carry
  `X-CSRF-Token` matching the session, or get 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.access.sessions import csrf_matches, resolve_session
from beffroi.access.tokens import is_api_token, resolve_token
from beffroi.web.context import AppContext

# Attribute naming what a dependency grants, read by the route guard.
GUARD_ATTR = "__beffroi_guard__"
PUBLIC = "public"

COOKIE_NAME = "beffroi_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FAILED = "csrf_token_missing_or_invalid"

_bearer = HTTPBearer(auto_error=False, description="The token returned by /api/auth/login")
_cookie = APIKeyCookie(
    name=COOKIE_NAME,
    auto_error=False,
    description="Browser session (login with cookie=true); send X-CSRF-Token on changes",
)


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


Ctx = Annotated[AppContext, Depends(get_ctx)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def authenticate(
    request: Request,
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Principal:
    if credentials is not None:
        token = credentials.credentials
        if is_api_token(token):
            principal = resolve_token(ctx.engine, token, ctx.clock)
        else:
            principal = resolve_session(ctx.engine, token, ctx.clock, kind="bearer")
    elif cookie:
        principal = resolve_session(ctx.engine, cookie, ctx.clock, kind="cookie")
        # Known from here on: a refusal below, or in the route, is this user's act.
        request.state.principal = principal
        # After the session check, so a forged cookie reads as unauthenticated (401).
        if (
            principal is not None
            and request.method not in SAFE_METHODS
            and not csrf_matches(cookie, request.headers.get(CSRF_HEADER))
        ):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=CSRF_FAILED)
    else:
        raise _unauthorized("authentication required")
    if principal is None:
        raise _unauthorized("session expired or invalid: log in again")
    # What the denied-request journal (routes/journal.py) reads when a permission check
    # or a route answers 403 or 404: who was refused.
    request.state.principal = principal
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


def require_enrolment() -> Callable[..., Principal]:
    """For the TOTP enrolment routes only: the bearer token of an `enroll` session, the
    half-login a video user gets from a correct password before its second factor
    exists. It acts on the user's own account: the guard counts it as ACCOUNT_SELF."""

    def dependency(
        ctx: Ctx,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None:
            raise _unauthorized("enrolment token required")
        principal = resolve_session(ctx.engine, credentials.credentials, ctx.clock, kind="enroll")
        if principal is None:
            raise _unauthorized("enrolment token expired or invalid: log in again")
        return principal

    setattr(dependency, GUARD_ATTR, Permission.ACCOUNT_SELF)
    dependency.__name__ = "require_enrolment"
    return dependency


def public() -> Callable[[], None]:
    """Marks a route as deliberately open; only the guard's allow-list may use it."""

    def dependency() -> None:
        return None

    setattr(dependency, GUARD_ATTR, PUBLIC)
    return dependency
