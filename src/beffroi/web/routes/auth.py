"""Login and logout. Wrong credentials always get the same answer, whatever was wrong."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.access.sessions import close_session, open_session
from beffroi.access.users import verify_login
from beffroi.clock import from_ms
from beffroi.web.deps import Ctx, public, require

router = APIRouter(prefix="/api/auth", tags=["auth"])

INVALID_CREDENTIALS = "invalid username or password"


class LoginRequest(BaseModel):
    username: str = Field(description="User name", max_length=100)
    password: str = Field(description="Password", max_length=1024)
    totp: str | None = Field(
        default=None, description="One-time code of the second factor (not yet checked)"
    )


class LoginResponse(BaseModel):
    token: str = Field(description="Bearer token: send `Authorization: Bearer <token>`")
    expires_at: datetime = Field(description="Absolute expiry of the session (UTC)")
    idle_expires_at: datetime = Field(
        description="Expiry if unused; each request pushes it back (UTC)"
    )
    username: str = Field(description="The authenticated user")
    role: str = Field(description="The user's role")


@router.post("/login", response_model=LoginResponse)
def login(
    body: LoginRequest, request: Request, ctx: Ctx, _: Annotated[None, Depends(public())]
) -> LoginResponse:
    # TODO(rights issue): TOTP check, lockout after repeated failures, journal entry.
    principal = verify_login(ctx.engine, body.username, body.password)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=INVALID_CREDENTIALS,
            headers={"WWW-Authenticate": "Bearer"},
        )
    source = request.client.host if request.client else None
    session = open_session(ctx.engine, principal.user_id, ctx.clock, source)
    return LoginResponse(
        token=session.token,
        expires_at=from_ms(session.expires_ms),
        idle_expires_at=from_ms(session.idle_expires_ms),
        username=principal.username,
        role=principal.role.value,
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    ctx: Ctx, principal: Annotated[Principal, Depends(require(Permission.ACCOUNT_SELF))]
) -> None:
    if principal.token_sha256 is not None:
        close_session(ctx.engine, principal.token_sha256)
