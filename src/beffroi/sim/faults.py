"""Fault injection for simulated cameras.

A :class:`Fault` describes how a camera misbehaves. Every timed fault is measured on the
*fault clock* of each streaming session: it starts when the session receives PLAY, or when the
fault was installed with ``set_fault`` if that happened later (so installing a fault on a camera
that is already streaming affects its current sessions from that moment on).
Pausing does not stop the fault clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RefuseMode = Literal["503", "close"]


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
    """

    drop_after: float | None = None
    stall_after: float | None = None
    stall_seconds: float | None = None
    jump_after: float | None = None
    jump_seconds: float = 0.0
    garbage_after: float | None = None
    garbage_frames: int = 5
    refuse: RefuseMode | None = None

    def __post_init__(self) -> None:
        if self.refuse not in (None, "503", "close"):
            raise ValueError(f"refuse must be None, '503' or 'close', not {self.refuse!r}")
        if self.garbage_frames < 0:
            raise ValueError("garbage_frames must be >= 0")


NO_FAULT = Fault()


class FaultClock:
    """Per-session runtime state of a fault (which one-shot events already fired)."""

    __slots__ = ("fault", "garbage_left", "jumped", "origin", "stalled")

    def __init__(self, fault: Fault, origin: float) -> None:
        self.fault = fault
        self.origin = origin
        self.jumped = False
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

    def take_jump(self, now: float) -> float:
        """Return the jump (seconds) to apply now, at most once per session."""
        after = self.fault.jump_after
        if self.jumped or after is None or now - self.origin < after:
            return 0.0
        self.jumped = True
        return self.fault.jump_seconds

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
