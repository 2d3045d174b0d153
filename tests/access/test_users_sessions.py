"""Users and sessions against both databases, with the fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, insert, select, update

from beffroi.access.passwords import PasswordPolicyError
from beffroi.access.permissions import Role
from beffroi.access.sessions import (
    ABSOLUTE,
    IDLE,
    close_session,
    open_session,
    resolve_session,
    token_digest,
)
from beffroi.access.tables import sessions, users
from beffroi.access.users import (
    UserExistsError,
    create_user,
    ensure_admin,
    verify_login,
)
from beffroi.clock import FakeClock
from beffroi.site.tables import communes

PW = "correct horse battery"


def _communes(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(communes),
            [
                {"id": "joue-les-tours", "name": "Joué-lès-Tours", "updated_ms": 0},
                {"id": "chambray", "name": "Chambray-lès-Tours", "updated_ms": 0},
            ],
        )


def test_create_and_verify_user_with_communes(engine: Engine, clock: FakeClock) -> None:
    _communes(engine)
    uid = create_user(engine, "agent", PW, "operator", ["joue-les-tours"], clock)
    p = verify_login(engine, "agent", PW)
    assert p is not None and p.user_id == uid and p.role == Role.OPERATOR
    assert p.communes == frozenset({"joue-les-tours"})
    assert verify_login(engine, "agent", PW + "x") is None
    assert verify_login(engine, "nobody", PW) is None
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PW not in stored


def test_create_user_refuses_weak_password_duplicate_and_bad_role(
    engine: Engine, clock: FakeClock
) -> None:
    with pytest.raises(PasswordPolicyError, match="12 characters"):
        create_user(engine, "agent", "short", "operator", [], clock)
    create_user(engine, "agent", PW, "operator", [], clock)
    with pytest.raises(UserExistsError):
        create_user(engine, "agent", PW, "operator", [], clock)
    with pytest.raises(ValueError):
        create_user(engine, "other", PW, "emperor", [], clock)


def test_disabled_user_cannot_log_in(engine: Engine, clock: FakeClock) -> None:
    create_user(engine, "agent", PW, "operator", [], clock)
    with engine.begin() as conn:
        conn.execute(update(users).values(disabled=True))
    assert verify_login(engine, "agent", PW) is None


def test_ensure_admin_generates_once(engine: Engine, clock: FakeClock) -> None:
    generated = ensure_admin(engine, clock, None)
    assert generated is not None and len(generated) >= 20
    admin = verify_login(engine, "admin", generated)
    assert admin is not None and admin.role == Role.ADMIN and admin.communes is None
    assert ensure_admin(engine, clock, None) is None
    assert ensure_admin(engine, clock, "another password!") is None
    assert verify_login(engine, "admin", generated) is not None


def test_ensure_admin_with_given_password(engine: Engine, clock: FakeClock) -> None:
    assert ensure_admin(engine, clock, PW) is None
    assert verify_login(engine, "admin", PW) is not None


def test_session_stores_only_digest_and_expires_when_idle(engine: Engine, clock: FakeClock) -> None:
    uid = create_user(engine, "agent", PW, "operator", [], clock)
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
    uid = create_user(engine, "agent", PW, "operator", [], clock)
    s = open_session(engine, uid, clock)
    steps = int(ABSOLUTE / (IDLE / 2))
    for _ in range(steps - 1):
        clock.advance(IDLE / 2)
        assert resolve_session(engine, s.token, clock) is not None
    clock.advance(IDLE / 2)
    assert resolve_session(engine, s.token, clock) is None


def test_logout_and_unknown_tokens(engine: Engine, clock: FakeClock) -> None:
    uid = create_user(engine, "agent", PW, "operator", [], clock)
    s = open_session(engine, uid, clock)
    p = resolve_session(engine, s.token, clock)
    assert p is not None and p.token_sha256 == token_digest(s.token)
    close_session(engine, token_digest(s.token))
    assert resolve_session(engine, s.token, clock) is None
    assert resolve_session(engine, "not-a-token", clock) is None
