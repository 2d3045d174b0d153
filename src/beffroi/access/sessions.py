"""Sessions: only the token's SHA-256 is stored; idle and absolute expiry; three kinds.

The token is 32 random bytes (URL-safe base64), handed to the client once. A stolen
database therefore yields no usable token. A session dies after `IDLE` without use or
`ABSOLUTE` after login, whichever comes first; both are read from the injected clock.

A session is accepted only the way it was issued: a `bearer` token in the
Authorization header (API clients), a `cookie` token in the HttpOnly cookie (the
browser console, with a CSRF token bound to it), an `enroll` token only by the TOTP
enrolment routes (a password was given, the second factor is not set up yet).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, delete, insert, select, update

from beffroi.access.principal import Principal
from beffroi.access.tables import sessions
from beffroi.access.users import load_principal
from beffroi.clock import Clock, utc_ms

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
ENROLL_ABSOLUTE = timedelta(minutes=10)
KINDS = ("bearer", "cookie", "enroll")
# Refreshing `last_seen_ms` on every request would make every read a write; a session
# used within this long keeps its stored value, so idle expiry may come this much early
# (never late).
TOUCH_EVERY_MS = 15_000


@dataclass(frozen=True)
class NewSession:
    token: str
    expires_ms: int  # absolute expiry
    idle_expires_ms: int
    kind: str = "bearer"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(session_token: str) -> str:
    """The CSRF token of a cookie session: derived from the session's secret, so a page
    of another site, which cannot read the cookie, cannot compute it."""
    mac = hmac.new(session_token.encode("utf-8"), b"beffroi-csrf-v1", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def csrf_matches(session_token: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token(session_token), presented)


def open_session(
    engine: Engine,
    user_id: int,
    clock: Clock,
    source: str | None = None,
    kind: str = "bearer",
) -> NewSession:
    if kind not in KINDS:
        raise ValueError(f"unknown session kind {kind!r}")
    token = secrets.token_urlsafe(32)
    now = utc_ms(clock.now())
    absolute = ENROLL_ABSOLUTE if kind == "enroll" else ABSOLUTE
    expires = now + int(absolute.total_seconds() * 1000)
    with engine.begin() as conn:
        # Housekeeping on login: forget sessions that can no longer be used.
        conn.execute(delete(sessions).where(sessions.c.expires_ms <= now))
        conn.execute(
            insert(sessions).values(
                token_sha256=token_digest(token),
                user_id=user_id,
                created_ms=now,
                last_seen_ms=now,
                expires_ms=expires,
                source=source[:64] if source else None,
                kind=kind,
            )
        )
    return NewSession(token, expires, min(expires, now + _idle_ms()), kind)


def resolve_session(
    engine: Engine, token: str, clock: Clock, kind: str = "bearer"
) -> Principal | None:
    """The principal of a live session of `kind`, refreshing its idle deadline; None if
    the token is unknown, of another kind, expired (idle or absolute), or its user may no
    longer sign in (disabled, account or approval expired)."""
    digest = token_digest(token)
    now = utc_ms(clock.now())
    with engine.begin() as conn:
        row = conn.execute(
            select(
                sessions.c.user_id,
                sessions.c.last_seen_ms,
                sessions.c.expires_ms,
                sessions.c.kind,
            ).where(sessions.c.token_sha256 == digest)
        ).first()
        if row is None or row.kind != kind:
            return None
        if now >= row.expires_ms or now >= row.last_seen_ms + _idle_ms():
            conn.execute(delete(sessions).where(sessions.c.token_sha256 == digest))
            return None
        principal = load_principal(conn, row.user_id, clock, token_sha256=digest, auth=kind)
        if principal is None:
            return None
        if now - row.last_seen_ms >= TOUCH_EVERY_MS:
            conn.execute(
                update(sessions).where(sessions.c.token_sha256 == digest).values(last_seen_ms=now)
            )
    return principal


def close_session(engine: Engine, token_sha256: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.token_sha256 == token_sha256))


def close_user_sessions(engine: Engine, user_id: int) -> int:
    """End every session of a user (disabled, second factor reset); returns how many."""
    with engine.begin() as conn:
        return conn.execute(delete(sessions).where(sessions.c.user_id == user_id)).rowcount


def _idle_ms() -> int:
    return int(IDLE.total_seconds() * 1000)
