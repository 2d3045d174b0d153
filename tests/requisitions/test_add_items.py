"""Adding cameras and ranges to an open requisition (the console's "export this range"
into an existing requisition): held in the same transaction, journaled, recorded in the
history, refused once the requisition is closed, scoped like the rest of the register."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from beffroi.archive.holds import active_holds
from beffroi.archive.retention import HoldRange
from beffroi.archive.tables import holds
from beffroi.clock import utc_ms
from beffroi.requisitions.register import mark_extracting
from beffroi.requisitions.tables import requisition_history, requisition_items
from beffroi.web.context import AppContext
from tests.requisitions.conftest import Headers, requisition_body

Journal = Callable[[str], list[Any]]

LATER = {"camera": "jlt-002", "start": "2026-11-01T07:10:00+01:00", "end": "2026-11-01T07:20:00Z"}


def create(client: TestClient, who: Headers, **over: Any) -> int:
    r = client.post("/api/requisitions", json=requisition_body(**over), headers=who)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def add(client: TestClient, who: Headers, rid: int, *items: dict[str, str]) -> Any:
    return client.post(f"/api/requisitions/{rid}/items", json={"items": list(items)}, headers=who)


def ms(text: str) -> int:
    from datetime import datetime

    return utc_ms(datetime.fromisoformat(text))


def counts(ctx: AppContext, rid: int) -> tuple[int, int, int]:
    """(items, holds, history rows) of the requisition."""
    with ctx.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).where(t.c.requisition_id == rid)).scalar_one()
            for t in (requisition_items, holds, requisition_history)
        )


def test_items_are_appended_held_journaled_and_in_the_history(
    client: TestClient, ctx: AppContext, people: dict[str, Headers], journal: Journal
) -> None:
    chef = people["chef"]
    rid = create(client, chef)
    r = add(client, chef, rid, LATER)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "received" and body["number"] == "2026-0001"
    assert [(i["camera"], i["start"][11:16], i["end"][11:16]) for i in body["items"]] == [
        ("jlt-001", "06:00", "07:00"),
        ("jlt-002", "06:10", "07:20"),  # 07:10 Paris (UTC+1 in November) is 06:10 UTC
    ]
    assert active_holds(ctx.engine, "jlt-002") == [
        HoldRange("jlt-002", ms("2026-11-01T06:10:00Z"), ms("2026-11-01T07:20:00Z"))
    ]
    with ctx.engine.connect() as conn:
        hold = conn.execute(select(holds).where(holds.c.camera_id == "jlt-002")).one()
        positions = conn.execute(
            select(requisition_items.c.position)
            .where(requisition_items.c.requisition_id == rid)
            .order_by(requisition_items.c.id)
        ).scalars()
        assert list(positions) == [0, 1]
    assert hold.requisition_id == rid and hold.created_by == "chef" and "2026-0001" in hold.reason
    detail = client.get(f"/api/requisitions/{rid}", headers=chef).json()
    last = detail["history"][-1]
    assert (last["from_state"], last["to_state"], last["by"]) == ("received", "received", "chef")
    assert json.loads(last["detail"])["added_items"][0]["camera"] == "jlt-002"
    assert [h["camera"] for h in detail["holds"]] == ["jlt-001", "jlt-002"]
    update = journal("requisition.update")[-1]
    facts = json.loads(update.detail)
    assert facts["requisition"] == "2026-0001" and update.username == "chef"
    assert facts["added_items"] == [
        {
            "camera": "jlt-002",
            "start": "2026-11-01T06:10:00+00:00",
            "end": "2026-11-01T07:20:00+00:00",
        }
    ]
    placed = journal("hold.place")[-1]
    assert placed.camera_id == "jlt-002" and placed.commune_id == "joue-les-tours"
    assert json.loads(placed.detail)["hold"] == hold.id


def test_an_extracting_requisition_takes_items_a_closed_one_does_not(
    client: TestClient, ctx: AppContext, people: dict[str, Headers]
) -> None:
    chef = people["chef"]
    rid = create(client, chef)
    with ctx.engine.begin() as conn:
        mark_extracting(conn, rid, "chef", utc_ms(ctx.clock.now()))
    r = add(client, chef, rid, LATER)
    assert r.status_code == 200 and r.json()["state"] == "extracting"
    refused = client.post(f"/api/requisitions/{rid}/refuse", json={"reason": "x"}, headers=chef)
    assert refused.status_code == 200
    before = counts(ctx, rid)
    r = add(client, chef, rid, {**LATER, "camera": "jlt-001"})
    assert r.status_code == 409 and "closed" in r.text
    assert counts(ctx, rid) == before  # nothing written: no item, no hold, no history


def test_scope_rights_and_bad_input(
    client: TestClient, ctx: AppContext, people: dict[str, Headers]
) -> None:
    chef, cha = people["chef"], people["chef-cha"]
    rid = create(client, chef)
    before = counts(ctx, rid)
    # A camera of another commune reads as a missing one; nothing is held.
    other = add(client, chef, rid, {**LATER, "camera": "cha-001"})
    ghost = add(client, chef, rid, {**LATER, "camera": "nope-000"})
    assert other.status_code == ghost.status_code == 404
    assert other.text == ghost.text.replace("nope-000", "cha-001")
    # A requisition outside one's communes reads as a missing one.
    assert add(client, cha, rid, {**LATER, "camera": "cha-001"}).status_code == 404
    assert add(client, chef, 999, LATER).status_code == 404
    # Investigators and the DPO read the register; they do not change it.
    assert add(client, people["opj-martin"], rid, LATER).status_code == 403
    assert add(client, people["dpo"], rid, LATER).status_code == 403
    reversed_range = {**LATER, "start": LATER["end"], "end": LATER["start"]}
    r = add(client, chef, rid, reversed_range)
    assert r.status_code == 422 and "start must be before end" in r.text
    no_zone = {**LATER, "start": "2026-11-01T07:10:00"}
    assert add(client, chef, rid).status_code == 422  # at least one item
    assert add(client, chef, rid, no_zone).status_code == 422
    assert counts(ctx, rid) == before
    assert active_holds(ctx.engine, "cha-001") == []


def test_at_most_200_items_in_all(
    client: TestClient, ctx: AppContext, people: dict[str, Headers]
) -> None:
    chef = people["chef"]
    rid = create(client, chef, items=[LATER] * 150)
    r = add(client, chef, rid, *[LATER] * 51)
    assert r.status_code == 422 and "at most 200 items" in r.text
    assert counts(ctx, rid)[0] == 150
    r = add(client, chef, rid, *[LATER] * 50)
    assert r.status_code == 200 and len(r.json()["items"]) == 200
