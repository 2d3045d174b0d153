"""Fault injection for simulated cameras.

A :class:`Fault` describes how a camera misbehaves. Every timed fault is measured on the
*fault clock* of each streaming session: it starts when the session receives PLAY, or when the
fault was installed with ``set_fault`` if that happened later (so installing a fault on a camera
that is already streaming affects its current sessions from that moment on).
Pausing does not stop the fault clock.

Clock quirks (drift, wrap, repeated or stepped timestamps, missing or lying RTCP) only change
what the RTP and RTCP headers say: frames are still sent at their true wall-clock cadence, and
the send-time stamps of ``CameraSpec(stamp_send_time=True)`` stay the true send time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RefuseMode = Literal["503", "close"]

MAX_DRIFT_PPM = 100_000  # 10 %: beyond that the "clock" is no longer a clock


@dataclass(frozen=True)
class Fault:
    """Misbehaviour of one camera. All fields are optional and may be combined.

    Attributes:
        drop_after: seconds of fault clock after which the server closes the client's TCP
            connection (a graceful close: already queued bytes are flushed, then FIN). The
            camera keeps accepting new connections, which will be dropped again after the
            same delay.
        stall_after: seconds after which the session stops sending RTP and RTCP while the
            TCP connection stays open and RTSP requests (keep-alives, TEARDOWN) are still
            answered.
        stall_seconds: how long the stall lasts; ``None`` means forever. When media resumes,
            the frames that would have been sent meanwhile are skipped, sending restarts at
            the next keyframe, and RTP timestamps reflect the elapsed wall time (a gap, not a
            jump). Sequence numbers continue without a gap because no packet was emitted.
        jump_after: seconds after which the RTP timestamps of the session jump once, by
            ``jump_seconds`` (positive: forward, negative: backward, modulo 2**32). Pacing is
            unchanged; subsequent timestamps continue from the jumped value, and subsequent
            RTCP sender reports map wall-clock time to the jumped timeline.
        jump_seconds: size of the jump in seconds.
        jump_every: repeat the jump every so many seconds (same size, same direction): a
            camera whose clock steps again and again. The first jump happens at
            ``jump_after``, or at ``jump_every`` when ``jump_after`` is ``None``. Jumps due
            during a stall are all applied when media resumes.
        garbage_after: seconds after which the RTP payloads of the next ``garbage_frames``
            access units are replaced by random bytes of the same length (interleaved and RTP
            headers stay valid, so the stream keeps flowing but the decoder gets garbage).
            Happens once per session.
        garbage_frames: number of access units affected by ``garbage_after``.
        refuse: ``"503"`` answers every request naming this camera with
            ``503 Service Unavailable``; ``"close"`` closes the TCP connection without an
            answer as soon as a request naming this camera arrives. It applies to requests
            received after the fault is set; combine with ``drop_after=0`` to also cut the
            sessions already playing.
        clock_drift_ppm: the camera's RTP clock runs at 90 kHz × (1 + ppm/1e6) of wall time:
            each frame's timestamp advances by (90000/fps)·(1 + ppm·1e-6) ticks, computed
            from the exact media time and rounded per frame (no accumulated rounding), while
            frames are still sent one per 1/fps s of wall time. Sender reports map the wall
            clock to the drifted clock. Takes effect from the next frame when installed on a
            playing session (the timeline bends, it does not jump). At most ±100 000 ppm;
            ±5000 ppm (0.5 %) shows hours of a real camera's drift within a minute.
        rtp_start: RTP timestamp of the session's first frame, instead of a random one (e.g.
            ``2**32 - 90000 * 5`` to see the 32-bit wrap five seconds in). Read at the
            session's first PLAY: setting it later does not affect a playing session.
        repeat_timestamp_every: every Nth frame sent (N ≥ 2, counted on the fault clock) is a
            new picture carrying the same RTP timestamp as the frame before it; the frames
            after it are back on the true timeline. ``0``: never.
        send_sender_reports: ``False`` for a camera that never sends RTCP sender reports.
        sr_offset_seconds: added to the NTP time of every sender report (a camera whose own
            wall clock is wrong, e.g. ``3600`` or ``-0.5``); their RTP timestamps stay true.
    """

    drop_after: float | None = None
    stall_after: float | None = None
    stall_seconds: float | None = None
    jump_after: float | None = None
    jump_seconds: float = 0.0
    jump_every: float | None = None
    garbage_after: float | None = None
    garbage_frames: int = 5
    refuse: RefuseMode | None = None
    clock_drift_ppm: float = 0.0
    rtp_start: int | None = None
    repeat_timestamp_every: int = 0
    send_sender_reports: bool = True
    sr_offset_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.refuse not in (None, "503", "close"):
            raise ValueError(f"refuse must be None, '503' or 'close', not {self.refuse!r}")
        if self.garbage_frames < 0:
            raise ValueError("garbage_frames must be >= 0")
        if self.jump_every is not None and not self.jump_every > 0:
            raise ValueError("jump_every must be > 0 seconds")
        if not abs(self.clock_drift_ppm) <= MAX_DRIFT_PPM:
            raise ValueError(f"clock_drift_ppm must be within ±{MAX_DRIFT_PPM}")
        if self.rtp_start is not None and not 0 <= self.rtp_start < 2**32:
            raise ValueError("rtp_start must be a 32-bit unsigned integer")
        if self.repeat_timestamp_every < 0 or self.repeat_timestamp_every == 1:
            raise ValueError("repeat_timestamp_every must be 0 (never) or >= 2")
        if abs(self.sr_offset_seconds) >= 2**31:
            raise ValueError("sr_offset_seconds must fit an NTP timestamp")

    @property
    def clock_rate(self) -> float:
        """Camera-clock seconds per wall-clock second."""
        return 1.0 + self.clock_drift_ppm * 1e-6


NO_FAULT = Fault()


class FaultClock:
    """Per-session runtime state of a fault (which events already fired)."""

    __slots__ = ("fault", "frames", "garbage_left", "jumps", "origin", "stalled")

    def __init__(self, fault: Fault, origin: float) -> None:
        self.fault = fault
        self.origin = origin
        self.jumps = 0  # jumps applied so far
        self.frames = 0  # frames sent under this fault (for repeat_timestamp_every)
        self.garbage_left = -1  # -1: garbage burst not started yet
        self.stalled = False

    def should_drop(self, now: float) -> bool:
        after = self.fault.drop_after
        return after is not None and now - self.origin >= after

    def is_stalled(self, now: float) -> bool:
        after = self.fault.stall_after
        if after is None:
            return False
        elapsed = now - self.origin - after
        if elapsed < 0:
            return False
        duration = self.fault.stall_seconds
        return duration is None or elapsed < duration

    def take_jumps(self, now: float) -> int:
        """Number of jumps of ``jump_seconds`` due by ``now`` and not applied yet."""
        fault = self.fault
        first = fault.jump_after if fault.jump_after is not None else fault.jump_every
        if first is None:
            return 0
        elapsed = now - self.origin - first
        if elapsed < 0:
            return 0
        due = 1 if fault.jump_every is None else int(elapsed // fault.jump_every) + 1
        pending = due - self.jumps
        self.jumps = due
        return pending

    def take_repeat(self) -> bool:
        """Count one sent frame; whether it must repeat the previous frame's timestamp."""
        self.frames += 1
        every = self.fault.repeat_timestamp_every
        return every > 0 and self.frames % every == 0

    def take_garbage(self, now: float) -> bool:
        """Whether the access unit sent now must carry garbage payloads."""
        after = self.fault.garbage_after
        if after is None or now - self.origin < after:
            return False
        if self.garbage_left < 0:
            self.garbage_left = self.fault.garbage_frames
        if self.garbage_left == 0:
            return False
        self.garbage_left -= 1
        return True
