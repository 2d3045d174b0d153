"""When a session's first pictures were filmed, not when FFmpeg handed them over.

`av.open` probes the stream before returning: the packets it read meanwhile (about a
second with a keyframe a second) come out of the first `demux` calls in one burst, each
"arriving" now though filmed up to a second earlier. Taken as they come, the session's
first frames were placed ~0.9 s late, and the frame clock's arrival envelope with
them. `ProbeBacklog` holds the pictures of that burst until one has to be waited for
(a live one), then gives every held picture the arrival `anchor + media time`, the
anchor being the smallest `arrival − media time` seen: the live picture's, which left
the camera an instant before. After that, pictures pass through with their arrival
time; the frame clock (`frame_clock.py`) does the rest.

The held pictures also wait for the camera's first RTCP sender report (a picture that
carries the camera's time), up to `settle_ms` of media time: the frame clock then
anchors the session's first picture on the camera's own clock instead of on arrival,
later by the camera's encoding delay, and slewing from one to the other. Against
GStreamer's camera (first report 0 to 0.3 s after the probe), the first 5 s of each
session were placed up to 220 ms late without it. Cameras that send no reports cost
`settle_ms` of live delay once, at the start of a session.
"""

from __future__ import annotations

import itertools
from typing import Any

# A demux call that took at least this long waited for the network: the burst is over.
# A burst's packets come back microseconds apart; live ones a frame period apart.
WAITED_MS = 15.0
MAX_HELD = 600  # packets (40 s at 15 fps): a stream that never pauses is not held forever
MAX_STEP_MS = 2000.0  # media time between two packets of a continuous stream, at most
# RFC 3550 sends the first report 1.25 to 3.75 s after the session starts, and the probe
# already took a second or more of it.
SETTLE_MS = 5000.0


class ProbeBacklog:
    def __init__(self, settle_ms: float = SETTLE_MS) -> None:
        self.settle_ms = settle_ms
        self.held: list[tuple[Any, float, int]] = []  # (packet, media ms, arrival ms)
        self.done = False
        self.jumped = False  # the media times of what was held are not continuous
        self._burst_over = False
        self._timed = False
        self._previous_ns: int | None = None

    def feed(
        self, packet: Any, media_ms: float, now_ms: int, mono_ns: int, timed: bool = False
    ) -> list[tuple[Any, int]]:
        """(picture, arrival ms) to place now, in order: none while the burst lasts, nor
        until a picture is `timed` by the camera's RTCP or `settle_ms` have been held."""
        if self.done:
            return [(packet, now_ms)]
        waited = self._previous_ns is not None and (mono_ns - self._previous_ns) / 1e6 >= WAITED_MS
        self._previous_ns = mono_ns
        self._burst_over |= waited
        self._timed |= timed
        self.held.append((packet, media_ms, now_ms))
        span = media_ms - self.held[0][1]
        settled = self._timed or not 0 <= span < self.settle_ms  # (a jump: settled too)
        if len(self.held) < MAX_HELD and not (self._burst_over and settled):
            return []
        return self.flush()

    def flush(self) -> list[tuple[Any, int]]:
        """Release what is held (the burst ended, or the session did), stamped."""
        self.done = True
        if not self.held:
            return []
        medias = [media for _, media, _ in self.held]
        steps = [b - a for a, b in itertools.pairwise(medias)]
        self.jumped = any(not 0 <= step <= MAX_STEP_MS for step in steps)
        if self.jumped:
            # The camera's clock jumped inside the burst: its media times say nothing of
            # when the first pictures were filmed. Arrival times, and the frame clock's
            # jump handling, as for any jump.
            out = [(p, arrival) for p, _, arrival in self.held]
        else:
            anchor = min(arrival - media for _, media, arrival in self.held)
            out = [(p, min(arrival, round(anchor + media))) for p, media, arrival in self.held]
        self.held = []
        return out
