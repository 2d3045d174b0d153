"""A worker killed mid-segment and a disk that fills up lose nothing already recorded."""

from __future__ import annotations

import hashlib
import itertools
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from beffroi.archive.layout import PART_SUFFIX
from beffroi.ingest.state import Reason, Status
from tests.ingest.harness import recording, spec, wait_for


def test_sigkill_mid_segment_loses_at_most_the_fragment_being_written(
    sim, rec_engine, tmp_path
) -> None:
    root = tmp_path / "archive"
    with recording(
        rec_engine, root, [spec(sim.url("cam0"), "cam0")], segment_ms=60_000, use_processes=True
    ) as rig:

        def flushed_3s() -> bool:
            live = rig.state("cam0").live
            return live is not None and live.flushed_end_ms - live.start_ms >= 3000

        wait_for(flushed_3s, 30, "3 s of footage in the segment being written")
        live = rig.state("cam0").live
        assert live is not None
        worker = rig.supervisor.shards[0].process
        os.kill(worker.pid, signal.SIGKILL)
        wait_for(lambda: rig.supervisor.shards[0].restarts == 1, 10, "worker restart")
        wait_for(lambda: any(r["salvaged"] for r in rig.rows("cam0")), 20, "salvaged segment")
    rows = rig.rows("cam0")
    salvaged = next(r for r in rows if r["salvaged"])
    assert salvaged["path"] == live.path
    assert salvaged["end_ms"] >= live.flushed_end_ms - 100, "flushed fragments survive"
    data = (root / salvaged["path"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == salvaged["sha256"]
    assert not list(root.rglob("*" + PART_SUFFIX))
    for a, b in itertools.pairwise(rows):
        assert b["prev_sha256"] == a["sha256"]
        assert b["start_ms"] >= a["end_ms"]


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A real 1 MiB filesystem (tmpfs), so the disk really fills up."""
    mnt = Path(f"/tmp/beffroi-small-disk-{uuid.uuid4().hex[:8]}")
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
        mnt.rmdir()


def test_a_full_disk_is_reported_and_corrupts_nothing(sim, rec_engine, small_disk) -> None:
    root = small_disk / "archive"
    with recording(rec_engine, root, [spec(sim.url("cam1"), "cam1")], segment_ms=2000) as rig:
        wait_for(lambda: rig.state("cam1").reason == Reason.STORAGE_ERROR, 60, "disk full")
        assert "No space" in (rig.state("cam1").detail or "")
        # Space comes back (retention freed some, or an administrator grew the volume).
        subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
        wait_for(lambda: rig.state("cam1").status == Status.RECORDING, 30, "recording again")
        before = len(rig.rows("cam1"))
        wait_for(lambda: len(rig.rows("cam1")) > before, 20, "new segments")
    rows = rig.rows("cam1")
    assert any(r["salvaged"] for r in rows), "the torn segment is salvaged, not dropped"
    for r in rows:
        data = (root / r["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == r["sha256"] and len(data) == r["bytes"]
    assert not list(root.rglob("*" + PART_SUFFIX))


def test_a_clean_stop_indexes_every_camera_s_last_segment(sim_cache, rec_engine, tmp_path) -> None:
    """Many cameras in worker processes: their final news must not be stuck in a full
    pipe while the supervisor waits for the workers (that once lost the last segments)."""
    from beffroi.sim.runner import run_in_thread
    from beffroi.sim.specs import make_cameras
    from tests.archive.seed import add_cameras

    n = 90
    ids = [f"many-{i:02d}" for i in range(n)]
    add_cameras(rec_engine, *ids)
    cams = make_cameras(n, width=320, height=240, fps=15, bitrate=300_000, duration=4.0)
    root = tmp_path / "archive"
    with run_in_thread(cams, cache_dir=sim_cache) as server:
        specs = [spec(server.url(f"cam{i}"), ids[i]) for i in range(n)]
        with recording(rec_engine, root, specs, segment_ms=60_000, use_processes=True) as rig:
            wait_for(
                lambda: all(
                    s.status == Status.RECORDING for s in rig.supervisor.camera_states().values()
                ),
                60,
                "all cameras recording",
            )
    assert not list(root.rglob("*" + PART_SUFFIX))
    for camera_id in ids:
        assert len(rig.rows(camera_id)) == 1, f"{camera_id}: last segment not indexed"
