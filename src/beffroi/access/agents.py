"""The agent record: why a user may not sign in, and who expires soon.

Dates (approval, account) are the last valid day, in the centre's time zone
(Europe/Paris): an approval "until 30 June" is valid all of 30 June, French time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, select

from beffroi.access.permissions import needs_approval
from beffroi.access.tables import users
from beffroi.clock import PARIS, Clock

WARN_BEFORE = timedelta(days=30)

# Reasons a correct password is still refused, most fundamental first.
DISABLED = "disabled"
LOCKED = "locked"
ACCOUNT_EXPIRED = "account_expired"
APPROVAL_MISSING = "approval_missing"
APPROVAL_EXPIRED = "approval_expired"


@dataclass(frozen=True)
class ExpiryWarning:
    username: str
    kind: str  # "approval" | "account"
    expires: date  # last valid day
    days_left: int


def today(clock: Clock) -> date:
    return clock.now().astimezone(PARIS).date()


def record_refusal(row: Any, clock: Clock, at_login: bool = True) -> str | None:
    """The reason the agent record forbids access now (disabled, account or approval
    expired or missing), else None. `row` has the users columns. Lockout is separate.

    A missing approval is checked at login only (`at_login`): it cannot go missing
    during a session, and a dated end can, so requests check the dates."""
    if row.disabled:
        return DISABLED
    day = today(clock)
    if row.account_expires is not None and day > row.account_expires:
        return ACCOUNT_EXPIRED
    if needs_approval(row.role, bool(row.is_police)):
        if not row.approval_ref or row.approval_expires is None:
            return APPROVAL_MISSING if at_login else None
        if day > row.approval_expires:
            return APPROVAL_EXPIRED
    return None


def warnings_for(row: Any, clock: Clock, within: timedelta = WARN_BEFORE) -> list[ExpiryWarning]:
    day = today(clock)
    out: list[ExpiryWarning] = []
    candidates = [("account", row.account_expires)]
    if needs_approval(row.role, bool(row.is_police)):
        candidates.append(("approval", row.approval_expires))
    for kind, expires in candidates:
        if expires is None:
            continue
        left = (expires - day).days
        if 0 <= left <= within.days:
            out.append(ExpiryWarning(row.username, kind, expires, left))
    return out


def expiring_users(
    engine: Engine, clock: Clock, within: timedelta = WARN_BEFORE
) -> list[ExpiryWarning]:
    """Enabled users whose approval or account ends within `within` (not yet ended)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(users).where(users.c.disabled.is_(False)).order_by(users.c.username)
        ).all()
    found = [w for row in rows for w in warnings_for(row, clock, within)]
    return sorted(found, key=lambda w: (w.expires, w.username, w.kind))
