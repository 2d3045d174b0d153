"""Account administration: unlock, disable, changes, listing (second factors:
`beffroi.access.enrolment`).

Each change reports itself through `events` with the acting user and source, in its own
transaction (`events.change`), so the journal sees the same action whether it came from
the API or the command line, and never a change without its entry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from beffroi.access import events
from beffroi.access.passwords import NO_PASSWORD
from beffroi.access.permissions import USER_ROLES, Role, needs_approval
from beffroi.access.principal import Principal
from beffroi.access.sessions import close_user_sessions
from beffroi.access.tables import user_cameras, user_communes, users
from beffroi.access.users import replace_communes, replace_designations
from beffroi.clock import Clock, utc_ms

log = logging.getLogger(__name__)


class UnknownUserError(LookupError):
    pass


@dataclass(frozen=True)
class UserSummary:
    username: str
    role: str
    communes: tuple[str, ...]
    full_name: str | None
    service: str | None
    is_police: bool
    approval_ref: str | None
    approval_expires: date | None
    training_date: date | None
    account_expires: date | None
    disabled: bool
    totp: bool
    locked: bool
    cameras: tuple[str, ...] = ()  # a patrol agent's designated cameras
    locked_until_ms: int | None = None  # while `locked`
    invited: bool = False  # no password yet: the agent has not used its invitation


def user_id_of(engine: Engine, username: str) -> int:
    with engine.connect() as conn:
        uid = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
    if uid is None:
        raise UnknownUserError(username)
    return int(uid)


def user_communes_of(engine: Engine, username: str) -> frozenset[str]:
    uid = user_id_of(engine, username)
    with engine.connect() as conn:
        return frozenset(
            conn.execute(
                select(user_communes.c.commune_id).where(user_communes.c.user_id == uid)
            ).scalars()
        )


def may_manage(actor: Principal, username: str, engine: Engine) -> bool:
    """A scoped actor (a supervisor) manages only users all of whose communes it sees; a
    user without commune (an administrator, an auditor) only by an unscoped actor."""
    theirs = user_communes_of(engine, username)  # raises UnknownUserError
    if actor.communes is None:
        return True
    return bool(theirs) and theirs <= actor.communes


def unlock(engine: Engine, username: str, actor: str, source: str | None) -> None:
    uid = user_id_of(engine, username)
    with events.change(engine) as conn:
        conn.execute(
            update(users)
            .where(users.c.id == uid)
            .values(failed_logins=0, first_failure_ms=None, locked_until_ms=None, lockout_level=0)
        )
        events.record_event(events.UNLOCK, actor, source, "ok", f"unlocked {username}", conn=conn)


def set_disabled(
    engine: Engine, username: str, disabled: bool, actor: str, source: str | None
) -> None:
    uid = user_id_of(engine, username)
    detail = f"{'disabled' if disabled else 'enabled'} {username}"
    with events.change(engine) as conn:
        conn.execute(update(users).where(users.c.id == uid).values(disabled=disabled))
        events.record_event(events.USER_DISABLE, actor, source, "ok", detail, conn=conn)
    if disabled:
        close_user_sessions(engine, uid)


def list_users(
    engine: Engine, clock: Clock, within: frozenset[str] | None = None
) -> list[UserSummary]:
    """Every user with its agent record; with `within`, only the users an actor scoped
    to those communes may manage (the rule of `may_manage`)."""
    now = utc_ms(clock.now())
    with engine.connect() as conn:
        rows = conn.execute(select(users).order_by(users.c.username)).all()
        links = conn.execute(select(user_communes.c.user_id, user_communes.c.commune_id)).all()
        designated = conn.execute(select(user_cameras.c.user_id, user_cameras.c.camera_id)).all()
    by_user: dict[int, list[str]] = {}
    for uid, commune in links:
        by_user.setdefault(uid, []).append(commune)
    cameras_of: dict[int, list[str]] = {}
    for uid, camera in designated:
        cameras_of.setdefault(uid, []).append(camera)
    if within is not None:
        rows = [r for r in rows if by_user.get(r.id) and set(by_user[r.id]) <= within]
    return [
        UserSummary(
            username=r.username,
            role=r.role,
            communes=tuple(sorted(by_user.get(r.id, []))),
            full_name=r.full_name,
            service=r.service,
            is_police=bool(r.is_police),
            approval_ref=r.approval_ref,
            approval_expires=r.approval_expires,
            training_date=r.training_date,
            account_expires=r.account_expires,
            disabled=bool(r.disabled),
            totp=r.totp_secret is not None,
            locked=r.locked_until_ms is not None and now < r.locked_until_ms,
            cameras=tuple(sorted(cameras_of.get(r.id, []))),
            locked_until_ms=(
                int(r.locked_until_ms)
                if r.locked_until_ms is not None and now < r.locked_until_ms
                else None
            ),
            invited=r.password_hash == NO_PASSWORD,
        )
        for r in rows
    ]


# Fields of a user an administrator may change (`update_user`); the password and the
# second factor have their own paths.
UPDATABLE = frozenset(
    {
        "role",
        "communes",
        "cameras",
        "full_name",
        "service",
        "is_police",
        "approval_ref",
        "approval_expires",
        "training_date",
        "account_expires",
        "disabled",
    }
)
_RECORD = (
    "full_name",
    "service",
    "is_police",
    "approval_ref",
    "approval_expires",
    "training_date",
    "account_expires",
    "disabled",
)


def _report_update(
    conn: Connection,
    username: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    actor: str,
    source: str | None,
) -> None:
    if "disabled" in after:
        state = "disabled" if after["disabled"] else "enabled"
        events.record_event(
            events.USER_DISABLE, actor, source, "ok", f"{state} {username}", conn=conn
        )
    described = [
        f"{k} {_shown(before[k])} -> {_shown(after[k])}" for k in sorted(after) if k != "disabled"
    ]
    if described:
        detail = f"{username}: " + "; ".join(described)
        events.record_event(events.USER_UPDATE, actor, source, "ok", detail, conn=conn)


def _shown(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value) or "-"
    return "-" if value is None else str(value)


def update_user(
    engine: Engine, username: str, changes: Mapping[str, Any], actor: str, source: str | None
) -> list[str]:
    """Apply `changes` (only the keys given; a None clears a field) and return the names
    of the fields that changed. Raises `UnknownUserError`, or `ValueError` for a bad
    role, an unknown commune or camera, cameras for a role other than patrol, or a role
    that needs a prefectoral approval left without one (the rule of `create_user`,
    checked when the role, the police flag or the approval changes: an older record
    without one can still be disabled).

    A patrol agent who changes role loses its designated cameras. The user's sessions
    end when its role changes (a session opened without a second factor must not gain
    video) or when it is disabled; other changes apply from its next request, which
    reloads the principal. Journaled: `user.update`, and `user.disable` for (en|dis)abling.
    """
    extra = set(changes) - UPDATABLE
    if extra:
        raise ValueError(f"cannot change: {', '.join(sorted(extra))}")
    with events.change(engine) as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
        if row is None:
            raise UnknownUserError(username)
        role = Role(changes.get("role", row.role))
        if role not in USER_ROLES:
            raise ValueError(f"role {role.value!r} is not a role for people")
        values: dict[str, Any] = {
            k: changes[k] for k in _RECORD if k in changes and changes[k] != getattr(row, k)
        }
        if role.value != row.role:
            values["role"] = role.value
        police, ref, expires = (
            values.get(k, getattr(row, k))
            for k in ("is_police", "approval_ref", "approval_expires")
        )
        touched = {"role", "is_police", "approval_ref", "approval_expires"} & set(values)
        if touched and needs_approval(role, bool(police)) and not (ref and expires):
            raise ValueError(
                f"a {role.value} who is not municipal police needs a prefectoral approval "
                "reference and its expiry date"
            )
        before: dict[str, Any] = {k: getattr(row, k) for k in values}
        after: dict[str, Any] = dict(values)
        old_communes = sorted(
            conn.execute(
                select(user_communes.c.commune_id).where(user_communes.c.user_id == row.id)
            ).scalars()
        )
        if "communes" in changes and sorted(set(changes["communes"])) != old_communes:
            replace_communes(conn, row.id, changes["communes"])
            before["communes"], after["communes"] = old_communes, sorted(set(changes["communes"]))
        old_cameras = sorted(
            conn.execute(
                select(user_cameras.c.camera_id).where(user_cameras.c.user_id == row.id)
            ).scalars()
        )
        if "cameras" in changes:
            wanted = sorted(set(changes["cameras"]))
        else:  # kept while patrol; a patrol agent who changes role loses them
            wanted = old_cameras if role == Role.PATROL else []
        if wanted and role != Role.PATROL:
            raise ValueError("only patrol agents have designated cameras")
        if wanted != old_cameras:
            replace_designations(conn, row.id, role, wanted)
            before["cameras"], after["cameras"] = old_cameras, wanted
        if values:
            conn.execute(update(users).where(users.c.id == row.id).values(**values))
        _report_update(conn, username, before, after, actor, source)
    if "role" in values or values.get("disabled") is True:
        close_user_sessions(engine, row.id)
    return sorted(after)
