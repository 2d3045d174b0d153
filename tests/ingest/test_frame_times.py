"""Frame times in the archive are when the pictures left the camera, including the first
ones FFmpeg's stream probe held back (`ingest/arrival.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av

from beffroi.ingest.arrival import WAITED_MS, ProbeBacklog
from beffroi.sim.runner import run_in_thread
from beffroi.sim.specs import make_cameras
from beffroi.sim.stamp import read_stamp
from tests.ingest.harness import recording, spec, wait_for


def test_a_probe_burst_is_stamped_from_the_first_live_packet() -> None:
    backlog = ProbeBacklog(settle_ms=0)
    ns = 5_000_000_000
    # Twelve packets filmed 66 ms apart, all handed over at t = 10_000 ms (the probe's).
    for i in range(12):
        assert backlog.feed(f"p{i}", 1000 + i * 66.0, 10_000, ns + i * 1000) == []
    # The next one had to be waited for: it left the camera at about 10_000 + 66 - 800.
    ready = backlog.feed("p12", 1000 + 12 * 66.0, 9_300, ns + 12_000 + int(WAITED_MS * 2e6))
    walls = dict(ready)
    assert list(walls) == [f"p{i}" for i in range(13)]
    assert walls["p12"] == 9_300
    assert walls["p0"] == 9_300 - 12 * 66
    # Then packets pass through with their own arrival time.
    assert backlog.feed("p13", 2000.0, 9_370, ns + 100_000_000) == [("p13", 9_370)]


def test_held_until_the_camera_s_first_report_or_settle_ms() -> None:
    ns = 5_000_000_000
    period = int(WAITED_MS * 2e6)  # every packet waited for: the probe's burst is over
    timed = ProbeBacklog(settle_ms=5000)
    assert timed.feed("a", 0.0, 1000, ns) == []
    assert timed.feed("b", 100.0, 1100, ns + period) == []  # live, but not timed yet
    assert [p for p, _ in timed.feed("c", 200.0, 1200, ns + 2 * period, timed=True)] == [
        "a", "b", "c",
    ]  # fmt: skip
    untimed = ProbeBacklog(settle_ms=5000)
    released = []
    for i in range(60):
        released += untimed.feed(i, i * 100.0, 1000 + i * 100, ns + i * period)
        if released:
            break
    assert [p for p, _ in released] == list(range(51))  # 5 s of media held, then all


def test_a_jump_inside_the_burst_keeps_arrival_times() -> None:
    backlog = ProbeBacklog()
    backlog.feed("a", 1000.0, 10_000, 0)
    backlog.feed("b", 1066.0 + 3_600_000, 10_000, 1000)
    ready = backlog.feed("c", 1132.0 + 3_600_000, 10_050, 100_000_000)
    assert ready == [("a", 10_000), ("b", 10_000), ("c", 10_050)]


def test_a_session_ending_during_the_burst_loses_no_packet() -> None:
    backlog = ProbeBacklog()
    for i in range(3):
        backlog.feed(i, i * 66.0, 1000, i)
    assert [p for p, _ in backlog.flush()] == [0, 1, 2]
    assert backlog.flush() == []


def _first_stamps(path: Path, count: int) -> list[tuple[float, float]]:
    """(frame time from the archive, send time from the camera's stamp), seconds."""
    out: list[tuple[float, float]] = []
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        for packet in c.demux(stream):
            if packet.pts is None:
                continue
            data = bytes(packet)
            nals, i = [], 0
            while i + 4 <= len(data):  # MP4 samples: 4-byte lengths, not start codes
                n = int.from_bytes(data[i : i + 4], "big")
                nals.append(data[i + 4 : i + 4 + n])
                i += 4 + n
            sent = [s for nal in nals if (s := read_stamp(nal))]
            if sent:
                out.append((float(packet.pts * stream.time_base), sent[0] / 1e6))
            if len(out) >= count:
                break
    return out


def test_recorded_frame_times_match_send_times(rec_engine: Any, sim_cache: Path, tmp_path) -> None:
    cams = make_cameras(1, stamp_send_time=True, width=320, height=240, fps=15, bitrate=300_000)
    with (
        run_in_thread(cams, cache_dir=sim_cache) as sim,
        recording(rec_engine, tmp_path / "archive", [spec(sim.url("cam0"), "cam0")]) as rig,
    ):
        wait_for(lambda: len(rig.rows("cam0")) >= 1, 20, "a segment")
    row = rig.rows("cam0")[0]
    stamps = _first_stamps(tmp_path / "archive" / row["path"], 20)
    assert len(stamps) == 20, "every frame keeps its stamp through the recorder"
    offsets = [row["start_ms"] / 1000 + media - sent for media, sent in stamps]
    # The first frames came out of the probe's burst: without the backlog they were
    # stamped ~0.9 s late. Now each frame's archive time is its send time, to a few ms.
    assert all(abs(o) < 0.1 for o in offsets), offsets
