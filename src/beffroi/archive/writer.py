"""Writes a camera's packets into one-minute fragmented-MP4 segments, by stream copy.

Time: the index needs the wall-clock instant of every frame, but cameras' timestamps
jump, drift and restart. A segment's start is the server's clock when its first
keyframe arrived; inside a segment, frame times follow the camera's timestamps as
long as they advance like the wall clock. When they do not (a jump forward or back,
a reset), the writer re-bases them so the file stays monotonic and playable, and
counts the jump. A silence longer than `gap_ms` is a real gap: the segment closes and
the next one starts at the next keyframe. So a camera's clock never corrupts the
archive, and gaps are recorded, not hidden.

Durability: bytes go straight to the file as each fragment completes (FFmpeg's
`flush_packets`), so footage is readable within a fragment (≤ 1 s) of being filmed.
On close the file is fsynced, renamed from `.part`, and its directory fsynced; only
then is the segment handed to `on_closed`, which indexes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from beffroi.archive.layout import PART_SUFFIX, fsync_dir, segment_relpath
from beffroi.archive.segment import SegmentInfo
from beffroi.ingest.state import LiveSegment

MUXER_OPTIONS = {
    # A fragment at each keyframe, and at least every 250 ms: the unit of visibility
    # (live view: a picture leaves with its fragment, so camera-to-screen latency is
    # about one fragment plus delivery, 0.43 s median in Chromium against 1.19 s with
    # 1 s fragments, bench/console_live.py) and of crash loss (at most 250 ms).
    "movflags": "frag_keyframe+empty_moov+default_base_moof",
    "frag_duration": "250000",
    "flush_packets": "1",
}


class HashingFile:
    """A write-only, non-seekable file that hashes what it writes.

    Non-seekable forces the muxer into pure streaming, so the SHA-256 of the bytes as
    written is the SHA-256 of the file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        self.sha.update(data)
        self.size += len(data)
        return len(data)

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        pass

    def close_durably(self) -> None:
        try:
            os.fsync(self.fd)
        finally:
            os.close(self.fd)

    def abandon(self) -> None:
        os.close(self.fd)


class _OpenSegment:
    def __init__(self, root: Path, camera_id: str, start_ms: int, template: Any) -> None:
        self.start_ms = start_ms
        self.relpath = segment_relpath(camera_id, start_ms)
        self.final = root / self.relpath
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.part = self.final.with_name(self.final.name + PART_SUFFIX)
        self.file = HashingFile(self.part)
        self.container = av.open(self.file, mode="w", format="mp4", options=MUXER_OPTIONS)
        self.stream = self.container.add_stream_from_template(template)
        if template.codec_context.name == "hevc":
            self.stream.codec_tag = "hvc1"  # what browsers and QuickTime expect
        self.time_base: Fraction = template.time_base
        # Per-packet arithmetic in floats: Fraction costs microseconds an operation.
        self.ms_per_tick = float(self.time_base) * 1000
        self.offset = 0  # out_dts = in_dts + offset
        self.last_out_dts = -1
        self.last_duration = 0
        self.frames = 0
        self.flushed_end_ms = start_ms

    def media_ms(self, out_ts: int) -> int:
        return self.start_ms + round(out_ts * self.ms_per_tick)

    def end_ms(self) -> int:
        return self.media_ms(self.last_out_dts + self.last_duration)


