"""The login decision: throttling per (account, source) and per source, a strict lock
for second-factor failures, the agent record, TOTP.

Order matters for what an attacker can learn:
1. the attempt is counted against its source before anything is checked (and forgiven
   once the password proves right): a source with too many recent failures, or an
   (account, source) pair that must still wait, is refused (`throttled`, with the wait);
2. the password is verified (an unknown user costs the same time), and a wrong one
   gets the one generic answer, whatever the account's state;
3. only then are reasons told: disabled, locked, account or approval expired;
4. then the second factor: required for roles that see video; missing, it is asked
   for (`totp_required`), or enrolled first; a wrong or replayed code counts against
   the account. A stored secret that the installation's key cannot decrypt (a database
   moved without its key) refuses the sign-in as `totp_unavailable`, counted against
   nobody, and tells the administrator in the log.

Password failures slow down, they never lock: whoever can reach the login page must
not be able to lock the centre out. After `PAIR_FREE_FAILURES` failures within
`PAIR_MEMORY` for one account from one source, that pair waits `PAIR_BASE_DELAY`, doubled
at each further failure, at most `PAIR_MAX_DELAY`; the same account from another source
is not slowed. A source also waits once it has `SOURCE_FAILURES` failures within
`WINDOW`, whatever the accounts (at most `WINDOW`). IPv6 sources count per /64.

Second-factor failures (the password was right) lock the account: `FAILURES` within
`WINDOW` lock it for `BASE_LOCK`, doubled at each further lockout; after
`HARD_LOCK_LEVEL` lockouts in a row it stays locked until someone unlocks it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, or_, select, update

from beffroi.access import events
from beffroi.access.agents import LOCKED, ExpiryWarning, record_refusal, warnings_for
from beffroi.access.passwords import burn_verification_time, verify_password
from beffroi.access.permissions import can_view_video
from beffroi.access.secrets_box import SecretUnavailableError, TotpKey
from beffroi.access.tables import auth_failures, users
from beffroi.access.totp import match_step
from beffroi.access.users import rehash_if_needed
from beffroi.clock import Clock, utc_ms

log = logging.getLogger(__name__)

# Second factor: a strict lock of the account.
FAILURES = 5
WINDOW = timedelta(minutes=15)
BASE_LOCK = timedelta(minutes=15)
HARD_LOCK_LEVEL = 4
# Until an administrator or a supervisor unlocks (year 2262: beyond any real date).
LOCKED_FOR_GOOD_MS = 2**63 // 1_000_000
# Password: a capped delay for one (account, source) pair, never a lock.
PAIR_FREE_FAILURES = 5
PAIR_BASE_DELAY = timedelta(seconds=1)
PAIR_MAX_DELAY = timedelta(minutes=15)
PAIR_MEMORY = timedelta(hours=24)  # a pair's failures are forgotten after a quiet day
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
# Password right, but the stored secret does not decrypt with the installation's key:
# no code can be checked. A fault of the installation, not of the agent: not counted.
TOTP_UNAVAILABLE = "totp_unavailable"


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
    *,
    totp_key: TotpKey,
) -> LoginResult:
    now = utc_ms(clock.now())
    key = throttle_key(source)
    typed = username[:100]
    attempt_id, why, retry = admit_attempt(engine, typed, key, now)
    if attempt_id is None:
        events.record_event(events.THROTTLED, username, source, REFUSED, why)
        return LoginResult(THROTTLED, retry_after_s=retry)
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    if row is None:
        burn_verification_time(password)
        events.record_event(
            events.LOGIN, username, source, FAILED, "unknown user or wrong password"
        )
        return LoginResult(FAILED)
    if not verify_password(row.password_hash, password):
        events.record_event(events.LOGIN, username, source, FAILED, "wrong password")
        return LoginResult(FAILED)
    # The password is right: this attempt was no guess.
    forgive_attempt(engine, attempt_id)
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
        try:
            secret = totp_key.open(row.id, row.totp_secret)
        except SecretUnavailableError as exc:
            log.error(
                "second factor of %r cannot be checked, its secret %s; the user cannot "
                "sign in until the key is restored or the second factor reset",
                row.username,
                exc,
            )
            events.record_event(events.LOGIN, username, source, REFUSED, TOTP_UNAVAILABLE)
            return LoginResult(TOTP_UNAVAILABLE, **base)
        if not totp_code:
            events.record_event(events.LOGIN, username, source, REFUSED, TOTP_REQUIRED)
            return LoginResult(TOTP_REQUIRED, **base)
        if not consume_totp(engine, row.id, secret, totp_code, clock):
            second_factor_failed(engine, row.id, typed, key, username, source, now)
            return LoginResult(TOTP_INVALID, **base)
    with engine.begin() as conn:
        conn.execute(
            update(users)
            .where(users.c.id == row.id)
            .values(failed_logins=0, first_failure_ms=None, locked_until_ms=None, lockout_level=0)
        )
        # Whoever signed in from here is no longer slowed down here.
        conn.execute(
            delete(auth_failures).where(
                auth_failures.c.source == key, auth_failures.c.username == typed
            )
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


def throttle_key(source: str | None) -> str:
    """What failures are counted against: the address, or its /64 for IPv6 (one
    subscriber's prefix holds more addresses than anyone could try)."""
    src = (source or "unknown")[:64]
    try:
        address = ipaddress.ip_address(src)
    except ValueError:
        return src
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def pair_delay_ms(failures: int) -> int:
    """How long an (account, source) pair waits after its `failures`-th recent failure."""
    if failures < PAIR_FREE_FAILURES:
        return 0
    cap = _ms(PAIR_MAX_DELAY)
    doublings = failures - PAIR_FREE_FAILURES
    if doublings >= cap.bit_length():
        return cap
    return min(cap, _ms(PAIR_BASE_DELAY) << doublings)


def admit_attempt(
    engine: Engine, username: str, key: str, now: int
) -> tuple[int | None, str | None, int | None]:
    """Count this attempt as a failure of `key` for `username` before anything is
    checked, unless the source or the pair must wait: (attempt id, None, None), or
    (None, what waits, seconds to wait). Attempts from one source are serialised, so
    parallel requests cannot exceed what the counts allow."""
    window_ms, memory_ms = _ms(WINDOW), _ms(PAIR_MEMORY)
    with engine.connect() as conn, conn.begin() as tx:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_lock_id(key))))
        # On SQLite the insert takes the write lock, held until the commit.
        attempt_id = conn.execute(
            insert(auth_failures)
            .values(source=key, username=username, at_ms=now)
            .returning(auth_failures.c.id)
        ).scalar_one()
        earlier = auth_failures.c.id != attempt_id
        count, oldest = conn.execute(
            select(func.count(), func.min(auth_failures.c.at_ms)).where(
                auth_failures.c.source == key, auth_failures.c.at_ms >= now - window_ms, earlier
            )
        ).one()
        if count >= SOURCE_FAILURES:
            tx.rollback()
            return None, "source address", max(1, (oldest + window_ms - now + 999) // 1000)
        count, last = conn.execute(
            select(func.count(), func.max(auth_failures.c.at_ms)).where(
                auth_failures.c.source == key,
                auth_failures.c.username == username,
                auth_failures.c.at_ms >= now - memory_ms,
                earlier,
            )
        ).one()
        wait = pair_delay_ms(count)
        if wait and now < last + wait:
            tx.rollback()
            return None, "account from this source", max(1, (last + wait - now + 999) // 1000)
        conn.execute(delete(auth_failures).where(auth_failures.c.at_ms < now - memory_ms))
    return int(attempt_id), None, None


def forgive_attempt(engine: Engine, attempt_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(delete(auth_failures).where(auth_failures.c.id == attempt_id))


def second_factor_failed(
    engine: Engine,
    user_id: int,
    typed: str,
    key: str,
    username: str,
    source: str | None,
    now: int,
) -> None:
    """A wrong or replayed code after the right password: counted against the source
    (as any failure) and against the account, which it may lock."""
    with engine.begin() as conn:
        conn.execute(insert(auth_failures).values(source=key, username=typed, at_ms=now))
        locked_now = _count_failure(conn, user_id, now, _ms(WINDOW))
    events.record_event(events.LOGIN, username, source, FAILED, "wrong or replayed TOTP code")
    if locked_now:
        detail = f"after {FAILURES} second-factor failures"
        events.record_event(events.LOCKED, username, source, OK, detail)


def _count_failure(conn: Connection, user_id: int, now: int, window_ms: int) -> bool:
    """Count one second-factor failure; True when it locks the account."""
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
            until = now + _ms(BASE_LOCK) * 2 ** (level - 1)
        values.update(
            failed_logins=0, first_failure_ms=None, lockout_level=level, locked_until_ms=until
        )
    conn.execute(update(users).where(users.c.id == user_id).values(**values))
    return locks


def _ms(span: timedelta) -> int:
    return int(span.total_seconds() * 1000)


def _lock_id(key: str) -> int:
    """A PostgreSQL advisory lock number for the attempts of one source."""
    digest = hashlib.sha256(b"beffroi.login:" + key.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
