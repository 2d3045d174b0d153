"""End-to-end flows over HTTP: TOTP enrolment and enforcement, cookie sessions with
CSRF, lockout and unlock, machine tokens with scopes and revocation."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from beffroi.access import login as login_flow
from beffroi.access.passwords import hash_password
from beffroi.access.tables import user_communes, users
from beffroi.access.totp import code_at
from beffroi.clock import FakeClock
from beffroi.web.context import AppContext
from beffroi.web.deps import COOKIE_NAME
from tests.web.conftest import PW, _pw_hash, token_for
from tests.web.test_auth import login_totp, police_with_totp

LOGIN = "/api/auth/login"


def test_video_user_enrols_totp_on_first_login(
    client: TestClient, ctx: AppContext, clock: FakeClock
) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == "agent").values(is_police=True))
    r = client.post(LOGIN, json={"username": "agent", "password": PW})
    assert r.status_code == 200
    body = r.json()
    assert body["enroll_required"] is True and body["token"] is None
    enroll = {"Authorization": f"Bearer {body['enroll_token']}"}
    assert client.get("/api/cameras", headers=enroll).status_code == 401  # enrolment only
    r = client.post("/api/auth/totp/enroll", headers=enroll)
    assert r.status_code == 200
    e = r.json()
    assert e["otpauth_uri"].startswith("otpauth://totp/Beffroi%3Aagent?secret=" + e["secret"])
    assert e["qr_svg"].startswith("<svg")
    bad = client.post("/api/auth/totp/confirm", headers=enroll, json={"code": "000000"})
    assert bad.status_code == 400
    good = client.post(
        "/api/auth/totp/confirm",
        headers=enroll,
        json={"code": code_at(e["secret"], clock.now())},
    )
    assert good.status_code == 200, good.text
    session = {"Authorization": f"Bearer {good.json()['token']}"}
    assert client.get("/api/cameras", headers=session).status_code == 200
    # The enrolment token died with the confirmation; TOTP is now mandatory.
    assert client.post("/api/auth/totp/enroll", headers=enroll).status_code == 401
    r = client.post(LOGIN, json={"username": "agent", "password": PW})
    assert r.status_code == 401 and r.json() == {"detail": "totp_required"}
    wrong = client.post(LOGIN, json={"username": "agent", "password": PW, "totp": "123456"})
    # The password was right: the answer says the code was wrong, not the password.
    assert wrong.status_code == 401 and wrong.json() == {"detail": "totp_invalid"}
    wrong = client.post(LOGIN, json={"username": "agent", "password": "x" * 12, "totp": "123456"})
    assert wrong.json() == {"detail": "invalid username or password"}
    login_totp(client, clock, "agent", e["secret"])


def test_reasons_over_http_only_after_the_right_password(
    client: TestClient, ctx: AppContext, clock: FakeClock
) -> None:
    # The seeded operator is not police and has no approval on record.
    r = client.post(LOGIN, json={"username": "agent", "password": PW})
    assert r.status_code == 403 and r.json() == {"detail": "approval_missing"}
    with ctx.engine.begin() as conn:
        conn.execute(
            update(users)
            .where(users.c.username == "agent")
            .values(approval_ref="37-2025-12", approval_expires=date(2026, 10, 31))
        )
    r = client.post(LOGIN, json={"username": "agent", "password": PW})
    assert r.status_code == 403 and r.json() == {"detail": "approval_expired"}
    r = client.post(LOGIN, json={"username": "agent", "password": "Not-The-Pass-1"})
    assert r.status_code == 401 and r.json() == {"detail": "invalid username or password"}


def test_lockout_over_http_and_supervisor_unlock_within_its_communes(
    client: TestClient, ctx: AppContext, clock: FakeClock
) -> None:
    with ctx.engine.begin() as conn:
        sup = conn.execute(
            insert(users)
            .values(username="chef", password_hash=hash_password(PW), role="supervisor",
                    disabled=False, created_ms=0, is_police=True)
            .returning(users.c.id)
        ).scalar_one()  # fmt: skip
        conn.execute(insert(user_communes).values(user_id=sup, commune_id="joue-les-tours"))
    sup_h = login_totp(client, clock, "chef", police_with_totp(ctx, "chef"))
    # Second-factor failures lock (wrong passwords only slow their source down).
    secret = police_with_totp(ctx, "admin")
    for _ in range(login_flow.FAILURES):
        code = code_at(secret, clock.now() + timedelta(minutes=10))  # not valid now
        bad = client.post(LOGIN, json={"username": "admin", "password": PW, "totp": code})
        assert bad.status_code == 401 and bad.json() == {"detail": "totp_invalid"}
    clock.advance(30)
    right = {"username": "admin", "password": PW, "totp": code_at(secret, clock.now())}
    r = client.post(LOGIN, json=right)
    assert r.status_code == 403 and r.json() == {"detail": "locked"}
    assert r.headers["retry-after"] == str(15 * 60 - 30)
    # A supervisor of Joué unlocks Joué's agents, not the administrator (no commune).
    assert client.post("/api/users/admin/unlock", headers=sup_h).status_code == 404
    assert client.post("/api/users/patrol/unlock", headers=sup_h).status_code == 204
    clock.advance(login_flow.BASE_LOCK)
    login_totp(client, clock, "admin", secret)


def test_cookie_session_needs_csrf_on_changes(
    client: TestClient, ctx: AppContext, clock: FakeClock
) -> None:
    r = client.post(LOGIN, json={"username": "admin", "password": PW, "cookie": True})
    assert r.status_code == 200
    body = r.json()
    assert body["token"] is None and body["csrf_token"]
    set_cookie = r.headers["set-cookie"]
    assert f"{COOKIE_NAME}=" in set_cookie and "HttpOnly" in set_cookie
    assert "SameSite=strict" in set_cookie or "SameSite=Strict" in set_cookie
    assert "Secure" not in set_cookie  # plain HTTP here; HTTPS adds it
    assert client.get("/api/cameras").status_code == 200  # GET: no CSRF needed
    info = client.get("/api/auth/session").json()
    assert info["auth"] == "cookie" and info["csrf_token"] == body["csrf_token"]
    tok = {"name": "x", "permissions": ["metrics.read"]}
    assert client.post("/api/tokens", json=tok).status_code == 403  # missing
    wrong = {"X-CSRF-Token": "forged"}
    assert client.post("/api/tokens", json=tok, headers=wrong).status_code == 403
    assert client.post("/api/auth/logout").status_code == 403
    good = {"X-CSRF-Token": body["csrf_token"]}
    assert client.post("/api/tokens", json=tok, headers=good).status_code == 201
    # The cookie's token is no bearer token.
    token = client.cookies.get(COOKIE_NAME)
    assert token
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/cameras", headers=bearer).status_code == 401
    assert client.post("/api/auth/logout", headers=good).status_code == 204
    client.cookies.set(COOKIE_NAME, token)  # replay of the logged-out cookie
    assert client.get("/api/cameras").status_code == 401


def test_cookie_is_secure_over_https(ctx: AppContext) -> None:
    from beffroi.web.app import create_app

    with TestClient(create_app(ctx), base_url="https://testserver") as c:
        r = c.post(LOGIN, json={"username": "admin", "password": PW, "cookie": True})
        assert r.status_code == 200 and "Secure" in r.headers["set-cookie"]


def test_machine_tokens_scoped_expiring_revocable(
    client: TestClient, ctx: AppContext, clock: FakeClock, admin: dict[str, str]
) -> None:
    def create(**body: object) -> tuple[int, dict[str, object]]:
        r = client.post("/api/tokens", headers=admin, json=body)
        return r.status_code, r.json()

    assert create(name="x", permissions=["recording.read"])[0] == 422  # no video
    assert create(name="x", permissions=["user.admin"])[0] == 422
    assert create(name="x", permissions=["bogus"])[0] == 422
    assert create(name="x", permissions=["camera.list"], communes=["atlantis"])[0] == 422
    far = (clock.now() + timedelta(days=400)).isoformat()
    assert create(name="x", permissions=["camera.list"], expires_at=far)[0] == 422
    status, body = create(name="traffic", permissions=["camera.list"], communes=["chambray"])
    assert status == 201 and str(body["token"]).startswith("bft_")
    machine = {"Authorization": f"Bearer {body['token']}"}
    cams = client.get("/api/cameras", headers=machine)
    assert cams.status_code == 200 and {c["id"] for c in cams.json()} == {"cha-001"}
    assert client.get("/api/cameras/jlt-001", headers=machine).status_code == 404
    assert client.get("/metrics", headers=machine).status_code == 403  # not in its scopes
    assert client.get("/api/tokens", headers=machine).status_code == 403
    listed = client.get("/api/tokens", headers=admin).json()
    assert [t["name"] for t in listed] == ["traffic"] and listed[0]["token"] is None
    assert listed[0]["last_used_at"] is not None
    with ctx.engine.connect() as conn:  # stored hashed
        assert body["token"] not in str(conn.execute(select(users)).all())
    assert client.delete(f"/api/tokens/{body['id']}", headers=admin).status_code == 204
    assert client.get("/api/cameras", headers=machine).status_code == 401
    assert client.delete(f"/api/tokens/{body['id']}", headers=admin).status_code == 404
    status, short = create(
        name="m",
        permissions=["metrics.read"],
        expires_at=(clock.now() + timedelta(hours=1)).isoformat(),
    )
    m = {"Authorization": f"Bearer {short['token']}"}
    assert client.get("/metrics", headers=m).status_code == 200
    clock.advance(timedelta(hours=1))
    assert client.get("/metrics", headers=m).status_code == 401


def test_a_token_stops_with_its_creator(client: TestClient, ctx: AppContext, admin) -> None:
    """A token acts for the administrator who made it: disabled, their tokens stop
    answering (401) at once; enabled again, they work again."""
    with ctx.engine.begin() as conn:
        conn.execute(
            insert(users).values(
                username="admin2", password_hash=_pw_hash(), role="admin", disabled=False,
                created_ms=0,
            )
        )  # fmt: skip
    second = token_for(ctx, "admin2")
    r = client.post(
        "/api/tokens", headers=second, json={"name": "m", "permissions": ["metrics.read"]}
    )
    assert r.status_code == 201, r.text
    machine = {"Authorization": f"Bearer {r.json()['token']}"}
    assert client.get("/metrics", headers=machine).status_code == 200
    assert (
        client.patch("/api/users/admin2", json={"disabled": True}, headers=admin).status_code == 200
    )
    assert client.get("/metrics", headers=machine).status_code == 401
    assert (
        client.patch("/api/users/admin2", json={"disabled": False}, headers=admin).status_code
        == 200
    )
    assert client.get("/metrics", headers=machine).status_code == 200


def test_expiring_users_for_the_administrator(
    client: TestClient, ctx: AppContext, admin: dict[str, str]
) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(
            update(users)
            .where(users.c.username == "agent")
            .values(approval_ref="37-1", approval_expires=date(2026, 11, 15))
        )
    r = client.get("/api/users/expiring", headers=admin)
    assert r.status_code == 200
    assert r.json() == [
        {"username": "agent", "kind": "approval", "expires": "2026-11-15", "days_left": 14}
    ]
