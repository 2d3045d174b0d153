"""TOTP secrets at rest (issue 12): encrypted with a key kept outside the database, so a
stolen database or backup does not give the second factor away; secrets stored in clear
by an older version are encrypted at start. Through the real application (`create_app`,
the `beffroi` command line)."""

from __future__ import annotations

import base64
import logging
import os
import secrets
import stat
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from beffroi import cli
from beffroi.access.secrets_box import KEY_ENV, TotpKey, TotpKeyError, key_path
from beffroi.access.tables import users
from beffroi.access.totp import code_at, generate_secret
from beffroi.clock import FakeClock
from beffroi.journal.tables import journal_entries
from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from tests.web.conftest import PW


@pytest.fixture(autouse=True)
def _file_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about where the key comes from: none from the caller's shell."""
    monkeypatch.delenv(KEY_ENV, raising=False)


def _police(engine: Engine, *names: str) -> None:
    """Municipal police: no prefectoral approval needed to sign in."""
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.username.in_(names)).values(is_police=True))


def _enrol(client: TestClient, clock: FakeClock, username: str = "agent") -> str:
    """Enrol through the API as the agent does (sign-in, enrol, confirm): the secret."""
    r = client.post("/api/auth/login", json={"username": username, "password": PW})
    assert r.status_code == 200 and r.json()["enroll_required"], r.text
    enrol = {"Authorization": f"Bearer {r.json()['enroll_token']}"}
    r = client.post("/api/auth/totp/enroll", headers=enrol)
    assert r.status_code == 200, r.text
    secret: str = r.json()["secret"]
    code = code_at(secret, clock.now())
    r = client.post("/api/auth/totp/confirm", headers=enrol, json={"code": code})
    assert r.status_code == 200, r.text
    return secret


def _login(client: TestClient, clock: FakeClock, username: str, secret: str) -> int:
    clock.advance(30)  # a fresh step: each code is accepted once
    body = {"username": username, "password": PW, "totp": code_at(secret, clock.now())}
    r = client.post("/api/auth/login", json=body)
    assert r.status_code in (200, 503), r.text
    if r.status_code == 503:
        assert r.json()["detail"] == "totp_unavailable"
    return r.status_code


def _users_dump(engine: Engine) -> str:
    with engine.connect() as conn:
        return repr([tuple(row) for row in conn.execute(select(users)).all()])


def _stored(engine: Engine, username: str) -> tuple[str | None, str | None]:
    with engine.connect() as conn:
        row = conn.execute(
            select(users.c.totp_secret, users.c.totp_pending).where(users.c.username == username)
        ).one()
    return row.totp_secret, row.totp_pending


