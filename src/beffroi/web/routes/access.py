"""Access codes (invitations, two-person resets) and a user's own password change.

Nobody knows another user's password: an account gets a one-time code with which its
agent chooses a password (`beffroi.access.invitations`). For accounts that reach
images or administer, the person who asks for the code never receives it: a second
person approves and hands it over. The code is used without a session (the agent has
no password yet), through the same answer as a login (`enroll_required` for a role
that must enrol its second factor).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status
from pydantic import BaseModel, Field

from beffroi.access import invitations as codes
from beffroi.access import login as login_flow
from beffroi.access import password_change
from beffroi.access.passwords import PasswordPolicyError
from beffroi.access.permissions import Permission
from beffroi.access.principal import Principal
from beffroi.clock import from_ms, utc_ms
from beffroi.journal.http import client_address
from beffroi.web.deps import Ctx, public, require
from beffroi.web.routes.auth import LoginResponse, login_answer, managed, totp_key

router = APIRouter(tags=["access"])

Access = Annotated[Principal, Depends(require(Permission.USER_ACCESS))]
Self = Annotated[Principal, Depends(require(Permission.ACCOUNT_SELF))]
RequestId = Annotated[int, Path(description="The request's id")]
CODE_FIELD = Field(description="The access code, as handed over (dashes optional)", max_length=64)
# What the throttle counts failed code attempts under (no account is named).
CODE_ATTEMPT = "(access code)"


class AccessRequestOut(BaseModel):
    id: int = Field(description="Request id")
    username: str = Field(description="The account the code is for")
    role: str = Field(description="Its role")
    communes: list[str] = Field(description="Its communes")
    purpose: str = Field(description="`invitation` (new account) or `reset` (password and TOTP)")
    requested_by: str = Field(description="Who asked")
    requested_at: datetime = Field(description="When (UTC)")
    approved_by: str | None = Field(description="Who received the code (null: not yet)")
    expires_at: datetime = Field(description="End of the request, or of the code once issued")
    two_person: bool = Field(description="A second person must approve and receives the code")
    may_approve: bool = Field(description="The caller may approve it")
    refusal: str | None = Field(description="Why the caller may not approve it")

    @classmethod
    def of(cls, r: codes.AccessRequest, actor: Principal) -> AccessRequestOut:
        refusal = codes.approval_refused(actor, r) if r.approved_by is None else "already issued"
        return cls(
            id=r.id, username=r.username, role=r.role, communes=list(r.communes),
            purpose=r.purpose, requested_by=r.requested_by, requested_at=from_ms(r.requested_ms),
            approved_by=r.approved_by, expires_at=from_ms(r.expires_ms), two_person=r.two_person,
            may_approve=refusal is None, refusal=refusal,
        )  # fmt: skip


class IssuedCodeOut(BaseModel):
    request_id: int = Field(description="The request")
    username: str = Field(description="The account")
    code: str = Field(description="The one-time code, shown once: hand it to the agent")
    expires_at: datetime = Field(description="The code ends then (UTC)")

    @classmethod
    def of(cls, c: codes.IssuedCode) -> IssuedCodeOut:
        return cls(
            request_id=c.request_id,
            username=c.username,
            code=c.code,
            expires_at=from_ms(c.expires_ms),
        )


class RequestCreated(BaseModel):
    request: AccessRequestOut = Field(description="The request")
    code: IssuedCodeOut | None = Field(
        description="When one person suffices (no images, no administration): the code"
    )


class CodeIn(BaseModel):
    code: str = CODE_FIELD


class CodeInfo(BaseModel):
    username: str = Field(description="The account the code is for")
    role: str = Field(description="Its role")
    purpose: str = Field(description="`invitation` or `reset`")
    expires_at: datetime = Field(description="The code ends then (UTC)")


class RedeemIn(BaseModel):
    code: str = CODE_FIELD
    password: str = Field(description="The password the agent chooses", max_length=1024)
    cookie: bool = Field(default=False, description="Open a cookie session (see login)")


class PasswordChange(BaseModel):
    current_password: str = Field(description="The current password", max_length=1024)
    new_password: str = Field(description="The new password (policy applies)", max_length=1024)
    totp: str | None = Field(
        default=None, max_length=16, description="A current code, when a second factor is enrolled"
    )


def _refused(exc: codes.AccessCodeError) -> HTTPException:
    code = {
        "not_found": status.HTTP_404_NOT_FOUND,
        "already_open": status.HTTP_409_CONFLICT,
        "not_pending": status.HTTP_409_CONFLICT,
    }.get(exc.code, status.HTTP_403_FORBIDDEN)
    return HTTPException(code, detail={"code": exc.code, "message": str(exc)})


def _policy(exc: PasswordPolicyError) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        detail={"code": exc.code, "message": f"password refused: {exc}"},
    )


@router.post(
    "/api/users/{username}/access",
    response_model=RequestCreated,
    status_code=status.HTTP_201_CREATED,
)
def access_request(
    username: Annotated[str, Path(max_length=100)], request: Request, ctx: Ctx, actor: Access
) -> RequestCreated:
    """Ask for an access code for `username`: a new invitation if the agent never chose
    a password, otherwise a reset (forgotten password, lost phone: both are replaced
    when the code is used). For an account that reaches images or administers, a
    second person approves and receives the code; otherwise it comes back at once."""
    managed(ctx, actor, username)
    try:
        made, issued = codes.request_code(
            ctx.engine, ctx.clock, actor, username, client_address(request)
        )
    except codes.AccessCodeError as exc:
        raise _refused(exc) from None
    return RequestCreated(
        request=AccessRequestOut.of(made, actor),
        code=IssuedCodeOut.of(issued) if issued else None,
    )


@router.get("/api/access-requests", response_model=list[AccessRequestOut])
def access_requests(ctx: Ctx, actor: Access) -> list[AccessRequestOut]:
    """Open requests the caller may see (a supervisor: users of its communes), oldest
    first, each saying whether the caller may approve it."""
    return [
        AccessRequestOut.of(r, actor)
        for r in codes.open_requests(ctx.engine, ctx.clock, actor.communes)
    ]


@router.post("/api/access-requests/{request_id}/approve", response_model=IssuedCodeOut)
def access_approve(
    request_id: RequestId, request: Request, ctx: Ctx, actor: Access
) -> IssuedCodeOut:
    """Approve a request as the second person: the code is shown here, once, to the
    approver alone, who hands it to the agent. Journaled with both names."""
    try:
        issued = codes.approve(ctx.engine, ctx.clock, actor, request_id, client_address(request))
    except codes.AccessCodeError as exc:
        raise _refused(exc) from None
    return IssuedCodeOut.of(issued)


@router.delete("/api/access-requests/{request_id}", status_code=status.HTTP_204_NO_CONTENT)
def access_cancel(request_id: RequestId, request: Request, ctx: Ctx, actor: Access) -> None:
    """Cancel a request, or withdraw a code not used yet."""
    try:
        codes.cancel(ctx.engine, ctx.clock, actor, request_id, client_address(request))
    except codes.AccessCodeError as exc:
        raise _refused(exc) from None


def _admitted(ctx: Ctx, request: Request) -> int:
    """Count a code attempt against its source before looking the code up, as logins
    are; 429 while the source must wait. Returns the attempt to forgive on success."""
    source = login_flow.throttle_key(client_address(request))
    attempt, _, retry = login_flow.admit_attempt(
        ctx.engine, CODE_ATTEMPT, source, utc_ms(ctx.clock.now())
    )
    if attempt is None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail="too_many_attempts",
            headers={"Retry-After": str(retry)},
        )
    return attempt


@router.post("/api/auth/access-code", response_model=CodeInfo)
def access_code_info(
    body: CodeIn, request: Request, ctx: Ctx, _: Annotated[None, Depends(public())]
) -> CodeInfo:
    """What a code is for, before the agent chooses a password. 404: unknown, used,
    withdrawn or expired (one answer for all)."""
    attempt = _admitted(ctx, request)
    found = codes.preview(ctx.engine, ctx.clock, body.code)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="invalid_code")
    login_flow.forgive_attempt(ctx.engine, attempt)
    return CodeInfo(
        username=found.username,
        role=found.role,
        purpose=found.purpose,
        expires_at=from_ms(found.expires_ms),
    )


@router.post("/api/auth/access-code/redeem", response_model=LoginResponse)
def access_code_redeem(
    body: RedeemIn,
    request: Request,
    response: Response,
    ctx: Ctx,
    _: Annotated[None, Depends(public())],
) -> LoginResponse:
    """Choose one's password with a code, then sign in as a login does: a role that
    reaches images gets `enroll_required` and enrols its own second factor. 422: the
    policy refuses the password (the code stays valid); 404: no valid code."""
    attempt = _admitted(ctx, request)
    source = client_address(request)
    try:
        username = codes.redeem(ctx.engine, ctx.clock, body.code, body.password, source)
    except PasswordPolicyError as exc:
        login_flow.forgive_attempt(ctx.engine, attempt)
        raise _policy(exc) from None
    if username is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="invalid_code")
    login_flow.forgive_attempt(ctx.engine, attempt)
    r = login_flow.attempt_login(
        ctx.engine, ctx.clock, username, body.password, None, source, totp_key=totp_key(ctx)
    )
    return login_answer(r, request, response, ctx, body.cookie)


@router.post("/api/auth/password", status_code=status.HTTP_204_NO_CONTENT)
def password_change_route(body: PasswordChange, request: Request, ctx: Ctx, me: Self) -> None:
    """Change one's own password: the current one and, when enrolled, a second-factor
    code are required. The user's other sessions end; this one stays."""
    try:
        outcome = password_change.change_password(
            ctx.engine, ctx.clock, me, body.current_password, body.new_password, body.totp,
            client_address(request), totp_key=totp_key(ctx),
        )  # fmt: skip
    except PasswordPolicyError as exc:
        raise _policy(exc) from None
    if outcome == password_change.CHANGED:
        return
    answers = {
        password_change.THROTTLED: status.HTTP_429_TOO_MANY_REQUESTS,
        password_change.WRONG_PASSWORD: status.HTTP_403_FORBIDDEN,
        password_change.TOTP_REQUIRED: status.HTTP_401_UNAUTHORIZED,
        password_change.TOTP_INVALID: status.HTTP_401_UNAUTHORIZED,
        password_change.SAME_PASSWORD: status.HTTP_422_UNPROCESSABLE_CONTENT,
        login_flow.TOTP_UNAVAILABLE: status.HTTP_503_SERVICE_UNAVAILABLE,
    }
    raise HTTPException(answers[outcome], detail=outcome)
