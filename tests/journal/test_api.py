"""GET /api/journal and its export: filters, commune scope, reading journaled, and
denied requests journaled by the exception handler."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

from beffroi.access.tables import user_communes, users
from beffroi.clock import FakeClock
from beffroi.journal.entries import NewEntry, communes_text
from beffroi.journal.keys import load_public_key
from beffroi.journal.service import Journal
from beffroi.journal.tables import journal_entries
from beffroi.journal.verify import verify_journal
from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from beffroi.web.guard import flat_routes, unguarded_routes
from beffroi.web.routes import journal as journal_routes
from tests.web.conftest import _pw_hash, token_for


def journal_app(ctx: AppContext) -> FastAPI:
    """The real app with the journal router and handler (whether or not create_app already
    wires them)."""
    app = create_app(ctx)
    if not any(path == "/api/journal" for path, _r, _d in flat_routes(app)):
        app.include_router(journal_routes.router)
    if not isinstance(getattr(app.state, "journal", None), Journal):
        journal_routes.install(app, Journal.open(ctx.engine, ctx.clock, ctx.data_dir))
    assert unguarded_routes(app) == []
    return app


@pytest.fixture
def jclient(ctx: AppContext) -> Iterator[TestClient]:
    _add_user(ctx.engine, "dpo", "auditor", [])
    _add_user(ctx.engine, "chef.jlt", "supervisor", ["joue-les-tours"])
    _add_user(ctx.engine, "chef.cha", "supervisor", ["chambray"])
    with TestClient(journal_app(ctx)) as c:
        yield c


def _add_user(engine: Engine, name: str, role: str, scope: list[str]) -> None:
    with engine.begin() as conn:
        uid = conn.execute(
            insert(users)
            .values(username=name, password_hash=_pw_hash(), role=role, disabled=False,
                    created_ms=0)
            .returning(users.c.id)
        ).scalar_one()  # fmt: skip
        for c in scope:
            conn.execute(insert(user_communes).values(user_id=uid, commune_id=c))


def _seed(ctx: AppContext) -> None:
    j = Journal(ctx.engine, ctx.clock)
    clock = ctx.clock
    assert isinstance(clock, FakeClock)
    for camera, user, communes in [
        ("jlt-001", "agent", ["joue-les-tours"]),
        ("cha-001", "agent.cha", ["chambray"]),
        ("jlt-002", "agent", ["joue-les-tours"]),
        (None, "agent.cha", ["chambray"]),
        (None, "admin", None),
    ]:
        j.record(
            NewEntry(
                action="recording.read" if camera else "auth.login",
                username=user,
                role="operator",
                communes=communes_text(communes),
                camera=camera,
            )
        )
        clock.advance(60)


def _actions(page: dict) -> list[tuple[str | None, str | None]]:
    return [(e["camera"], e["username"]) for e in page["entries"]]


def test_auditor_reads_everything_newest_first(jclient: TestClient, ctx: AppContext) -> None:
    _seed(ctx)
    r = jclient.get("/api/journal", headers=token_for(ctx, "dpo"))
    assert r.status_code == 200, r.text
    page = r.json()
    assert [e["seq"] for e in page["entries"]] == [5, 4, 3, 2, 1]
    assert page["entries"][0]["communes"] is None  # the administrator: every commune
    assert page["entries"][4]["commune"] == "joue-les-tours"
    assert page["next_cursor"] is None


def test_filters_and_pagination(jclient: TestClient, ctx: AppContext) -> None:
    _seed(ctx)
    h = token_for(ctx, "dpo")
    assert _actions(jclient.get("/api/journal?camera=jlt-001", headers=h).json()) == [
        ("jlt-001", "agent")
    ]
    by_user = jclient.get("/api/journal?user=agent.cha", headers=h).json()
    assert [e["seq"] for e in by_user["entries"]] == [4, 2]
    logins = jclient.get("/api/journal?action=auth.*", headers=h).json()
    assert {e["action"] for e in logins["entries"]} == {"auth.login"}
    # seq 2 was at 08:01, seq 3 at 08:02 (the FakeClock starts at 08:00 UTC).
    window = "start=2026-11-01T08:01:00Z&end=2026-11-01T08:03:00Z"
    assert [e["seq"] for e in jclient.get(f"/api/journal?{window}", headers=h).json()["entries"]] \
        == [3, 2]  # fmt: skip
    reads = "/api/journal?action=recording.read&limit=2"
    first = jclient.get(reads, headers=h).json()
    assert [e["seq"] for e in first["entries"]] == [3, 2] and first["next_cursor"] == 2
    second = jclient.get(f"{reads}&cursor={first['next_cursor']}", headers=h).json()
    assert [e["seq"] for e in second["entries"]] == [1] and second["next_cursor"] is None
    bad = jclient.get("/api/journal?start=2026-11-01T08:00:00", headers=h)
    assert bad.status_code == 422 and "timezone" in bad.text


def test_supervisor_sees_only_own_communes(jclient: TestClient, ctx: AppContext) -> None:
    _seed(ctx)
    jlt = jclient.get("/api/journal?action=recording.read", headers=token_for(ctx, "chef.jlt"))
    assert _actions(jlt.json()) == [("jlt-002", "agent"), ("jlt-001", "agent")]
    cha = jclient.get("/api/journal?user=agent.cha", headers=token_for(ctx, "chef.cha"))
    assert [e["seq"] for e in cha.json()["entries"]] == [4, 2]
    # Another commune's camera filtered for explicitly: nothing, not an error.
    other = jclient.get("/api/journal?camera=cha-001", headers=token_for(ctx, "chef.jlt"))
    assert other.status_code == 200 and other.json()["entries"] == []


def test_operator_may_not_read_the_journal(jclient: TestClient, ctx: AppContext) -> None:
    r = jclient.get("/api/journal", headers=token_for(ctx, "agent"))
    assert r.status_code == 403


def test_reading_is_journaled(jclient: TestClient, ctx: AppContext) -> None:
    _seed(ctx)
    jclient.get("/api/journal?camera=jlt-001", headers=token_for(ctx, "dpo"))
    r = jclient.get("/api/journal?action=journal.read", headers=token_for(ctx, "dpo"))
    (read,) = r.json()["entries"]
    assert (read["username"], read["role"], read["outcome"]) == ("dpo", "auditor", "ok")
    assert read["detail"] == {"camera": "jlt-001", "cursor": None, "returned": 1}
    assert read["source"] == "testclient"


def test_export_csv(jclient: TestClient, ctx: AppContext) -> None:
    _seed(ctx)
    r = jclient.get("/api/journal/export?format=csv", headers=token_for(ctx, "chef.jlt"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    # Oldest first, own commune only; the export's own entry (seq 6) is in it.
    assert [(row["seq"], row["action"]) for row in rows] == [
        ("1", "recording.read"),
        ("3", "recording.read"),
        ("6", "journal.export"),
    ]
    assert rows[0]["camera"] == "jlt-001" and rows[0]["time"] == "2026-11-01T08:00:00+00:00"
    assert len(rows[0]["hash"]) == 64
    with ctx.engine.connect() as conn:
        last = conn.execute(
            select(journal_entries.c.action, journal_entries.c.detail)
            .order_by(journal_entries.c.seq.desc())
            .limit(1)
        ).one()
    assert last.action == "journal.export" and json.loads(last.detail)["format"] == "csv"


def test_export_json(jclient: TestClient, ctx: AppContext) -> None:
    _seed(ctx)
    r = jclient.get("/api/journal/export?format=json&user=agent", headers=token_for(ctx, "dpo"))
    assert r.status_code == 200
    body = r.json()
    assert body["exported_by"] == "dpo" and body["filters"] == {"username": "agent"}
    assert len(body["installation_key_sha256"]) == 64
    assert [e["seq"] for e in body["entries"]] == [1, 3]
    assert jclient.get("/api/journal/export?format=xml", headers=token_for(ctx, "dpo")) \
        .status_code == 422  # fmt: skip


def test_denied_and_hidden_requests_are_journaled(jclient: TestClient, ctx: AppContext) -> None:
    """Through the real routes: an operator probing another commune's camera (404) and
    the data-protection officer asking for footage (403) are journaled by name."""
    now = ctx.clock.now()
    window = {"start": (now - timedelta(minutes=10)).isoformat(), "end": now.isoformat()}

    def get(camera: str, user: str | None) -> int:
        headers = token_for(ctx, user) if user else {}
        r = jclient.get(f"/api/cameras/{camera}/recordings", params=window, headers=headers)
        return r.status_code

    assert get("cha-001", "agent") == 404
    assert get("jlt-001", "dpo") == 403
    assert get("jlt-001", "agent") == 200
    assert get("jlt-001", None) == 401  # no one to journal
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(journal_entries).order_by(journal_entries.c.seq)).all()
    got = [(r.action, r.username, r.camera_id, r.commune_id, r.outcome) for r in rows]
    assert got == [
        ("request.denied", "agent", "cha-001", "chambray", "not_found"),
        ("request.denied", "dpo", "jlt-001", "joue-les-tours", "denied"),
        ("recording.read", "agent", "jlt-001", "joue-les-tours", "ok"),
    ]
    assert json.loads(rows[0].detail) == {
        "method": "GET",
        "path": "/api/cameras/cha-001/recordings",
        "route": "/api/cameras/{camera_id}/recordings",
        "status": 404,
    }
    # The 404 body is FastAPI's own, unchanged by the handler.
    r = jclient.get(
        "/api/cameras/cha-001/recordings", params=window, headers=token_for(ctx, "agent")
    )
    assert r.json() == {"detail": "unknown camera cha-001"}
    report = verify_journal(ctx.engine, load_public_key(ctx.data_dir))
    assert report.ok, report.summary()


def test_key_is_created_in_the_data_directory(ctx: AppContext, jclient: TestClient) -> None:
    path = Path(ctx.data_dir) / "keys" / "installation-ed25519.pem"
    assert path.stat().st_mode & 0o777 == 0o600
