"""Applying the site to the database: idempotent, removals keep rows, no password stored."""

from datetime import date, timedelta

from sqlalchemy import Engine, select

from beffroi.clock import FakeClock, utc_ms
from beffroi.site.apply import apply_site
from beffroi.site.camera_rows import active_cameras, get_camera, list_cameras
from beffroi.site.credentials import camera_stream_credentials
from beffroi.site.loader import load_site_text
from beffroi.site.models import Site
from beffroi.site.tables import cameras, communes

TODAY = date(2026, 11, 1)


def site_of(*camera_blocks: str, insee: str = "37122") -> Site:
    text = (
        "communes:\n"
        "  - id: joue-les-tours\n"
        "    name: Joué-lès-Tours\n"
        f"    insee: '{insee}'\n"
        "  - id: savonnieres\n"
        "    name: Savonnières\n"
        "cameras:\n" + "".join(camera_blocks)
    )
    return load_site_text(text, today=TODAY).site


def cam(ident: str, stream: str, extra: str = "") -> str:
    return (
        f"  - id: {ident}\n"
        f"    name: Caméra {ident}\n"
        "    commune: joue-les-tours\n"
        f"    stream: {stream}\n"
        "    location: {lat: 47.3522, lon: 0.6633}\n"
        "    direction: 200\n"
        "    authorisation: {reference: '2019-37-0042', expires: 2029-06-30}\n" + extra
    )


A = cam("jlt-001", "rtsp://127.0.0.1:8554/cam0", "    view: close-up\n    retention: 1d12h\n")
B = cam("jlt-002", "rtsp://127.0.0.1:8554/cam1")


