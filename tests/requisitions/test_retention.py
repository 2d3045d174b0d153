"""Acceptance: a requisition's hold survives retention; releasing it lets footage go.
Also the holds API: manual holds, overlapping holds, release with a reason, scope."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from beffroi.archive.check import check_archive
from beffroi.archive.maintenance import RetentionLoop
from beffroi.clock import FakeClock, utc_ms
from beffroi.web.context import AppContext
from tests.archive.factory import add_segments, files_on_disk, segment_paths
from tests.archive.test_retention_loop import roomy
from tests.requisitions.conftest import Headers, fresh_sessions, requisition_body

MIN = 60_000
T6 = utc_ms(datetime(2026, 11, 1, 6, tzinfo=UTC))


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


def test_requisition_hold_survives_retention_until_released(
    client: TestClient,
    ctx: AppContext,
    clock: FakeClock,
    people: dict[str, Headers],
    journal: Callable[[str], list[Any]],
) -> None:
    chef = people["chef"]
    # 06:00-07:00 of jlt-001 and jlt-002: twelve 5-minute segments each.
    segs = add_segments(ctx.engine, ctx.archive_root, "jlt-001", T6, 12, duration_ms=5 * MIN)
    add_segments(ctx.engine, ctx.archive_root, "jlt-002", T6, 12, duration_ms=5 * MIN)
    item = {"camera": "jlt-001", "start": iso(T6 + 12 * MIN), "end": iso(T6 + 23 * MIN)}
    r = client.post("/api/requisitions", json=requisition_body(items=[item]), headers=chef)
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    held = segs[2:5]  # 06:10-06:25 overlaps 06:12-06:23

    # A few minutes after the 15 days of retention of the last segment.
    clock.advance(timedelta(days=15, minutes=5))
    chef = fresh_sessions(ctx)["chef"]
    loop = RetentionLoop(ctx.engine, ctx.archive_root, clock, 0, disk_usage_fn=roomy)
    res = loop.run_once()
    assert res.deleted["retention"] == 24 - len(held) and res.skipped_held == 0
    assert segment_paths(ctx.engine) == [s.path for s in held]
    assert files_on_disk(ctx.archive_root) == {s.path for s in held}
    assert check_archive(ctx.engine, ctx.archive_root).ok
    detail = client.get(f"/api/requisitions/{rid}", headers=chef).json()
    footage = detail["items"][0]["footage"]
    assert footage["recorded_seconds"] == 11 * 60 and footage["gaps"] == []
    assert loop.run_once().total_deleted == 0  # rounds after: still kept

    (hold,) = detail["holds"]
    url = f"/api/holds/{hold['id']}/release"
    assert client.post(url, json={}, headers=chef).status_code == 422  # a reason is required
    r = client.post(url, json={"reason": "classement sans suite"}, headers=chef)
    assert r.status_code == 200 and r.json()["active"] is False
    assert r.json()["release_reason"] == "classement sans suite"
    assert client.post(url, json={"reason": "again"}, headers=chef).status_code == 409
    (rel,) = journal("hold.release")
    assert rel.camera_id == "jlt-001" and json.loads(rel.detail)["requisition"] == rid
    assert loop.run_once().deleted["retention"] == len(held)
    assert segment_paths(ctx.engine) == [] and files_on_disk(ctx.archive_root) == set()
    msgs = client.get(f"/api/requisitions/{rid}", headers=chef).json()["items"][0]["footage"]
    assert any("destroyed by retention" in m for m in msgs["messages"])


def test_overlapping_manual_holds_each_protect_their_range(
    client: TestClient, ctx: AppContext, clock: FakeClock, people: dict[str, Headers]
) -> None:
    chef = people["chef"]
    segs = add_segments(ctx.engine, ctx.archive_root, "jlt-002", T6, 6, duration_ms=10 * MIN)

    def hold(start: int, end: int, reason: str) -> int:
        body = {"camera": "jlt-002", "start": iso(start), "end": iso(end), "reason": reason}
        r = client.post("/api/holds", json=body, headers=chef)
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    a = hold(T6 + 1 * MIN, T6 + 25 * MIN, "rixe place de la mairie")  # segments 0-2
    hold(T6 + 15 * MIN, T6 + 35 * MIN, "vol à l'arraché")  # segments 1-3
    clock.advance(timedelta(days=16))
    chef = fresh_sessions(ctx)["chef"]
    loop = RetentionLoop(ctx.engine, ctx.archive_root, clock, 0, disk_usage_fn=roomy)
    assert loop.run_once().deleted["retention"] == 2  # segments 4 and 5
    assert segment_paths(ctx.engine) == [s.path for s in segs[:4]]
    r = client.post(f"/api/holds/{a}/release", json={"reason": "remis au parquet"}, headers=chef)
    assert r.status_code == 200
    assert loop.run_once().deleted["retention"] == 1  # segment 0: only the released hold had it
    assert segment_paths(ctx.engine) == [s.path for s in segs[1:4]]

    listed = client.get("/api/holds", headers=chef).json()
    assert [(h["id"], h["active"]) for h in listed] == [(a, False), (a + 1, True)]
    active = client.get("/api/holds", params={"active": "true"}, headers=chef).json()
    assert [h["reason"] for h in active] == ["vol à l'arraché"]


def test_holds_api_scope_and_bad_input(
    client: TestClient, ctx: AppContext, people: dict[str, Headers]
) -> None:
    chef, cha = people["chef"], people["chef-cha"]
    body = {"camera": "jlt-001", "start": iso(T6), "end": iso(T6 + MIN), "reason": "PV"}
    hid = client.post("/api/holds", json=body, headers=chef).json()["id"]
    # Another commune's supervisor neither sees nor releases it, nor holds Joué's cameras.
    assert client.get("/api/holds", headers=cha).json() == []
    r = client.post(f"/api/holds/{hid}/release", json={"reason": "x"}, headers=cha)
    assert (r.status_code, r.json()) == (404, {"detail": f"no hold #{hid}"})
    other = client.post("/api/holds", json=body, headers=cha)
    ghost = client.post("/api/holds", json=body | {"camera": "nope-000"}, headers=cha)
    assert other.status_code == ghost.status_code == 404
    assert other.text == ghost.text.replace("nope-000", "jlt-001")
    for bad, words in (
        ({"reason": " "}, "reason"),
        ({"start": iso(T6 + MIN), "end": iso(T6)}, "start must be before end"),
        ({"start": "2026-11-01T06:00:00"}, "timezone"),
        ({"start": "1900-01-01T00:00:00Z"}, "out of range"),
    ):
        r = client.post("/api/holds", json=body | bad, headers=chef)
        assert r.status_code == 422 and words in r.text, (bad, r.text)
    # Investigators and auditors do not manage holds.
    assert client.get("/api/holds", headers=people["opj-martin"]).status_code == 403
    assert client.post("/api/holds", json=body, headers=people["dpo"]).status_code == 403


def test_a_hold_placed_by_hand_lapses_unless_renewed(
    client: TestClient,
    ctx: AppContext,
    clock: FakeClock,
    people: dict[str, Headers],
    journal: Callable[[str], list[Any]],
) -> None:
    """A hold without a requisition lasts at most 30 days unless renewed: the retention
    loop releases it (journaled), and its footage then ages out; a requisition's hold
    never lapses."""
    from beffroi.journal.service import Journal

    chef = people["chef"]
    add_segments(ctx.engine, ctx.archive_root, "jlt-001", T6, 12, duration_ms=5 * MIN)
    body = {"camera": "jlt-001", "start": iso(T6), "end": iso(T6 + 10 * MIN),
            "reason": "en attente de la réquisition", "days": 10}  # fmt: skip
    r = client.post("/api/holds", json=body, headers=chef)
    assert r.status_code == 201, r.text
    hold = r.json()
    assert hold["expires_at"] == iso(utc_ms(clock.now() + timedelta(days=10)))
    assert client.post("/api/holds", json={**body, "days": 31}, headers=chef).status_code == 422
    item = {"camera": "jlt-001", "start": iso(T6 + 30 * MIN), "end": iso(T6 + 35 * MIN)}
    req = client.post("/api/requisitions", json=requisition_body(items=[item]), headers=chef)
    assert req.status_code == 201, req.text

    clock.advance(timedelta(days=9))
    chef = fresh_sessions(ctx)["chef"]
    renew = {"days": 30, "reason": "la réquisition tarde"}
    r = client.post(f"/api/holds/{hold['id']}/renew", json=renew, headers=chef)
    assert r.status_code == 200, r.text
    assert r.json()["expires_at"] == iso(utc_ms(clock.now() + timedelta(days=30)))
    assert json.loads(journal("hold.renew")[0].detail)["hold"] == hold["id"]

    loop = RetentionLoop(
        ctx.engine, ctx.archive_root, clock, 0, disk_usage_fn=roomy,
        journal=Journal.open(ctx.engine, clock, ctx.data_dir),
    )  # fmt: skip
    clock.advance(timedelta(days=29))
    loop.run_once()
    assert journal("hold.expire") == []  # renewed: still in force
    clock.advance(timedelta(days=2))
    loop.run_once()
    (lapsed,) = journal("hold.expire")
    assert json.loads(lapsed.detail)["hold"] == hold["id"] and lapsed.username == "system"
    chef = fresh_sessions(ctx)["chef"]
    listed = {h["id"]: h for h in client.get("/api/holds", headers=chef).json()}
    assert listed[hold["id"]]["active"] is False
    assert listed[hold["id"]]["released_by"] == "system"
    still = [h for h in listed.values() if h["requisition_id"] is not None]
    assert still and all(h["active"] and h["expires_at"] is None for h in still)
