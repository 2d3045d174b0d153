"""Evidence from a camera Beffroi did not write, end to end: GStreamer's camera with
B-frames (PTS ≠ DTS) and capture-time sender reports is recorded by the real recorder,
then exported by the export runner. The sealed package verifies; its manifest says each
source segment's times came from the camera's RTCP; every frame of the delivered file
decodes, B-frames kept, and each frame's time (the file's stated start plus the frame's
time in it) is within ±100 ms of the capture instant the camera stamped in it."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import av
import pytest
from sqlalchemy import Engine

from beffroi.access.permissions import Role
from beffroi.access.principal import Principal
from beffroi.clock import utc_ms
from beffroi.export.jobs import DONE, ExportJobs, create_export
from beffroi.export.verify import verify_package
from beffroi.journal.keys import load_or_create_key
from beffroi.sim.stamp import read_stamp
from tests.export.helpers import make_requisition
from tests.ingest.conformance import _nal_units
from tests.ingest.conftest import rec_engine  # noqa: F401  (fixture)
from tests.ingest.harness import recording, spec, wait_for
from tests.peers.gst_camera import gst_camera

pytestmark = pytest.mark.slow


def parse_utc_ms(text: str) -> int:
    return utc_ms(datetime.fromisoformat(text))


SUPERVISOR = Principal(user_id=1, username="chef", role=Role.SUPERVISOR, communes=None)


def test_b_frames_export_decodes_whole_and_on_time(
    rec_engine: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    root = data_dir / "archive"
    load_or_create_key(data_dir)
    with gst_camera(bframes=2, gop=20) as url:
        cam = spec(url, "cam0", stall_timeout_s=10.0)
        with recording(rec_engine, root, [cam], segment_ms=4000) as rig:
            wait_for(lambda: len(rig.rows("cam0")) >= 3, 90, "three recorded segments")
            rows = rig.rows("cam0")[:3]
            jobs = ExportJobs(rec_engine, rig.index.clock, data_dir, root)
    assert {r["time_source"] for r in rows} == {"rtcp"}
    # A range that starts and ends mid-GOP: the file starts at the keyframe before.
    start, end = rows[0]["start_ms"] + 1300, rows[2]["end_ms"] - 700
    req = make_requisition(rec_engine, [("cam0", start, end)], now_ms=rows[2]["end_ms"])
    with rec_engine.begin() as conn:
        export_id = create_export(conn, req, SUPERVISOR, 0)
    jobs.start()
    try:
        jobs.submit(export_id)
        assert jobs.wait_idle(120)
    finally:
        jobs.stop()
    assert jobs.run(export_id) == DONE
    (package,) = sorted((data_dir / "exports").glob("*.zip"))
    assert verify_package(package).ok
    with zipfile.ZipFile(package) as z:
        (name,) = [n for n in z.namelist() if n.endswith("/manifest.json")]
        manifest = json.loads(z.read(name))
        (clip,) = manifest["clips"]
        assert [s["time_source"] for s in clip["segments"]] == ["rtcp"] * 3
        (entry,) = clip["files"]
        data = z.read(name.removesuffix("manifest.json") + entry["path"])
    file_start_ms = parse_utc_ms(entry["start"])
    assert file_start_ms <= start and parse_utc_ms(entry["end"]) >= end

    decoded, reordered, errors_ms = 0, 0, []
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            reordered += packet.pts != packet.dts
            assert packet.pts is not None
            at_ms = file_start_ms + float(packet.pts * stream.time_base) * 1000
            for nal in _nal_units(bytes(packet)):
                stamp = read_stamp(nal)
                if stamp is not None:
                    errors_ms.append(at_ms - stamp / 1000)
            decoded += len(packet.decode())
        decoded += len(stream.codec_context.decode(None))
    assert decoded == entry["frames"] and decoded >= (end - start) / 100 * 0.9
    assert reordered > decoded / 3, "B-frames are kept as the camera sent them"
    assert len(errors_ms) == entry["frames"]
    assert max(abs(e) for e in errors_ms) <= 100, sorted(errors_ms)[:: len(errors_ms) // 10]
    probe = tmp_path / "clip.mp4"
    probe.write_bytes(data)
    ffprobe = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=nb_read_frames",
         "-of", "csv=p=0", str(probe)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert ffprobe.stderr == "" and int(ffprobe.stdout) == decoded, ffprobe
