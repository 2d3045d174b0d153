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
"""

from __future__ import annotations

import itertools
from typing import Any

# A demux call that took at least this long waited for the network: the burst is over.
# A burst's packets come back microseconds apart; live ones a frame period apart.
WAITED_MS = 15.0
MAX_HELD = 600  # packets (40 s at 15 fps): a stream that never pauses is not held forever
MAX_STEP_MS = 2000.0  # media time between two packets of a continuous stream, at most


class ProbeBacklog:
    def __init__(self) -> None:
        self.held: list[tuple[Any, float, int]] = []  # (packet, media ms, arrival ms)
        self.done = False
        self._previous_ns: int | None = None

    def feed(
        self, packet: Any, media_ms: float, now_ms: int, mono_ns: int
    ) -> list[tuple[Any, int]]:
        """(picture, arrival ms) to place now, in order: none while the burst lasts."""
        if self.done:
            return [(packet, now_ms)]
        waited = self._previous_ns is not None and (mono_ns - self._previous_ns) / 1e6 >= WAITED_MS
        self._previous_ns = mono_ns
        self.held.append((packet, media_ms, now_ms))
        if not waited and len(self.held) < MAX_HELD:
            return []
        return self.flush()

    def flush(self) -> list[tuple[Any, int]]:
        """Release what is held (the burst ended, or the session did), stamped."""
        self.done = True
        if not self.held:
            return []
        medias = [media for _, media, _ in self.held]
        steps = [b - a for a, b in itertools.pairwise(medias)]
        if any(not 0 <= step <= MAX_STEP_MS for step in steps):
            # The camera's clock jumped inside the burst: its media times say nothing of
            # when the first pictures were filmed. Arrival times, and the frame clock's
            # jump handling, as for any jump.
            out = [(p, arrival) for p, _, arrival in self.held]
        else:
            anchor = min(arrival - media for _, media, arrival in self.held)
            out = [(p, min(arrival, round(anchor + media))) for p, media, arrival in self.held]
        self.held = []
        return out
