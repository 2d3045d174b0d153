"""Account administration: TOTP enrolment, unlock, disable, changes, listing.

Each function reports itself through `events` with the acting user and source, so the
journal sees the same action whether it came from the API or the command line.

TOTP secrets, pending or active, are stored encrypted with the installation's
`TotpKey` (`beffroi.access.secrets_box`); `encrypt_totp_secrets` encrypts those an
earlier version stored in clear, at every start of the server and before `beffroi user
totp`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, or_, select, update

from beffroi.access import events
from beffroi.access.login import consume_totp
from beffroi.access.passwords import NO_PASSWORD
from beffroi.access.permissions import USER_ROLES, Role, needs_approval
from beffroi.access.principal import Principal
from beffroi.access.secrets_box import SecretUnavailableError, TotpKey, is_sealed
from beffroi.access.sessions import close_user_sessions
from beffroi.access.tables import user_cameras, user_communes, users
from beffroi.access.totp import generate_secret, otpauth_uri, qr_svg
from beffroi.access.users import replace_communes, replace_designations
from beffroi.clock import Clock, utc_ms

log = logging.getLogger(__name__)


class UnknownUserError(LookupError):
    pass


class TotpStateError(ValueError):
    """Enrolment asked for in a state that does not allow it (already enrolled, nothing
    pending)."""


class TotpUnavailableError(RuntimeError):
    """A stored secret that the installation's key cannot decrypt (the key is not the
    one it was encrypted with, or the value was tampered with)."""


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, for typing by hand
    uri: str  # otpauth://
    qr_svg: str


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


def _user_id(engine: Engine, username: str) -> int:
    with engine.connect() as conn:
        uid = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
    if uid is None:
        raise UnknownUserError(username)
    return int(uid)


def begin_totp_enrolment(
    engine: Engine, user_id: int, username: str, source: str | None = None, *, totp_key: TotpKey
) -> Enrolment:
    """A new pending secret; the active one (if any) is untouched until confirmation.
    Refused when TOTP is already active: replacing it takes an access reset by two
    people (`beffroi.access.invitations`)."""
    secret = generate_secret()
    with engine.begin() as conn:
        done = conn.execute(
            update(users)
            .where(users.c.id == user_id, users.c.totp_secret.is_(None))
            .values(totp_pending=totp_key.seal(user_id, secret))
        ).rowcount
    if done != 1:
        raise TotpStateError("second factor already active: ask for an access reset")
    uri = otpauth_uri(secret, username)
    events.record_event(events.TOTP_ENROLL, username, source, "ok", "secret issued")
    return Enrolment(secret, uri, qr_svg(uri))


def confirm_totp_enrolment(
    engine: Engine,
    user_id: int,
    username: str,
    code: str,
    clock: Clock,
    source: str | None,
    *,
    totp_key: TotpKey,
) -> bool:
    """Activate the pending secret if `code` matches it; False (journaled) otherwise.
    TotpUnavailableError when the key cannot decrypt it."""
    with engine.connect() as conn:
        pending = conn.execute(
            select(users.c.totp_pending).where(users.c.id == user_id)
        ).scalar_one_or_none()
    if pending is None:
        raise TotpStateError("no enrolment in progress")
    try:
        secret = totp_key.open(user_id, pending)
    except SecretUnavailableError as exc:
        log.error("pending TOTP secret of %r cannot be read: %s", username, exc)
        events.record_event(
            events.TOTP_CONFIRM, username, source, "refused", "second factor unavailable"
        )
        raise TotpUnavailableError(str(exc)) from None
    if not consume_totp(engine, user_id, secret, code, clock):
        events.record_event(events.TOTP_CONFIRM, username, source, "failed", "wrong code")
        return False
    with engine.begin() as conn:
        conn.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(totp_secret=pending, totp_pending=None)
        )
    events.record_event(events.TOTP_CONFIRM, username, source, "ok", None)
    return True


def set_totp(engine: Engine, username: str, actor: str = "cli", *, totp_key: TotpKey) -> Enrolment:
    """Enrol a new secret at once (the command line, run by whoever holds the server):
    replaces any previous one and ends the user's sessions."""
    uid = _user_id(engine, username)
    secret = generate_secret()
    with engine.begin() as conn:
        conn.execute(
            update(users)
            .where(users.c.id == uid)
            .values(totp_secret=totp_key.seal(uid, secret), totp_pending=None, totp_last_step=None)
        )
    close_user_sessions(engine, uid)
    events.record_event(events.TOTP_RESET, actor, "cli", "ok", f"new secret for {username}")
    uri = otpauth_uri(secret, username)
    return Enrolment(secret, uri, qr_svg(uri))


