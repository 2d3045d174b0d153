"""Export jobs over HTTP: start, follow, download, scope, journal, register, restart."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from beffroi.access.sessions import open_session
from beffroi.access.tables import user_communes, users
from beffroi.export.jobs import ExportJobs
from beffroi.export.tables import exports
from beffroi.export.verify import verify_package
from beffroi.journal.tables import journal_entries
from beffroi.requisitions.register import load_requisition
from beffroi.web.app import create_app
from beffroi.web.context import AppContext
from tests.export.helpers import T0, make_requisition, record
from tests.web.conftest import ctx, recorder  # noqa: F401  (fixtures)

PEOPLE = {
    "chef": ("supervisor", "joue-les-tours"),
    "chef-cha": ("supervisor", "chambray"),
    "opj-martin": ("investigator", "joue-les-tours"),
    "opj-durand": ("investigator", "joue-les-tours"),
    "dpo": ("auditor", "joue-les-tours"),
    "agent": ("operator", None),  # seeded by tests/web/conftest.py
}
Headers = dict[str, str]


@pytest.fixture
def jobs(ctx: AppContext, player_dir: Path) -> Iterator[ExportJobs]:  # noqa: F811
    runner = ExportJobs(
        ctx.engine, ctx.clock, ctx.data_dir, ctx.archive_root, player_dir=player_dir
    )
    ctx.exports = runner
    yield runner
    runner.stop()


@pytest.fixture
def app_client(ctx: AppContext, jobs: ExportJobs) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(create_app(ctx)) as c:
        yield c


@pytest.fixture
def people(ctx: AppContext) -> dict[str, tuple[int, Headers]]:  # noqa: F811
    out = {}
    for name, (role, commune) in PEOPLE.items():
        with ctx.engine.begin() as conn:
            uid = conn.execute(select(users.c.id).where(users.c.username == name)).scalar()
            if uid is None:
                uid = conn.execute(
                    insert(users)
                    .values(
                        username=name, password_hash="x", role=role, disabled=False, created_ms=0
                    )
                    .returning(users.c.id)
                ).scalar_one()
                conn.execute(insert(user_communes).values(user_id=uid, commune_id=commune))
        token = open_session(ctx.engine, uid, ctx.clock).token
        out[name] = (uid, {"Authorization": f"Bearer {token}"})
    return out


@pytest.fixture
def requisition(ctx: AppContext, people: dict[str, tuple[int, Headers]]) -> Any:  # noqa: F811
    record(ctx.engine, ctx.archive_root, "jlt-001", T0, 3)
    return make_requisition(
        ctx.engine,
        [("jlt-001", T0 + 1000, T0 + 9000)],
        assigned_to=(people["opj-martin"][0],),
        now_ms=T0 + 1_800_000,
    )


def _journal(ctx: AppContext, action: str) -> list[Any]:  # noqa: F811
    with ctx.engine.connect() as conn:
        return list(conn.execute(select(journal_entries).where(journal_entries.c.action == action)))


def _run(client: TestClient, jobs: ExportJobs, req_id: int, headers: Headers) -> dict[str, Any]:
    r = client.post(f"/api/requisitions/{req_id}/exports", headers=headers)
    assert r.status_code == 202, r.text
    assert jobs.wait_idle(30)
    status = client.get(f"/api/exports/{r.json()['id']}", headers=headers)
    assert status.status_code == 200
    return status.json()


def test_export_is_built_followed_downloaded_and_journaled(
    ctx: AppContext,  # noqa: F811
    app_client: TestClient,
    jobs: ExportJobs,
    people: dict[str, tuple[int, Headers]],
    requisition: Any,
    tmp_path: Path,
) -> None:
    jobs.start()
    chef = people["chef"][1]
    out = _run(app_client, jobs, requisition.id, chef)
    assert out["status"] == "done" and out["progress"] == 1.0 and out["error"] is None
    assert out["requisition"] == {"id": requisition.id, "number": requisition.number}
    assert out["download"].endswith(f"/api/exports/{out['id']}/download")
    with ctx.engine.connect() as conn:
        assert load_requisition(conn, requisition.id).state == "extracting"  # type: ignore[union-attr]
    r = app_client.get(out["download"], headers=chef)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    zip_path = tmp_path / "downloaded.zip"
    zip_path.write_bytes(r.content)
    report = verify_package(zip_path)
    assert report.ok, report.problems
    key = app_client.get("/api/signing-key", headers=chef).json()
    assert key["algorithm"] == "Ed25519" and key["fingerprint"] == report.fingerprint
    created = _journal(ctx, "export.create")
    assert len(created) == 1 and created[0].username == "chef"
    assert '"cameras":["jlt-001"]' in created[0].detail and "ranges" in created[0].detail
    assert created[0].start_ms == T0 + 1000 and created[0].end_ms == T0 + 9000
    downloaded = _journal(ctx, "export.download")
    assert len(downloaded) == 1 and requisition.number in downloaded[0].detail


def test_a_stored_path_outside_the_exports_folder_is_never_served(
    ctx: AppContext,  # noqa: F811
    app_client: TestClient,
    jobs: ExportJobs,
    people: dict[str, tuple[int, Headers]],
    requisition: Any,
) -> None:
    """Someone with the database points an export at another file of the data
    directory (the signing key, the database): the download refuses, serving nothing."""
    jobs.start()
    chef = people["chef"][1]
    out = _run(app_client, jobs, requisition.id, chef)
    secret = ctx.data_dir / "not-an-export.txt"
    secret.write_text("the server's own file")
    for stored in ("../not-an-export.txt", str(secret), "."):
        with ctx.engine.begin() as conn:
            conn.execute(update(exports).where(exports.c.id == out["id"]).values(path=stored))
        r = app_client.get(out["download"], headers=chef)
        assert r.status_code == 409 and "the server's own file" not in r.text, stored
    assert _journal(ctx, "export.download") == []


def test_scope_investigators_see_only_what_is_assigned_to_them(
    app_client: TestClient,
    jobs: ExportJobs,
    people: dict[str, tuple[int, Headers]],
    requisition: Any,
) -> None:
    jobs.start()
    out = _run(app_client, jobs, requisition.id, people["opj-martin"][1])
    url = f"/api/exports/{out['id']}"
    assert app_client.get(url + "/download", headers=people["opj-martin"][1]).status_code == 200
    for outsider in ("opj-durand", "chef-cha"):
        h = people[outsider][1]
        assert app_client.get(url, headers=h).status_code == 404
        assert app_client.get(url + "/download", headers=h).status_code == 404
        r = app_client.post(f"/api/requisitions/{requisition.id}/exports", headers=h)
        assert r.status_code == 404
    # A missing export reads exactly like one out of scope.
    missing = app_client.get("/api/exports/999999", headers=people["chef"][1])
    assert missing.status_code == 404
    operator = people["agent"][1]
    assert app_client.get(url, headers=operator).status_code == 403


def test_download_waits_for_the_package(
    app_client: TestClient,
    jobs: ExportJobs,
    people: dict[str, tuple[int, Headers]],
    requisition: Any,
) -> None:
    chef = people["chef"][1]  # the runner is not started: the job stays queued
    export_id = app_client.post(f"/api/requisitions/{requisition.id}/exports", headers=chef).json()[
        "id"
    ]
    status = app_client.get(f"/api/exports/{export_id}", headers=chef).json()
    assert status["status"] == "queued" and status["download"] is None
    assert app_client.get(f"/api/exports/{export_id}/download", headers=chef).status_code == 409
    assert jobs.run(export_id) == "done"
    assert app_client.get(f"/api/exports/{export_id}/download", headers=chef).status_code == 200


def test_an_altered_archive_fails_the_job_with_the_segment_named(
    ctx: AppContext,  # noqa: F811
    app_client: TestClient,
    jobs: ExportJobs,
    people: dict[str, tuple[int, Headers]],
    requisition: Any,
) -> None:
    jobs.journal = ctx.journal
    victim = sorted(ctx.archive_root.rglob("*.mp4"))[1]
    data = bytearray(victim.read_bytes())
    data[-50] ^= 0x10
    victim.write_bytes(bytes(data))
    jobs.start()
    out = _run(app_client, jobs, requisition.id, people["chef"][1])
    assert out["status"] == "failed" and victim.name in out["error"]
    assert "no longer matches the index" in out["error"]
    assert not list((ctx.data_dir / "exports").glob("*"))  # nothing half-made is left
    failed = _journal(ctx, "export.failed")
    assert len(failed) == 1 and victim.name in failed[0].detail


def test_a_job_interrupted_by_a_crash_runs_again_at_start_up(
    ctx: AppContext,  # noqa: F811
    app_client: TestClient,
    jobs: ExportJobs,
    people: dict[str, tuple[int, Headers]],
    requisition: Any,
) -> None:
    chef = people["chef"][1]
    export_id = app_client.post(f"/api/requisitions/{requisition.id}/exports", headers=chef).json()[
        "id"
    ]
    # The process died while building: the row says running, a .part ZIP lies there.
    with ctx.engine.begin() as conn:
        conn.execute(
            update(exports).where(exports.c.id == export_id).values(status="running", attempts=1)
        )
    leftover = ctx.data_dir / "exports" / "requisition-x.zip.part"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"torn")
    restarted = ExportJobs(
        ctx.engine, ctx.clock, ctx.data_dir, ctx.archive_root, player_dir=jobs.player_dir
    )
    restarted.start()
    try:
        assert restarted.wait_idle(30)
    finally:
        restarted.stop()
    out = app_client.get(f"/api/exports/{export_id}", headers=chef).json()
    assert out["status"] == "done" and out["attempts"] == 2
    assert not leftover.exists()


def test_the_export_register_lists_the_art_3_fields(
    app_client: TestClient,
    jobs: ExportJobs,
    people: dict[str, tuple[int, Headers]],
    requisition: Any,
) -> None:
    jobs.start()
    _run(app_client, jobs, requisition.id, people["chef"][1])
    rows = app_client.get("/api/exports", headers=people["dpo"][1]).json()["exports"]
    assert len(rows) == 1
    row = rows[0]
    assert row["requisition"] == requisition.number and row["cameras"] == ["jlt-001"]
    assert row["images_start"].startswith("2026-11-01T07:00:01")  # delivered, not requested
    assert row["duration_s"] == 8.0 and row["exported_by"] == "chef"
    assert row["exported_at"] is not None
    text = app_client.get("/api/exports?format=csv", headers=people["dpo"][1]).text
    table = list(csv.DictReader(io.StringIO(text)))
    assert table[0]["requisition"] == requisition.number
    assert table[0]["images_start_local"] == "2026-11-01T08:00:01.000+01:00"
    # Someone the requisition is not assigned to sees none of its exports.
    assert app_client.get("/api/exports", headers=people["opj-durand"][1]).json()["exports"] == []


def test_without_the_runner_exports_answer_503(
    ctx: AppContext,  # noqa: F811
    people: dict[str, tuple[int, Headers]],
    requisition: Any,
) -> None:
    with TestClient(create_app(ctx)) as client:
        r = client.post(f"/api/requisitions/{requisition.id}/exports", headers=people["chef"][1])
    assert r.status_code == 503


def test_a_package_is_destroyed_keep_days_after_its_delivery(
    ctx: AppContext,  # noqa: F811
    app_client: TestClient,
    jobs: ExportJobs,
    people: dict[str, tuple[int, Headers]],
    requisition: Any,
) -> None:
    """Delivered, the centre's copy goes `keep_days` later (30): the ZIP is unlinked, the
    export says when, its download answers 410, and the journal records it. Before
    that, or while not delivered, the package stays."""
    from datetime import timedelta

    jobs.journal = ctx.journal  # as `beffroi run` builds it
    jobs.start()
    chef = people["chef"][1]
    out = _run(app_client, jobs, requisition.id, chef)
    with ctx.engine.connect() as conn:
        path = (
            ctx.data_dir
            / "exports"
            / conn.scalar(select(exports.c.path).where(exports.c.id == out["id"]))
        )
    assert path.is_file()
    ctx.clock.advance(timedelta(days=40))  # type: ignore[attr-defined]
    assert jobs.expire_if_due() == [] and path.is_file()  # not delivered: kept
    uid = people["chef"][0]

    def fresh() -> Headers:  # the earlier session has expired in those days
        return {"Authorization": f"Bearer {open_session(ctx.engine, uid, ctx.clock).token}"}

    handover = {"delivered_to": "Capitaine Martin", "medium": "clé USB", "signature": "Martin"}
    url = f"/api/requisitions/{requisition.id}/deliver"
    r = app_client.post(url, json=handover, headers=fresh())
    assert r.status_code == 200, r.text
    ctx.clock.advance(timedelta(days=29))  # type: ignore[attr-defined]
    assert jobs.expire_if_due() == [] and path.is_file()  # 29 days after delivery
    ctx.clock.advance(timedelta(days=1, hours=1))  # type: ignore[attr-defined]
    assert jobs.expire_if_due() == [out["id"]]
    assert not path.exists()
    r = app_client.get(out["download"], headers=fresh())
    assert r.status_code == 410 and "destroyed" in r.json()["detail"]
    with ctx.engine.connect() as conn:
        row = conn.execute(select(exports).where(exports.c.id == out["id"])).one()
    assert row.status == "destroyed" and row.path is None and row.destroyed_ms is not None
    [entry] = _journal(ctx, "export.destroy")
    assert requisition.number in entry.detail and entry.username == "system"
    assert jobs.expire_if_due() == []  # once