def test_enrolled_secret_is_encrypted_in_the_database_and_codes_still_work(
    ctx: AppContext, clock: FakeClock
) -> None:
    _police(ctx.engine, "agent")
    with TestClient(create_app(ctx)) as client:
        # Half-way through the enrolment the pending secret is not in clear either.
        r = client.post("/api/auth/login", json={"username": "agent", "password": PW})
        enrol = {"Authorization": f"Bearer {r.json()['enroll_token']}"}
        pending = client.post("/api/auth/totp/enroll", headers=enrol).json()["secret"]
        assert pending not in _users_dump(ctx.engine)
        assert (_stored(ctx.engine, "agent")[1] or "").startswith("v1:")
        code = code_at(pending, clock.now())
        assert client.post("/api/auth/totp/confirm", headers=enrol, json={"code": code}).is_success
        dump = _users_dump(ctx.engine)
        for form in (
            pending,
            pending.lower(),
            base64.b32decode(pending + "=" * (-len(pending) % 8)).hex(),
        ):
            assert form not in dump
        active, still_pending = _stored(ctx.engine, "agent")
        assert active is not None and active.startswith("v1:") and still_pending is None
        assert _login(client, clock, "agent", pending) == 200
    # The key lives outside the database, readable by Beffroi only.
    path = key_path(ctx.data_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_database_without_its_key_cannot_check_codes(
    ctx: AppContext, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The database restored in another data directory (a stolen backup, a new server)
    without the key: no code is accepted, the agent is told the second factor is
    unavailable (not a crash, not a lockout) and the administrator is told why."""
    _police(ctx.engine, "agent")
    with TestClient(create_app(ctx)) as client:
        secret = _enrol(client, clock)
        assert _login(client, clock, "agent", secret) == 200
    elsewhere = tmp_path / "restored"
    elsewhere.mkdir()
    moved = replace(ctx, data_dir=elsewhere, journal=None, live=None, totp_key=None)
    with caplog.at_level(logging.ERROR), TestClient(create_app(moved)) as client:
        start_up = [r.getMessage() for r in caplog.records]
        assert any("does not decrypt the second factor of 1 user(s): agent" in m for m in start_up)
        for _ in range(6):  # more than the second-factor lockout allows
            assert _login(client, clock, "agent", secret) == 503
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert any("second factor of 'agent' cannot be checked" in m for m in errors)
    with ctx.engine.connect() as conn:
        row = conn.execute(
            select(users.c.failed_logins, users.c.locked_until_ms).where(
                users.c.username == "agent"
            )
        ).one()
    assert row.failed_logins == 0 and row.locked_until_ms is None  # nobody's fault
    # Back in its own data directory, with its key, the same database works again.
    back = replace(ctx, journal=None, live=None, totp_key=None)
    with TestClient(create_app(back)) as client:
        assert _login(client, clock, "agent", secret) == 200


def test_secret_in_clear_is_encrypted_at_start_and_still_works(
    ctx: AppContext, clock: FakeClock
) -> None:
    """A database from a version that stored secrets in clear: encrypted when the
    application starts, journaled once, and the agent signs in as before."""
    _police(ctx.engine, "agent", "patrol")
    active, pending = generate_secret(), generate_secret()
    with ctx.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == "agent").values(totp_secret=active))
        conn.execute(update(users).where(users.c.username == "patrol").values(totp_pending=pending))
    with TestClient(create_app(ctx)) as client:
        dump = _users_dump(ctx.engine)
        assert active not in dump and pending not in dump
        assert (_stored(ctx.engine, "agent")[0] or "").startswith("v1:")
        assert (_stored(ctx.engine, "patrol")[1] or "").startswith("v1:")
        assert _login(client, clock, "agent", active) == 200
    sealed = _stored(ctx.engine, "agent")
    again = replace(ctx, journal=None, live=None, totp_key=None)
    with TestClient(create_app(again)):
        assert _stored(ctx.engine, "agent") == sealed  # the second start changes nothing
    with ctx.engine.connect() as conn:
        journaled = conn.execute(
            select(journal_entries.c.detail).where(journal_entries.c.action == "auth.totp_encrypt")
        ).all()
    assert len(journaled) == 1 and "2 secret(s) encrypted" in journaled[0].detail


def test_ciphertext_copied_to_another_account_does_not_decrypt(
    ctx: AppContext, clock: FakeClock
) -> None:
    """Whoever can write the database (but has not the key) cannot give their own
    enrolled secret to another agent's account."""
    _police(ctx.engine, "agent", "patrol")
    with TestClient(create_app(ctx)) as client:
        secret = _enrol(client, clock, "agent")
        with ctx.engine.begin() as conn:
            stolen = conn.execute(
                select(users.c.totp_secret).where(users.c.username == "agent")
            ).scalar_one()
            conn.execute(
                update(users).where(users.c.username == "patrol").values(totp_secret=stolen)
            )
        assert _login(client, clock, "patrol", secret) == 503
        assert _login(client, clock, "agent", secret) == 200


def _cli_data(engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data directory whose database is the `engine` fixture's (as test_cli)."""
    if db_url.startswith("sqlite"):
        return Path(db_url.removeprefix("sqlite:///")).parent
    monkeypatch.setenv("BEFFROI_DATABASE_URL", db_url)
    return tmp_path


def test_cli_totp_encrypts_and_refuses_a_key_file_others_can_read(
    ctx: AppContext,
    clock: FakeClock,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`beffroi user totp` encrypts what it enrols (and what an older version left in
    clear), and will not use a key file that the group or others may read."""
    data = _cli_data(ctx.engine, db_url, tmp_path, monkeypatch)
    _police(ctx.engine, "agent", "patrol")
    old = generate_secret()
    with ctx.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == "patrol").values(totp_secret=old))
    assert cli.main(["user", "totp", "--data", str(data), "agent"]) == 0
    secret = parse_qs(urlparse(capsys.readouterr().out.strip()).query)["secret"][0]
    dump = _users_dump(ctx.engine)
    assert secret not in dump and old not in dump
    # The server started on that data directory checks the code with the same key.
    with TestClient(create_app(replace(ctx, data_dir=data))) as client:
        assert _login(client, clock, "agent", secret) == 200
        assert _login(client, clock, "patrol", old) == 200
    path = key_path(data)
    path.chmod(0o644)
    assert cli.main(["user", "totp", "--data", str(data), "agent"]) == 1
    assert f"chmod 600 {path}" in capsys.readouterr().err
    with pytest.raises(TotpKeyError, match="may be read or written by other users"):
        create_app(replace(ctx, data_dir=data, journal=None, live=None, totp_key=None))


def test_key_from_the_environment_takes_precedence(
    ctx: AppContext, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BEFFROI_TOTP_KEY (base64) is used instead of a key file, and none is written."""
    _police(ctx.engine, "agent")
    raw = secrets.token_bytes(32)
    monkeypatch.setenv(KEY_ENV, base64.b64encode(raw).decode())
    with TestClient(create_app(ctx)) as client:
        secret = _enrol(client, clock)
        assert _login(client, clock, "agent", secret) == 200
    assert not key_path(ctx.data_dir).exists()
    uid_stored = _stored(ctx.engine, "agent")[0]
    with ctx.engine.connect() as conn:
        uid = conn.execute(select(users.c.id).where(users.c.username == "agent")).scalar_one()
    assert TotpKey(raw).open(uid, uid_stored or "") == secret
    monkeypatch.setenv(KEY_ENV, "not base64 of 32 bytes")
    with pytest.raises(TotpKeyError, match=KEY_ENV):
        create_app(replace(ctx, journal=None, live=None, totp_key=None))
    monkeypatch.delenv(KEY_ENV)  # the file's key (created now) is another key
    with TestClient(create_app(replace(ctx, journal=None, live=None, totp_key=None))) as client:
        assert _login(client, clock, "agent", secret) == 503
    assert os.path.exists(key_path(ctx.data_dir))
