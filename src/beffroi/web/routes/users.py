"""User administration: the list with each agent's record, creation, changes.

The administrator (`user.admin`) manages every user; a supervisor (`user.unlock`) sees
the locked accounts of its communes to unlock them (`/api/users/{u}/unlock`, in
auth.py, with the TOTP reset and the expiring approvals). Every change is journaled
through `access.events`, as the command line's are.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from beffroi.access import accounts, invitations
from beffroi.access.permissions import Permission, Role
from beffroi.access.principal import Principal
from beffroi.access.users import UserExistsError, create_user
from beffroi.clock import from_ms
from beffroi.journal.http import client_address
from beffroi.journal.tables import journal_entries
from beffroi.web.deps import Ctx, require
from beffroi.web.routes.access import AccessRequestOut, IssuedCodeOut

router = APIRouter(prefix="/api/users", tags=["users"])

Admin = Annotated[Principal, Depends(require(Permission.USER_ADMIN))]
Unlocker = Annotated[Principal, Depends(require(Permission.USER_UNLOCK))]
Username = Annotated[str, Path(max_length=100, description="The user's name")]

# The journal's record of a session opened (a login, or the first one after enrolment).
LOGIN_ACTIONS = ("auth.login", "auth.totp_confirm")


class UserOut(BaseModel):
    username: str = Field(description="User name")
    role: str = Field(description="admin | supervisor | operator | investigator | patrol | auditor")
    communes: list[str] = Field(description="The user's communes (an administrator: every one)")
    cameras: list[str] = Field(description="A patrol agent's designated cameras (none: all)")
    full_name: str | None = Field(description="Name of the agent")
    service: str | None = Field(description="Service or unit")
    is_police: bool = Field(description="Municipal police (no prefectoral approval needed)")
    approval_ref: str | None = Field(description="Prefectoral approval reference")
    approval_expires: date | None = Field(description="Last valid day of the approval")
    training_date: date | None = Field(description="Data-protection training")
    account_expires: date | None = Field(description="Last valid day of the account")
    disabled: bool = Field(description="The account may not sign in")
    locked: bool = Field(description="Locked after failed sign-ins")
    locked_until: datetime | None = Field(description="End of the lockout (UTC), while locked")
    totp: bool = Field(description="A second factor is enrolled")
    password_set: bool = Field(
        description="The agent has chosen a password (false: its invitation is not used yet)"
    )
    last_login: datetime | None = Field(
        description="Last session opened, as the journal tells (null: none it still holds)"
    )


class LockedUserOut(BaseModel):
    username: str = Field(description="User name")
    role: str = Field(description="Role")
    communes: list[str] = Field(description="The user's communes")
    locked_until: datetime | None = Field(description="End of the lockout (UTC)")


class UserIn(BaseModel):
    """No password: the agent chooses it with the invitation's code."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=100, description="User name, no spaces")
    role: Role = Field(description="The role (not `machine`)")
    communes: list[str] = Field(default_factory=list, max_length=200, description="Communes")
    cameras: list[str] = Field(
        default_factory=list, max_length=500, description="Patrol only: designated cameras"
    )
    full_name: str | None = Field(default=None, max_length=200, description="Name of the agent")
    service: str | None = Field(default=None, max_length=200, description="Service or unit")
    is_police: bool = Field(default=False, description="Municipal police")
    approval_ref: str | None = Field(
        default=None,
        max_length=100,
        description="Prefectoral approval: required for operator, supervisor and patrol "
        "roles unless municipal police",
    )
    approval_expires: date | None = Field(default=None, description="Last valid day")
    training_date: date | None = Field(default=None, description="Data-protection training")
    account_expires: date | None = Field(default=None, description="Last valid day")


