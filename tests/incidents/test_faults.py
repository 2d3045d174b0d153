"""Fault incidents from the health watcher (both databases): a simulated camera that the
real recorder loses and finds again, legal minima, the disk floor, the retention loop,
the NTP status and prefectoral authorisations, with the injectable clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from beffroi.archive.clock_guard import ClockGuard
from beffroi.archive.disk import DiskUsage
from beffroi.archive.maintenance import RetentionLoop
from beffroi.clock import FakeClock
from beffroi.incidents.faults import FaultIncidents
from beffroi.incidents.queries import get_incident, list_incidents
from beffroi.incidents.tables import incident_faults, incidents
from beffroi.incidents.watcher import ClockSync, FaultSettings, FaultWatcher, ntp_status
from beffroi.ingest.state import Status
from beffroi.journal.service import Journal
from beffroi.journal.tables import journal_entries
from beffroi.sim.faults import Fault
from beffroi.sim.runner import run_in_thread
from beffroi.sim.specs import CameraSpec as SimCamera
from beffroi.site.tables import cameras
from tests.alarms.site import SITE, seed
from tests.ingest.harness import recording, spec, wait_for
from tests.web.conftest import FakeRecorder

CAM = "jlt-004"
SMALL = {"width": 320, "height": 240, "fps": 15, "bitrate": 300_000, "duration": 4.0}
JOUE = frozenset({"joue-les-tours"})
CHAMBRAY = frozenset({"chambray"})


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    cams = [SimCamera(name=CAM, **SMALL)]
    with run_in_thread(cams, cache_dir=tmp_path_factory.getbasetemp() / "clips") as server:
        yield server


def faults_of(engine: Engine, kind: str) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(incident_faults, incidents.c.state)
                .join(incidents, incidents.c.id == incident_faults.c.incident_id)
                .where(incident_faults.c.kind == kind)
                .order_by(incident_faults.c.commune_id)
            ).all()
        )


def steps(engine: Engine, incident_id: int) -> list[str]:
    found = get_incident(engine, None, incident_id)
    assert found is not None
    return [h.action for h in found.history]


def watcher(engine: Engine, clock: FakeClock, recorder: Any, **kw: Any) -> FaultWatcher:
    kw.setdefault("clock_sync", None)  # the host's NTP state must not decide a test
    settings = kw.pop("settings", FaultSettings())
    return FaultWatcher(
        engine, clock, recorder, FaultIncidents(engine, clock), settings=settings, **kw
    )


def test_a_camera_lost_and_found_by_the_recorder(
    sim: Any, engine: Engine, clock: FakeClock, tmp_path: Path, data_dir: Path
) -> None:
    seed(engine, clock, SITE)
    settings = FaultSettings(offline_after_s=120, below_minima_after_s=30)
    with recording(engine, tmp_path / "archive", [spec(sim.url(CAM), CAM)]) as rig:
        journal = Journal.open(engine, clock, data_dir)
        faults = FaultIncidents(engine, clock, journal)
        watch = FaultWatcher(
            engine, clock, rig.supervisor, faults, settings=settings, clock_sync=None
        )
        wait_for(lambda: rig.state(CAM).status == Status.RECORDING, 30, "recording")
        wait_for(lambda: rig.state(CAM).width is not None, 10, "a measured size")
        # 320x240 is below the 352x288 of a general view: an incident once it lasted.
        assert watch.check_once() == []
        clock.advance(31)
        (minima,) = watch.check_once()
        assert "320x240" in faults_of(engine, "below_minima")[0].message

        sim.set_fault(CAM, Fault(refuse="close", drop_after=0))
        wait_for(lambda: rig.state(CAM).status != Status.RECORDING, 20, "the camera lost")
        assert watch.check_once() == []  # not yet: a blip is not an incident
        clock.advance(60)
        assert watch.check_once() == []
        clock.advance(61)
        (offline,) = watch.check_once()
        assert watch.check_once() == [] and watch.check_once() == []  # one, not one a round
        shown = get_incident(engine, JOUE, offline)
        assert shown is not None and shown.kind == "camera_offline" and shown.cameras == [CAM]
        assert shown.state == "new" and shown.fault is not None
        assert shown.fault.resolved_at is None and "not recording" in shown.fault.message
        assert get_incident(engine, CHAMBRAY, offline) is None  # scoped like the camera
        # While the camera is off, its resolution is unknown: the minima one stays open.
        assert faults_of(engine, "below_minima")[0].resolved_ms is None

        sim.set_fault(CAM, None)
        wait_for(lambda: rig.state(CAM).status == Status.RECORDING, 30, "the camera back")
        assert watch.check_once() == []
        assert steps(engine, offline) == ["opened", "resolved"]
        (row,) = faults_of(engine, "camera_offline")
        assert row.resolved_ms is not None and row.state == "new"  # a person closes it

        # It fails again before anyone closed the incident: the same incident, counted.
        sim.set_fault(CAM, Fault(refuse="close", drop_after=0))
        wait_for(lambda: rig.state(CAM).status != Status.RECORDING, 20, "lost again")
        watch.check_once()
        clock.advance(121)
        assert watch.check_once() == []
        (row,) = faults_of(engine, "camera_offline")
        assert row.incident_id == offline and row.occurrences == 2 and row.resolved_ms is None
        assert steps(engine, offline) == ["opened", "resolved", "fault"]
        sim.set_fault(CAM, None)
    assert minima != offline
    with engine.connect() as conn:
        journaled = conn.execute(
            select(journal_entries.c.action, journal_entries.c.detail)
            .where(journal_entries.c.camera_id == CAM)
            .order_by(journal_entries.c.seq)
        ).all()
    assert [a for a, _ in journaled] == ["incident.open", "incident.open", "incident.resolved"]
    assert json.loads(journaled[1].detail)["incident"] == offline


def test_storage_floor_one_incident_per_commune_until_it_clears(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    seed(engine, clock, SITE)
    free = {"bytes": 5 * 10**9}
    watch = watcher(
        engine,
        clock,
        FakeRecorder(),
        archive_root=tmp_path,
        floor_bytes=10 * 10**9,
        disk_usage_fn=lambda _p: DiskUsage(total=100 * 10**9, free=free["bytes"]),
    )
    opened = watch.check_once()
    assert len(opened) == 2 and watch.check_once() == []
    rows = faults_of(engine, "storage_low")
    assert [r.commune_id for r in rows] == ["chambray", "joue-les-tours"]
    assert "5.0 GB free of 100.0 GB, floor 10.0 GB" in rows[0].message
    assert [i.kind for i in list_incidents(engine, CHAMBRAY)] == ["storage_low"]
    free["bytes"] = 20 * 10**9
    watch.check_once()
    assert all(r.resolved_ms is not None for r in faults_of(engine, "storage_low"))
    assert all(steps(engine, i) == ["opened", "resolved"] for i in opened)


def test_ntp_status_raises_after_its_delay_and_unknown_decides_nothing(
    engine: Engine, clock: FakeClock
) -> None:
    seed(engine, clock, SITE)
    answers = [ClockSync(False, None, "timedatectl")]
    watch = watcher(
        engine,
        clock,
        FakeRecorder(),
        settings=FaultSettings(clock_after_s=60, clock_every_s=0),
        clock_sync=lambda: answers[-1],
    )
    assert watch.check_once() == []
    clock.advance(61)
    assert len(watch.check_once()) == 2
    answers.append(ClockSync(True, 2.5, "chronyc"))  # synchronised, yet 2.5 s off
    watch.check_once()
    rows = faults_of(engine, "clock_unsynced")
    assert all(r.resolved_ms is None for r in rows)
    answers.append(ClockSync(None))  # cannot tell: neither raise nor resolve
    watch.check_once()
    assert all(r.resolved_ms is None for r in faults_of(engine, "clock_unsynced"))
    answers.append(ClockSync(True, 0.004, "chronyc"))
    watch.check_once()
    assert all(r.resolved_ms is not None for r in faults_of(engine, "clock_unsynced"))


def test_ntp_status_reads_timedatectl_then_chrony() -> None:
    chrony = (
        "Reference ID    : C0A80001 (ntp.local)\n"
        "System time     : 1.250000000 seconds slow of NTP time\n"
        "Leap status     : Normal\n"
    )

    def host(outputs: dict[str, str | None]) -> Any:
        return lambda cmd: outputs.get(cmd[0])

    assert ntp_status(host({"timedatectl": "yes\n"})) == ClockSync(True, None, "timedatectl")
    assert ntp_status(host({"timedatectl": "no\n"})).synced is False
    assert ntp_status(host({"chronyc": chrony})) == ClockSync(True, -1.25, "chronyc")
    unsynced = chrony.replace("Normal", "Not synchronised")
    assert ntp_status(host({"chronyc": unsynced})).synced is False
    assert ntp_status(host({})) == ClockSync(None)


@dataclass
class Stalled:
    """A retention loop whose thread is alive but whose rounds stopped completing."""

    rounds: int = 7
    running: bool = True
    clock_guard: ClockGuard = field(default_factory=ClockGuard)
    unmatched_holds: list[Any] = field(default_factory=list)


def test_retention_loop_not_running_or_stalled(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    seed(engine, clock, SITE)
    loop = RetentionLoop(engine, tmp_path, clock, free_floor_bytes=0, interval_s=0.05)
    watch = watcher(engine, clock, FakeRecorder(), retention=loop)
    assert len(watch.check_once()) == 2  # never started: nothing expires
    assert "not running" in faults_of(engine, "retention_failing")[0].message
    loop.start()
    try:
        assert loop.loop.wait_rounds(1)
        clock.advance(0.05)
        assert loop.loop.wait_rounds(2)
        watch.check_once()
    finally:
        loop.stop()
    assert all(r.resolved_ms is not None for r in faults_of(engine, "retention_failing"))

    stalled = watcher(engine, clock, FakeRecorder(), retention=Stalled())
    stalled.check_once()
    clock.advance(299)
    stalled.check_once()
    assert all(r.resolved_ms is not None for r in faults_of(engine, "retention_failing"))
    clock.advance(2)
    stalled.check_once()
    rows = faults_of(engine, "retention_failing")
    assert all(r.resolved_ms is None and r.occurrences == 2 for r in rows)
    assert "no retention round completed for 5 min" in rows[0].message


def test_authorisation_expiring_within_thirty_days(engine: Engine, clock: FakeClock) -> None:
    seed(engine, clock, SITE)  # the clock says 2026-11-01

    def expires(camera: str, day: str) -> None:
        with engine.begin() as conn:
            conn.execute(
                update(cameras)
                .where(cameras.c.id == camera)
                .values(authorisation_expires=day, authorisation_ref="2021-117")
            )

    expires("jlt-001", "2026-11-20")
    expires("jlt-003", "2026-10-01")
    expires("cha-001", "2026-12-02")  # 31 days: not yet
    watch = watcher(engine, clock, FakeRecorder())
    assert len(watch.check_once()) == 2
    rows = {r.object: r for r in faults_of(engine, "authorisation_expiring")}
    assert set(rows) == {"jlt-001", "jlt-003"}
    assert "authorisation 2021-117 expires in 19 day(s) (2026-11-20)" in rows["jlt-001"].message
    assert "expired 31 day(s) ago" in rows["jlt-003"].message
    expires("jlt-001", "2031-11-20")  # renewed
    watch.check_once()
    rows = {r.object: r for r in faults_of(engine, "authorisation_expiring")}
    assert rows["jlt-001"].resolved_ms is not None and rows["jlt-003"].resolved_ms is None
    found = get_incident(engine, JOUE, rows["jlt-001"].incident_id)
    assert found is not None and found.fault is not None and found.fault.resolved_at
    assert json.loads(json.dumps(found.model_dump(mode="json")))["fault"]["kind"] == (
        "authorisation_expiring"
    )


def test_a_clock_step_opens_an_incident_until_the_clock_is_right(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    seed(engine, clock, SITE)
    loop = RetentionLoop(engine, tmp_path, clock, free_floor_bytes=0)
    watch = watcher(engine, clock, FakeRecorder(), retention=loop)
    loop.run_once()
    clock.step(16 * 86_400)
    clock.advance(10)
    loop.run_once()
    watch.check_once()
    rows = faults_of(engine, "clock_step")
    assert rows and all(r.resolved_ms is None for r in rows)
    assert "stepped 16.0 days forward" in rows[0].message
    clock.step(-16 * 86_400)
    clock.advance(10)
    loop.run_once()
    watch.check_once()
    assert all(r.resolved_ms is not None for r in faults_of(engine, "clock_step"))
