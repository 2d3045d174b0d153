"""`beffroi user …` as an administrator runs it: real processes on a data directory,
while another process holds the database open (as `beffroi run` does)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from sqlalchemy import Engine, select

from beffroi.access import invitations, login
from beffroi.access.enrolment import set_totp
from beffroi.access.secrets_box import TotpKey
from beffroi.access.tables import users
from beffroi.access.totp import code_at
from beffroi.clock import FakeClock, SystemClock
from tests.access.helpers import PW, seed_communes


def user_cmd(
    data: Path, db_url: str, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("BEFFROI_DATABASE_URL", None)
    if db_url.startswith("postgresql"):
        env["BEFFROI_DATABASE_URL"] = db_url
    return subprocess.run(
        [sys.executable, "-m", "beffroi.access.cli", "user", *args, "--data", str(data)],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_user_commands_while_the_database_is_in_use(
    engine: Engine, db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    # The `engine` fixture's database is the data directory's (SQLite file or PostgreSQL).
    data = (
        Path(db_url.removeprefix("sqlite:///")).parent if db_url.startswith("sqlite") else tmp_path
    )
    seed_communes(engine)
    with engine.connect() as held:  # a reader in the middle of a transaction
        held.execute(select(users)).all()
        r = user_cmd(
            data, db_url, "add", "agent.martin", "--role", "operator",
            "--commune", "joue-les-tours", "--commune", "chambray",
            "--approval", "37-2026-118", "--approval-expires", "2027-05-31",
            "--training", "2026-09-14", "--password-stdin", stdin=PW + "\n",
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        r = user_cmd(data, db_url, "totp", "agent.martin")
        assert r.returncode == 0, r.stderr
        uri = r.stdout.strip()
    assert uri.startswith("otpauth://totp/Beffroi%3Aagent.martin?")
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    result = login.attempt_login(
        engine, clock, "agent.martin", PW, code_at(secret, clock.now()), "127.0.0.1",
        totp_key=TotpKey.load(data),
    )  # fmt: skip
    assert result.outcome == login.OK
    listed = json.loads(user_cmd(data, db_url, "list", "--json").stdout)
    [agent] = listed
    assert agent["communes"] == ["chambray", "joue-les-tours"]
    assert agent["approval_expires"] == "2027-05-31" and agent["totp"] is True
    assert agent["is_police"] is False and agent["training_date"] == "2026-09-14"


def test_user_add_refusals_and_disable_unlock(engine: Engine, db_url: str, tmp_path: Path) -> None:
    # The command runs on the system clock: the lockout must be current for it too.
    clock = FakeClock(SystemClock().now())
    data = (
        Path(db_url.removeprefix("sqlite:///")).parent if db_url.startswith("sqlite") else tmp_path
    )
    seed_communes(engine)
    base = ("add", "agent", "--role", "operator", "--commune", "joue-les-tours")
    weak = user_cmd(data, db_url, *base, "--police", "--password-stdin", stdin="azerty123456\n")
    assert weak.returncode == 1 and "password refused" in weak.stderr
    no_approval = user_cmd(data, db_url, *base, "--password-stdin", stdin=PW + "\n")
    assert no_approval.returncode == 1 and "prefectoral approval" in no_approval.stderr
    ok = user_cmd(data, db_url, *base, "--police", "--password-stdin", stdin=PW + "\n")
    assert ok.returncode == 0, ok.stderr
    again = user_cmd(data, db_url, *base, "--police", "--password-stdin", stdin=PW + "\n")
    assert again.returncode == 1 and "already exists" in again.stderr
    # Wrong passwords only slow their source down: wrong codes after the right one lock.
    key = TotpKey.load(data)
    secret = set_totp(engine, "agent", totp_key=key).secret
    near = {code_at(secret, clock.now() + timedelta(seconds=d)) for d in (-30, 0, 30)}
    wrong = next(c for c in ("111111", "222222", "333333", "444444") if c not in near)
    for _ in range(login.FAILURES):
        login.attempt_login(engine, clock, "agent", PW, wrong, "10.0.0.2", totp_key=key)
    assert "locked" in user_cmd(data, db_url, "list").stdout
    assert user_cmd(data, db_url, "unlock", "agent").returncode == 0
    r = login.attempt_login(engine, clock, "agent", PW, None, "10.0.0.3", totp_key=key)
    assert r.outcome == login.TOTP_REQUIRED
    assert user_cmd(data, db_url, "disable", "agent").returncode == 0
    r = login.attempt_login(engine, clock, "agent", PW, None, "10.0.0.3", totp_key=key)
    assert r.outcome == login.REFUSED and r.reason == "disabled"
    assert user_cmd(data, db_url, "disable", "ghost").returncode == 1


def test_user_add_invites_and_reset_prints_a_code(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """Whoever holds the server invites without knowing the agent's password: the code
    printed once lets the agent choose it; `reset` does the same for a lost phone."""
    clock = FakeClock(SystemClock().now())  # the command's codes run on the system clock
    data = (
        Path(db_url.removeprefix("sqlite:///")).parent if db_url.startswith("sqlite") else tmp_path
    )
    seed_communes(engine)
    r = user_cmd(data, db_url, "add", "agent", "--role", "operator", "--police",
                 "--commune", "joue-les-tours")  # fmt: skip
    assert r.returncode == 0, r.stderr
    code = r.stdout.strip().splitlines()[2]
    assert login.attempt_login(
        engine, clock, "agent", "", None, "10.0.0.3", totp_key=TotpKey.load(data)
    ).outcome == login.FAILED  # fmt: skip
    assert invitations.redeem(engine, clock, code, PW, None) == "agent"
    key = TotpKey.load(data)
    secret = set_totp(engine, "agent", totp_key=key).secret
    ok = login.attempt_login(engine, clock, "agent", PW, code_at(secret, clock.now()), None,
                             totp_key=key)  # fmt: skip
    assert ok.outcome == login.OK
    r = user_cmd(data, db_url, "reset", "agent")
    assert r.returncode == 0 and "valid until" in r.stdout
    new = "Nouveau-Mot-2027!x"
    assert invitations.redeem(engine, clock, r.stdout.strip().splitlines()[1], new, None)
    assert login.attempt_login(engine, clock, "agent", new, None, None,
                               totp_key=key).outcome == login.ENROLL  # fmt: skip
    assert user_cmd(data, db_url, "reset", "nobody").returncode == 1