class UserPatch(BaseModel):
    """Only the fields sent change; `null` clears an optional field."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = Field(default=None, description="New role (sessions end)")
    communes: list[str] | None = Field(default=None, max_length=200, description="Communes")
    cameras: list[str] | None = Field(
        default=None, max_length=500, description="Patrol only: designated cameras"
    )
    full_name: str | None = Field(default=None, max_length=200, description="Name")
    service: str | None = Field(default=None, max_length=200, description="Service or unit")
    is_police: bool | None = Field(default=None, description="Municipal police")
    approval_ref: str | None = Field(default=None, max_length=100, description="Approval")
    approval_expires: date | None = Field(default=None, description="Last valid day")
    training_date: date | None = Field(default=None, description="Data-protection training")
    account_expires: date | None = Field(default=None, description="Last valid day")
    disabled: bool | None = Field(default=None, description="true: refuse sign-in, end sessions")


# Fields that may not be cleared with null (they have a value on every user).
NOT_NULL = ("role", "communes", "cameras", "is_police", "disabled")


def _last_logins(ctx: Ctx) -> dict[str, int]:
    t = journal_entries
    query = (
        select(t.c.username, func.max(t.c.time_ms))
        .where(or_(*(t.c.action == a for a in LOGIN_ACTIONS)), t.c.outcome == "ok")
        .group_by(t.c.username)
    )
    with ctx.engine.connect() as conn:
        return {name: int(ms) for name, ms in conn.execute(query) if name is not None}


def _user_out(u: accounts.UserSummary, last: int | None) -> UserOut:
    return UserOut(
        username=u.username,
        role=u.role,
        communes=list(u.communes),
        cameras=list(u.cameras),
        full_name=u.full_name,
        service=u.service,
        is_police=u.is_police,
        approval_ref=u.approval_ref,
        approval_expires=u.approval_expires,
        training_date=u.training_date,
        account_expires=u.account_expires,
        disabled=u.disabled,
        locked=u.locked,
        locked_until=from_ms(u.locked_until_ms) if u.locked_until_ms is not None else None,
        totp=u.totp,
        password_set=not u.invited,
        last_login=from_ms(last) if last is not None else None,
    )


def _one(ctx: Ctx, username: str) -> UserOut:
    for u in accounts.list_users(ctx.engine, ctx.clock):
        if u.username == username:
            return _user_out(u, _last_logins(ctx).get(username))
    raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such user")


def _within(actor: Principal, communes: list[str]) -> None:
    # A scoped actor gives only communes it has itself (none holds user.admin today).
    if actor.communes is not None and not set(communes) <= actor.communes:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail="unknown commune(s)")


@router.get("", response_model=list[UserOut])
def users_list(ctx: Ctx, actor: Admin) -> list[UserOut]:
    """Every user (the users of one's communes, for a scoped actor), by name."""
    last = _last_logins(ctx)
    return [
        _user_out(u, last.get(u.username))
        for u in accounts.list_users(ctx.engine, ctx.clock, actor.communes)
    ]


@router.get("/locked", response_model=list[LockedUserOut])
def users_locked(ctx: Ctx, actor: Unlocker) -> list[LockedUserOut]:
    """Locked accounts the caller may unlock: a supervisor's are those all of whose
    communes are its own."""
    return [
        LockedUserOut(
            username=u.username,
            role=u.role,
            communes=list(u.communes),
            locked_until=from_ms(u.locked_until_ms) if u.locked_until_ms is not None else None,
        )
        for u in accounts.list_users(ctx.engine, ctx.clock, actor.communes)
        if u.locked
    ]


class UserCreated(UserOut):
    invitation: AccessRequestOut = Field(description="The invitation of the new account")
    code: IssuedCodeOut | None = Field(
        description="The invitation's code, when one person suffices (an auditor); for an "
        "account that reaches images or administers, the second person who approves the "
        "invitation receives it (`/api/access-requests`)"
    )


@router.post("", response_model=UserCreated, status_code=status.HTTP_201_CREATED)
def users_create(body: UserIn, request: Request, ctx: Ctx, actor: Admin) -> UserCreated:
    """Create a user, as `beffroi user add` does, without a password: an invitation is
    opened at once, with which the agent chooses a password and enrols its second
    factor. 422: bad role or commune, missing approval, a `password` field; 409: the
    name is taken."""
    _within(actor, body.communes)
    try:
        create_user(
            ctx.engine, body.username, None, body.role, body.communes, ctx.clock,
            full_name=body.full_name, service=body.service, is_police=body.is_police,
            approval_ref=body.approval_ref, approval_expires=body.approval_expires,
            training_date=body.training_date, account_expires=body.account_expires,
            cameras=body.cameras, actor=actor.username, source=client_address(request),
        )  # fmt: skip
    except UserExistsError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None
    username = body.username.strip()
    made, issued = invitations.request_code(
        ctx.engine, ctx.clock, actor, username, client_address(request)
    )
    return UserCreated(
        **_one(ctx, username).model_dump(),
        invitation=AccessRequestOut.of(made, actor),
        code=IssuedCodeOut.of(issued) if issued else None,
    )


@router.patch("/{username}", response_model=UserOut)
def users_update(
    username: Username, body: UserPatch, request: Request, ctx: Ctx, actor: Admin
) -> UserOut:
    """Change a user's role, communes, designated cameras, agent record or state. A role
    change or disabling ends the user's sessions. One may neither disable oneself nor
    change one's own role (the installation would lose its administrator)."""
    try:
        if not accounts.may_manage(actor, username, ctx.engine):
            raise accounts.UnknownUserError(username)
    except accounts.UnknownUserError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such user") from None
    changes: dict[str, Any] = {k: getattr(body, k) for k in body.model_fields_set}
    nulls = [k for k in NOT_NULL if k in changes and changes[k] is None]
    if nulls:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"may not be null: {', '.join(nulls)}"
        )
    if username == actor.username and (
        changes.get("disabled") is True or ("role" in changes and changes["role"] != actor.role)
    ):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="you may neither disable your own account nor change your own role",
        )
    if "communes" in changes:
        _within(actor, changes["communes"])
    if "role" in changes:
        changes["role"] = changes["role"].value
    try:
        accounts.update_user(ctx.engine, username, changes, actor.username, client_address(request))
    except accounts.UnknownUserError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such user") from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None
    return _one(ctx, username)
