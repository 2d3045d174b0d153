"""The login decision: reasons after the right password only, lockout, throttling,
TOTP replay, expiry warnings, and the events reported for the journal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select, update

from beffroi.access import accounts, events, login
from beffroi.access.agents import expiring_users
from beffroi.access.tables import users
from beffroi.access.totp import code_at
from beffroi.clock import FakeClock
from tests.access.helpers import PW, make_user, seed_communes

Event = tuple[str, str | None, str | None, str, str | None]


@pytest.fixture
def journal() -> Iterator[list[Event]]:
    seen: list[Event] = []

    def recorder(
        action: str, username: str | None, source: str | None, outcome: str, detail: str | None
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
    return login.attempt_login(db, clock, user, pw, code, source)


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


def test_lockout_grows_and_hard_locks(
    db: Engine, clock: FakeClock, journal: list[Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(login, "FAILURES", 3)  # each failure costs an argon2 hash
    for _ in range(login.FAILURES - 1):
        assert attempt(db, clock, "admin2", "wrong-password-1").outcome == login.FAILED
    assert attempt(db, clock, "admin2", PW).outcome == login.OK  # resets the count
    for _ in range(login.FAILURES):
        attempt(db, clock, "admin2", "wrong-password-1")
    assert ("auth.locked", "admin2", "10.0.0.1", "ok", "after 3 failures") in journal
    locked = attempt(db, clock, "admin2", PW)
    assert locked.outcome == login.REFUSED and locked.reason == "locked"
    assert locked.retry_after_s == 15 * 60
    assert attempt(db, clock, "admin2", "wrong-password-1").outcome == login.FAILED  # no hint
    clock.advance(login.BASE_LOCK)
    assert attempt(db, clock, "admin2", PW).outcome == login.OK  # lock over, level reset
    # Guessing on through lockouts: 15, 30, 60 minutes, then locked until unlocked.
    durations = []
    for _level in range(1, login.HARD_LOCK_LEVEL + 1):
        for _ in range(login.FAILURES):
            attempt(db, clock, "admin2", "wrong-password-1", source=f"10.1.0.{_level}")
        with db.connect() as conn:
            until = conn.execute(
                select(users.c.locked_until_ms).where(users.c.username == "admin2")
            ).scalar_one()
        durations.append(until)
    now_ms = int(clock.now().timestamp() * 1000)
    assert [round((d - now_ms) / 60_000) for d in durations[:3]] == [15, 30, 60]
    assert durations[3] == login.LOCKED_FOR_GOOD_MS
    clock.advance(timedelta(days=30))
    assert attempt(db, clock, "admin2", PW).reason == "locked"
    accounts.unlock(db, "admin2", "cli", "cli")
    assert attempt(db, clock, "admin2", PW).outcome == login.OK
    assert ("user.unlock", "cli", "cli", "ok", "unlocked admin2") in journal


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
    enrolment = accounts.begin_totp_enrolment(db, uid, "agent")
    with pytest.raises(accounts.TotpStateError):
        accounts.confirm_totp_enrolment(db, uid + 1000, "x", "123456", clock, None)
    assert not accounts.confirm_totp_enrolment(db, uid, "agent", "000000", clock, None)
    code = code_at(enrolment.secret, clock.now())
    assert accounts.confirm_totp_enrolment(db, uid, "agent", code, clock, None)
    with pytest.raises(accounts.TotpStateError):  # a second enrolment needs a reset
        accounts.begin_totp_enrolment(db, uid, "agent")
    assert attempt(db, clock, "agent", PW).outcome == login.TOTP_REQUIRED
    assert attempt(db, clock, "agent", PW, code).outcome == login.TOTP_INVALID  # used by confirm
    clock.advance(30)
    code = code_at(enrolment.secret, clock.now())
    assert attempt(db, clock, "agent", PW, code).outcome == login.OK
    assert attempt(db, clock, "agent", PW, code).outcome == login.TOTP_INVALID  # replay
    assert ("auth.login", "agent", "10.0.0.1", "failed", "wrong or replayed TOTP code") in journal
    accounts.reset_totp(db, "agent", "admin2", None)
    assert attempt(db, clock, "agent", PW).outcome == login.ENROLL


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
    secret = accounts.begin_totp_enrolment(db, uid, "soon").secret
    assert accounts.confirm_totp_enrolment(
        db, uid, "soon", code_at(secret, clock.now()), clock, None
    )
    clock.advance(31)
    r = attempt(db, clock, "soon", PW, code_at(secret, clock.now()))
    assert r.outcome == login.OK and [(w.kind, w.days_left) for w in r.warnings] == [
        ("approval", 19)
    ]