def stored_updated_ms(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = [*conn.execute(select(cameras.c.id, cameras.c.updated_ms))]
        rows += [*conn.execute(select(communes.c.id, communes.c.updated_ms))]
    return {r.id: r.updated_ms for r in rows}


def test_apply_is_idempotent(engine: Engine, clock: FakeClock) -> None:
    site = site_of(A, B)
    first = apply_site(engine, site, clock)
    assert first.cameras_added == ["jlt-001", "jlt-002"]
    assert first.communes_added == ["joue-les-tours", "savonnieres"]
    before = stored_updated_ms(engine)
    assert set(before.values()) == {utc_ms(clock.now())}

    clock.advance(timedelta(hours=1))
    second = apply_site(engine, site, clock)
    assert not second.changed
    assert second.cameras_unchanged == ["jlt-001", "jlt-002"]
    assert second.communes_unchanged == ["joue-les-tours", "savonnieres"]
    assert stored_updated_ms(engine) == before

    row = get_camera(engine, "jlt-001")
    assert row is not None
    assert (row.retention_s, row.view, row.legal_minima) == (36 * 3600, "close-up", (704, 576, 12))
    assert (row.lat, row.lon, row.direction) == (47.3522, 0.6633, 200.0)
    assert (row.authorisation_ref, row.authorisation_expires) == ("2019-37-0042", date(2029, 6, 30))
    assert row.enabled and row.removed_ms is None


def test_changes_bump_only_what_changed(engine: Engine, clock: FakeClock) -> None:
    apply_site(engine, site_of(A, B), clock)
    before = stored_updated_ms(engine)
    clock.advance(60)
    changed = A.replace("retention: 1d12h", "retention: 15d")
    result = apply_site(engine, site_of(changed, B, insee="37123"), clock)
    assert result.cameras_updated == ["jlt-001"]
    assert result.cameras_unchanged == ["jlt-002"]
    assert result.communes_updated == ["joue-les-tours"]
    after = stored_updated_ms(engine)
    assert after["jlt-001"] == before["jlt-001"] + 60_000
    assert after["jlt-002"] == before["jlt-002"]
    assert after["savonnieres"] == before["savonnieres"]
    row = get_camera(engine, "jlt-001")
    assert row is not None and row.retention == timedelta(days=15)


def test_removed_camera_keeps_its_row_and_returns(engine: Engine, clock: FakeClock) -> None:
    apply_site(engine, site_of(A, B), clock)
    clock.advance(timedelta(days=1))
    removed_at = utc_ms(clock.now())
    result = apply_site(engine, site_of(A), clock)
    assert result.cameras_removed == ["jlt-002"]
    row = get_camera(engine, "jlt-002")
    assert row is not None and row.removed_ms == removed_at and not row.enabled
    assert [c.id for c in active_cameras(engine)] == ["jlt-001"]
    assert [c.id for c in list_cameras(engine, include_removed=True)] == ["jlt-001", "jlt-002"]

    # Applying again does not move the removal time (retention runs from the footage).
    clock.advance(timedelta(days=1))
    assert not apply_site(engine, site_of(A), clock).changed
    again = get_camera(engine, "jlt-002")
    assert again is not None and again.removed_ms == removed_at

    clock.advance(timedelta(days=1))
    back = apply_site(engine, site_of(A, B), clock)
    assert back.cameras_returned == ["jlt-002"] and back.cameras_removed == []
    row = get_camera(engine, "jlt-002")
    assert row is not None and row.removed_ms is None and row.enabled
    assert [c.id for c in active_cameras(engine)] == ["jlt-001", "jlt-002"]


def test_disabled_camera_stays_active_but_not_enabled(engine: Engine, clock: FakeClock) -> None:
    apply_site(engine, site_of(A, B + "    enabled: false\n"), clock)
    rows = {c.id: c for c in active_cameras(engine)}
    assert rows["jlt-002"].enabled is False and rows["jlt-002"].removed_ms is None
    assert [c.id for c in list_cameras(engine, only_enabled=True)] == ["jlt-001"]


def test_credentials_never_reach_the_database(engine: Engine, clock: FakeClock) -> None:
    with_creds = cam("jlt-003", "rtsp://op%40jlt:s3cret@192.0.2.10:554/Streaming/101")
    with_env = cam(
        "jlt-004",
        "rtsp://192.0.2.11/live",
        "    username: viewer\n    password_env: JLT_PASSWORD\n",
    )
    site = site_of(with_creds, with_env)
    apply_site(engine, site, clock)
    with engine.connect() as conn:
        dumped = " ".join(str(v) for r in conn.execute(select(cameras)) for v in r)
    assert "s3cret" not in dumped
    row3, row4 = get_camera(engine, "jlt-003"), get_camera(engine, "jlt-004")
    assert row3 is not None and row4 is not None
    assert row3.stream_url == "rtsp://192.0.2.10:554/Streaming/101"
    assert row3.username == "op@jlt" and row3.password_env is None
    assert (row4.username, row4.password_env) == ("viewer", "JLT_PASSWORD")

    # The password written in the address lives only in the loaded site, in memory.
    file_cam = site.cameras[0]
    assert camera_stream_credentials(file_cam, environ={}) == (
        "rtsp://192.0.2.10:554/Streaming/101",
        "op@jlt",
        "s3cret",
    )
    assert camera_stream_credentials(row4, environ={"JLT_PASSWORD": "pw"}) == (
        "rtsp://192.0.2.11/live",
        "viewer",
        "pw",
    )
    # Applying the same file again is still a no-op: stripping is deterministic.
    assert not apply_site(engine, site, clock).changed


def test_commune_absent_from_the_file_is_kept(engine: Engine, clock: FakeClock) -> None:
    apply_site(engine, site_of(A), clock)
    only_joue = load_site_text(
        "communes:\n  - id: joue-les-tours\n    name: Joué-lès-Tours\n    insee: '37122'\n"
        "cameras:\n" + A,
        today=TODAY,
    ).site
    result = apply_site(engine, only_joue, clock)
    assert result.communes_absent == ["savonnieres"]
    with engine.connect() as conn:
        assert conn.execute(select(communes.c.id).order_by(communes.c.id)).scalars().all() == [
            "joue-les-tours",
            "savonnieres",
        ]
