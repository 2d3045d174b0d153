"""Writes a camera's pictures into one-minute fragmented-MP4 segments, by stream copy.

Time: each picture comes with the instant it was filmed (`at_ms`, UTC), decided by
ingest's `FrameClock` from the camera's RTCP reports or the arrival times, with the
camera's jumps, repeats, wraps and drift already dealt with. The writer records exactly
that: a file's decode timestamps are `at_ms − segment start`, so playback, exports and
the index all read the filming time; composition offsets (B-frames) are kept as the
camera sent them. A silence longer than `gap_ms` is a real gap: the segment closes and
the next one starts at the next keyframe. A segment is cut at the first keyframe after
`segment_ms`, and the next one starts where it ends: gaps are recorded, not hidden, and
segments never overlap.

Durability: bytes go straight to the file as each fragment completes (FFmpeg's
`flush_packets`), so footage is readable within a fragment (≤ 250 ms) of being filmed.
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
from beffroi.archive.segment import Segment, time_source_of
from beffroi.ingest.spec import VideoTrack
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
    def __init__(self, root: Path, camera_id: str, start_ms: int, track: VideoTrack) -> None:
        self.start_ms = start_ms
        self.relpath = segment_relpath(camera_id, start_ms)
        self.final = root / self.relpath
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.part = self.final.with_name(self.final.name + PART_SUFFIX)
        self.file = HashingFile(self.part)
        self.container = av.open(self.file, mode="w", format="mp4", options=MUXER_OPTIONS)
        self.stream = self.container.add_stream_from_template(track.template)
        self.stream.time_base = track.time_base  # our reader's template is FFmpeg's probe
        if track.codec == "hevc":
            self.stream.codec_tag = "hvc1"  # what browsers and QuickTime expect
        self.time_base: Fraction = track.time_base
        # Per-packet arithmetic in floats: Fraction costs microseconds an operation.
        self.ms_per_tick = float(self.time_base) * 1000
        self.last_out_dts = -1
        self.last_duration = 0
        self.frames = 0
        self.flushed_end_ms = start_ms
        self.time_sources: set[str] = set()

    def ticks(self, at_ms: float) -> int:
        return round((at_ms - self.start_ms) / self.ms_per_tick)

    def media_ms(self, out_ts: int) -> int:
        return self.start_ms + round(out_ts * self.ms_per_tick)

    def end_ms(self) -> int:
        return self.media_ms(self.last_out_dts + self.last_duration)


class SegmentWriter:
    def __init__(
        self,
        archive_root: Path,
        camera_id: str,
        track: VideoTrack,
        on_closed: Callable[[Segment], None],
        on_live: Callable[[LiveSegment | None], None] | None = None,
        segment_ms: int = 60_000,
        gap_ms: int = 5_000,
    ) -> None:
        self.root = Path(archive_root)
        self.camera_id = camera_id
        self.track = track
        self.on_closed = on_closed
        self.on_live = on_live or (lambda _live: None)
        self.segment_ms = segment_ms
        self.gap_ms = gap_ms
        self.codec = track.codec
        self.width = track.width
        self.height = track.height
        self.seg: _OpenSegment | None = None
        self.last_at_ms: float | None = None
        self.nominal_duration = 0
        self.dropped_before_keyframe = 0
        self.last_write_lag_ms = 0.0

    # -- packets -------------------------------------------------------------------
    def write(self, packet: Any, at_ms: float, time_source: str = "arrival") -> None:
        """Record one picture (dts not None) whose decode instant was filmed at `at_ms`."""
        seg = self.seg
        last = self.last_at_ms
        if seg is not None and last is not None:
            step = at_ms - last
            if step > self.gap_ms:
                self.close()  # a real silence: the gap is a fact of the index
                seg = None
            else:
                if step > 0 and (not self.nominal_duration or step < 4 * self._nominal_ms(seg)):
                    self.nominal_duration = max(1, round(step / seg.ms_per_tick))
                if packet.is_keyframe and at_ms - seg.start_ms >= self.segment_ms:
                    # The next segment starts with this keyframe; the index never lets
                    # the last picture's assumed duration overlap it.
                    start = seg.media_ms(seg.ticks(at_ms))
                    self._finish(seg, end_ms=min(seg.end_ms(), start))
                    seg = self._open(start)
        if seg is None:
            if not packet.is_keyframe:
                self.dropped_before_keyframe += 1
                return
            seg = self._open(round(at_ms))
        self.last_at_ms = at_ms
        seg.time_sources.add(time_source)
        self._mux(seg, packet, seg.ticks(at_ms))

    def _nominal_ms(self, seg: _OpenSegment) -> float:
        return self.nominal_duration * seg.ms_per_tick

    def _open(self, start_ms: int) -> _OpenSegment:
        seg = _OpenSegment(self.root, self.camera_id, start_ms, self.track)
        self.seg = seg
        self.on_live(LiveSegment(seg.relpath, start_ms, start_ms))
        return seg

    def _mux(self, seg: _OpenSegment, packet: Any, out_dts: int) -> None:
        if out_dts <= seg.last_out_dts:  # never let the file go backwards
            out_dts = seg.last_out_dts + 1
        pts, dts = packet.pts, packet.dts
        # B-frames: the camera's composition offset is kept, never negative.
        packet.pts = out_dts if pts is None or dts is None else out_dts + max(0, pts - dts)
        packet.dts = out_dts
        packet.stream = seg.stream
        packet.time_base = seg.time_base
        duration = packet.duration or self.nominal_duration
        packet.duration = duration
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
    def close(self) -> Segment | None:
        """Finish the open segment durably and hand it to `on_closed`."""
        seg, self.seg = self.seg, None
        self.last_at_ms = None
        if seg is None:
            return None
        self.on_live(None)
        return self._finish(seg)

    def _finish(self, seg: _OpenSegment, end_ms: int | None = None) -> Segment | None:
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
        end_ms = max(end_ms if end_ms is not None else seg.end_ms(), seg.start_ms + 1)
        info = Segment(
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
            time_source=time_source_of(seg.time_sources),
        )
        self.on_closed(info)
        return info

    def abort(self) -> None:
        """Stop without finishing (fatal storage error): leave the `.part` to salvage."""
        seg, self.seg = self.seg, None
        self.last_at_ms = None
        if seg is not None:
            self.on_live(None)
            with contextlib.suppress(OSError):
                seg.file.abandon()
