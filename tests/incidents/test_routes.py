"""GET/POST /api/incidents over real HTTP handling: scope, filters, steps, journal."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from beffroi.access.permissions import Role
from beffroi.alarms.events import PanelEvent
from beffroi.clock import FakeClock
from beffroi.incidents.service import IncidentService
from beffroi.journal.tables import journal_entries
from beffroi.web.context import AppContext
from tests.alarms.site import seed
from tests.incidents.conftest import alarm
from tests.web.test_matrix import make_user


def _open(ctx: AppContext) -> tuple[int, int, int]:
    """Two incidents in Joué-lès-Tours (a fire, later an intrusion), one in Chambray."""
    clock = ctx.clock
    assert isinstance(clock, FakeClock)
    seed(ctx.engine, clock)
    service = IncidentService(ctx.engine, clock, group_seconds=60)
    fire = PanelEvent("FA", 2, 1, "fire")
    first = service.alarm_received(
        alarm(ctx.engine, clock.now(), "gymnase-jean-bigot", "4321", fire)
    )
    clock.advance(120)
    theirs = service.alarm_received(alarm(ctx.engine, clock.now(), "mairie-chambray", "5101"))
    clock.advance(120)
    second = service.alarm_received(alarm(ctx.engine, clock.now()))
    assert first and second and theirs
    return first, second, theirs


def test_list_is_newest_first_scoped_and_filtered(
    ctx: AppContext, client: TestClient, agent: dict[str, str], admin: dict[str, str]
) -> None:
    first, second, _ = _open(ctx)
    items = client.get("/api/incidents", headers=agent).json()
    assert [i["id"] for i in items] == [second, first]
    item = items[1]
    assert {
        k: item[k] for k in ("state", "kind", "commune", "building", "zone", "cameras", "alarms")
    } == {
        "state": "new",
        "kind": "fire",
        "commune": "joue-les-tours",
        "building": "gymnase-jean-bigot",
        "zone": 2,
        "cameras": ["jlt-003", "jlt-004"],
        "alarms": 1,
    }
    assert item["opened_at"].startswith("2026-11-01T08:00:00")
    # The administrator runs the system; incidents are for those who verify them.
    assert client.get("/api/incidents", headers=admin).status_code == 403

    def get(**query: str) -> list[int]:
        return [i["id"] for i in client.get("/api/incidents", params=query, headers=agent).json()]

    assert get(kind="fire") == [first]
    assert get(commune="chambray") == []  # outside the agent's communes: nothing
    assert get(since="2026-11-01T08:03:00Z") == [second]
    assert get(state="closed") == []
    assert client.get("/api/incidents", params={"state": "nope"}, headers=agent).status_code == 422
    assert (
        client.get("/api/incidents", params={"since": "yesterday"}, headers=agent).status_code
        == 422
    )


def test_other_commune_answers_404_like_a_missing_one(
    ctx: AppContext, client: TestClient, agent: dict[str, str]
) -> None:
    _, _, theirs = _open(ctx)
    hidden = client.get(f"/api/incidents/{theirs}", headers=agent)
    missing = client.get("/api/incidents/99999", headers=agent)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(str(theirs), "N") == missing.json()["detail"].replace(
        "99999", "N"
    )
    ack = client.post(f"/api/incidents/{theirs}/acknowledge", headers=agent)
    assert ack.status_code == 404


def test_acknowledge_then_close_with_disposition_journaled(
    ctx: AppContext, client: TestClient, agent: dict[str, str]
) -> None:
    first, _, _ = _open(ctx)
    url = f"/api/incidents/{first}"
    early = client.post(f"{url}/close", json={"disposition": "false_alarm"}, headers=agent)
    assert early.status_code == 409 and "new" in early.json()["detail"]
    acked = client.post(f"{url}/acknowledge", headers=agent)
    assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"
    assert acked.json()["acknowledged_by"] == "agent"
    assert client.post(f"{url}/acknowledge", headers=agent).status_code == 409
    no_time = client.post(
        f"{url}/close", json={"disposition": "confirmed_intrusion"}, headers=agent
    )
    assert no_time.status_code == 422 and "police_called_at" in str(
        no_time.json()["detail"][0]["loc"]
    )
    stray = client.post(
        f"{url}/close",
        json={"disposition": "false_alarm", "police_called_at": "2026-11-01T08:10:00Z"},
        headers=agent,
    )
    assert stray.status_code == 422
    assert (
        client.post(f"{url}/close", json={"disposition": "maybe"}, headers=agent).status_code == 422
    )
    ctx.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    closed = client.post(
        f"{url}/close",
        json={
            "disposition": "confirmed_intrusion",
            "police_called_at": "2026-11-01T08:06:00+01:00",
            "notes": "Deux individus, police sur place",
        },
        headers=agent,
    ).json()
    assert (closed["state"], closed["disposition"], closed["closed_by"]) == (
        "closed",
        "confirmed_intrusion",
        "agent",
    )
    assert closed["police_called_at"].startswith("2026-11-01T07:06:00")
    assert [h["action"] for h in closed["history"]] == ["opened", "acknowledged", "closed"]
    with ctx.engine.connect() as conn:
        actions = list(
            conn.scalars(
                select(journal_entries.c.action).where(journal_entries.c.action.like("incident.%"))
            )
        )
    assert actions == ["incident.acknowledge", "incident.close"]


def test_reading_is_not_managing(ctx: AppContext, client: TestClient) -> None:
    first, _, _ = _open(ctx)
    auditor = make_user(ctx, Role.AUDITOR)
    assert client.get(f"/api/incidents/{first}", headers=auditor).status_code == 200
    assert client.post(f"/api/incidents/{first}/acknowledge", headers=auditor).status_code == 403
    investigator = make_user(ctx, Role.INVESTIGATOR)
    assert client.get("/api/incidents", headers=investigator).status_code == 403


def test_a_state_change_and_its_journal_entry_commit_together(
    ctx: AppContext, client: TestClient, agent: dict[str, str]
) -> None:
    """The journal fails: the incident stays as it was (no acknowledgement without its
    trace), and once the journal is back the same request succeeds once."""
    import pytest

    from beffroi.incidents.tables import incidents
    from beffroi.journal.chain import JournalError
    from beffroi.journal.tables import journal_head

    first, _, _ = _open(ctx)
    with ctx.engine.begin() as conn:
        head = conn.execute(select(journal_head)).one()
        conn.execute(journal_head.delete())
    with pytest.raises(JournalError):
        client.post(f"/api/incidents/{first}/acknowledge", headers=agent)
    with ctx.engine.connect() as conn:
        assert conn.scalar(select(incidents.c.state).where(incidents.c.id == first)) == "new"
    with ctx.engine.begin() as conn:
        conn.execute(journal_head.insert().values(**head._mapping))
    assert client.post(f"/api/incidents/{first}/acknowledge", headers=agent).status_code == 200
