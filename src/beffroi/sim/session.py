"""One paced RTP stream: a client session playing a camera's clip in a loop.

Pacing uses ``loop.call_at`` callbacks instead of one coroutine per session, which keeps the
per-frame cost to a timer wake-up, a few ``struct.pack_into`` calls and one ``write``.
Each session starts at the first frame of the clip (a keyframe) and loops forever; the RTP
timeline continues across loops. If the client does not read fast enough, frames are skipped
until the next keyframe, like a camera whose send buffer overflows.

Two clocks: frames are *due* on the true media timeline (90 kHz ticks since the session
started, ``next_offset``), which paces sending against the wall clock; their RTP timestamps
are read from the *camera clock*, which a fault may make drift, step or repeat (see
:mod:`beffroi.sim.faults`). Sender reports map the wall clock to the camera clock.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Protocol

from beffroi.sim.bitstream import RTP_CLOCK
from beffroi.sim.faults import NO_FAULT, Fault, FaultClock
from beffroi.sim.rtp import FrameTemplate, PacketizedClip, rtcp_sender_report
from beffroi.sim.stamp import stamp_packet

__all__ = ["FaultSource", "StreamSession", "StreamStats"]

MAX_BURST_FRAMES = 30  # frames sent in one wake-up when the loop lags, to keep fairness
WRITE_BUFFER_LIMIT = 2 * 1024 * 1024


class FaultSource(Protocol):
    """Where a session reads its camera's current fault (shared with ``set_fault``)."""

    fault: Fault | None
    fault_set_at: float


@dataclass
class StreamStats:
    """Counters shared by all sessions of a server (the event loop is single-threaded)."""

    frames_sent: int = 0
    frames_skipped: int = 0
    bytes_sent: int = 0
    late_frames: int = 0  # sent more than 100 ms after their due time
    max_lateness: float = 0.0
    sessions_started: int = 0


