"""Nobody locks the centre out from outside (issue 12), through the real app: wrong
passwords slow down one (account, source) pair with capped delays and never lock; the
right password and code sign in from elsewhere meanwhile; wrong codes after the right
password lock strictly; behind a trusted reverse proxy each client is counted on its
own address, and X-Forwarded-For from anyone else is ignored."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select

from beffroi.access import login as login_flow
from beffroi.access.tables import sessions
from beffroi.access.totp import code_at
from beffroi.clock import FakeClock
from beffroi.journal.tables import journal_entries
from beffroi.server import Options, api_config
from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from beffroi.web.proxies import TrustedProxies, parse_network
from tests.web.conftest import PW, token_for
from tests.web.serving import running
from tests.web.test_auth import police_with_totp

LOGIN = "/api/auth/login"
ATTACKER = ("203.0.113.66", 41000)
AGENT_DESK = ("10.20.0.5", 52000)


def test_wrong_passwords_from_one_address_never_lock_the_centre_out(
    ctx: AppContext, clock: FakeClock
) -> None:
    app = create_app(ctx)
    secret = police_with_totp(ctx, "agent")
    with TestClient(app, client=ATTACKER) as attacker:
        desk = TestClient(app, client=AGENT_DESK)
        waits: list[int] = []
        for user in ("admin", "agent"):
            for i in range(22):
                guess = {"username": user, "password": f"Guess-{i}-xyz!"}
                r = attacker.post(LOGIN, json=guess)
                if r.status_code == 429:
                    assert r.json() == {"detail": "too_many_attempts"}
                    waits.append(int(r.headers["retry-after"]))
                    clock.advance(waits[-1])
                    r = attacker.post(LOGIN, json=guess)
                assert r.status_code == 401
                assert r.json() == {"detail": "invalid username or password"}
            # The attacker's pair waits, even with the right password (nothing is checked).
            held = attacker.post(LOGIN, json={"username": user, "password": PW})
            assert held.status_code == 429 and held.headers["retry-after"] == str(15 * 60)
            # Meanwhile the agents' desks sign in: admin with its password, the
            # operator with password and code.
            clock.advance(30)
            right = {"username": user, "password": PW, "totp": code_at(secret, clock.now())}
            assert desk.post(LOGIN, json=right).status_code == 200
        assert 0 < max(waits) <= 15 * 60 and waits[-1] == 15 * 60  # capped
        # Once its wait is over the attacker's address may try again: nothing was locked.
        clock.advance(15 * 60)
        assert attacker.post(LOGIN, json={"username": "admin", "password": PW}).status_code == 200
    listed = {
        u["username"]: u for u in desk.get("/api/users", headers=token_for(ctx, "admin")).json()
    }
    assert listed["admin"]["locked"] is False and listed["agent"]["locked"] is False


def test_wrong_codes_lock_and_the_lock_is_told_after_the_password_only(
    ctx: AppContext, clock: FakeClock
) -> None:
    app = create_app(ctx)
    secret = police_with_totp(ctx, "agent")
    with TestClient(app, client=ATTACKER) as thief:  # knows the password, not the phone
        for _ in range(login_flow.FAILURES):
            stale = code_at(secret, clock.now().replace(year=2020))
            r = thief.post(LOGIN, json={"username": "agent", "password": PW, "totp": stale})
            assert r.status_code == 401 and r.json() == {"detail": "totp_invalid"}
        desk = TestClient(app, client=AGENT_DESK)
        clock.advance(30)
        both = {"username": "agent", "password": PW, "totp": code_at(secret, clock.now())}
        r = desk.post(LOGIN, json=both)
        assert r.status_code == 403 and r.json() == {"detail": "locked"}
        assert 0 < int(r.headers["retry-after"]) <= 15 * 60
        wrong = desk.post(LOGIN, json={"username": "agent", "password": "Not-The-Pass-1"})
        assert wrong.status_code == 401
        assert wrong.json() == {"detail": "invalid username or password"}
        assert "retry-after" not in wrong.headers
        # A supervisor's unlock (or the lock's end) lets the agent in.
        assert desk.post(
            "/api/users/agent/unlock", headers=token_for(ctx, "admin")
        ).status_code == (204)
        clock.advance(30)
        both["totp"] = code_at(secret, clock.now())
        assert desk.post(LOGIN, json=both).status_code == 200


# --- behind a reverse proxy: a real server, configured as `beffroi run` serves -----------


@contextmanager
def served(ctx: AppContext, data_dir: Path, trusted: tuple[str, ...]) -> Iterator[str]:
    def config(port: int) -> uvicorn.Config:
        opts = Options(
            site=data_dir / "site.yaml",
            data_dir=data_dir,
            host="127.0.0.1",
            port=port,
            trusted_proxies=tuple(parse_network(t) for t in trusted),
        )
        return api_config(create_app(ctx), opts)

    with running(config) as url:
        yield url


def _hammer(base: str, forwarded_for: str) -> None:
    """Wrong admin passwords from `forwarded_for` until its pair waits."""
    for i in range(login_flow.PAIR_FREE_FAILURES):
        r = httpx.post(
            f"{base}{LOGIN}",
            json={"username": "admin", "password": f"Guess-{i}-xyz!"},
            headers={"X-Forwarded-For": forwarded_for},
        )
        assert r.status_code == 401
    r = httpx.post(
        f"{base}{LOGIN}",
        json={"username": "admin", "password": PW},
        headers={"X-Forwarded-For": forwarded_for},
    )
    assert r.status_code == 429


def test_behind_a_trusted_proxy_each_client_counts_on_its_own(
    ctx: AppContext, data_dir: Path
) -> None:
    with served(ctx, data_dir, trusted=("127.0.0.1", "10.0.0.0/8")) as base:
        # The proxy (here: loopback) appends the address it received the request from.
        _hammer(base, "203.0.113.66")
        # What the attacker writes itself, left of what the proxy appended, proves nothing.
        forged = {"X-Forwarded-For": "198.51.100.7, 203.0.113.66"}
        body = {"username": "admin", "password": PW}
        assert httpx.post(f"{base}{LOGIN}", json=body, headers=forged).status_code == 429
        # Another agent behind the same proxy (through an inner proxy of 10/8) signs in,
        # over TLS at the proxy: its cookie is Secure.
        other = {"X-Forwarded-For": "198.51.100.7, 10.1.2.3", "X-Forwarded-Proto": "https"}
        r = httpx.post(f"{base}{LOGIN}", json={**body, "cookie": True}, headers=other)
        assert r.status_code == 200, r.text
        assert "Secure" in r.headers["set-cookie"]
    with ctx.engine.connect() as conn:
        assert conn.execute(select(sessions.c.source)).scalars().all() == ["198.51.100.7"]


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(ctx: AppContext, data_dir: Path) -> None:
    """Loopback is not a proxy unless named (uvicorn would believe it by default)."""
    with served(ctx, data_dir, trusted=("10.0.0.0/8",)) as base:
        _hammer(base, "203.0.113.66")
        body = {"username": "admin", "password": PW, "cookie": True}
        claims = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
        r = httpx.post(f"{base}{LOGIN}", json=body, headers=claims)
        assert r.status_code == 429  # the same peer, whatever it claims
    with served(ctx, data_dir, trusted=()) as base:
        r = httpx.post(f"{base}{LOGIN}", json=body, headers=claims)
        assert r.status_code == 429
    # The journal names the peer, never what it claimed.
    with ctx.engine.connect() as conn:
        sources = conn.execute(
            select(journal_entries.c.source).where(journal_entries.c.action.like("auth.%"))
        ).scalars()
        assert set(sources) == {"127.0.0.1"}


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        ("192.0.2.1", ["198.51.100.7"], "192.0.2.1"),  # peer not trusted
        ("10.0.0.1", [], "10.0.0.1"),  # no header
        ("10.0.0.1", ["198.51.100.7"], "198.51.100.7"),
        ("10.0.0.1", ["1.1.1.1, 198.51.100.7"], "198.51.100.7"),  # right-most untrusted
        ("10.0.0.1", ["1.1.1.1", "198.51.100.7, 10.0.0.2"], "198.51.100.7"),  # two lines
        ("10.0.0.1", ["10.0.0.3, 10.0.0.2"], "10.0.0.3"),  # trusted all along
        ("10.0.0.1", ["198.51.100.7, garbage"], "10.0.0.1"),  # not an address
        ("10.0.0.1", ["198.51.100.7:5555"], "198.51.100.7"),
        ("10.0.0.1", ["[2001:db8::7]:443"], "2001:db8::7"),
        ("::ffff:10.0.0.1", ["2001:db8::7"], "2001:db8::7"),
        ("fd00::1", ["2001:db8::7"], "2001:db8::7"),
    ],
)
def test_the_client_behind_trusted_proxies(peer: str, header: list[str], client: str) -> None:
    trusted = TrustedProxies([parse_network("10.0.0.0/8"), parse_network("fd00::/8")])
    assert trusted.client(peer, header) == client


def test_beffroi_run_takes_trusted_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    import beffroi.server
    from beffroi.cli import main

    seen: list[Options] = []

    def serve(opts: Options) -> int:
        seen.append(opts)
        return 0

    monkeypatch.setattr(beffroi.server, "serve", serve)
    args = ["run", "--site", "s.yaml", "--data", "d", "--trusted-proxy", "127.0.0.1"]
    assert main([*args, "--trusted-proxy", "10.10.0.0/24"]) == 0
    assert seen[0].trusted_proxies == (parse_network("127.0.0.1"), parse_network("10.10.0.0/24"))
    with pytest.raises(SystemExit):
        main([*args, "--trusted-proxy", "proxy.example"])
