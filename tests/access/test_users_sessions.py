"""Users, the agent record and sessions against both databases, with the fake clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select, update

from beffroi.access.login import ENROLL, OK, TOTP_REQUIRED, attempt_login
from beffroi.access.passwords import PasswordPolicyError
from beffroi.access.permissions import Role
from beffroi.access.principal import Principal
from beffroi.access.sessions import (
    ABSOLUTE,
    ENROLL_ABSOLUTE,
    IDLE,
    close_session,
    close_user_sessions,
    csrf_matches,
    csrf_token,
    open_session,
    resolve_session,
    token_digest,
)
from beffroi.access.tables import sessions, users
from beffroi.access.users import (
    UserExistsError,
    create_user,
    ensure_admin,
    load_principal,
)
from beffroi.clock import FakeClock
from tests.access.helpers import KEY, LATER, PW, make_user, seed_communes


def verify_login(
    engine: Engine, username: str, password: str, clock: FakeClock
) -> Principal | None:
    """The principal a correct password lets in, through the production login (the
    second factor aside: a video role without one is asked to enrol)."""
    result = attempt_login(engine, clock, username, password, None, "192.0.2.1", totp_key=KEY)
    if result.outcome not in (OK, ENROLL, TOTP_REQUIRED) or result.user_id is None:
        return None
    with engine.connect() as conn:
        return load_principal(conn, result.user_id, clock)


def test_create_and_verify_user_with_communes(engine: Engine, clock: FakeClock) -> None:
    seed_communes(engine)
    uid = make_user(engine, clock, "agent", training_date=date(2026, 3, 1))
    p = verify_login(engine, "agent", PW, clock)
    assert p is not None and p.user_id == uid and p.role == Role.OPERATOR
    assert p.communes == frozenset({"joue-les-tours"})
    assert verify_login(engine, "agent", PW + "x", clock) is None
    assert verify_login(engine, "nobody", PW, clock) is None
    with engine.connect() as conn:
        row = conn.execute(select(users)).one()
    assert row.password_hash.startswith("$argon2id$") and PW not in row.password_hash
    assert row.is_police is True and row.training_date == date(2026, 3, 1)


def test_create_user_refusals(engine: Engine, clock: FakeClock) -> None:
    seed_communes(engine)
    with pytest.raises(PasswordPolicyError, match="12 characters"):
        create_user(engine, "agent", "short", "operator", [], clock, is_police=True)
    make_user(engine, clock, "agent")
    with pytest.raises(UserExistsError):
        make_user(engine, clock, "agent")
    with pytest.raises(ValueError, match="emperor"):
        make_user(engine, clock, "other", role="emperor")
    with pytest.raises(ValueError, match="not a role for people"):
        make_user(engine, clock, "other", role="machine")
    with pytest.raises(ValueError, match="unknown commune"):
        make_user(engine, clock, "other", communes=("atlantis",))
    with pytest.raises(ValueError, match="prefectoral approval"):
        make_user(engine, clock, "other", is_police=False)
    with pytest.raises(ValueError, match="without spaces"):
        make_user(engine, clock, "two words")
    # With the approval the same agent is fine; an investigator needs none.
    make_user(engine, clock, "other", is_police=False, approval_ref="P-1", approval_expires=LATER)
    make_user(engine, clock, "opj", role="investigator", is_police=False)


def test_disabled_or_expired_user_cannot_log_in_and_loses_sessions(
    engine: Engine, clock: FakeClock
) -> None:
    seed_communes(engine)
    uid = make_user(
        engine,
        clock,
        "agent",
        is_police=False,
        approval_ref="P-1",
        approval_expires=date(2026, 11, 2),
    )
    clock.advance(timedelta(days=1, hours=14, minutes=50))  # 2 Nov 23:50 Paris: last day
    s = open_session(engine, uid, clock)
    assert resolve_session(engine, s.token, clock) is not None
    clock.advance(timedelta(minutes=11))
    assert resolve_session(engine, s.token, clock) is None  # approval ended mid-session
    assert verify_login(engine, "agent", PW, clock) is None
    with engine.begin() as conn:
        conn.execute(update(users).values(approval_expires=LATER, disabled=True))
    assert verify_login(engine, "agent", PW, clock) is None


def test_ensure_admin_generates_once(engine: Engine, clock: FakeClock) -> None:
    generated = ensure_admin(engine, clock, None)
    assert generated is not None and len(generated) >= 20
    admin = verify_login(engine, "admin", generated, clock)
    assert admin is not None and admin.role == Role.ADMIN and admin.communes is None
    assert ensure_admin(engine, clock, None) is None
    assert ensure_admin(engine, clock, "another password!") is None
    assert verify_login(engine, "admin", generated, clock) is not None


def test_ensure_admin_with_given_password(engine: Engine, clock: FakeClock) -> None:
    assert ensure_admin(engine, clock, PW) is None
    assert verify_login(engine, "admin", PW, clock) is not None


def test_ensure_admin_refuses_a_weak_given_password(engine: Engine, clock: FakeClock) -> None:
    with pytest.raises(PasswordPolicyError) as err:
        ensure_admin(engine, clock, "Azertyuiop123!")
    assert err.value.code == "common"


def test_session_stores_only_digest_and_expires_when_idle(engine: Engine, clock: FakeClock) -> None:
    uid = make_user(engine, clock, "agent", communes=())
    s = open_session(engine, uid, clock, "127.0.0.1")
    with engine.connect() as conn:
        stored = conn.execute(select(sessions.c.token_sha256)).scalar_one()
    assert stored == token_digest(s.token) and stored != s.token
    assert len(s.token) >= 43  # 32 bytes, base64url
    clock.advance(IDLE - timedelta(seconds=20))
    assert resolve_session(engine, s.token, clock) is not None  # refreshes the idle timer
    clock.advance(IDLE - timedelta(seconds=20))
    assert resolve_session(engine, s.token, clock) is not None
    clock.advance(IDLE + timedelta(seconds=1))
    assert resolve_session(engine, s.token, clock) is None
    with engine.connect() as conn:
        assert conn.execute(select(sessions)).first() is None  # an expired session is deleted


def test_session_absolute_expiry_despite_activity(engine: Engine, clock: FakeClock) -> None:
    uid = make_user(engine, clock, "agent", communes=())
    s = open_session(engine, uid, clock)
    steps = int(ABSOLUTE / (IDLE / 2))
    for _ in range(steps - 1):
        clock.advance(IDLE / 2)
        assert resolve_session(engine, s.token, clock) is not None
    clock.advance(IDLE / 2)
    assert resolve_session(engine, s.token, clock) is None


def test_session_kinds_do_not_mix(engine: Engine, clock: FakeClock) -> None:
    uid = make_user(engine, clock, "agent", communes=())
    cookie = open_session(engine, uid, clock, kind="cookie")
    enroll = open_session(engine, uid, clock, kind="enroll")
    assert resolve_session(engine, cookie.token, clock) is None  # not as a bearer token
    assert resolve_session(engine, enroll.token, clock) is None
    assert resolve_session(engine, cookie.token, clock, kind="cookie") is not None
    p = resolve_session(engine, enroll.token, clock, kind="enroll")
    assert p is not None and p.auth == "enroll"
    assert enroll.expires_ms - cookie.expires_ms < 0
    clock.advance(ENROLL_ABSOLUTE)
    assert resolve_session(engine, enroll.token, clock, kind="enroll") is None
    assert csrf_matches(cookie.token, csrf_token(cookie.token))
    assert not csrf_matches(cookie.token, csrf_token(enroll.token))
    assert not csrf_matches(cookie.token, None)
    assert close_user_sessions(engine, uid) == 1  # the expired enrol session is gone too
    assert resolve_session(engine, cookie.token, clock, kind="cookie") is None


def test_logout_and_unknown_tokens(engine: Engine, clock: FakeClock) -> None:
    uid = make_user(engine, clock, "agent", communes=())
    s = open_session(engine, uid, clock)
    p = resolve_session(engine, s.token, clock)
    assert p is not None and p.token_sha256 == token_digest(s.token)
    close_session(engine, token_digest(s.token))
    assert resolve_session(engine, s.token, clock) is None
    assert resolve_session(engine, "not-a-token", clock) is None
