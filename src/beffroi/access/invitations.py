"""Access codes: invitations and access resets, so nobody knows another user's password.

An account created by an administrator has no password. Its agent receives a one-time
*access code* (an invitation), with which they choose their own password and then, for
a role that reaches images, enrol their own second factor. A forgotten password or a
lost phone is handled the same way (a *reset*): the code replaces both, and the old
password and second factor stop working when the code is used, not before.

Two people. For an account that reaches images, or an administrator's, the person who
asks is never the one who receives the code: a request opened by an administrator is
approved by a supervisor of all the agent's communes or by another administrator; one
opened by a supervisor, by an administrator. The approver receives the code and hands
it to the agent; the requester never sees it. So an administrator alone can neither
create a viewer it controls nor take over an agent's account, and a supervisor alone
cannot reset anyone. Accounts that reach neither images nor administration (an auditor)
take one person: the code goes to whoever asked. Whoever holds the server (`beffroi
user add`, `beffroi user reset`) issues codes directly: that person can read the
database anyway.

Codes are 120 random bits shown once, in groups of four for typing; only their SHA-256
is stored. A code lives `CODE_TTL` after approval, a request waits `REQUEST_TTL` for its
approval; one open request per user. Every step is journaled with both names.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Row, select, update
from sqlalchemy import insert as sql_insert

from beffroi.access import events
from beffroi.access.passwords import NO_PASSWORD, check_policy, hash_password
from beffroi.access.permissions import Role, can_view_video
from beffroi.access.principal import Principal
from beffroi.access.sessions import close_user_sessions
from beffroi.access.tables import access_codes, user_communes, users
from beffroi.clock import Clock, utc_ms

CODE_TTL = timedelta(hours=72)
REQUEST_TTL = timedelta(days=7)
INVITATION = "invitation"
RESET = "reset"

# Journal actions.
REQUEST = "access.request"
APPROVE = "access.approve"
CANCEL = "access.cancel"
REDEEM = "access.redeem"


class AccessCodeError(ValueError):
    """A request that the rules refuse; `code` for programs, the message in words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class AccessRequest:
    id: int
    username: str
    role: str
    communes: tuple[str, ...]
    purpose: str
    requested_by: str
    requested_ms: int
    approved_by: str | None
    expires_ms: int
    two_person: bool
    # False when a supervisor asked (requests from the command line count as an
    # administrator's).
    requested_by_admin: bool = True


@dataclass(frozen=True)
class IssuedCode:
    request_id: int
    username: str
    code: str  # shown once
    expires_ms: int


def needs_second_person(role: Role | str) -> bool:
    """Accounts that reach images or administer need two people for their codes."""
    return can_view_video(role) or Role(role) == Role.ADMIN


def new_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(15)).decode("ascii")
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def code_digest(code: str) -> str:
    """Spaces, dashes and case do not matter when the agent types the code."""
    normal = "".join(c for c in code.upper() if c.isalnum())
    return hashlib.sha256(normal.encode("ascii", "replace")).hexdigest()


def request_code(
    engine: Engine, clock: Clock, actor: Principal, username: str, source: str | None
) -> tuple[AccessRequest, IssuedCode | None]:
    """Open a request for `username` (an invitation if it never chose a password, a
    reset otherwise). Returns the request and, when one person suffices, the code at
    once. AccessCodeError: the actor may not ask, or a request is already open."""
    now = utc_ms(clock.now())
    with events.change(engine) as conn:
        row = _user(conn, username)
        purpose = _purpose(row)
        if actor.role == Role.SUPERVISOR and purpose == INVITATION:
            raise AccessCodeError("not_allowed", "invitations are issued by an administrator")
        if actor.role not in (Role.ADMIN, Role.SUPERVISOR):
            raise AccessCodeError("not_allowed", "only administrators and supervisors ask")
        open_one = select(access_codes.c.id).where(access_codes.c.user_id == row.id, *_live(now))
        if conn.execute(open_one).first() is not None:
            raise AccessCodeError("already_open", f"a request for {username} is already open")
        request_id = _new_request(conn, row, actor.username, now)
        two = needs_second_person(row.role)
        detail = f"{purpose} for {username} ({row.role})"
        events.record_event(
            REQUEST, actor.username, source, "ok",
            detail + (": awaiting a second person" if two else ""), conn=conn,
        )  # fmt: skip
    issued = None
    if not two:
        issued = _issue(engine, clock, request_id, actor.username, source)
    request = next(r for r in open_requests(engine, clock, None) if r.id == request_id)
    return request, issued