@dataclass(frozen=True)
class SecretsCheck:
    encrypted: int  # secrets (active or pending) found in clear and encrypted now
    unreadable: tuple[str, ...]  # users whose active secret the key cannot decrypt


def encrypt_totp_secrets(
    engine: Engine, totp_key: TotpKey, actor: str | None = None, source: str | None = None
) -> SecretsCheck:
    """Encrypt the TOTP secrets still stored in clear (by a version before encryption),
    all in one transaction; does nothing the second time. Journaled when it encrypted
    any (`auth.totp_encrypt`, with the count). Also checks that the key opens every
    active secret: those it cannot (a database restored without its key, a value
    copied from another account) are reported in the log for the administrator, since
    their owners cannot sign in until the key is restored or their TOTP reset."""
    encrypted = 0
    unreadable: list[str] = []
    with engine.begin() as conn:
        rows = conn.execute(
            select(users.c.id, users.c.username, users.c.totp_secret, users.c.totp_pending)
            .where(or_(users.c.totp_secret.is_not(None), users.c.totp_pending.is_not(None)))
            .order_by(users.c.id)
            .with_for_update()
        ).all()
        for row in rows:
            values = {}
            for column in ("totp_secret", "totp_pending"):
                stored = getattr(row, column)
                if stored is not None and not is_sealed(stored):
                    values[column] = totp_key.seal(row.id, stored)
            if values:  # unless changed meanwhile (an enrolment, a reset)
                unchanged = [users.c[column] == getattr(row, column) for column in values]
                done = conn.execute(
                    update(users).where(users.c.id == row.id, *unchanged).values(**values)
                ).rowcount
                encrypted += len(values) if done else 0
            if row.totp_secret is not None and "totp_secret" not in values:
                try:
                    totp_key.open(row.id, row.totp_secret)
                except SecretUnavailableError:
                    unreadable.append(row.username)
    if encrypted:
        log.info("TOTP secrets: %d stored in clear, now encrypted", encrypted)
        events.record_event(
            events.TOTP_ENCRYPT, actor, source, "ok", f"{encrypted} secret(s) encrypted"
        )
    if unreadable:
        log.error(
            "TOTP key (%s) does not decrypt the second factor of %d user(s): %s. They "
            "cannot sign in: restore the key this database was used with (file "
            "keys/totp.key or BEFFROI_TOTP_KEY, kept apart from the database backups), "
            "or reset their access (beffroi user reset NAME, or POST /api/users/NAME/access)",
            totp_key.source,
            len(unreadable),
            ", ".join(unreadable),
        )
    return SecretsCheck(encrypted, tuple(unreadable))


def user_communes_of(engine: Engine, username: str) -> frozenset[str]:
    uid = _user_id(engine, username)
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
    uid = _user_id(engine, username)
    with engine.begin() as conn:
        conn.execute(
            update(users)
            .where(users.c.id == uid)
            .values(failed_logins=0, first_failure_ms=None, locked_until_ms=None, lockout_level=0)
        )
    events.record_event(events.UNLOCK, actor, source, "ok", f"unlocked {username}")


def set_disabled(
    engine: Engine, username: str, disabled: bool, actor: str, source: str | None
) -> None:
    uid = _user_id(engine, username)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == uid).values(disabled=disabled))
    if disabled:
        close_user_sessions(engine, uid)
    detail = f"{'disabled' if disabled else 'enabled'} {username}"
    events.record_event(events.USER_DISABLE, actor, source, "ok", detail)


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
    with engine.begin() as conn:
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
    if "role" in values or values.get("disabled") is True:
        close_user_sessions(engine, row.id)
    if "disabled" in values:
        state = "disabled" if values["disabled"] else "enabled"
        events.record_event(events.USER_DISABLE, actor, source, "ok", f"{state} {username}")
    described = [
        f"{k} {_shown(before[k])} -> {_shown(after[k])}" for k in sorted(after) if k != "disabled"
    ]
    if described:
        detail = f"{username}: " + "; ".join(described)
        events.record_event(events.USER_UPDATE, actor, source, "ok", detail)
    return sorted(after)
