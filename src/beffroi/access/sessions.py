"""Bearer-token sessions: only the token's SHA-256 is stored; idle and absolute expiry.

The token is 32 random bytes (URL-safe base64), handed to the client once. A stolen
database therefore yields no usable token. A session dies after `IDLE` without use or
`ABSOLUTE` after login, whichever comes first; both are read from the injected clock.
"""

from __future__ import annotations

import hashlib
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
# Refreshing `last_seen_ms` on every request would make every read a write; a session
# used within this long keeps its stored value, so idle expiry may come this much early
# (never late).
TOUCH_EVERY_MS = 15_000


@dataclass(frozen=True)
class NewSession:
    token: str
    expires_ms: int  # absolute expiry
    idle_expires_ms: int


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(
    engine: Engine, user_id: int, clock: Clock, source: str | None = None
) -> NewSession:
    token = secrets.token_urlsafe(32)
    now = utc_ms(clock.now())
    expires = now + int(ABSOLUTE.total_seconds() * 1000)
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
            )
        )
    return NewSession(token, expires, min(expires, now + _idle_ms()))


def resolve_session(engine: Engine, token: str, clock: Clock) -> Principal | None:
    """The principal of a live session, refreshing its idle deadline; None if the token
    is unknown, expired (idle or absolute) or its user is disabled."""
    digest = token_digest(token)
    now = utc_ms(clock.now())
    with engine.begin() as conn:
        row = conn.execute(
            select(sessions.c.user_id, sessions.c.last_seen_ms, sessions.c.expires_ms).where(
                sessions.c.token_sha256 == digest
            )
        ).first()
        if row is None:
            return None
        if now >= row.expires_ms or now >= row.last_seen_ms + _idle_ms():
            conn.execute(delete(sessions).where(sessions.c.token_sha256 == digest))
            return None
        principal = load_principal(conn, row.user_id, token_sha256=digest)
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


def _idle_ms() -> int:
    return int(IDLE.total_seconds() * 1000)