class StreamSession:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        transport: asyncio.Transport,
        clip: PacketizedClip,
        camera: FaultSource,
        stats: StreamStats,
        *,
        rtp_channel: int = 0,
        rtcp_channel: int = 1,
        sr_interval: float = 5.0,
        stamp: bool = False,
    ) -> None:
        self.loop = loop
        self.transport = transport
        self.clip = clip
        self.camera = camera
        self.stats = stats
        self.rtp_channel = rtp_channel
        self.rtcp_channel = rtcp_channel
        self.sr_interval = sr_interval
        self.stamp = stamp and clip.clip.codec == "h264"
        rng = random.SystemRandom()
        self.ssrc = rng.getrandbits(32)
        self.seq = rng.getrandbits(16)
        self.ts_base = rng.getrandbits(32)
        self.jump_ticks = 0
        # Camera clock: ticks elapsed at the media offset where the current rate began, so
        # changing the drift bends the timeline without a jump and without rounding drift.
        self.clock_rate = 1.0
        self.anchor_offset = 0
        self.anchor_ticks = 0.0
        self.last_timestamp: int | None = None
        self.index = 0  # next frame within the clip
        self.loops = 0
        self.wall_start = 0.0
        self.packets = 0
        self.octets = 0
        self.playing = False
        self.closed = False
        self.need_keyframe = False
        self.last_sr = float("-inf")
        self.play_started = 0.0
        self._fault_clock: FaultClock | None = None
        self._handle: asyncio.Handle | None = None

    # -- timeline -------------------------------------------------------------------------

    def next_offset(self) -> int:
        """Media time (90 kHz ticks since the session start) of the next frame."""
        return self.loops * self.clip.duration + self.clip.frames[self.index].pts

    def rtp_time(self, offset: float) -> int:
        """The camera clock's RTP timestamp at media ``offset`` (true 90 kHz ticks)."""
        ticks = self.anchor_ticks + (offset - self.anchor_offset) * self.clock_rate
        return (self.ts_base + round(ticks) + self.jump_ticks) & 0xFFFFFFFF

    def _set_clock_rate(self, rate: float) -> None:
        if rate == self.clock_rate:
            return
        offset = self.next_offset()
        self.anchor_ticks += (offset - self.anchor_offset) * self.clock_rate
        self.anchor_offset = offset
        self.clock_rate = rate

    def play(self) -> tuple[int, int]:
        """Start or resume; returns (seq, rtptime) of the next packet for RTP-Info."""
        now = self.loop.time()
        if not self.play_started:
            self.play_started = now
            fault = self.camera.fault
            if fault is not None and fault.rtp_start is not None:
                self.ts_base = fault.rtp_start
        # Resuming after PAUSE continues the media timeline where it stopped, without a gap.
        self.wall_start = now - self.next_offset() / RTP_CLOCK
        info = (self.seq, self.rtp_time(self.next_offset()))
        if not self.playing:
            self.playing = True
            self.stats.sessions_started += 1
            self._handle = self.loop.call_soon(self._tick)
        return info

    def pause(self) -> None:
        self.playing = False
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def close(self) -> None:
        self.pause()
        self.closed = True

    # -- sending --------------------------------------------------------------------------

    def _faults(self, now: float) -> FaultClock | None:
        fault = self.camera.fault
        if fault is None or fault == NO_FAULT:
            self._fault_clock = None
            self._set_clock_rate(1.0)
            return None
        clock = self._fault_clock
        if clock is None or clock.fault is not fault:
            origin = max(self.play_started, self.camera.fault_set_at)
            clock = self._fault_clock = FaultClock(fault, origin)
            self._set_clock_rate(fault.clock_rate)
        return clock

    def _tick(self) -> None:
        self._handle = None
        if not self.playing or self.closed:
            return
        if self.transport.is_closing():
            self.close()
            return
        now = self.loop.time()
        faults = self._faults(now)
        if faults is not None and faults.should_drop(now):
            self.close()
            self.transport.close()
            return
        stalled = faults is not None and faults.is_stalled(now)
        if not stalled:
            # Before the report, so that it and the frames of this wake-up share a timeline.
            if faults is not None and (jumps := faults.take_jumps(now)):
                self.jump_ticks += jumps * round(faults.fault.jump_seconds * RTP_CLOCK)
            if now - self.last_sr >= self.sr_interval:
                self._send_sender_report(now, faults)
        clip_frames = self.clip.frames
        stats = self.stats
        for _ in range(MAX_BURST_FRAMES):
            offset = self.next_offset()
            due = self.wall_start + offset / RTP_CLOCK
            if due > now:
                break
            lateness = now - due
            if lateness > 0.1:
                stats.late_frames += 1
            if lateness > stats.max_lateness:
                stats.max_lateness = lateness
            self._send_frame(clip_frames[self.index], offset, now, faults, stalled)
            self.index += 1
            if self.index == len(clip_frames):
                self.index = 0
                self.loops += 1
        due = self.wall_start + self.next_offset() / RTP_CLOCK
        self._handle = self.loop.call_at(due, self._tick)

    def _send_frame(
        self,
        frame: FrameTemplate,
        offset: int,
        now: float,
        faults: FaultClock | None,
        stalled: bool,
    ) -> None:
        stats = self.stats
        if stalled or self.transport.get_write_buffer_size() > WRITE_BUFFER_LIMIT:
            self.need_keyframe = True
            stats.frames_skipped += 1
            return
        if self.need_keyframe:
            if not frame.keyframe:
                stats.frames_skipped += 1
                return
            self.need_keyframe = False
        timestamp = self.rtp_time(offset)
        garbage = False
        if faults is not None:
            garbage = faults.take_garbage(now)
            if faults.take_repeat() and self.last_timestamp is not None:
                timestamp = self.last_timestamp
        self.last_timestamp = timestamp
        if self.stamp and not garbage:
            # Written just before the frame: the time the picture leaves the camera.
            stamp = stamp_packet(time.time_ns() // 1000, self.seq, timestamp, self.ssrc,
                                 self.rtp_channel)  # fmt: skip
            self.seq = (self.seq + 1) & 0xFFFF
            self.packets += 1
            self.octets += len(stamp) - 16
            self.transport.write(stamp)
        if garbage:
            data = frame.render_garbage(self.seq, timestamp, self.ssrc, self.rtp_channel)
        else:
            data = frame.render(self.seq, timestamp, self.ssrc, self.rtp_channel)
        self.transport.write(data)
        count = frame.packet_count
        self.seq = (self.seq + count) & 0xFFFF
        self.packets += count
        self.octets += frame.payload_bytes
        stats.frames_sent += 1
        stats.bytes_sent += len(data)

    def _send_sender_report(self, now: float, faults: FaultClock | None) -> None:
        self.last_sr = now
        fault = faults.fault if faults is not None else NO_FAULT
        if not fault.send_sender_reports:
            return
        wall, mono = self._read_clocks()
        offset = (mono - self.wall_start) * RTP_CLOCK
        report = rtcp_sender_report(
            self.ssrc,
            self.rtp_time(offset),
            self.packets,
            self.octets,
            wall=wall + fault.sr_offset_seconds,
            channel=self.rtcp_channel,
        )
        self.transport.write(report)

    def _read_clocks(self) -> tuple[float, float]:
        """The wall clock and the loop's clock at one instant (a report pairs them: the NTP
        time, shifted for a camera whose own clock is wrong, with the camera clock's RTP
        time). Read again when another thread ran in between, which would skew the pair."""
        for _ in range(3):
            before = self.loop.time()
            wall = time.time()
            after = self.loop.time()
            if after - before < 1e-4:
                break
        return wall, (before + after) / 2
