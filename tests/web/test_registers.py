"""The destruction register and the journal's verification, for auditors (no video) and
within a supervisor's communes."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from beffroi.access.users import create_user
from beffroi.archive.tables import destructions
from beffroi.journal.tables import journal_entries
from beffroi.web.context import AppContext
from tests.web.conftest import PW, token_for

HOUR = 3_600_000
T0 = 1_793_520_000_000  # 2026-11-01T08:00:00Z


def _destroyed(ctx: AppContext) -> None:
    rows = [
        {"camera_id": cam, "start_ms": T0 - 16 * 24 * HOUR + i * HOUR,
         "end_ms": T0 - 16 * 24 * HOUR + (i + 1) * HOUR, "segments": 60, "bytes": 10**8,
         "reason": reason, "last_sha256": "ab" * 32, "destroyed_ms": T0 - (10 - i) * HOUR}
        for i, (cam, reason) in enumerate(
            [("jlt-001", "retention"), ("cha-001", "retention"), ("jlt-002", "disk_pressure"),
             ("gone-001", "retention"), ("jlt-001", "retention")]
        )
    ]  # fmt: skip
    with ctx.engine.begin() as conn:
        conn.execute(insert(destructions), rows)


def _users(ctx: AppContext) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    for name, role in (("dpo", "auditor"), ("chef", "supervisor")):
        create_user(ctx.engine, name, PW + "X1!", role, ["joue-les-tours"], ctx.clock,
                    is_police=True)  # fmt: skip
    return token_for(ctx, "dpo"), token_for(ctx, "chef"), token_for(ctx, "agent")


def test_destruction_register_scope_filters_and_pages(client: TestClient, ctx: AppContext) -> None:
    _destroyed(ctx)
    dpo, chef, agent = _users(ctx)
    every = client.get("/api/destructions", headers=dpo).json()
    # The auditor reads every commune's, and those of a camera no longer in the site.
    assert [e["camera"] for e in every["entries"]] == [
        "jlt-001", "gone-001", "jlt-002", "cha-001", "jlt-001",
    ]  # fmt: skip
    assert every["next_cursor"] is None
    first = every["entries"][-1]
    assert first["reason"] == "retention" and first["segments"] == 60
    assert first["camera_name"] == "Camera jlt-001" and first["commune"] == "joue-les-tours"
    assert first["destroyed_at"] == "2026-10-31T22:00:00Z"
    assert first["start"] == "2026-10-16T08:00:00Z" and first["end"] == "2026-10-16T09:00:00Z"
    mine = client.get("/api/destructions", headers=chef).json()["entries"]
    assert [e["camera"] for e in mine] == ["jlt-001", "jlt-002", "jlt-001"]
    page = client.get("/api/destructions", params={"limit": 2}, headers=dpo).json()
    assert len(page["entries"]) == 2 and page["next_cursor"] is not None
    rest = client.get(
        "/api/destructions", params={"limit": 2, "cursor": page["next_cursor"]}, headers=dpo
    ).json()
    assert [e["camera"] for e in rest["entries"]] == ["jlt-002", "cha-001"]
    pressure = client.get("/api/destructions", params={"reason": "disk_pressure"}, headers=dpo)
    assert [e["camera"] for e in pressure.json()["entries"]] == ["jlt-002"]
    one = client.get("/api/destructions", params={"camera": "cha-001"}, headers=chef)
    assert one.json()["entries"] == []  # another commune's: nothing
    assert client.get("/api/destructions", headers=agent).status_code == 403  # operator


def test_journal_verification_tells_an_altered_entry(client: TestClient, ctx: AppContext) -> None:
    dpo, _, agent = _users(ctx)
    for _ in range(3):
        client.get("/api/journal", headers=dpo)
    r = client.get("/api/journal/verification", headers=dpo)
    assert r.status_code == 200, r.text
    ok = r.json()
    assert ok["ok"] is True and ok["entries"] >= 3 and ok["problem_count"] == 0
    assert ok["summary"].startswith("journal intact")
    assert ok["key_fingerprint"]
    with ctx.engine.begin() as conn:
        conn.execute(
            update(journal_entries).where(journal_entries.c.seq == 2).values(username="mallory")
        )
    bad = client.get("/api/journal/verification", headers=dpo).json()
    assert bad["ok"] is False and bad["first_bad_seq"] == 2
    assert any("altered" in p["message"] for p in bad["problems"])
    assert client.get("/api/journal/verification", headers=agent).status_code == 403
