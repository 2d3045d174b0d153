"""Second factors: enrolment by the agent, a new secret from the command line, and the
encryption of secrets an older version stored in clear.

TOTP secrets, pending or active, are stored encrypted with the installation's
`TotpKey` (`beffroi.access.secrets_box`); `encrypt_totp_secrets` encrypts those an
earlier version stored in clear, at every start of the server and before `beffroi user
totp`. Each change is journaled in its own transaction (`events.change`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine, or_, select, update

from beffroi.access import events
from beffroi.access.accounts import user_id_of
from beffroi.access.login import consume_totp
from beffroi.access.secrets_box import SecretUnavailableError, TotpKey, is_sealed
from beffroi.access.sessions import close_user_sessions
from beffroi.access.tables import users
from beffroi.access.totp import generate_secret, otpauth_uri, qr_svg
from beffroi.clock import Clock

log = logging.getLogger(__name__)


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


def begin_totp_enrolment(
    engine: Engine, user_id: int, username: str, source: str | None = None, *, totp_key: TotpKey
) -> Enrolment:
    """A new pending secret; the active one (if any) is untouched until confirmation.
    Refused when TOTP is already active: replacing it takes an access reset by two
    people (`beffroi.access.invitations`)."""
    secret = generate_secret()
    with events.change(engine) as conn:
        done = conn.execute(
            update(users)
            .where(users.c.id == user_id, users.c.totp_secret.is_(None))
            .values(totp_pending=totp_key.seal(user_id, secret))
        ).rowcount
        if done != 1:
            raise TotpStateError("second factor already active: ask for an access reset")
        events.record_event(events.TOTP_ENROLL, username, source, "ok", "secret issued", conn=conn)
    uri = otpauth_uri(secret, username)
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
    with events.change(engine) as conn:
        conn.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(totp_secret=pending, totp_pending=None)
        )
        events.record_event(events.TOTP_CONFIRM, username, source, "ok", None, conn=conn)
    return True


def set_totp(engine: Engine, username: str, actor: str = "cli", *, totp_key: TotpKey) -> Enrolment:
    """Enrol a new secret at once (the command line, run by whoever holds the server):
    replaces any previous one and ends the user's sessions."""
    uid = user_id_of(engine, username)
    secret = generate_secret()
    with events.change(engine) as conn:
        conn.execute(
            update(users)
            .where(users.c.id == uid)
            .values(totp_secret=totp_key.seal(uid, secret), totp_pending=None, totp_last_step=None)
        )
        detail = f"new secret for {username}"
        events.record_event(events.TOTP_RESET, actor, "cli", "ok", detail, conn=conn)
    close_user_sessions(engine, uid)
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
    with events.change(engine) as conn:
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
            detail = f"{encrypted} secret(s) encrypted"
            events.record_event(events.TOTP_ENCRYPT, actor, source, "ok", detail, conn=conn)
    if encrypted:
        log.info("TOTP secrets: %d stored in clear, now encrypted", encrypted)
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
