"""Playback grants: short-lived links for standard players (VLC, ffplay), which cannot
send an Authorization header.

A grant is 32 random bytes handed out once, inside a URL. It is a session of kind
`playback` in the sessions table, so it lives and dies with the user's access: the
sessions machinery expires it, `close_user_sessions` (user disabled, second factor
reset) revokes it, and `load_principal` re-checks the agent record at each use.

What it grants is bound into what is stored: the row's key is the SHA-256 of the token
*with* the camera and the window, so a grant presented for another camera or window
matches no row and is refused exactly like an unknown one. Only the digest is stored:
a stolen database yields no usable link.

A grant serves one player: the first address that uses it is bound to it (its
session's `source`), and the link presented from any other address is refused, so a
link copied out of the player (or overheard) plays nowhere else.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, delete, insert, select, update

from beffroi.access.principal import Principal
from beffroi.access.sessions import resolve_session, token_digest
from beffroi.access.tables import sessions
from beffroi.clock import Clock, utc_ms

KIND = "playback"
LIFETIME = timedelta(minutes=10)


@dataclass(frozen=True)
class Grant:
    token: str
    expires_ms: int


def bound_token(token: str, camera_id: str, start_ms: int, end_ms: int) -> str:
    """The secret the stored digest is computed from: the token and what it grants."""
    return f"{token}|{camera_id}|{start_ms}|{end_ms}"


def issue_grant(
    engine: Engine,
    clock: Clock,
    principal: Principal,
    camera_id: str,
    start_ms: int,
    end_ms: int,
    source: str | None = None,
) -> Grant:
    now = utc_ms(clock.now())
    token = secrets.token_urlsafe(32)
    expires = now + int(LIFETIME.total_seconds() * 1000)
    with engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.kind == KIND, sessions.c.expires_ms <= now))
        conn.execute(
            insert(sessions).values(
                token_sha256=token_digest(bound_token(token, camera_id, start_ms, end_ms)),
                user_id=principal.user_id,
                created_ms=now,
                last_seen_ms=now,
                expires_ms=expires,
                source=None,  # the first player's address, at its first use
                kind=KIND,
            )
        )
    return Grant(token, expires)


def resolve_grant(
    engine: Engine,
    clock: Clock,
    token: str,
    camera_id: str,
    start_ms: int,
    end_ms: int,
    player: str | None = None,
) -> Principal | None:
    """The grant's user, as of now; None if unknown, expired, revoked, presented for
    another camera or window, or from another address than its first player's."""
    if not token or len(token) > 100:
        return None
    bound = bound_token(token, camera_id, start_ms, end_ms)
    principal = resolve_session(engine, bound, clock, kind=KIND)
    if principal is None:
        return None
    address = (player or "unknown")[:64]
    digest = token_digest(bound)
    with engine.begin() as conn:
        # Bind on first use; then only the same address (one statement: two players
        # racing for a fresh link cannot both win).
        conn.execute(
            update(sessions)
            .where(sessions.c.token_sha256 == digest, sessions.c.source.is_(None))
            .values(source=address)
        )
        owner = conn.scalar(select(sessions.c.source).where(sessions.c.token_sha256 == digest))
    return principal if owner == address else None


def revoke_grant(
    engine: Engine, token: str, camera_id: str, start_ms: int, end_ms: int, user_id: int
) -> bool:
    """Revoke a grant of `user_id` before it expires; True when one was revoked."""
    digest = token_digest(bound_token(token, camera_id, start_ms, end_ms))
    with engine.begin() as conn:
        return bool(
            conn.execute(
                delete(sessions).where(
                    sessions.c.token_sha256 == digest,
                    sessions.c.kind == KIND,
                    sessions.c.user_id == user_id,
                )
            ).rowcount
        )
