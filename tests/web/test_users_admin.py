"""User administration over HTTP: list, create (the password policy and the approval rule
of `beffroi user add`), change, disable; supervisors see only their communes' locked
accounts; every change is journaled."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from beffroi.access.tables import user_cameras, users
from beffroi.access.users import create_user
from beffroi.clock import FakeClock, utc_ms
from beffroi.journal.tables import journal_entries
from beffroi.web.context import AppContext
from tests.web.conftest import PW, login, token_for

NEW_PW = "Vigie-Centre-Ville-2026!"
LATER = "2027-06-30"


def _journal(ctx: AppContext, action: str) -> list[tuple[str | None, dict]]:
    t = journal_entries
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            select(t.c.username, t.c.detail).where(t.c.action == action).order_by(t.c.seq)
        ).all()
    return [(r.username, json.loads(r.detail) if r.detail else {}) for r in rows]


def _operator(**extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "username": "agent.durand",
        "role": "operator",
        "communes": ["joue-les-tours"],
        "full_name": "Claire Durand",
        "is_police": False,
        "approval_ref": "PREF-37-2026-118",
        "approval_expires": LATER,
        "training_date": "2026-09-14",
    }
    body.update(extra)
    return body


def test_admin_creates_a_user_who_is_listed_and_can_sign_in(
    client: TestClient, ctx: AppContext, admin: dict[str, str]
) -> None:
    r = client.post("/api/users", json=_operator(), headers=admin)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["username"] == "agent.durand" and made["role"] == "operator"
    assert made["communes"] == ["joue-les-tours"] and made["approval_ref"] == "PREF-37-2026-118"
    assert made["totp"] is False and made["locked"] is False and made["last_login"] is None
    # No password: an invitation that a second person approves (a video role).
    assert made["password_set"] is False and made["code"] is None
    assert made["invitation"]["purpose"] == "invitation" and made["invitation"]["two_person"]
    listed = {u["username"]: u for u in client.get("/api/users", headers=admin).json()}
    assert set(listed) == {"admin", "agent", "patrol", "agent.durand"}
    assert listed["agent.durand"]["approval_expires"] == LATER
    assert listed["agent.durand"]["training_date"] == "2026-09-14"
    assert listed["agent.durand"]["password_set"] is False
    assert _journal(ctx, "user.add") == [
        ("admin", {"outcome": "ok", "detail": "agent.durand (operator), invited"})
    ]
    login(client, "admin")
    me = next(u for u in client.get("/api/users", headers=admin).json() if u["username"] == "admin")
    assert me["last_login"] is not None  # from the journal's auth.login


def test_refusals_say_why(client: TestClient, ctx: AppContext, admin: dict[str, str]) -> None:
    # Nobody sets another user's password: the field is refused, not ignored.
    chosen = client.post("/api/users", json=_operator(password=NEW_PW), headers=admin)
    assert chosen.status_code == 422 and "password" in chosen.text
    unapproved = client.post("/api/users", json=_operator(approval_ref=None), headers=admin)
    assert unapproved.status_code == 422 and "prefectoral approval" in unapproved.json()["detail"]
    # Municipal police need none; an auditor neither.
    police = _operator(username="agent.police", approval_ref=None, approval_expires=None)
    assert (
        client.post("/api/users", json=police | {"is_police": True}, headers=admin).status_code
        == 201
    )
    auditor = {"username": "dpo", "role": "auditor", "communes": []}
    made = client.post("/api/users", json=auditor, headers=admin)
    # No images, no administration: one person suffices, the code comes back at once.
    assert made.status_code == 201 and made.json()["code"]["code"]
    for body, code in (
        (_operator(username="agent.police"), 409),  # taken
        (_operator(communes=["nowhere"]), 422),
        (_operator(role="machine"), 422),  # tokens only
        (_operator(cameras=["jlt-001"]), 422),  # only patrol agents have designated cameras
        (_operator(username="two words"), 422),
    ):
        r = client.post("/api/users", json=body, headers=admin)
        assert r.status_code == code, (body, r.text)
    assert [u for u, _ in _journal(ctx, "user.add")] == ["admin", "admin"]


def test_only_the_administrator_manages_users(
    client: TestClient, ctx: AppContext, agent: dict[str, str]
) -> None:
    assert client.get("/api/users", headers=agent).status_code == 403
    assert client.post("/api/users", json=_operator(), headers=agent).status_code == 403
    r = client.patch("/api/users/patrol", json={"disabled": True}, headers=agent)
    assert r.status_code == 403
    create_user(ctx.engine, "chef", PW + "X1!", "supervisor", ["joue-les-tours"], ctx.clock,
                is_police=True)  # fmt: skip
    chef = token_for(ctx, "chef")
    assert client.get("/api/users", headers=chef).status_code == 403
    assert client.patch("/api/users/agent", json={}, headers=chef).status_code == 403


def test_patch_changes_the_record_and_journals_it(
    client: TestClient, ctx: AppContext, admin: dict[str, str]
) -> None:
    assert client.post("/api/users", json=_operator(), headers=admin).status_code == 201
    r = client.patch(
        "/api/users/agent.durand",
        json={
            "communes": ["chambray", "joue-les-tours"],
            "approval_expires": "2028-01-31",
            "account_expires": "2028-12-31",
            "full_name": None,
        },
        headers=admin,
    )
    assert r.status_code == 200, r.text
    u = r.json()
    assert u["communes"] == ["chambray", "joue-les-tours"]
    assert u["approval_expires"] == "2028-01-31" and u["account_expires"] == "2028-12-31"
    assert u["full_name"] is None and u["approval_ref"] == "PREF-37-2026-118"  # untouched
    [(actor, entry)] = _journal(ctx, "user.update")
    assert actor == "admin"
    assert entry["detail"].startswith("agent.durand: ")
    assert "communes joue-les-tours -> chambray,joue-les-tours" in entry["detail"]
    assert "approval_expires 2027-06-30 -> 2028-01-31" in entry["detail"]
    # Nothing changed: nothing journaled.
    same = client.patch(
        "/api/users/agent.durand", json={"communes": ["joue-les-tours", "chambray"]}, headers=admin
    )
    assert same.status_code == 200 and len(_journal(ctx, "user.update")) == 1
    for body in (
        {"approval_ref": None},  # an operator who is not police needs one
        {"role": None},
        {"disabled": None},
        {"communes": ["nowhere"]},
        {"cameras": ["jlt-001"]},  # not a patrol agent
        {"role": "machine"},
        {"password_hash": "x"},  # not a field
    ):
        r = client.patch("/api/users/agent.durand", json=body, headers=admin)
        assert r.status_code == 422, (body, r.text)
    assert client.patch("/api/users/nobody", json={}, headers=admin).status_code == 404


def test_patrol_designations_follow_the_role(
    client: TestClient, ctx: AppContext, admin: dict[str, str]
) -> None:
    r = client.patch(
        "/api/users/patrol",
        json={"cameras": ["jlt-001", "jlt-002"], "is_police": True},
        headers=admin,
    )
    assert r.status_code == 200, r.text
    assert r.json()["cameras"] == ["jlt-001", "jlt-002"]
    patrol = token_for(ctx, "patrol")
    seen = {c["id"] for c in client.get("/api/cameras", headers=patrol).json()}
    assert seen == {"jlt-001", "jlt-002"}  # from its next request on
    bad = client.patch("/api/users/patrol", json={"cameras": ["nope-404"]}, headers=admin)
    assert bad.status_code == 422
    r = client.patch("/api/users/patrol", json={"role": "operator"}, headers=admin)
    assert r.status_code == 200 and r.json()["cameras"] == []
    with ctx.engine.connect() as conn:
        assert conn.execute(select(user_cameras)).all() == []


def test_disable_and_role_change_end_sessions(
    client: TestClient, ctx: AppContext, admin: dict[str, str]
) -> None:
    agent = token_for(ctx, "agent")
    assert client.get("/api/cameras", headers=agent).status_code == 200
    r = client.patch("/api/users/agent", json={"disabled": True}, headers=admin)
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert client.get("/api/cameras", headers=agent).status_code == 401
    r = client.post("/api/auth/login", json={"username": "agent", "password": PW})
    assert r.status_code == 403 and r.json()["detail"] == "disabled"
    assert _journal(ctx, "user.disable")[-1] == (
        "admin",
        {"outcome": "ok", "detail": "disabled agent"},
    )
    r = client.patch("/api/users/agent", json={"disabled": False}, headers=admin)
    assert r.json()["disabled"] is False
    assert _journal(ctx, "user.disable")[-1][1]["detail"] == "enabled agent"
    assert _journal(ctx, "user.update") == []  # (en|dis)abling is journaled as such
    # A role change ends the sessions too: a session opened without a second factor
    # (an auditor's) must not carry a video role's rights.
    auditor = client.post(
        "/api/users",
        json={"username": "dpo", "role": "auditor", "communes": ["joue-les-tours"]},
        headers=admin,
    )
    assert auditor.status_code == 201
    code = auditor.json()["code"]["code"]
    r = client.post("/api/auth/access-code/redeem", json={"code": code, "password": NEW_PW})
    assert r.status_code == 200, r.text
    dpo = login(client, "dpo", NEW_PW)
    assert client.get("/api/journal", headers=dpo).status_code == 200
    r = client.patch(
        "/api/users/dpo", json={"role": "supervisor", "is_police": True}, headers=admin
    )
    assert r.status_code == 200 and r.json()["role"] == "supervisor"
    assert client.get("/api/cameras", headers=dpo).status_code == 401
    r = client.post("/api/auth/login", json={"username": "dpo", "password": NEW_PW})
    assert r.json()["enroll_required"] is True  # now a video role: TOTP first


def test_the_administrator_cannot_lock_itself_out(
    client: TestClient, admin: dict[str, str]
) -> None:
    for body in ({"disabled": True}, {"role": "auditor"}):
        r = client.patch("/api/users/admin", json=body, headers=admin)
        assert r.status_code == 409, body
    assert client.get("/api/users", headers=admin).status_code == 200
    # Its own record (name, service) it may change.
    r = client.patch("/api/users/admin", json={"service": "DSI"}, headers=admin)
    assert r.status_code == 200 and r.json()["service"] == "DSI"


def test_supervisors_see_their_communes_locked_accounts(
    client: TestClient, ctx: AppContext, clock: FakeClock
) -> None:
    create_user(ctx.engine, "chef", PW + "X1!", "supervisor", ["joue-les-tours"], clock,
                is_police=True)  # fmt: skip
    create_user(ctx.engine, "voisin", PW + "X1!", "operator", ["chambray"], clock,
                is_police=True)  # fmt: skip
    until = utc_ms(clock.now() + timedelta(minutes=15))
    with ctx.engine.begin() as conn:
        conn.execute(
            update(users)
            .where(users.c.username.in_(["agent", "voisin"]))
            .values(locked_until_ms=until, lockout_level=1)
        )
    chef = token_for(ctx, "chef")
    locked = client.get("/api/users/locked", headers=chef).json()
    assert [u["username"] for u in locked] == ["agent"]  # not Chambray's agent
    assert locked[0]["locked_until"] is not None
    admin = token_for(ctx, "admin")
    assert [u["username"] for u in client.get("/api/users/locked", headers=admin).json()] == [
        "agent",
        "voisin",
    ]
    listed = {u["username"]: u for u in client.get("/api/users", headers=admin).json()}
    assert listed["voisin"]["locked"] is True and listed["chef"]["locked"] is False
    assert client.post("/api/users/voisin/unlock", headers=chef).status_code == 404
    assert client.post("/api/users/agent/unlock", headers=chef).status_code == 204
    assert client.get("/api/users/locked", headers=chef).json() == []
    agent = token_for(ctx, "agent")
    assert client.get("/api/users/locked", headers=agent).status_code == 403
