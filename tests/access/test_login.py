"""The login decision: reasons after the right password only, lockout, throttling,
TOTP replay, expiry warnings, and the events reported for the journal."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select, update

from beffroi.access import accounts, enrolment, events, invitations, login
from beffroi.access.agents import expiring_users
from beffroi.access.tables import users
from beffroi.access.totp import code_at
from beffroi.clock import FakeClock, utc_ms
from tests.access.helpers import KEY, PW, make_user, seed_communes

Event = tuple[str, str | None, str | None, str, str | None]


@pytest.fixture
def journal() -> Iterator[list[Event]]:
    seen: list[Event] = []

    def recorder(
        action: str,
        username: str | None,
        source: str | None,
        outcome: str,
        detail: str | None,
        conn: object = None,
    ) -> None:
        seen.append((action, username, source, outcome, detail))

    events.set_recorder(recorder)
    yield seen
    events.set_recorder(None)


@pytest.fixture
def db(engine: Engine, clock: FakeClock) -> Engine:
    seed_communes(engine)
    make_user(engine, clock, "admin2", role="admin", communes=())
    return engine


def attempt(db: Engine, clock: FakeClock, user: str, pw: str, code: str | None = None,
            source: str = "10.0.0.1") -> login.LoginResult:  # fmt: skip
    return login.attempt_login(db, clock, user, pw, code, source, totp_key=KEY)


def test_reasons_are_told_only_after_the_right_password(
    db: Engine, clock: FakeClock, journal: list[Event]
) -> None:
    make_user(db, clock, "old", role="auditor", account_expires=date(2026, 10, 31))
    make_user(db, clock, "off", role="auditor")
    accounts.set_disabled(db, "off", True, "admin2", None)
    for user, reason in (("old", "account_expired"), ("off", "disabled")):
        wrong = attempt(db, clock, user, PW + "x")
        assert wrong.outcome == login.FAILED and wrong.reason is None
        right = attempt(db, clock, user, PW)
        assert right.outcome == login.REFUSED and right.reason == reason
    assert ("auth.login", "old", "10.0.0.1", "refused", "account_expired") in journal
    # An approval that ended, and one never recorded (rows from before the record).
    make_user(
        db, clock, "agt", is_police=False, approval_ref="P-7", approval_expires=date(2026, 12, 1)
    )
    with db.begin() as conn:
        conn.execute(
            update(users)
            .where(users.c.username == "agt")
            .values(approval_expires=date(2026, 10, 1))
        )
    assert attempt(db, clock, "agt", PW).reason == "approval_expired"
    with db.begin() as conn:
        conn.execute(update(users).where(users.c.username == "agt").values(approval_ref=None))
    assert attempt(db, clock, "agt", PW).reason == "approval_missing"


def wrong_code(secret: str, clock: FakeClock) -> str:
    """A six-digit code that no step around now accepts."""
    near = {code_at(secret, clock.now() + timedelta(seconds=d)) for d in (-30, 0, 30)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in near)


def test_password_failures_slow_the_pair_and_never_lock(
    db: Engine, clock: FakeClock, journal: list[Event]
) -> None:
    """Twenty-odd wrong passwords for one account from one address: that pair waits,
    doubling from 1 s up to 15 minutes, never more; the account is never locked and
    signs in from elsewhere meanwhile, and from the attacker's address once it waited."""
    waits: list[int] = []
    for _ in range(22):
        r = attempt(db, clock, "admin2", "wrong-password-1", source="203.0.113.66")
        if r.outcome == login.THROTTLED:
            assert r.retry_after_s is not None
            waits.append(r.retry_after_s)
            clock.advance(r.retry_after_s)
            r = attempt(db, clock, "admin2", "wrong-password-1", source="203.0.113.66")
        assert r.outcome == login.FAILED and r.reason is None
    assert waits[:5] == [1, 2, 4, 8, 16]
    assert max(waits) == waits[-1] == 15 * 60  # capped
    assert journal[-2][:4] == ("auth.throttled", "admin2", "203.0.113.66", "refused")
    with db.connect() as conn:
        state = conn.execute(
            select(users.c.locked_until_ms, users.c.lockout_level, users.c.failed_logins).where(
                users.c.username == "admin2"
            )
        ).one()
    assert tuple(state) == (None, 0, 0)
    # The same account from another address is not slowed down, even by a wrong guess.
    assert attempt(db, clock, "admin2", "typo-password", source="10.9.0.1").outcome == login.FAILED
    assert attempt(db, clock, "admin2", PW, source="10.9.0.1").outcome == login.OK
    # The attacker's pair waits (right password or not: nothing is checked)...
    held = attempt(db, clock, "admin2", PW, source="203.0.113.66")
    assert held.outcome == login.THROTTLED and held.retry_after_s == 15 * 60
    clock.advance(held.retry_after_s)
    # ... and afterwards may try again; a day of quiet forgets the pair.
    assert attempt(db, clock, "admin2", "wrong-password-1", source="203.0.113.66").outcome == (
        login.FAILED
    )
    clock.advance(login.PAIR_MEMORY + timedelta(seconds=1))
    for _ in range(login.PAIR_FREE_FAILURES):
        r = attempt(db, clock, "admin2", "wrong-password-1", source="203.0.113.66")
        assert r.outcome == login.FAILED
    assert attempt(db, clock, "admin2", PW, source="203.0.113.66").outcome == login.THROTTLED