class SegmentWriter:
    def __init__(
        self,
        archive_root: Path,
        camera_id: str,
        template_stream: Any,
        on_closed: Callable[[SegmentInfo], None],
        on_live: Callable[[LiveSegment | None], None] | None = None,
        segment_ms: int = 60_000,
        gap_ms: int = 5_000,
        jump_ms: int = 3_000,
        drift_ms: int = 2_000,
    ) -> None:
        self.root = Path(archive_root)
        self.camera_id = camera_id
        self.template = template_stream
        self.on_closed = on_closed
        self.on_live = on_live or (lambda _live: None)
        self.segment_ms = segment_ms
        self.gap_ms = gap_ms
        self.jump_ms = jump_ms
        self.drift_ms = drift_ms
        self.codec = template_stream.codec_context.name
        self.width = template_stream.codec_context.width
        self.height = template_stream.codec_context.height
        self.seg: _OpenSegment | None = None
        self.last_in_dts: int | None = None
        self.last_wall_ms = 0
        self.nominal_duration = 0
        self.timestamp_jumps = 0
        self.dropped_before_keyframe = 0
        self.last_write_lag_ms = 0.0

    # -- packets -------------------------------------------------------------------
    def write(self, packet: Any, wall_ms: int) -> None:
        """Record one demuxed packet (dts not None) received at `wall_ms`."""
        in_dts: int = packet.dts
        seg = self.seg
        if seg is not None and self.last_in_dts is not None:
            delta_wall = wall_ms - self.last_wall_ms
            delta_in = in_dts - self.last_in_dts
            delta_in_ms = delta_in * seg.ms_per_tick
            if delta_wall > self.gap_ms:
                self.close()  # a real silence: the gap is a fact of the index
                seg = None
            elif delta_in <= 0 or abs(delta_in_ms - delta_wall) > self.jump_ms:
                step = self.nominal_duration or max(1, round(delta_wall / seg.ms_per_tick))
                seg.offset = seg.last_out_dts + step - in_dts
                self.timestamp_jumps += 1
            else:
                self.nominal_duration = delta_in
            if seg is not None and packet.is_keyframe:
                elapsed = seg.media_ms(in_dts + seg.offset) - seg.start_ms
                drift = wall_ms - seg.media_ms(in_dts + seg.offset)
                if elapsed >= self.segment_ms or abs(drift) > self.drift_ms:
                    # Contiguous with the previous segment unless clocks drifted apart.
                    start = seg.media_ms(in_dts + seg.offset)
                    self._finish(seg)
                    seg = self._open(in_dts, start if abs(drift) <= self.drift_ms else wall_ms)
        if seg is None:
            if not packet.is_keyframe:
                self.dropped_before_keyframe += 1
                return
            seg = self._open(in_dts, wall_ms)
        self.last_in_dts = in_dts
        self.last_wall_ms = wall_ms
        self._mux(seg, packet, in_dts)

    def _open(self, in_dts: int, start_ms: int) -> _OpenSegment:
        seg = _OpenSegment(self.root, self.camera_id, start_ms, self.template)
        seg.offset = -in_dts
        self.seg = seg
        self.on_live(LiveSegment(seg.relpath, start_ms, start_ms))
        return seg

    def _mux(self, seg: _OpenSegment, packet: Any, in_dts: int) -> None:
        out_dts = in_dts + seg.offset
        if out_dts <= seg.last_out_dts:  # never let the file go backwards
            seg.offset += seg.last_out_dts + 1 - out_dts
            out_dts = seg.last_out_dts + 1
        pts = packet.pts
        packet.pts = out_dts if pts is None else pts + seg.offset
        packet.dts = out_dts
        packet.stream = seg.stream
        packet.time_base = seg.time_base
        duration = packet.duration or self.nominal_duration
        before = seg.file.size
        t0 = time.perf_counter()
        seg.container.mux(packet)
        if seg.file.size != before and seg.frames:
            # The muxer wrote a whole fragment: everything before this packet is on disk.
            self.last_write_lag_ms = (time.perf_counter() - t0) * 1000
            seg.flushed_end_ms = seg.media_ms(out_dts)
            self.on_live(LiveSegment(seg.relpath, seg.start_ms, seg.flushed_end_ms))
        seg.last_out_dts = out_dts
        seg.last_duration = duration
        seg.frames += 1

    # -- closing -------------------------------------------------------------------
    def close(self) -> SegmentInfo | None:
        """Finish the open segment durably and hand it to `on_closed`."""
        seg, self.seg = self.seg, None
        self.last_in_dts = None
        if seg is None:
            return None
        self.on_live(None)
        return self._finish(seg)

    def _finish(self, seg: _OpenSegment) -> SegmentInfo | None:
        self.seg = None
        try:
            seg.container.close()
        except (av.FFmpegError, OSError):
            # The file keeps its complete fragments; salvage will cut the torn tail.
            seg.file.abandon()
            raise
        seg.file.close_durably()
        if seg.frames == 0:
            seg.part.unlink(missing_ok=True)
            return None
        os.replace(seg.part, seg.final)
        fsync_dir(seg.final.parent)
        end_ms = max(seg.end_ms(), seg.start_ms + 1)
        info = SegmentInfo(
            camera_id=self.camera_id,
            path=seg.relpath,
            start_ms=seg.start_ms,
            end_ms=end_ms,
            bytes=seg.file.size,
            codec=self.codec,
            width=self.width,
            height=self.height,
            fps=round(seg.frames * 1000 / max(1, end_ms - seg.start_ms), 3),
            frames=seg.frames,
            sha256=seg.file.sha.hexdigest(),
        )
        self.on_closed(info)
        return info

    def abort(self) -> None:
        """Stop without finishing (fatal storage error): leave the `.part` to salvage."""
        seg, self.seg = self.seg, None
        self.last_in_dts = None
        if seg is not None:
            self.on_live(None)
            with contextlib.suppress(OSError):
                seg.file.abandon()
