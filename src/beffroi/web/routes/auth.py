"""Login, logout, second-factor enrolment, account administration, machine tokens.

Wrong credentials always get the same answer, whatever was wrong; a reason (disabled,
locked, expired) is told only to whoever gave the right password.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from beffroi.access import accounts, enrolment, events, tokens
from beffroi.access import login as login_flow
from beffroi.access.agents import ExpiryWarning, expiring_users
from beffroi.access.permissions import MATRIX, Permission
from beffroi.access.principal import Principal
from beffroi.access.secrets_box import TotpKey
from beffroi.access.sessions import (
    ABSOLUTE,
    close_session,
    csrf_token,
    open_session,
)
from beffroi.clock import from_ms
from beffroi.journal.http import client_address
from beffroi.web.deps import (
    COOKIE_NAME,
    Ctx,
    public,
    require,
    require_enrolment,
)

router = APIRouter(tags=["auth"])

INVALID_CREDENTIALS = "invalid username or password"
P = Permission


class LoginRequest(BaseModel):
    username: str = Field(description="User name", max_length=100)
    password: str = Field(description="Password", max_length=1024)
    totp: str | None = Field(
        default=None, max_length=16, description="Six-digit code of the second factor (TOTP)"
    )
    cookie: bool = Field(
        default=False,
        description="Browser console: set an HttpOnly session cookie and return a CSRF "
        "token instead of a bearer token",
    )


class WarningOut(BaseModel):
    username: str = Field(description="The user concerned")
    kind: str = Field(description="`approval` (prefectoral approval) or `account`")
    expires: date = Field(description="Last valid day")
    days_left: int = Field(description="Days until the end of validity")

    @classmethod
    def of(cls, w: ExpiryWarning) -> WarningOut:
        return cls(username=w.username, kind=w.kind, expires=w.expires, days_left=w.days_left)


class LoginResponse(BaseModel):
    token: str | None = Field(
        default=None, description="Bearer token: send `Authorization: Bearer <token>`"
    )
    csrf_token: str | None = Field(
        default=None, description="Cookie sessions: send as `X-CSRF-Token` on changes"
    )
    expires_at: datetime | None = Field(default=None, description="Absolute expiry (UTC)")
    idle_expires_at: datetime | None = Field(
        default=None, description="Expiry if unused; each request pushes it back (UTC)"
    )
    username: str = Field(description="The authenticated user")
    role: str = Field(description="The user's role")
    enroll_required: bool = Field(
        default=False,
        description="The second factor must be enrolled first: call /api/auth/totp/enroll "
        "with `Authorization: Bearer <enroll_token>`",
    )
    enroll_token: str | None = Field(default=None, description="Valid 10 minutes, enrolment only")
    warnings: list[WarningOut] = Field(
        default_factory=list, description="Approval or account ending within 30 days"
    )


class SessionInfo(BaseModel):
    username: str = Field(description="The authenticated user")
    role: str = Field(description="The user's role")
    communes: list[str] | None = Field(description="Commune scope; null: every commune")
    auth: str = Field(description="bearer | cookie | api_token")
    csrf_token: str | None = Field(default=None, description="For cookie sessions")
    permissions: list[str] = Field(
        default_factory=list,
        description="What the role may do (the permission matrix): the console shows only that",
    )


class EnrolResponse(BaseModel):
    otpauth_uri: str = Field(description="`otpauth://` URI for an authenticator application")
    secret: str = Field(description="The same secret in base32, to type by hand")
    qr_svg: str = Field(description="The URI as a QR code (inline SVG)")


class ConfirmRequest(BaseModel):
    code: str = Field(description="A current code from the authenticator", max_length=16)
    cookie: bool = Field(default=False, description="Open a cookie session (see login)")


class TokenRequest(BaseModel):
    name: str = Field(description="What the token is for", max_length=100)
    permissions: list[str] = Field(description="Subset of the machine role's permissions")
    communes: list[str] = Field(default_factory=list, description="Communes the token sees")
    expires_at: datetime | None = Field(
        default=None, description="Expiry (UTC), at most 366 days ahead; default 90 days"
    )


class TokenOut(BaseModel):
    id: int = Field(description="Token id")
    name: str = Field(description="What the token is for")
    permissions: list[str] = Field(description="What it may do")
    communes: list[str] = Field(description="Where")
    created_by: str = Field(description="Who created it")
    created_at: datetime = Field(description="Creation time (UTC)")
    expires_at: datetime = Field(description="Expiry (UTC)")
    revoked_at: datetime | None = Field(description="Revocation time (UTC), if revoked")
    last_used_at: datetime | None = Field(description="Last use (UTC), to the minute")
    token: str | None = Field(default=None, description="The secret, shown once at creation")

    @classmethod
    def of(cls, t: tokens.ApiToken, secret: str | None = None) -> TokenOut:
        return cls(
            id=t.id,
            name=t.name,
            permissions=list(t.permissions),
            communes=list(t.communes),
            created_by=t.created_by,
            created_at=t.created_at,
            expires_at=t.expires_at,
            revoked_at=t.revoked_at,
            last_used_at=t.last_used_at,
            token=secret,
        )


def totp_key(ctx: Ctx) -> TotpKey:
    assert ctx.totp_key is not None  # loaded by create_app
    return ctx.totp_key


def _session_response(
    request: Request, response: Response, ctx: Ctx, user_id: int, username: str, role: str,
    cookie: bool, warnings: list[ExpiryWarning],
) -> LoginResponse:  # fmt: skip
    kind = "cookie" if cookie else "bearer"
    session = open_session(ctx.engine, user_id, ctx.clock, client_address(request), kind)
    out = LoginResponse(
        expires_at=from_ms(session.expires_ms),
        idle_expires_at=from_ms(session.idle_expires_ms),
        username=username,
        role=role,
        warnings=[WarningOut.of(w) for w in warnings],
    )
    if cookie:
        response.set_cookie(
            COOKIE_NAME,
            session.token,
            max_age=int(ABSOLUTE.total_seconds()),
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        out.csrf_token = csrf_token(session.token)
    else:
        out.token = session.token
    return out


@router.post("/api/auth/login", response_model=LoginResponse)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    ctx: Ctx,
    _: Annotated[None, Depends(public())],
) -> LoginResponse:
    r = login_flow.attempt_login(
        ctx.engine, ctx.clock, body.username, body.password, body.totp, client_address(request),
        totp_key=totp_key(ctx),
    )  # fmt: skip
    return login_answer(r, request, response, ctx, body.cookie)


def login_answer(
    r: login_flow.LoginResult, request: Request, response: Response, ctx: Ctx, cookie: bool
) -> LoginResponse:
    """The HTTP answer to a login decision (also after an access code is used)."""
    if r.outcome == login_flow.THROTTLED:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail="too_many_attempts",
            headers={"Retry-After": str(r.retry_after_s)},
        )
    if r.outcome == login_flow.FAILED:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=INVALID_CREDENTIALS,
            headers={"WWW-Authenticate": "Bearer"},
        )
    if r.outcome == login_flow.REFUSED:
        retry = {"Retry-After": str(r.retry_after_s)} if r.retry_after_s else None
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=r.reason, headers=retry)
    if r.outcome == login_flow.TOTP_INVALID:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="totp_invalid")
    if r.outcome == login_flow.TOTP_REQUIRED:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="totp_required")
    if r.outcome == login_flow.TOTP_UNAVAILABLE:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="totp_unavailable")
    assert r.user_id is not None and r.username is not None and r.role is not None
    if r.outcome == login_flow.ENROLL:
        enroll = open_session(ctx.engine, r.user_id, ctx.clock, client_address(request), "enroll")
        return LoginResponse(
            username=r.username, role=r.role, enroll_required=True, enroll_token=enroll.token
        )
    return _session_response(
        request, response, ctx, r.user_id, r.username, r.role, cookie, r.warnings
    )


@router.post("/api/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    request: Request,
    response: Response,
    ctx: Ctx,
    principal: Annotated[Principal, Depends(require(P.ACCOUNT_SELF))],
) -> None:
    if principal.token_sha256 is not None:
        close_session(ctx.engine, principal.token_sha256)
    if principal.auth == "cookie":
        response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
    events.record_event(events.LOGOUT, principal.username, client_address(request), "ok", None)


@router.get("/api/auth/session", response_model=SessionInfo)
def session_info(
    request: Request, principal: Annotated[Principal, Depends(require(P.ACCOUNT_SELF))]
) -> SessionInfo:
    """Who is signed in; for the browser console, the CSRF token again after a reload."""
    cookie = request.cookies.get(COOKIE_NAME) if principal.auth == "cookie" else None
    return SessionInfo(
        username=principal.username,
        role=principal.role.value,
        communes=None if principal.communes is None else sorted(principal.communes),
        auth=principal.auth,
        csrf_token=csrf_token(cookie) if cookie else None,
        permissions=sorted(p.value for p in MATRIX[principal.role]),
    )


@router.post("/api/auth/totp/enroll", response_model=EnrolResponse)
def totp_enroll(
    request: Request, ctx: Ctx, principal: Annotated[Principal, Depends(require_enrolment())]
) -> EnrolResponse:
    try:
        e = enrolment.begin_totp_enrolment(
            ctx.engine, principal.user_id, principal.username, client_address(request),
            totp_key=totp_key(ctx),
        )  # fmt: skip
    except enrolment.TotpStateError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    return EnrolResponse(otpauth_uri=e.uri, secret=e.secret, qr_svg=e.qr_svg)


@router.post("/api/auth/totp/confirm", response_model=LoginResponse)
def totp_confirm(
    body: ConfirmRequest,
    request: Request,
    response: Response,
    ctx: Ctx,
    principal: Annotated[Principal, Depends(require_enrolment())],
) -> LoginResponse:
    """Activates the second factor and opens a full session (the enrolment token ends)."""
    try:
        ok = enrolment.confirm_totp_enrolment(
            ctx.engine, principal.user_id, principal.username, body.code, ctx.clock,
            client_address(request), totp_key=totp_key(ctx),
        )  # fmt: skip
    except enrolment.TotpStateError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    except enrolment.TotpUnavailableError:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail="totp_unavailable"
        ) from None
    if not ok:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="wrong code")
    assert principal.token_sha256 is not None
    close_session(ctx.engine, principal.token_sha256)
    return _session_response(
        request, response, ctx, principal.user_id, principal.username,
        principal.role.value, body.cookie, [],
    )  # fmt: skip


@router.get("/api/users/expiring", response_model=list[WarningOut])
def users_expiring(
    ctx: Ctx, _: Annotated[Principal, Depends(require(P.USER_ADMIN))]
) -> list[WarningOut]:
    """Users whose prefectoral approval or account ends within 30 days."""
    return [WarningOut.of(w) for w in expiring_users(ctx.engine, ctx.clock)]


def managed(ctx: Ctx, actor: Principal, username: str) -> None:
    # 404 rather than 403: a supervisor must not learn the accounts of another town.
    try:
        if accounts.may_manage(actor, username, ctx.engine):
            return
    except accounts.UnknownUserError:
        pass
    raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such user")


@router.post("/api/users/{username}/unlock", status_code=status.HTTP_204_NO_CONTENT)
def user_unlock(
    username: str,
    request: Request,
    ctx: Ctx,
    actor: Annotated[Principal, Depends(require(P.USER_UNLOCK))],
) -> None:
    managed(ctx, actor, username)
    accounts.unlock(ctx.engine, username, actor.username, client_address(request))


@router.post("/api/tokens", response_model=TokenOut, status_code=status.HTTP_201_CREATED)
def token_create(
    body: TokenRequest,
    request: Request,
    ctx: Ctx,
    actor: Annotated[Principal, Depends(require(P.USER_ADMIN))],
) -> TokenOut:
    try:
        secret, record = tokens.create_token(
            ctx.engine, ctx.clock, actor, body.name, body.permissions, body.communes,
            body.expires_at, client_address(request),
        )  # fmt: skip
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    return TokenOut.of(record, secret)


@router.get("/api/tokens", response_model=list[TokenOut])
def token_list(ctx: Ctx, _: Annotated[Principal, Depends(require(P.USER_ADMIN))]) -> list[TokenOut]:
    return [TokenOut.of(t) for t in tokens.list_tokens(ctx.engine)]


@router.delete("/api/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def token_revoke(
    token_id: int,
    request: Request,
    ctx: Ctx,
    actor: Annotated[Principal, Depends(require(P.USER_ADMIN))],
) -> None:
    if not tokens.revoke_token(
        ctx.engine, token_id, ctx.clock, actor.username, client_address(request)
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such live token")