def test_the_right_password_clears_its_pair(db: Engine, clock: FakeClock) -> None:
    for _ in range(login.PAIR_FREE_FAILURES - 1):
        assert attempt(db, clock, "admin2", "wrong-password-1").outcome == login.FAILED
    assert attempt(db, clock, "admin2", PW).outcome == login.OK
    for _ in range(login.PAIR_FREE_FAILURES):
        assert attempt(db, clock, "admin2", "wrong-password-1").outcome == login.FAILED
    assert attempt(db, clock, "admin2", PW).outcome == login.THROTTLED


def test_parallel_guesses_do_not_exceed_the_allowance(db: Engine, clock: FakeClock) -> None:
    """Attempts are counted before the password is checked, one source at a time: eight
    guesses sent together when the pair's wait ends get one try, not eight."""
    for _ in range(login.PAIR_FREE_FAILURES):
        attempt(db, clock, "admin2", "wrong-password-1")
    clock.advance(1)
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(
            pool.map(lambda i: attempt(db, clock, "admin2", f"guess-{i}").outcome, range(8))
        )
    assert sorted(outcomes) == [login.FAILED] + [login.THROTTLED] * 7


def test_delays_and_keys() -> None:
    assert [login.pair_delay_ms(n) for n in range(4, 9)] == [0, 1000, 2000, 4000, 8000]
    assert login.pair_delay_ms(14) == 512_000 and login.pair_delay_ms(15) == 900_000
    assert login.pair_delay_ms(10_000) == 900_000
    assert login.throttle_key("192.0.2.7") == "192.0.2.7"
    assert login.throttle_key("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert login.throttle_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert login.throttle_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert login.throttle_key(None) == "unknown"


def test_second_factor_failures_lock_strictly(
    db: Engine, clock: FakeClock, journal: list[Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The password is proven, the code is wrong: the account locks for 15, 30, 60
    minutes, then until someone unlocks it; the lock is told only to whoever gives the
    right password, and the right password and code do not pass it."""
    make_user(db, clock, "agent")
    secret = enrolment.set_totp(db, "agent", totp_key=KEY).secret

    def good() -> str:
        clock.advance(30)
        return code_at(secret, clock.now())

    for _ in range(login.FAILURES - 1):
        r = attempt(db, clock, "agent", PW, wrong_code(secret, clock))
        assert r.outcome == login.TOTP_INVALID
    assert attempt(db, clock, "agent", PW, good()).outcome == login.OK  # resets the count
    for _ in range(login.FAILURES):
        attempt(db, clock, "agent", PW, wrong_code(secret, clock), source="10.0.0.2")
    assert ("auth.locked", "agent", "10.0.0.2", "ok", "after 5 second-factor failures") in journal
    locked = attempt(db, clock, "agent", PW, good(), source="10.7.7.7")
    assert locked.outcome == login.REFUSED and locked.reason == "locked"
    assert 0 < (locked.retry_after_s or 0) <= 15 * 60
    wrong = attempt(db, clock, "agent", "wrong-password-1", source="10.7.7.7")
    assert wrong.outcome == login.FAILED and wrong.reason is None  # no hint
    clock.advance(login.BASE_LOCK)
    assert attempt(db, clock, "agent", PW, good()).outcome == login.OK  # lock over, level reset
    # Guessing on through lockouts: 15, 30, 60 minutes, then locked until unlocked.
    minutes: list[float] = []
    for level in range(1, login.HARD_LOCK_LEVEL + 1):
        for _ in range(login.FAILURES):
            r = attempt(db, clock, "agent", PW, wrong_code(secret, clock), f"10.1.0.{level}")
            assert r.outcome == login.TOTP_INVALID
        with db.connect() as conn:
            until = conn.execute(
                select(users.c.locked_until_ms).where(users.c.username == "agent")
            ).scalar_one()
        minutes.append((until - utc_ms(clock.now())) / 60_000)
        if level < login.HARD_LOCK_LEVEL:
            clock.advance(timedelta(minutes=minutes[-1]))
    assert minutes[:3] == [15, 30, 60]
    assert until == login.LOCKED_FOR_GOOD_MS
    clock.advance(timedelta(days=30))
    assert attempt(db, clock, "agent", PW, good()).reason == "locked"
    accounts.unlock(db, "agent", "cli", "cli")
    assert attempt(db, clock, "agent", PW, good()).outcome == login.OK
    assert ("user.unlock", "cli", "cli", "ok", "unlocked agent") in journal


def test_source_throttling(
    db: Engine, clock: FakeClock, journal: list[Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(login, "SOURCE_FAILURES", 6)
    for i in range(login.SOURCE_FAILURES):
        attempt(db, clock, f"nobody{i}", "whatever-pass", source="203.0.113.9")
    r = attempt(db, clock, "admin2", PW, source="203.0.113.9")
    assert r.outcome == login.THROTTLED and 0 < (r.retry_after_s or 0) <= 15 * 60
    assert journal[-1][0] == "auth.throttled"
    assert attempt(db, clock, "admin2", PW, source="198.51.100.1").outcome == login.OK
    clock.advance(login.WINDOW + timedelta(seconds=1))
    assert attempt(db, clock, "admin2", PW, source="203.0.113.9").outcome == login.OK


def test_totp_required_enrol_and_replay(db: Engine, clock: FakeClock, journal: list[Event]) -> None:
    uid = make_user(db, clock, "agent")
    assert attempt(db, clock, "agent", PW).outcome == login.ENROLL
    assert attempt(db, clock, "agent", "bad-password-9").outcome == login.FAILED
    enrolled = enrolment.begin_totp_enrolment(db, uid, "agent", totp_key=KEY)
    with pytest.raises(enrolment.TotpStateError):
        enrolment.confirm_totp_enrolment(db, uid + 1000, "x", "123456", clock, None, totp_key=KEY)
    assert not enrolment.confirm_totp_enrolment(
        db, uid, "agent", "000000", clock, None, totp_key=KEY
    )
    code = code_at(enrolled.secret, clock.now())
    assert enrolment.confirm_totp_enrolment(db, uid, "agent", code, clock, None, totp_key=KEY)
    with pytest.raises(enrolment.TotpStateError):  # a second enrolment needs a reset
        enrolment.begin_totp_enrolment(db, uid, "agent", totp_key=KEY)
    assert attempt(db, clock, "agent", PW).outcome == login.TOTP_REQUIRED
    assert attempt(db, clock, "agent", PW, code).outcome == login.TOTP_INVALID  # used by confirm
    clock.advance(30)
    code = code_at(enrolled.secret, clock.now())
    assert attempt(db, clock, "agent", PW, code).outcome == login.OK
    assert attempt(db, clock, "agent", PW, code).outcome == login.TOTP_INVALID  # replay
    assert ("auth.login", "agent", "10.0.0.1", "failed", "wrong or replayed TOTP code") in journal
    # A reset (an access code, used) takes the second factor with the old password.
    code = invitations.issue_directly(db, clock, "agent").code
    assert invitations.redeem(db, clock, code, PW + "-new", None) == "agent"
    assert attempt(db, clock, "agent", PW + "-new").outcome == login.ENROLL


def test_expiry_warnings(db: Engine, clock: FakeClock) -> None:
    make_user(
        db, clock, "soon", is_police=False, approval_ref="P-1", approval_expires=date(2026, 11, 20)
    )
    make_user(
        db, clock, "later", is_police=False, approval_ref="P-2", approval_expires=date(2027, 1, 20)
    )
    make_user(db, clock, "acct", role="auditor", account_expires=date(2026, 12, 1))
    found = [(w.username, w.kind, w.days_left) for w in expiring_users(db, clock)]
    assert found == [("soon", "approval", 19), ("acct", "account", 30)]
    with db.connect() as conn:
        uid = conn.execute(select(users.c.id).where(users.c.username == "soon")).scalar_one()
    secret = enrolment.begin_totp_enrolment(db, uid, "soon", totp_key=KEY).secret
    assert enrolment.confirm_totp_enrolment(
        db, uid, "soon", code_at(secret, clock.now()), clock, None, totp_key=KEY
    )
    clock.advance(31)
    r = attempt(db, clock, "soon", PW, code_at(secret, clock.now()))
    assert r.outcome == login.OK and [(w.kind, w.days_left) for w in r.warnings] == [
        ("approval", 19)
    ]
