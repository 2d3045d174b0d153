"""Record one camera for a while, then judge the archive as evidence: `beffroi check`,
whole pictures, every sample decoding, frame times against the sender's own stamps.

Shared by `tests/ingest/test_conformance.py` (short runs) and `bench/conformance.py`
(ten-minute runs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np
from sqlalchemy import Engine

from beffroi.archive.check import CheckReport, check_archive
from beffroi.sim.stamp import read_stamp
from tests.ingest.harness import recording, spec, wait_for

H264_SLICES = range(1, 6)


@dataclass
class Verdict:
    rows: list[dict[str, Any]]
    check: CheckReport
    samples: int = 0
    decoded: int = 0
    decode_errors: int = 0
    not_one_picture: int = 0  # samples holding no picture, or the start of several
    moving: bool = False
    audio_tracks: int = 0
    time_errors_ms: list[float] = field(default_factory=list)
    state: Any = None

    @property
    def time_sources(self) -> set[str | None]:
        return {r["time_source"] for r in self.rows}

    def error_p99_ms(self) -> float:
        errors = sorted(abs(e) for e in self.time_errors_ms)
        return errors[min(len(errors) - 1, int(len(errors) * 0.99))]

    def summary(self) -> str:
        p99 = f"{self.error_p99_ms():.1f}" if self.time_errors_ms else "-"
        return (
            f"{len(self.rows)} segments, {self.samples} samples, {self.decoded} decoded, "
            f"{self.decode_errors} decode errors, {self.not_one_picture} not one picture, "
            f"check {'clean' if self.check.ok else self.check.problems}, "
            f"time error p99 {p99} ms over {len(self.time_errors_ms)} stamps, "
            f"time sources {sorted(map(str, self.time_sources))}"
        )


def record_camera(
    engine: Engine,
    root: Path,
    url: str,
    seconds: float,
    segment_ms: int = 5_000,
    during: Callable[[Any], None] | None = None,
    transport: str = "tcp",
    reader: str = "ffmpeg",
) -> Verdict:
    """Record `url` as camera "cam0" for `seconds` of footage, then judge it."""
    cam = spec(url, "cam0", stall_timeout_s=10.0, transport=transport, reader=reader)
    with recording(engine, root, [cam], segment_ms) as rig:
        wait_for(lambda: _footage_ms(rig) > 0, 60, "the first footage")
        wait_for(lambda: _footage_ms(rig) >= seconds * 1000, seconds * 2 + 30, "the footage")
        if during is not None:
            during(rig)
        state = rig.state("cam0")
    rows = rig.rows("cam0")
    verdict = Verdict(rows=rows, check=check_archive(engine, root), state=state)
    for row in rows:
        _judge_file(root / row["path"], row["start_ms"], verdict)
    return verdict


def _footage_ms(rig: Any) -> int:
    """Footage on disk: closed segments, and the flushed part of the one being written."""
    closed = sum(r["end_ms"] - r["start_ms"] for r in rig.rows("cam0"))
    state = rig.supervisor.camera_states().get("cam0")
    live = state.live if state is not None else None
    return closed + (live.flushed_end_ms - live.start_ms if live is not None else 0)


def _nal_units(sample: bytes) -> list[bytes]:
    """An MP4 sample's NAL units (4-byte lengths, not start codes)."""
    nals, i = [], 0
    while i + 4 <= len(sample):
        n = int.from_bytes(sample[i : i + 4], "big")
        nals.append(sample[i + 4 : i + 4 + n])
        i += 4 + n
    return nals


def picture_starts(nals: list[bytes], hevc: bool) -> int:
    """How many slices in these NAL units begin a picture (-1: no slice at all)."""
    starts, slices = 0, 0
    for nal in nals:
        if len(nal) < 3:
            continue
        if hevc and (nal[0] >> 1) & 0x3F < 32:
            slices += 1
            starts += bool(nal[2] & 0x80)
        elif not hevc and nal[0] & 0x1F in H264_SLICES:
            slices += 1
            starts += bool(nal[1] & 0x80)
    return starts if slices else -1


def _judge_file(path: Path, start_ms: int, verdict: Verdict) -> None:
    previous: np.ndarray | None = None
    with av.open(str(path)) as container:
        verdict.audio_tracks += len(container.streams.audio)
        stream = container.streams.video[0]
        hevc = stream.codec_context.name == "hevc"
        codec = "h265" if hevc else "h264"
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            verdict.samples += 1
            nals = _nal_units(bytes(packet))
            if picture_starts(nals, hevc) != 1:
                verdict.not_one_picture += 1
            assert packet.pts is not None
            at_ms = start_ms + float(packet.pts * stream.time_base) * 1000
            for nal in nals:
                stamp = read_stamp(nal, codec=codec)
                if stamp is not None:
                    verdict.time_errors_ms.append(at_ms - stamp / 1000)
            try:
                frames = packet.decode()
            except av.FFmpegError:
                verdict.decode_errors += 1
                continue
            for frame in frames:
                verdict.decoded += 1
                luma = frame.to_ndarray(format="gray")
                if previous is not None and not np.array_equal(luma, previous):
                    verdict.moving = True
                previous = luma
        try:
            verdict.decoded += len(stream.codec_context.decode(None))  # the delayed ones
        except av.FFmpegError:
            verdict.decode_errors += 1
