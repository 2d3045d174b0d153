"""Nobody knows another user's password: invitations, two-person access resets and a
user's own password change, through the real application."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from beffroi.access import login as login_flow
from beffroi.access.tables import user_communes, users
from beffroi.access.totp import code_at
from beffroi.clock import FakeClock
from beffroi.journal.tables import journal_entries
from beffroi.web.context import AppContext
from tests.web.conftest import PW, _pw_hash, token_for
from tests.web.test_auth import login_totp, police_with_totp

NEW_PW = "Vigie-Centre-Ville-2026!"
OTHER_PW = "Beffroi-de-Nuit-2027?"
REDEEM = "/api/auth/access-code/redeem"


def _supervisor(ctx: AppContext, name: str, commune: str) -> dict[str, str]:
    with ctx.engine.begin() as conn:
        uid = conn.execute(
            insert(users)
            .values(username=name, password_hash=_pw_hash(), role="supervisor", disabled=False,
                    created_ms=0, is_police=True)
            .returning(users.c.id)
        ).scalar_one()  # fmt: skip
        conn.execute(insert(user_communes).values(user_id=uid, commune_id=commune))
    return token_for(ctx, name)


def _admin2(ctx: AppContext) -> dict[str, str]:
    with ctx.engine.begin() as conn:
        conn.execute(
            insert(users).values(
                username="admin2", password_hash=_pw_hash(), role="admin", disabled=False,
                created_ms=0,
            )
        )  # fmt: skip
    return token_for(ctx, "admin2")


def _journal(ctx: AppContext, prefix: str) -> list[tuple[str, str | None, str]]:
    t = journal_entries
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            select(t.c.action, t.c.username, t.c.detail)
            .where(t.c.action.like(prefix + "%"))
            .order_by(t.c.seq)
        ).all()
    return [(r.action, r.username, json.loads(r.detail).get("detail") or "") for r in rows]


def _operator(name: str = "agent.durand") -> dict[str, object]:
    return {"username": name, "role": "operator", "communes": ["joue-les-tours"], "is_police": True}


def test_an_invited_operator_chooses_its_password_and_the_administrator_never_can(
    client: TestClient, ctx: AppContext, clock: FakeClock, admin: dict[str, str]
) -> None:
    made = client.post("/api/users", json=_operator(), headers=admin).json()
    request_id = made["invitation"]["id"]
    assert made["code"] is None and made["password_set"] is False
    # Nothing the administrator can do gives it the code or a way in.
    refused = client.post(f"/api/access-requests/{request_id}/approve", headers=admin)
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "second_person"
    listed = client.get("/api/access-requests", headers=admin).json()
    assert [(r["username"], r["may_approve"]) for r in listed] == [("agent.durand", False)]
    r = client.post("/api/auth/login", json={"username": "agent.durand", "password": ""})
    assert r.status_code == 401
    # A supervisor of another commune may not vouch for this agent.
    other = _supervisor(ctx, "chef.chambray", "chambray")
    assert client.get("/api/access-requests", headers=other).json() == []
    r = client.post(f"/api/access-requests/{request_id}/approve", headers=other)
    assert r.status_code == 404
    # The supervisor of its commune approves and alone receives the code.
    chef = _supervisor(ctx, "chef", "joue-les-tours")
    assert client.get("/api/access-requests", headers=chef).json()[0]["may_approve"] is True
    issued = client.post(f"/api/access-requests/{request_id}/approve", headers=chef)
    assert issued.status_code == 200, issued.text
    code = issued.json()["code"]
    listed = client.get("/api/access-requests", headers=admin).json()
    assert listed[0]["approved_by"] == "chef" and code not in json.dumps(listed)
    # The agent: what the code is for, a refused password (the code stays good), then in.
    info = client.post("/api/auth/access-code", json={"code": code.lower().replace("-", " ")})
    assert info.status_code == 200 and info.json()["username"] == "agent.durand"
    weak = client.post(REDEEM, json={"code": code, "password": "azerty123456"})
    assert weak.status_code == 422 and weak.json()["detail"]["code"] in {"too_weak", "common"}
    r = client.post(REDEEM, json={"code": code, "password": NEW_PW})
    assert r.status_code == 200 and r.json()["enroll_required"] is True, r.text
    enroll = {"Authorization": f"Bearer {r.json()['enroll_token']}"}
    secret = client.post("/api/auth/totp/enroll", headers=enroll).json()["secret"]
    clock.advance(30)
    done = client.post(
        "/api/auth/totp/confirm", headers=enroll, json={"code": code_at(secret, clock.now())}
    )
    assert done.status_code == 200
    session = {"Authorization": f"Bearer {done.json()['token']}"}
    assert client.get("/api/cameras/jlt-001/snapshot?at=2026-11-01T07:59:00Z",
                      headers=session).status_code != 403  # fmt: skip
    # One use only; the list no longer shows it; the user has a password now.
    assert client.post(REDEEM, json={"code": code, "password": OTHER_PW}).status_code == 404
    assert client.get("/api/access-requests", headers=admin).json() == []
    me = next(u for u in client.get("/api/users", headers=admin).json()
              if u["username"] == "agent.durand")  # fmt: skip
    assert me["password_set"] is True and me["totp"] is True
    assert [(a, u) for a, u, _ in _journal(ctx, "access.")] == [
        ("access.request", "admin"),
        ("access.approve", "chef"),
        ("access.redeem", "agent.durand"),
    ]
    approve = _journal(ctx, "access.approve")[0][2]
    assert "asked by admin" in approve and "handed over by chef" in approve


def test_two_administrators_suffice_and_an_auditor_needs_one(
    client: TestClient, ctx: AppContext, admin: dict[str, str]
) -> None:
    made = client.post("/api/users", json=_operator(), headers=admin).json()
    second = _admin2(ctx)
    issued = client.post(f"/api/access-requests/{made['invitation']['id']}/approve", headers=second)
    assert issued.status_code == 200 and issued.json()["username"] == "agent.durand"
    # A new administrator too needs a second one (it could approve video accounts).
    made = client.post(
        "/api/users", json={"username": "dsi", "role": "admin", "communes": []}, headers=admin
    ).json()
    assert made["code"] is None and made["invitation"]["two_person"] is True
    dpo = client.post(
        "/api/users", json={"username": "dpo", "role": "auditor", "communes": []}, headers=admin
    ).json()
    assert dpo["invitation"]["two_person"] is False and dpo["code"]["username"] == "dpo"


def test_a_reset_takes_two_people_and_replaces_password_and_second_factor(
    client: TestClient, ctx: AppContext, clock: FakeClock, admin: dict[str, str]
) -> None:
    secret = police_with_totp(ctx, "agent")
    before = login_totp(client, clock, "agent", secret)
    chef = _supervisor(ctx, "chef", "joue-les-tours")
    # The single-person reset of earlier versions is gone.
    assert client.delete("/api/users/agent/totp", headers=admin).status_code in (404, 405)
    asked = client.post("/api/users/agent/access", headers=chef)
    assert asked.status_code == 201 and asked.json()["code"] is None
    request_id = asked.json()["request"]["id"]
    assert asked.json()["request"]["purpose"] == "reset"
    again = client.post("/api/users/agent/access", headers=admin)
    assert again.status_code == 409  # one open request per user
    # Another supervisor may not approve a supervisor's request: an administrator must.
    colleague = _supervisor(ctx, "chef2", "joue-les-tours")
    r = client.post(f"/api/access-requests/{request_id}/approve", headers=colleague)
    assert r.status_code == 403 and "administrator" in r.json()["detail"]["message"]
    # The agent itself may not ask (no right), nor may a supervisor reset an admin.
    assert client.post("/api/users/agent/access", headers=before).status_code == 403
    assert client.post("/api/users/admin/access", headers=chef).status_code == 404
    code = client.post(f"/api/access-requests/{request_id}/approve", headers=admin).json()["code"]
    # Until the code is used the agent's own password and phone still work.
    assert client.get("/api/cameras", headers=before).status_code == 200
    r = client.post(REDEEM, json={"code": code, "password": NEW_PW})
    assert r.status_code == 200 and r.json()["enroll_required"] is True
    assert client.get("/api/cameras", headers=before).status_code == 401  # sessions ended
    old = client.post("/api/auth/login", json={"username": "agent", "password": PW})
    assert old.status_code == 401
    approve = _journal(ctx, "access.approve")[0]
    assert approve[1] == "admin" and "asked by chef" in approve[2]


def test_a_request_can_be_cancelled_and_codes_lapse(
    client: TestClient, ctx: AppContext, clock: FakeClock, admin: dict[str, str]
) -> None:
    dpo = client.post(
        "/api/users", json={"username": "dpo", "role": "auditor", "communes": []}, headers=admin
    ).json()
    code = dpo["code"]["code"]
    clock.advance(73 * 3600)
    assert client.post("/api/auth/access-code", json={"code": code}).status_code == 404
    admin = token_for(ctx, "admin")
    fresh = client.post("/api/users/dpo/access", headers=admin)
    assert fresh.status_code == 201 and fresh.json()["request"]["purpose"] == "invitation"
    withdrawn = fresh.json()["code"]["code"]
    r = client.delete(f"/api/access-requests/{fresh.json()['request']['id']}", headers=admin)
    assert r.status_code == 204
    assert client.post(REDEEM, json={"code": withdrawn, "password": NEW_PW}).status_code == 404
    assert ("access.cancel", "admin", "invitation for dpo, asked by admin") in _journal(
        ctx, "access.cancel"
    )


def test_guessing_codes_is_throttled_per_source(client: TestClient) -> None:
    # Counted as failed logins are: a few free tries, then the source waits.
    answers = [
        client.post("/api/auth/access-code", json={"code": f"AAAA-{n:04d}"}).status_code
        for n in range(login_flow.PAIR_FREE_FAILURES + 2)
    ]
    free = login_flow.PAIR_FREE_FAILURES
    assert set(answers[:free]) == {404} and set(answers[free:]) == {429}


def test_users_change_their_own_password_with_the_old_one_and_a_code(
    client: TestClient, ctx: AppContext, clock: FakeClock
) -> None:
    secret = police_with_totp(ctx, "agent")
    here = login_totp(client, clock, "agent", secret)
    elsewhere = login_totp(client, clock, "agent", secret)
    url = "/api/auth/password"
    body = {"current_password": PW, "new_password": NEW_PW}
    wrong = client.post(url, json=body | {"current_password": "Not-The-Pass-1"}, headers=here)
    assert wrong.status_code == 403 and wrong.json()["detail"] == "wrong_password"
    assert client.post(url, json=body, headers=here).json()["detail"] == "totp_required"
    clock.advance(30)
    bad = client.post(url, json=body | {"totp": "000000"}, headers=here)
    assert bad.status_code == 401 and bad.json()["detail"] == "totp_invalid"
    clock.advance(30)
    weak = body | {"new_password": "azerty123456", "totp": code_at(secret, clock.now())}
    assert client.post(url, json=weak, headers=here).status_code == 422
    clock.advance(30)
    same = body | {"new_password": PW, "totp": code_at(secret, clock.now())}
    assert client.post(url, json=same, headers=here).json()["detail"] == "same_password"
    clock.advance(30)
    ok = client.post(url, json=body | {"totp": code_at(secret, clock.now())}, headers=here)
    assert ok.status_code == 204, ok.text
    assert client.get("/api/cameras", headers=here).status_code == 200  # this one stays
    assert client.get("/api/cameras", headers=elsewhere).status_code == 401
    old = client.post("/api/auth/login", json={"username": "agent", "password": PW})
    assert old.status_code == 401
    clock.advance(30)
    new = {"username": "agent", "password": NEW_PW, "totp": code_at(secret, clock.now())}
    assert client.post("/api/auth/login", json=new).status_code == 200
    outcomes = [d for a, _, d in _journal(ctx, "auth.password_change")]
    assert outcomes[0] == "wrong current password" and outcomes[-1] == "1 other session(s) ended"