def issue_directly(engine: Engine, clock: Clock, username: str, actor: str = "cli") -> IssuedCode:
    """The server holder's path (`beffroi user add`, `beffroi user reset`): a code at
    once, whatever the role; any open request is cancelled."""
    now = utc_ms(clock.now())
    with events.change(engine) as conn:
        row = _user(conn, username)
        conn.execute(
            update(access_codes)
            .where(access_codes.c.user_id == row.id, *_live(now))
            .values(cancelled_ms=now, cancelled_by=actor)
        )
        request_id = _new_request(conn, row, actor, now)
        detail = f"{_purpose(row)} for {username} ({row.role})"
        events.record_event(REQUEST, actor, actor, "ok", detail, conn=conn)
    return _issue(engine, clock, request_id, actor, actor)


def approve(
    engine: Engine, clock: Clock, actor: Principal, request_id: int, source: str | None
) -> IssuedCode:
    """Approve a pending request: the code goes to `actor`, and to nobody else."""
    request = _visible(engine, clock, actor, request_id)
    if request.approved_by is not None:
        raise AccessCodeError("not_pending", "this request was already approved")
    reason = approval_refused(actor, request)
    if reason is not None:
        raise AccessCodeError("second_person", reason)
    return _issue(engine, clock, request_id, actor.username, source, request.requested_by)


def approval_refused(actor: Principal, request: AccessRequest) -> str | None:
    """Why `actor` may not approve `request` (None: it may). The pairs are an
    administrator and a supervisor of every commune of the agent, or two
    administrators; nobody approves their own request or their own account."""
    if actor.username == request.requested_by:
        return "a second person must approve the request"
    if actor.username == request.username:
        return "nobody approves a request for their own account"
    if actor.role == Role.ADMIN:
        return None
    if actor.role != Role.SUPERVISOR:
        return "only an administrator or a supervisor of the agent's communes approves"
    if not request.requested_by_admin:
        return "a request by a supervisor is approved by an administrator"
    theirs = set(request.communes)
    if actor.communes is None or not theirs or not theirs <= actor.communes:
        return "only a supervisor of every commune of the agent, or an administrator, approves"
    return None


def cancel(
    engine: Engine, clock: Clock, actor: Principal, request_id: int, source: str | None
) -> None:
    request = _visible(engine, clock, actor, request_id)
    now = utc_ms(clock.now())
    with events.change(engine) as conn:
        conn.execute(
            update(access_codes)
            .where(access_codes.c.id == request_id, *_live(now))
            .values(cancelled_ms=now, cancelled_by=actor.username)
        )
        events.record_event(
            CANCEL, actor.username, source, "ok",
            f"{request.purpose} for {request.username}, asked by {request.requested_by}",
            conn=conn,
        )  # fmt: skip


def open_requests(
    engine: Engine, clock: Clock, within: frozenset[str] | None
) -> list[AccessRequest]:
    """Requests not used, cancelled or expired; with `within`, only those of users all
    of whose communes are in it (a supervisor's view)."""
    now = utc_ms(clock.now())
    requester = users.alias("requester")
    with engine.connect() as conn:
        rows = conn.execute(
            select(access_codes, users.c.username, users.c.role, requester.c.role.label("by_role"))
            .join(users, users.c.id == access_codes.c.user_id)
            .join(requester, requester.c.username == access_codes.c.requested_by, isouter=True)
            .where(*_live(now))
            .order_by(access_codes.c.requested_ms)
        ).all()
        links = conn.execute(select(user_communes.c.user_id, user_communes.c.commune_id)).all()
    communes: dict[int, list[str]] = {}
    for uid, commune in links:
        communes.setdefault(uid, []).append(commune)
    out = []
    for r in rows:
        theirs = tuple(sorted(communes.get(r.user_id, [])))
        if within is not None and not (theirs and set(theirs) <= within):
            continue
        out.append(
            AccessRequest(
                id=r.id, username=r.username, role=r.role, communes=theirs, purpose=r.purpose,
                requested_by=r.requested_by, requested_ms=r.requested_ms,
                approved_by=r.approved_by, expires_ms=r.expires_ms,
                two_person=needs_second_person(r.role),
                requested_by_admin=r.by_role != "supervisor",
            )
        )  # fmt: skip
    return out


def preview(engine: Engine, clock: Clock, code: str) -> AccessRequest | None:
    """The request a valid, unused code belongs to (None otherwise)."""
    now = utc_ms(clock.now())
    with engine.connect() as conn:
        request_id = conn.execute(
            select(access_codes.c.id).where(
                access_codes.c.code_sha256 == code_digest(code), *_live(now)
            )
        ).scalar()
    if request_id is None:
        return None
    return next((r for r in open_requests(engine, clock, None) if r.id == request_id), None)


