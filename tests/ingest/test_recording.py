"""Recording simulated RTSP cameras end to end: sessions, segments, index, faults; with
each RTSP client (`reader`: FFmpeg's, and ours)."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import av

from beffroi.ingest.state import Reason, Status
from beffroi.sim.faults import Fault
from tests.ingest.harness import recording, spec, wait_for


def decoded_frames(path: Path) -> list:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="gray") for f in c.decode(video=0)]


def test_cameras_record_contiguous_segments_whose_frames_move(
    sim, rec_engine, tmp_path, reader
) -> None:
    specs = [spec(sim.url(f"cam{i}"), f"cam{i}", reader=reader) for i in range(3)]
    with recording(rec_engine, tmp_path / "archive", specs) as rig:
        wait_for(lambda: all(len(rig.rows(f"cam{i}")) >= 2 for i in range(3)), 20, "segments")
        # Rates ride on the periodic state, which a worker sends in batches (every 0.5 s):
        # the first pictures held for the camera's first RTCP report may make two
        # segments at once, before it.
        wait_for(lambda: rig.state("cam0").fps is not None, 5, "cam0's measured rates")
        st = rig.state("cam0")
        assert st.status == Status.RECORDING and st.reason is None
        assert st.codec == "h264" and (st.width, st.height) == (320, 240)
        assert st.fps is not None and 12 <= st.fps <= 18
        # The simulator encodes at 300 kbit/s on average (tests/ingest/conftest.py).
        assert st.bitrate_bps and 150_000 < st.bitrate_bps < 600_000, st.bitrate_bps

        def fragment_on_disk() -> bool:
            live = rig.state("cam0").live
            return live is not None and live.flushed_end_ms > live.start_ms

        wait_for(fragment_on_disk, 5, "a flushed fragment of the segment being written")
    for i in range(3):
        rows = rig.rows(f"cam{i}")
        for a, b in itertools.pairwise(rows):
            assert a["end_ms"] == b["start_ms"], "segments of a session are contiguous"
            assert b["prev_sha256"] == a["sha256"]
        frames = decoded_frames(tmp_path / "archive" / rows[0]["path"])
        assert len(frames) == rows[0]["frames"] >= 20
        assert (frames[0] != frames[-1]).any(), "frames must move"
        assert frames[0].std() > 1, "a frame must not be uniform"


def test_h265_is_recorded_by_stream_copy(sim, rec_engine, tmp_path, reader) -> None:
    with recording(
        rec_engine, tmp_path / "archive", [spec(sim.url("cam5"), "cam5", reader=reader)]
    ) as rig:
        wait_for(lambda: len(rig.rows("cam5")) >= 1, 20, "an H.265 segment")
    row = rig.rows("cam5")[0]
    assert row["codec"] == "hevc"
    with av.open(str(tmp_path / "archive" / row["path"])) as c:
        assert c.streams.video[0].codec_context.codec_tag == "hvc1"
    assert len(decoded_frames(tmp_path / "archive" / row["path"])) == row["frames"]


def test_each_failure_has_its_own_reason(sim, rec_engine, tmp_path, reader) -> None:
    specs = [
        spec(sim.url("cam4"), "cam0", username="agent", password="wrong", reader=reader),
        spec(
            "rtsp://127.0.0.1:9/cam0", "cam1", reader=reader
        ),  # nothing listens on the discard port
        spec(sim.url("nosuchcam"), "cam2", reader=reader),
        spec(sim.url("cam4"), "cam3", username="agent", password="s3cret!", reader=reader),
    ]
    with recording(rec_engine, tmp_path / "archive", specs) as rig:
        expected = {
            "cam0": Reason.UNAUTHORIZED,
            "cam1": Reason.UNREACHABLE,
            "cam2": Reason.NOT_FOUND,
        }
        wait_for(lambda: all(rig.state(c).reason == r for c, r in expected.items()), 15, "reasons")
        for cam in expected:
            st = rig.state(cam)
            assert st.status in (Status.OFFLINE, Status.CONNECTING)
            assert st.detail and "wrong" not in st.detail, "never show a password"
        wait_for(lambda: rig.state("cam3").status == Status.RECORDING, 15, "digest auth")


def test_a_dropped_session_reconnects_and_the_gap_is_recorded(
    sim, rec_engine, tmp_path, reader
) -> None:
    sim.set_fault("cam0", Fault(drop_after=2.5))
    with recording(
        rec_engine, tmp_path / "archive", [spec(sim.url("cam0"), "cam0", reader=reader)]
    ) as rig:
        wait_for(lambda: rig.state("cam0").reconnects >= 2, 20, "reconnections")
        wait_for(lambda: rig.state("cam0").status == Status.RECORDING, 10, "recording again")
    rows = rig.rows("cam0")
    assert len(rows) >= 2
    starts = [r["start_ms"] for r in rows]
    assert starts == sorted(starts)
    for a, b in itertools.pairwise(rows):
        assert b["start_ms"] >= a["end_ms"], "segments never overlap"
        assert b["prev_sha256"] == a["sha256"]


def test_a_timestamp_jump_never_corrupts_the_archive(sim, rec_engine, tmp_path, reader) -> None:
    sim.set_fault("cam1", Fault(jump_after=1.5, jump_seconds=3600))
    sim.set_fault("cam2", Fault(jump_after=1.5, jump_seconds=-600))
    specs = [
        spec(sim.url("cam1"), "cam1", reader=reader),
        spec(sim.url("cam2"), "cam2", reader=reader),
    ]
    with recording(rec_engine, tmp_path / "archive", specs, segment_ms=60_000) as rig:
        wait_for(
            lambda: (
                rig.state("cam1").timestamp_jumps >= 1 and rig.state("cam2").timestamp_jumps >= 1
            ),
            15,
            "jumps seen",
        )
        wait_for(lambda: rig.state("cam1").live is not None, 5, "live")
    for cam in ("cam1", "cam2"):
        rows = rig.rows(cam)
        assert len(rows) == 1, "a jump is re-based inside the segment, not a new segment"
        r = rows[0]
        assert r["end_ms"] - r["start_ms"] < 30_000, "a camera's jump must not add time"
        frames = decoded_frames(tmp_path / "archive" / r["path"])
        assert len(frames) == r["frames"]


def test_a_stalled_camera_is_reported_and_recovers(sim, rec_engine, tmp_path, reader) -> None:
    # After FFmpeg's probe (about 2 s), which swallows read errors while it probes.
    sim.set_fault("cam3", Fault(stall_after=4.0, stall_seconds=6.0))
    s = spec(sim.url("cam3"), "cam3", stall_timeout_s=2.0, reader=reader)
    with recording(rec_engine, tmp_path / "archive", [s]) as rig:
        wait_for(lambda: rig.state("cam3").reason == Reason.STALLED, 15, "stall reported")
        wait_for(lambda: rig.state("cam3").status == Status.RECORDING, 20, "recovery")


def test_garbage_from_a_camera_never_corrupts_the_archive(
    sim, rec_engine, tmp_path, reader
) -> None:
    sim.set_fault("cam0", Fault(garbage_after=1.0, garbage_frames=10))
    with recording(
        rec_engine, tmp_path / "archive", [spec(sim.url("cam0"), "cam0", reader=reader)]
    ) as rig:
        wait_for(lambda: len(rig.rows("cam0")) >= 2, 20, "segments after garbage")
    for r in rig.rows("cam0"):
        path = tmp_path / "archive" / r["path"]
        assert path.stat().st_size == r["bytes"]
        with av.open(str(path)) as c:
            assert sum(1 for p in c.demux(video=0) if p.dts is not None) == r["frames"]


def test_one_thread_reads_every_native_session_of_a_worker(sim, rec_engine, tmp_path) -> None:
    specs = [spec(sim.url(f"cam{i}"), f"cam{i}", reader="native") for i in range(3)]
    with recording(rec_engine, tmp_path / "archive", specs) as rig:
        wait_for(lambda: all(len(rig.rows(f"cam{i}")) >= 2 for i in range(3)), 20, "segments")
        loops = [t for t in threading.enumerate() if t.name == "read-loop"]
        assert len(loops) == 1, "the shard's sessions share one reading thread"
        for i in range(3):
            assert rig.state(f"cam{i}").status == Status.RECORDING
    for i in range(3):
        rows = rig.rows(f"cam{i}")
        frames = decoded_frames(tmp_path / "archive" / rows[0]["path"])
        assert len(frames) == rows[0]["frames"] >= 20
        assert (frames[0] != frames[-1]).any(), "frames must move"
