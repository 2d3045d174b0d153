"""The media queue without a camera (both databases): what an alarm queues, per-building
windows, a camera that recorded nothing, and the destruction of expired copies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update

from beffroi.alarms.events import PanelEvent
from beffroi.clock import FakeClock, utc_ms
from beffroi.incidents.clip_window import ClipWindow, MediaSettings
from beffroi.incidents.media import IncidentMedia
from beffroi.incidents.service import IncidentService
from beffroi.incidents.tables import incident_media
from beffroi.journal.service import Journal
from beffroi.journal.tables import journal_entries
from tests.alarms.site import seed
from tests.incidents.conftest import alarm
from tests.web.conftest import FakeRecorder

DAY_MS = 86_400_000


def media(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(incident_media).order_by(
                    incident_media.c.camera_id, incident_media.c.kind, incident_media.c.part
                )
            ).all()
        )


def test_each_camera_gets_its_media_at_the_alarm_that_brought_it(
    engine: Engine, clock: FakeClock
) -> None:
    seed(engine, clock)
    windows = MediaSettings(ClipWindow(20, 40), {"gymnase-jean-bigot": ClipWindow(5, 10)})
    service = IncidentService(engine, clock, group_seconds=60, media=windows)
    first = service.alarm_received(alarm(engine, clock.now()))  # zone 1: jlt-004
    t0 = utc_ms(clock.now())
    clock.advance(10)
    again = service.alarm_received(alarm(engine, clock.now()))  # the same zone: nothing new
    clock.advance(10)
    zone2 = PanelEvent("BA", 2, 1, "intrusion")  # jlt-003 and jlt-004
    later = service.alarm_received(alarm(engine, clock.now(), "gymnase-jean-bigot", "4321", zone2))
    assert first == again == later
    rows = media(engine)
    assert [(r.camera_id, r.kind) for r in rows] == [
        ("jlt-003", "clip"),
        ("jlt-003", "snapshot"),
        ("jlt-004", "clip"),
        ("jlt-004", "snapshot"),
    ]
    by = {(r.camera_id, r.kind): r for r in rows}
    assert by["jlt-004", "snapshot"].at_ms == t0 and by["jlt-003", "snapshot"].at_ms == t0 + 20_000
    clip = by["jlt-004", "clip"]
    assert (clip.want_start_ms, clip.want_end_ms) == (t0 - 5_000, t0 + 10_000)
    assert clip.due_ms > clip.want_end_ms and all(r.state == "pending" for r in rows)
    # Another building keeps the global window; no media at all when switched off.
    other = service.alarm_received(alarm(engine, clock.now(), "mairie-chambray", "5101"))
    (cha,) = [r for r in media(engine) if r.camera_id == "cha-001" and r.kind == "clip"]
    assert cha.incident_id == other and cha.want_end_ms - cha.want_start_ms == 60_000
    silent = IncidentService(engine, clock, media=None)
    clock.advance(600)
    assert silent.alarm_received(alarm(engine, clock.now(), "hotel-de-ville", "ABC123"))
    assert not [r for r in media(engine) if r.camera_id == "jlt-001"]


def test_nothing_recorded_is_stated_and_copies_expire_with_the_footage(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    seed(engine, clock)
    journal = Journal.open(engine, clock, data_dir)
    service = IncidentService(engine, clock, media=MediaSettings(ClipWindow(2, 3)))
    incident = service.alarm_received(alarm(engine, clock.now()))
    t0 = utc_ms(clock.now())
    worker = IncidentMedia(
        engine, clock, data_dir, data_dir / "archive", FakeRecorder(), journal=journal
    )
    try:
        assert worker.run_due() == 1  # the snapshot; the clip waits for the post-alarm time
        clock.advance(5)
        assert worker.run_due() == 1
    finally:
        worker.stop()
    snap, clip = (
        [r for r in media(engine) if r.kind == "snapshot"],
        [r for r in media(engine) if r.kind == "clip"],
    )
    assert snap[0].state == clip[0].state == "no_footage"
    assert json.loads(clip[0].gaps) == [[t0 - 2000, t0 + 3000]]  # the whole window, stated
    assert clip[0].expires_ms == t0 + 3000 + 15 * DAY_MS  # the camera's retention

    # A copy made: it goes when the footage it copies would have gone, open incident or not.
    copy = data_dir / "incidents" / str(incident) / "jlt-004-clip-0.mp4"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(b"not really a clip")
    with engine.begin() as conn:
        conn.execute(
            update(incident_media)
            .where(incident_media.c.id == clip[0].id)
            .values(state="ready", path=f"incidents/{incident}/jlt-004-clip-0.mp4")
        )
    clock.advance(15 * 86_400 - 5)
    assert worker.purge_expired() == 1 and copy.is_file()  # the snapshot row only
    clock.advance(3)
    assert worker.purge_expired() == 1
    assert not copy.exists() and not copy.parent.exists()
    rows = media(engine)
    assert {r.state for r in rows} == {"destroyed"} and all(r.destroyed_ms for r in rows)
    assert worker.purge_expired() == 0
    with engine.connect() as conn:
        entries = conn.execute(
            select(journal_entries.c.detail).where(
                journal_entries.c.action == "incident.media.destroy"
            )
        ).all()
    assert [json.loads(e.detail) for e in entries] == [
        {"files": 0, "incidents": [incident]},
        {"files": 1, "incidents": [incident]},
    ]


def test_destruction_never_reaches_outside_the_incidents_folder(
    engine: Engine, clock: FakeClock, data_dir: Path
) -> None:
    """A media row pointed by someone with the database at another file (the signing
    key, the database): its expiry destroys the row's state, never that file."""
    seed(engine, clock)
    service = IncidentService(engine, clock, media=MediaSettings(ClipWindow(2, 3)))
    service.alarm_received(alarm(engine, clock.now()))
    worker = IncidentMedia(engine, clock, data_dir, data_dir / "archive", FakeRecorder())
    try:
        worker.run_due()
        clock.advance(5)
        worker.run_due()
    finally:
        worker.stop()
    precious = data_dir / "precious.key"
    precious.write_text("do not delete")
    targets = ["../precious.key", str(precious), "incidents/../precious.key"]
    with engine.begin() as conn:
        for row, target in zip(media(engine), targets, strict=False):
            conn.execute(
                update(incident_media)
                .where(incident_media.c.id == row.id)
                .values(state="ready", path=target)
            )
    clock.advance(16 * 86_400)
    assert worker.purge_expired() == 2
    assert precious.read_text() == "do not delete"
