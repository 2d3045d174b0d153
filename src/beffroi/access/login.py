"""The login decision: throttling per source, lockout per account, agent record, TOTP.

Order matters for what an attacker can learn:
1. a source address with too many recent failures is refused before any check;
2. the password is verified (an unknown user costs the same time), and a wrong one
   gets the one generic answer, counts against the account and the source;
3. only then are reasons told: disabled, locked, account or approval expired;
4. then the second factor: required for roles that see video; missing, it is asked
   for (`totp_required`), or enrolled first; a wrong or replayed code counts as a failure.

Lockout: `FAILURES` failures within `WINDOW` lock the account for `BASE_LOCK`, doubled
at each further lockout; failures during a lockout still count, so guesses stay bounded
even though a correct password during a lockout is told `locked`. After
`HARD_LOCK_LEVEL` lockouts in a row the account stays locked until someone unlocks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, or_, select, update

from beffroi.access import events
from beffroi.access.agents import LOCKED, ExpiryWarning, record_refusal, warnings_for
from beffroi.access.passwords import burn_verification_time, verify_password
from beffroi.access.permissions import can_view_video
from beffroi.access.tables import auth_failures, users
from beffroi.access.totp import match_step
from beffroi.access.users import rehash_if_needed
from beffroi.clock import Clock, utc_ms

FAILURES = 5
WINDOW = timedelta(minutes=15)
BASE_LOCK = timedelta(minutes=15)
HARD_LOCK_LEVEL = 4
# Until an administrator or a supervisor unlocks (year 2262: beyond any real date).
LOCKED_FOR_GOOD_MS = 2**63 // 1_000_000
SOURCE_FAILURES = 30  # per address and WINDOW: a shared NAT of a town hall stays usable

OK = "ok"
ENROLL = "enroll"  # password right, TOTP required but not set up: enrol first
TOTP_REQUIRED = "totp_required"
REFUSED = "refused"  # password right, the agent record or a lockout says no
FAILED = "failed"  # wrong password, unknown user: one generic answer
# Password right, code wrong or replayed: said so, since reasons are told after a correct
# password (the agent retypes the code, not the password). Counted as a failure.
TOTP_INVALID = "totp_invalid"
THROTTLED = "throttled"


@dataclass(frozen=True)
class LoginResult:
    outcome: str
    user_id: int | None = None
    username: str | None = None
    role: str | None = None
    reason: str | None = None
    retry_after_s: int | None = None
    warnings: list[ExpiryWarning] = field(default_factory=list)


def attempt_login(
    engine: Engine,
    clock: Clock,
    username: str,
    password: str,
    totp_code: str | None,
    source: str | None,
) -> LoginResult:
    now = utc_ms(clock.now())
    src = (source or "unknown")[:64]
    retry = _source_retry_after(engine, src, now)
    if retry is not None:
        events.record_event(events.THROTTLED, username, source, REFUSED, "source address")
        return LoginResult(THROTTLED, retry_after_s=retry)
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    if row is None:
        burn_verification_time(password)
        return _fail(engine, clock, None, username, src, "unknown user or wrong password")
    if not verify_password(row.password_hash, password):
        return _fail(engine, clock, row, username, src, "wrong password")
    reason = record_refusal(row, clock)
    if reason is None and row.locked_until_ms is not None and now < row.locked_until_ms:
        reason = LOCKED
    if reason is not None:
        events.record_event(events.LOGIN, username, source, REFUSED, reason)
        retry_s = None
        if reason == LOCKED and row.locked_until_ms < LOCKED_FOR_GOOD_MS:
            retry_s = max(1, (row.locked_until_ms - now + 999) // 1000)
        return LoginResult(REFUSED, row.id, row.username, row.role, reason, retry_s)
    rehash_if_needed(engine, row.id, row.password_hash, password)
    base = {"user_id": row.id, "username": row.username, "role": row.role}
    if row.totp_secret is None and can_view_video(row.role):
        events.record_event(events.LOGIN, username, source, REFUSED, "totp enrolment required")
        return LoginResult(ENROLL, **base)
    if row.totp_secret is not None:
        if not totp_code:
            events.record_event(events.LOGIN, username, source, REFUSED, TOTP_REQUIRED)
            return LoginResult(TOTP_REQUIRED, **base)
        if not consume_totp(engine, row.id, row.totp_secret, totp_code, clock):
            _fail(engine, clock, row, username, src, "wrong or replayed TOTP code")
            return LoginResult(TOTP_INVALID, **base)
    with engine.begin() as conn:
        conn.execute(
            update(users)
            .where(users.c.id == row.id)
            .values(failed_logins=0, first_failure_ms=None, locked_until_ms=None, lockout_level=0)
        )
    events.record_event(events.LOGIN, username, source, OK, None)
    return LoginResult(OK, **base, warnings=warnings_for(row, clock))


def consume_totp(engine: Engine, user_id: int, secret: str, code: str, clock: Clock) -> bool:
    """Accept `code` once: the step is recorded with a compare-and-set, so two requests
    racing with the same code cannot both win."""
    with engine.connect() as conn:
        last = conn.execute(
            select(users.c.totp_last_step).where(users.c.id == user_id)
        ).scalar_one_or_none()
    step = match_step(secret, code, clock.now(), last)
    if step is None:
        return False
    with engine.begin() as conn:
        won = conn.execute(
            update(users)
            .where(users.c.id == user_id)
            .where(or_(users.c.totp_last_step.is_(None), users.c.totp_last_step < step))
            .values(totp_last_step=step)
        ).rowcount
    return won == 1


def _fail(
    engine: Engine, clock: Clock, row: Any, username: str, source: str, detail: str
) -> LoginResult:
    now = utc_ms(clock.now())
    window_ms = int(WINDOW.total_seconds() * 1000)
    locked_now = False
    with engine.begin() as conn:
        conn.execute(delete(auth_failures).where(auth_failures.c.at_ms < now - window_ms))
        conn.execute(
            insert(auth_failures).values(source=source, username=username[:100], at_ms=now)
        )
        if row is not None:
            locked_now = _count_failure(conn, row.id, now, window_ms)
    events.record_event(events.LOGIN, username, source, FAILED, detail)
    if locked_now:
        events.record_event(events.LOCKED, username, source, OK, f"after {FAILURES} failures")
    return LoginResult(FAILED)


def _count_failure(conn: Connection, user_id: int, now: int, window_ms: int) -> bool:
    """Count one failure; True when it locks the account."""
    cur = conn.execute(
        select(users.c.failed_logins, users.c.first_failure_ms, users.c.lockout_level)
        .where(users.c.id == user_id)
        .with_for_update()
    ).one()
    if cur.first_failure_ms is None or now - cur.first_failure_ms > window_ms:
        failed, first = 1, now
    else:
        failed, first = cur.failed_logins + 1, cur.first_failure_ms
    values: dict[str, Any] = {"failed_logins": failed, "first_failure_ms": first}
    locks = failed >= FAILURES
    if locks:
        level = cur.lockout_level + 1
        if level >= HARD_LOCK_LEVEL:
            until = LOCKED_FOR_GOOD_MS
        else:
            until = now + int(BASE_LOCK.total_seconds() * 1000) * 2 ** (level - 1)
        values.update(
            failed_logins=0, first_failure_ms=None, lockout_level=level, locked_until_ms=until
        )
    conn.execute(update(users).where(users.c.id == user_id).values(**values))
    return locks


def _source_retry_after(engine: Engine, source: str, now: int) -> int | None:
    window_ms = int(WINDOW.total_seconds() * 1000)
    with engine.connect() as conn:
        count, oldest = conn.execute(
            select(func.count(), func.min(auth_failures.c.at_ms)).where(
                auth_failures.c.source == source, auth_failures.c.at_ms >= now - window_ms
            )
        ).one()
    if count < SOURCE_FAILURES:
        return None
    return max(1, (oldest + window_ms - now + 999) // 1000)