def redeem(
    engine: Engine, clock: Clock, code: str, password: str, source: str | None
) -> str | None:
    """Set the password chosen by the agent with a valid code; for a reset, the old
    second factor goes too (the agent enrols a new one at sign-in) and every session
    ends. Returns the username (None: no valid code). PasswordPolicyError: a password
    the policy refuses (the code stays valid)."""
    request = preview(engine, clock, code)
    if request is None:
        return None
    check_policy(password, request.username)
    now = utc_ms(clock.now())
    new_hash = hash_password(password)
    with events.change(engine) as conn:
        won = conn.execute(
            update(access_codes)
            .where(access_codes.c.id == request.id, *_live(now))
            .values(used_ms=now, used_source=source[:64] if source else None)
        ).rowcount
        if won != 1:  # used by a concurrent request meanwhile
            return None
        values: dict[str, object] = {
            "password_hash": new_hash,
            "failed_logins": 0,
            "first_failure_ms": None,
            "locked_until_ms": None,
            "lockout_level": 0,
        }
        if request.purpose == RESET:
            values.update(totp_secret=None, totp_pending=None, totp_last_step=None)
        user_id = conn.execute(
            update(users).where(users.c.username == request.username).values(**values)
            .returning(users.c.id)
        ).scalar_one()  # fmt: skip
        events.record_event(
            REDEEM, request.username, source, "ok",
            f"{request.purpose}: password chosen by the agent; asked by "
            f"{request.requested_by}, code from {request.approved_by}",
            conn=conn,
        )  # fmt: skip
    close_user_sessions(engine, int(user_id))
    return request.username


def _issue(
    engine: Engine,
    clock: Clock,
    request_id: int,
    receiver: str,
    source: str | None,
    requested_by: str | None = None,
) -> IssuedCode:
    code = new_code()
    now = utc_ms(clock.now())
    expires = now + _ms(CODE_TTL)
    with events.change(engine) as conn:
        done = conn.execute(
            update(access_codes)
            .where(
                access_codes.c.id == request_id,
                access_codes.c.approved_ms.is_(None),
                *_live(now),
            )
            .values(
                approved_by=receiver,
                approved_ms=now,
                code_sha256=code_digest(code),
                expires_ms=expires,
            )
        ).rowcount
        if done != 1:
            raise AccessCodeError("not_pending", "this request is no longer pending")
        username = conn.execute(
            select(users.c.username)
            .join(access_codes, access_codes.c.user_id == users.c.id)
            .where(access_codes.c.id == request_id)
        ).scalar_one()
        asked = f"asked by {requested_by}, " if requested_by else ""
        detail = f"code for {username}: {asked}handed over by {receiver}"
        events.record_event(APPROVE, receiver, source, "ok", detail, conn=conn)
    return IssuedCode(request_id, username, code, expires)


def _visible(engine: Engine, clock: Clock, actor: Principal, request_id: int) -> AccessRequest:
    for request in open_requests(engine, clock, actor.communes):
        if request.id == request_id:
            return request
    raise AccessCodeError("not_found", "no such open request")


def _user(conn: Connection, username: str) -> Row[Any, Any, Any]:
    row = conn.execute(
        select(users.c.id, users.c.role, users.c.password_hash).where(users.c.username == username)
    ).first()
    if row is None:
        raise AccessCodeError("not_found", "no such user")
    return row


def _purpose(row: Row[Any, Any, Any]) -> str:
    """An invitation while the agent never chose a password, a reset after."""
    return INVITATION if row.password_hash == NO_PASSWORD else RESET


def _new_request(conn: Connection, row: Row[Any, Any, Any], by: str, now: int) -> int:
    return int(
        conn.execute(
            sql_insert(access_codes)
            .values(
                user_id=row.id,
                purpose=_purpose(row),
                requested_by=by,
                requested_ms=now,
                expires_ms=now + _ms(REQUEST_TTL),
            )
            .returning(access_codes.c.id)
        ).scalar_one()
    )


def _live(now: int) -> tuple[ColumnElement[bool], ...]:
    return (
        access_codes.c.used_ms.is_(None),
        access_codes.c.cancelled_ms.is_(None),
        access_codes.c.expires_ms > now,
    )


def _ms(span: timedelta) -> int:
    return int(span.total_seconds() * 1000)
