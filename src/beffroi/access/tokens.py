"""API tokens for machines (integrations): named, scoped, expiring, revocable.

A token is `bft_` + 32 random bytes; only its SHA-256 is stored. Its principal has the
`machine` role and carries the token's own permissions (a subset of that role's, which
holds no video) and communes (a subset of the creator's scope). The prefix lets
authentication tell a token from a session without a second lookup.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update

from beffroi.access import events
from beffroi.access.permissions import MATRIX, Permission, Role
from beffroi.access.principal import Principal
from beffroi.access.sessions import token_digest
from beffroi.access.tables import api_tokens, users
from beffroi.access.users import load_principal
from beffroi.clock import Clock, from_ms, utc_ms
from beffroi.site.tables import communes as communes_table

PREFIX = "bft_"
DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=366)
TOUCH_EVERY_MS = 60_000


@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    permissions: tuple[str, ...]
    communes: tuple[str, ...]
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def is_api_token(token: str) -> bool:
    return token.startswith(PREFIX)


def create_token(
    engine: Engine,
    clock: Clock,
    creator: Principal,
    name: str,
    permissions: Iterable[str],
    communes: Iterable[str],
    expires_at: datetime | None = None,
    source: str | None = None,
) -> tuple[str, ApiToken]:
    """(the token, shown once; its record). `ValueError` for a permission a machine may
    not hold, a commune outside the creator's scope or unknown, a bad expiry."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("name must be 1 to 100 characters")
    try:
        perms = sorted({Permission(p) for p in permissions})
    except ValueError as exc:
        raise ValueError(f"unknown permission: {exc}") from None
    if not perms:
        raise ValueError("a token needs at least one permission")
    allowed = MATRIX[Role.MACHINE]
    refused = [p.value for p in perms if p not in allowed]
    if refused:
        raise ValueError(f"permissions a machine token may not hold: {', '.join(refused)}")
    wanted = sorted(set(communes))
    outside = [c for c in wanted if not creator.sees_commune(c)]
    if outside:
        raise ValueError(f"communes outside your scope: {', '.join(outside)}")
    now = clock.now()
    expires = expires_at or now + DEFAULT_LIFETIME
    if expires <= now or expires - now > MAX_LIFETIME:
        raise ValueError(f"expiry must be in the future and within {MAX_LIFETIME.days} days")
    token = PREFIX + secrets.token_urlsafe(32)
    with events.change(engine) as conn:
        known = set(
            conn.execute(
                select(communes_table.c.id).where(communes_table.c.id.in_(wanted))
            ).scalars()
        )
        if set(wanted) - known:
            raise ValueError(f"unknown commune(s): {', '.join(sorted(set(wanted) - known))}")
        tid = conn.execute(
            insert(api_tokens)
            .values(
                name=name,
                token_sha256=token_digest(token),
                permissions=" ".join(p.value for p in perms),
                communes=" ".join(wanted),
                created_by=creator.username,
                created_ms=utc_ms(now),
                expires_ms=utc_ms(expires),
            )
            .returning(api_tokens.c.id)
        ).scalar_one()
        detail = f"{tid} {name}"
        events.record_event(events.TOKEN_CREATE, creator.username, source, "ok", detail, conn=conn)
    return token, get_token(engine, int(tid))


def _record(r: Any) -> ApiToken:
    return ApiToken(
        id=r.id,
        name=r.name,
        permissions=tuple(r.permissions.split()),
        communes=tuple(r.communes.split()),
        created_by=r.created_by,
        created_at=from_ms(r.created_ms),
        expires_at=from_ms(r.expires_ms),
        revoked_at=_maybe(r.revoked_ms),
        last_used_at=_maybe(r.last_used_ms),
    )


def _maybe(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)


def get_token(engine: Engine, token_id: int) -> ApiToken:
    with engine.connect() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
    if row is None:
        raise LookupError(token_id)
    return _record(row)


def list_tokens(engine: Engine) -> list[ApiToken]:
    with engine.connect() as conn:
        rows = conn.execute(select(api_tokens).order_by(api_tokens.c.id)).all()
    return [_record(r) for r in rows]


def revoke_token(
    engine: Engine, token_id: int, clock: Clock, actor: str, source: str | None
) -> bool:
    """True when a live token was revoked; False when unknown or already revoked."""
    with events.change(engine) as conn:
        done = conn.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_ms.is_(None))
            .values(revoked_ms=utc_ms(clock.now()))
        ).rowcount
        if done:
            detail = str(token_id)
            events.record_event(events.TOKEN_REVOKE, actor, source, "ok", detail, conn=conn)
    return bool(done)


def resolve_token(engine: Engine, token: str, clock: Clock) -> Principal | None:
    """The machine principal of a live token; None if unknown, revoked, expired, or if
    the person who made it may no longer act (disabled, expired, gone). A token acts
    for its creator: it never reaches a commune its creator no longer covers."""
    now = utc_ms(clock.now())
    digest = token_digest(token)
    with engine.begin() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.token_sha256 == digest)).first()
        if row is None or row.revoked_ms is not None or now >= row.expires_ms:
            return None
        creator_id = conn.execute(
            select(users.c.id).where(users.c.username == row.created_by)
        ).scalar()
        creator = None if creator_id is None else load_principal(conn, creator_id, clock)
        if creator is None:
            return None
        if row.last_used_ms is None or now - row.last_used_ms >= TOUCH_EVERY_MS:
            conn.execute(
                update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_ms=now)
            )
    known = {p.value for p in Permission}
    scopes = frozenset(Permission(p) for p in row.permissions.split() if p in known)
    communes = frozenset(row.communes.split())
    if creator.communes is not None:
        communes &= creator.communes
    return Principal(
        user_id=0,
        username=f"token:{row.name}",
        role=Role.MACHINE,
        communes=communes,
        token_sha256=digest,
        scopes=scopes,
        auth="api_token",
        token_id=row.id,
    )
