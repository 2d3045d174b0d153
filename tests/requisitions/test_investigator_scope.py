"""An investigator sees the footage of the requisitions assigned to him, nothing more:
the law lets an OPJ see what the prosecutor's requisition covers, not the whole town."""

from __future__ import annotations

from fastapi.testclient import TestClient

from beffroi.web.context import AppContext
from tests.requisitions.conftest import Headers, requisition_body

IN_ITEM = {"start": "2026-11-01T06:10:00Z", "end": "2026-11-01T06:20:00Z"}
OUTSIDE = {"start": "2026-11-01T03:00:00Z", "end": "2026-11-01T03:10:00Z"}


def _assign(client: TestClient, chef: Headers, opj: str) -> int:
    r = client.post("/api/requisitions", json=requisition_body(assigned_to=[opj]), headers=chef)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_media_routes_open_only_within_assigned_items(
    client: TestClient, ctx: AppContext, people: dict[str, Headers]
) -> None:
    opj = people["opj-martin"]
    url = "/api/cameras/jlt-001"
    before = client.get(f"{url}/playback.mp4", params=IN_ITEM, headers=opj)
    assert before.status_code == 404 and "assigned to you" in before.text
    _assign(client, people["chef"], "opj-martin")
    # Within the item: past the investigator rule (404 now only says: no footage there).
    inside = client.get(f"{url}/playback.mp4", params=IN_ITEM, headers=opj)
    assert "assigned to you" not in inside.text
    for path, params in (
        ("playback.mp4", OUTSIDE),
        ("playback.m3u8", OUTSIDE),
        ("seek", {"at": OUTSIDE["start"]}),
        ("frame", {"at": OUTSIDE["start"]}),
        ("snapshot", {"at": OUTSIDE["start"]}),
    ):
        r = client.get(f"{url}/{path}", params=params, headers=opj)
        assert r.status_code == 404 and "assigned to you" in r.text, (path, r.text)
    link = client.post(f"{url}/playback-links", json=OUTSIDE, headers=opj)
    assert link.status_code == 404 and "assigned to you" in link.text
    # Another investigator of the same commune, not assigned: nothing.
    other = client.get(f"{url}/seek", params={"at": IN_ITEM["start"]}, headers=people["opj-durand"])
    assert other.status_code == 404 and "assigned to you" in other.text


def test_timeline_opens_around_an_item_and_supervisors_are_not_restricted(
    client: TestClient, ctx: AppContext, people: dict[str, Headers]
) -> None:
    _assign(client, people["chef"], "opj-martin")
    day = {"start": "2026-11-01T00:00:00Z", "end": "2026-11-01T12:00:00Z", "segments": "false"}
    r = client.get("/api/cameras/jlt-001/recordings", params=day, headers=people["opj-martin"])
    assert r.status_code == 200, r.text
    far = {"start": "2026-10-20T00:00:00Z", "end": "2026-10-20T12:00:00Z"}
    r = client.get("/api/cameras/jlt-001/recordings", params=far, headers=people["opj-martin"])
    assert r.status_code == 404
    r = client.get("/api/cameras/jlt-001/recordings", params=far, headers=people["chef"])
    assert r.status_code == 200
