"""Recording continues unaffected while exports of recorded footage run (arrêté du
3 août 2007, art. 3): a simulated RTSP camera is recorded while the export runner
builds package after package of footage the same recorder wrote."""

from __future__ import annotations

import itertools
import json
import time
import zipfile
from pathlib import Path

from sqlalchemy import Engine

from beffroi.access.permissions import Role
from beffroi.access.principal import Principal
from beffroi.export.jobs import DONE, ExportJobs, create_export
from beffroi.export.verify import verify_package
from beffroi.ingest.state import Status
from beffroi.journal.keys import load_or_create_key
from tests.export.helpers import make_requisition
from tests.ingest.conftest import rec_engine, sim, sim_cache  # noqa: F401  (fixtures)
from tests.ingest.harness import recording, spec, wait_for

SUPERVISOR = Principal(user_id=1, username="chef", role=Role.SUPERVISOR, communes=None)
EXPORTING_S = 6.0


def test_recording_continues_without_a_gap_during_exports(
    sim,  # noqa: F811
    rec_engine: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    root = data_dir / "archive"
    load_or_create_key(data_dir)
    with recording(rec_engine, root, [spec(sim.url("cam0"), "cam0")]) as rig:
        wait_for(lambda: len(rig.rows("cam0")) >= 3, 30, "three recorded segments")
        done = rig.rows("cam0")
        req = make_requisition(
            rec_engine,
            [("cam0", done[0]["start_ms"], done[-1]["end_ms"])],
            now_ms=done[-1]["end_ms"],
        )
        jobs = ExportJobs(rec_engine, rig.index.clock, data_dir, root)
        jobs.start()
        built = []
        began = time.time() * 1000
        try:
            # Package after package of recorded footage, for several segment lengths.
            while time.time() * 1000 - began < EXPORTING_S * 1000:
                with rec_engine.begin() as conn:
                    export_id = create_export(conn, req, SUPERVISOR, 0)
                jobs.submit(export_id)
                assert jobs.wait_idle(30)
                built.append(export_id)
        finally:
            jobs.stop()
        ended = time.time() * 1000
        wait_for(
            lambda: any(r["start_ms"] >= ended for r in rig.rows("cam0")),
            15,
            "a segment started after the exports",
        )
        assert rig.state("cam0").status == Status.RECORDING
    rows = rig.rows("cam0")
    during = [r for r in rows if r["end_ms"] > began and r["start_ms"] < ended]
    # Segments kept arriving through the whole export window, back to back, at full rate.
    assert during[0]["start_ms"] <= began and during[-1]["end_ms"] >= ended
    for a, b in itertools.pairwise(rows):
        assert a["end_ms"] == b["start_ms"], "no gap in the recording"
        assert b["prev_sha256"] == a["sha256"]
    for r in during:
        assert 12 <= r["fps"] <= 18, "frames kept arriving at the camera's rate"
    packages = sorted((data_dir / "exports").glob("*.zip"))
    print(f"{len(built)} packages built while recording")
    assert len(built) >= 3 and len(packages) == len(built)
    assert all(jobs.run(i) == DONE for i in built)  # already built: nothing re-run
    assert verify_package(packages[-1]).ok


def _manifest(data_dir: Path) -> dict:
    (package,) = sorted((data_dir / "exports").glob("*.zip"))
    with zipfile.ZipFile(package) as z:
        (name,) = [n for n in z.namelist() if n.endswith("/manifest.json")]
        return json.loads(z.read(name))


def test_a_range_in_the_segment_being_written_waits_for_it(
    sim,  # noqa: F811
    rec_engine: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Footage still in the segment being written is not in the index yet: the export
    waits for that segment to close rather than call the range "not recorded"."""
    data_dir = tmp_path / "data"
    root = data_dir / "archive"
    load_or_create_key(data_dir)
    with recording(rec_engine, root, [spec(sim.url("cam0"), "cam0")], segment_ms=4000) as rig:
        wait_for(lambda: len(rig.rows("cam0")) >= 1, 30, "a recorded segment")

        def live_start(camera: str) -> int | None:
            live = rig.state(camera).live
            return live.start_ms if live is not None else None

        start = live_start("cam0")
        assert start is not None
        wait_for(
            lambda: (rig.state("cam0").live or start).flushed_end_ms > start + 1500, 10, "1.5 s"
        )
        req = make_requisition(rec_engine, [("cam0", start + 200, start + 1200)], now_ms=start)
        jobs = ExportJobs(rec_engine, rig.index.clock, data_dir, root, live_start=live_start)
        jobs.start()
        try:
            with rec_engine.begin() as conn:
                export_id = create_export(conn, req, SUPERVISOR, 0)
            jobs.submit(export_id)
            assert jobs.wait_idle(60)
        finally:
            jobs.stop()
    clip = _manifest(data_dir)["clips"][0]
    assert clip["files"], clip
    assert clip["gaps"] == [], "the range was recorded: no gap may be claimed"
    assert clip["files"][0]["duration_s"] >= 0.9
