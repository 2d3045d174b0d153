"""A user changes their own password: the current one and, when enrolled, a code of the
second factor are required, so a session left open on a desk is not enough to take
the account over. The policy of `passwords` applies (CNIL deliberation 2022-100); the
new password must differ from the current one. The user's other sessions end.

A wrong current password counts against the (account, source) pair as a wrong login
does; a wrong code counts as a second-factor failure (it may lock the account).
"""

from __future__ import annotations

from sqlalchemy import Engine, delete, select, update

from beffroi.access import events
from beffroi.access.login import (
    TOTP_UNAVAILABLE,
    admit_attempt,
    consume_totp,
    forgive_attempt,
    second_factor_failed,
    throttle_key,
)
from beffroi.access.passwords import check_policy, hash_password, verify_password
from beffroi.access.principal import Principal
from beffroi.access.secrets_box import SecretUnavailableError, TotpKey
from beffroi.access.tables import sessions, users
from beffroi.clock import Clock, utc_ms

PASSWORD_CHANGE = "auth.password_change"

CHANGED = "changed"
THROTTLED = "throttled"
WRONG_PASSWORD = "wrong_password"
TOTP_REQUIRED = "totp_required"
TOTP_INVALID = "totp_invalid"
SAME_PASSWORD = "same_password"


def change_password(
    engine: Engine,
    clock: Clock,
    principal: Principal,
    current: str,
    new: str,
    totp_code: str | None,
    source: str | None,
    *,
    totp_key: TotpKey,
) -> str:
    """One of the outcomes above, or TOTP_UNAVAILABLE. PasswordPolicyError: the new
    password breaks the policy (checked only once the current one is proven)."""
    now = utc_ms(clock.now())
    key = throttle_key(source)
    name = principal.username
    attempt_id, _, _ = admit_attempt(engine, name, key, now)
    if attempt_id is None:
        events.record_event(PASSWORD_CHANGE, name, source, "refused", "throttled")
        return THROTTLED
    with engine.connect() as conn:
        row = conn.execute(
            select(users.c.password_hash, users.c.totp_secret).where(
                users.c.id == principal.user_id
            )
        ).one()
    if not verify_password(row.password_hash, current):
        events.record_event(PASSWORD_CHANGE, name, source, "failed", "wrong current password")
        return WRONG_PASSWORD
    forgive_attempt(engine, attempt_id)
    if row.totp_secret is not None:
        try:
            secret = totp_key.open(principal.user_id, row.totp_secret)
        except SecretUnavailableError:
            events.record_event(PASSWORD_CHANGE, name, source, "refused", TOTP_UNAVAILABLE)
            return TOTP_UNAVAILABLE
        if not totp_code:
            return TOTP_REQUIRED
        if not consume_totp(engine, principal.user_id, secret, totp_code, clock):
            second_factor_failed(engine, principal.user_id, name, key, name, source, now)
            return TOTP_INVALID
    if new == current:
        return SAME_PASSWORD
    check_policy(new, name)
    with events.change(engine) as conn:
        conn.execute(
            update(users)
            .where(users.c.id == principal.user_id)
            .values(password_hash=hash_password(new))
        )
        # Whoever knew the old password loses the sessions it opened; this one stays.
        others = sessions.c.user_id == principal.user_id
        if principal.token_sha256 is not None:
            others = others & (sessions.c.token_sha256 != principal.token_sha256)
        ended = conn.execute(delete(sessions).where(others)).rowcount
        detail = f"{ended} other session(s) ended"
        events.record_event(PASSWORD_CHANGE, name, source, "ok", detail, conn=conn)
    return CHANGED
