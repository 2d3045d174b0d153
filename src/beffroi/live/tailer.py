"""One camera's live stream, read from the segment the recorder is writing.

Why tail the file rather than take packets from the worker process: the worker already
cuts the stream into fragments and flushes each one the moment it is complete (that is
what makes footage durable within a fragment), so the file holds, a poll later, exactly
what a Media Source Extensions player wants: an init part and `moof`+`mdat` fragments.
Tailing costs no inter-process traffic, no second muxer, and no change to the
recorder; the camera keeps its one RTSP session however many people watch. Its cost is
latency: a frame leaves when its fragment is complete. `docs/design/live.md` has the
measurements.

The recorder starts a new file every segment (a minute), each with decode times from 0.
The tailer makes them one stream: decode times are placed on one timeline whose zero is
`epoch_ms` (wall time), consecutive files join without a sliver of gap or overlap, a
real gap (the camera dropped out) stays a gap, and time never runs backwards. A new
init part is announced only when the track changes (codec parameters, picture size).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beffroi.archive.fmp4 import SegmentFormatError, Track, parse_init, parse_moof, rewritten
from beffroi.ingest.state import LiveSegment, RecorderView
from beffroi.live.fragments import FileTail
from beffroi.playback.timeline import resolve_live_path

log = logging.getLogger(__name__)

POLL_S = 0.04  # file growth is checked this often: adds ≤ 40 ms (20 ms on average)
STATE_EVERY_S = 0.25  # the recorder's view (which file is live) is read this often
# Files whose timelines meet within this much are contiguous (the writer starts the next
# one at the previous one's media end, rounded to the millisecond).
JOIN_TOLERANCE_S = 1.0


@dataclass(frozen=True)
class StreamInit:
    """An init part (ftyp+moov) and what a player must know to use it."""

    track: Track
    data: bytes
    epoch_ms: int  # wall time of decode time 0
    fps: float | None

    def header(self) -> dict[str, Any]:
        """The JSON text frame announcing this init part to a viewer."""
        return {
            "type": "init",
            "codec": self.track.codec,
            "mime": self.track.mime,
            "width": self.track.width,
            "height": self.track.height,
            "fps": self.fps,
            "timescale": self.track.timescale,
            "epoch_ms": self.epoch_ms,
        }


@dataclass(frozen=True)
class LiveFragment:
    data: bytes  # moof + mdat, decode time and sequence rewritten
    keyframe: bool
    duration_s: float
    wall_ms: float  # when its first frame was received from the camera


Message = StreamInit | LiveFragment


class CameraTailer:
    """Turns the recorder's successive files for one camera into `Message`s.

    `step` is synchronous and does one poll: the async `messages` loop only paces it.
    Reads come from the page cache (the recorder wrote these bytes a moment ago) and
    cost tens of microseconds, so they run on the event loop."""

    def __init__(
        self,
        camera_id: str,
        archive_root: Path,
        recorder: RecorderView,
        poll_s: float = POLL_S,
        state_every_s: float = STATE_EVERY_S,
    ) -> None:
        self.camera_id = camera_id
        self.root = archive_root
        self.recorder = recorder
        self.poll_s = poll_s
        self.state_every_s = state_every_s
        self.tail: FileTail | None = None
        self.segment: LiveSegment | None = None
        self.init: StreamInit | None = None
        self.epoch_ms: int | None = None
        self.next_time: int | None = None  # where the next fragment joins, in ticks
        self.sequence = 0
        self.fps: float | None = None  # the recorder's measure, passed on to players
        self._started = False  # the first file read skips to its last keyframe
        self._state_checked = float("-inf")

    async def messages(self) -> AsyncIterator[Message]:
        loop = asyncio.get_running_loop()
        try:
            while True:
                for message in self.step(loop.time()):
                    yield message
                await asyncio.sleep(self.poll_s)
        finally:
            self.close()

    def close(self) -> None:
        if self.tail is not None:
            self.tail.close()
            self.tail = None

    def step(self, now: float) -> list[Message]:
        out = self._read()
        if out or now - self._state_checked < self.state_every_s:
            return out
        self._state_checked = now
        state = self.recorder.camera_states().get(self.camera_id)
        live = state.live if state is not None else None
        if live is None or (self.segment is not None and live.path == self.segment.path):
            return out
        path = resolve_live_path(self.root, live.path)
        if path is None:
            return out
        # The writer finishes a file before it announces the next: drain the old one.
        out += self._read()
        self.close()
        try:
            self.tail = FileTail(path)
        except OSError as exc:  # deleted or renamed in between: try again next time
            log.info("live %s: cannot open %s: %s", self.camera_id, path, exc)
            return out
        self.segment = live
        self.fps = state.fps if state is not None else None
        return out + self._read()

    # -- one file --------------------------------------------------------------------------
    def _read(self) -> list[Message]:
        tail, segment = self.tail, self.segment
        if tail is None or segment is None:
            return []
        had_init = tail.init is not None
        try:
            raw = tail.read()
        except (OSError, SegmentFormatError) as exc:
            log.warning("live %s: giving up on %s: %s", self.camera_id, tail.path, exc)
            self.close()
            return []
        out: list[Message] = []
        if tail.init is not None and not had_init:
            init = self._init_of(tail.init, segment)
            if init is not None:
                out.append(init)
        if self.init is None or tail.init is None:
            return out
        fragments: list[LiveFragment] = []
        for data in raw:
            try:
                fragments.append(self._place(data, segment, self.init.track))
            except SegmentFormatError as exc:
                log.warning("live %s: fragment skipped: %s", self.camera_id, exc)
        if not self._started and fragments:
            # A viewer starts at the newest keyframe, not a minute back.
            keys = [
                i for i, f in enumerate(fragments) if isinstance(f, LiveFragment) and f.keyframe
            ]
            fragments = fragments[keys[-1] :] if keys else []
            self._started = bool(fragments)
        return out + fragments

    def _init_of(self, data: bytes, segment: LiveSegment) -> StreamInit | None:
        """A new `StreamInit` when this file's track differs from the one being sent."""
        if self.init is not None and data == self.init.data:
            return None
        try:
            track = parse_init(data)
        except SegmentFormatError as exc:
            log.warning("live %s: unusable init part: %s", self.camera_id, exc)
            return None
        if self.epoch_ms is None:
            self.epoch_ms = segment.start_ms
        if self.init is not None and self.next_time is not None:
            old = self.init.track.timescale
            self.next_time = self.next_time * track.timescale // old
        self.init = StreamInit(track, data, self.epoch_ms, self.fps)
        return self.init

    def _place(self, data: bytes, segment: LiveSegment, track: Track) -> LiveFragment:
        """Put a fragment of `segment` on the stream's timeline."""
        assert self.epoch_ms is not None
        frag = parse_moof(data, track, standalone=True)  # sent alone to each viewer
        ts = track.timescale
        at = (segment.start_ms - self.epoch_ms) * ts // 1000 + frag.decode_time
        if self.next_time is not None and (
            at < self.next_time or at - self.next_time <= JOIN_TOLERANCE_S * ts
        ):
            at = self.next_time  # contiguous (or a clock step back): join, never go back
        self.next_time = at + frag.duration
        self.sequence += 1
        return LiveFragment(
            data=rewritten(data, frag, self.sequence, at),
            keyframe=frag.keyframe,
            duration_s=frag.duration / ts,
            wall_ms=self.epoch_ms + at * 1000 / ts,
        )
