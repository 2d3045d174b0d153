"""When each picture was filmed, to the ±100 ms the law's "exact time" needs.

A camera's timestamps are spaced well but anchored to nothing: they start anywhere,
drift (a cheap oscillator is off by 0.01 to 0.5 %), wrap (FFmpeg unwraps the 32-bit
RTP clock), repeat and step. The server's clock is exact (NTP-disciplined) but sees
pictures only when they arrive, late by encoding, the network and FFmpeg's parser.
`FrameClock` keeps, per session, an offset from the camera's media time to UTC:
`filmed = media + offset`, and moves it slowly toward a target:

- **rtcp**: the camera's sender reports map its RTP clock to its NTP clock; FFmpeg
  passes that as each packet's producer reference time (PRFT). Used when it agrees
  with arrival (the picture did not arrive before it was filmed, nor more than
  `rtcp_late_ms` after): a camera whose own clock is wrong is not believed.
- **arrival**: the lower envelope of `arrival − media` over `window_ms`: the pictures
  that came fastest bound the filming time best, and jitter only ever makes others
  later. A drifting clock tilts the envelope: its minimum over the window is the
  oldest point for a slow clock, `drift × window` behind (50 ms at −0.5 % over 10 s,
  measured over ten minutes). So the drift is measured too, as the slope of the
  minima of 5 s buckets over the last minute, and the minimum is carried forward by
  it to now.

FFmpeg's parser returns a picture when the next one begins, so the time a packet comes
out is when the *next* picture's first bytes arrived: callers pair it with that
picture's media time (`Observation`). Measured against the simulator's send-time stamps
at 10 fps, pairing it with the picture's own time put every frame 100 ms late; the PRFT
of a packet is its own picture's.

The applied offset slews toward the target by at most `slew` of the media time elapsed
(5 %: invisible in playback, 100 ms corrected in 2 s), so file timestamps never go
backwards. Discontinuities of the camera's clock are handled at once: a timestamp that
repeats puts that picture one frame after the previous; one that goes back, or forward
so far that pictures would have arrived before being filmed, re-anchors the offset so
the recording continues one frame later, and the windows start afresh.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

RTCP = "rtcp"
ARRIVAL = "arrival"
BUCKET_MS = 5_000.0
DRIFT_SPAN_MS = 60_000.0
MAX_DRIFT = 0.01  # 1 %: beyond, a clock is broken, not drifting; the window copes
MIN_BUCKETS = 4


def _slope(points: deque[tuple[float, float]]) -> float:
    """Least-squares slope of value over arrival; 0 until MIN_BUCKETS points."""
    n = len(points)
    if n < MIN_BUCKETS:
        return 0.0
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    if var <= 0:
        return 0.0
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / var
    return max(-MAX_DRIFT, min(MAX_DRIFT, slope))


@dataclass(frozen=True, slots=True)
class Observation:
    """A lower bound (arrival) and perhaps the camera's time (PRFT) of one instant."""

    media_ms: float  # the camera's time of the picture observed
    arrival_ms: float  # when the server saw it: it was filmed no later
    camera_ms: float | None  # the camera's NTP time of it, from RTCP


class FrameClock:
    def __init__(
        self,
        window_ms: float = 10_000.0,
        slew: float = 0.05,
        early_jump_ms: float = 150.0,
        rtcp_early_ms: float = 100.0,
        rtcp_late_ms: float = 1_000.0,
        nominal_ms: float = 1000 / 15,
    ) -> None:
        self.window_ms = window_ms
        self.slew = slew
        self.early_jump_ms = early_jump_ms
        self.rtcp_early_ms = rtcp_early_ms
        self.rtcp_late_ms = rtcp_late_ms
        self.nominal_ms = nominal_ms
        self.offset: float | None = None
        self.source = ARRIVAL
        self.jumps = 0
        self.repeats = 0
        self.camera_clock_error_ms: float | None = None  # camera's NTP minus ours
        self._envelope: deque[tuple[float, float]] = deque()  # (arrival, arrival − media)
        self._rtcp: deque[float] = deque(maxlen=9)  # camera − media, recent
        # Minima of `arrival − media` per BUCKET_MS, over DRIFT_SPAN_MS: (arrival, value).
        self._buckets: deque[tuple[float, float]] = deque()
        self._bucket: tuple[float, float] | None = None  # the bucket being filled
        self._bucket_start = 0.0
        self.drift = 0.0  # ms of `arrival − media` per ms of arrival: −(clock rate error)
        self._last_dts: float | None = None
        self._last_out: float = 0.0

    # -- targets -------------------------------------------------------------------
    def observe(self, obs: Observation) -> None:
        value = obs.arrival_ms - obs.media_ms
        env = self._envelope
        while env and env[-1][1] >= value:  # a monotonic deque: its head is the minimum
            env.pop()
        env.append((obs.arrival_ms, value))
        while env[0][0] < obs.arrival_ms - self.window_ms:
            env.popleft()
        self._observe_drift(obs.arrival_ms, value)
        if obs.camera_ms is not None:
            self._rtcp.append(obs.camera_ms - obs.media_ms)

    def prime(self, observations: list[Observation]) -> bool:
        """Observe a session's first pictures, held together, before placing any, so
        the first is anchored on all of them (the camera's RTCP time if any has it).
        False, observing nothing, once pictures have been placed."""
        if self.offset is not None:
            return False
        for obs in observations:
            self.observe(obs)
        return True

    def _observe_drift(self, arrival: float, value: float) -> None:
        if self._bucket is None or arrival >= self._bucket_start + BUCKET_MS:
            if self._bucket is not None:
                self._buckets.append(self._bucket)
                while self._buckets[0][0] < arrival - DRIFT_SPAN_MS:
                    self._buckets.popleft()
                self.drift = _slope(self._buckets)
            self._bucket, self._bucket_start = (arrival, value), arrival
        elif value < self._bucket[1]:
            self._bucket = (arrival, value)

    def target(self) -> float:
        """The offset the evidence points to now; sets `source`."""
        lowest_at, lowest = self._envelope[0]
        arrival = lowest + self.drift * (self._envelope[-1][0] - lowest_at)  # carried to now
        if self._rtcp:
            ordered = sorted(self._rtcp)
            camera = ordered[len(ordered) // 2]  # the median: PRFTs can be a frame off
            latency = arrival - camera
            self.camera_clock_error_ms = -latency
            if -self.rtcp_early_ms <= latency <= self.rtcp_late_ms:
                self.source = RTCP
                return camera
        self.source = ARRIVAL
        return arrival

    # -- placing pictures ----------------------------------------------------------
    def place(self, dts_ms: float, obs: Observation, observe: bool = True) -> float:
        """The offset (ms) to add to this picture's media times; pictures in decode order.
        `observe=False` for pictures already `prime`d."""
        last = self._last_dts
        if last is not None and self.offset is not None:
            step = dts_ms - last
            early = obs.arrival_ms - (obs.media_ms + self.offset)
            if step == 0:
                self.repeats += 1
                return self._advance(dts_ms, self._last_out + self.nominal_ms - dts_ms)
            if step < 0 or early < -self.early_jump_ms:
                self._reanchor(dts_ms, obs)
                return self._advance(dts_ms, self.offset)
            if step < 4 * self.nominal_ms or self.nominal_ms <= 0:
                self.nominal_ms = step
        if observe:
            self.observe(obs)
        target = self.target()
        if self.offset is None:
            self.offset = target
        elif last is not None:
            limit = self.slew * max(dts_ms - last, 0.0)
            self.offset += max(-limit, min(limit, target - self.offset))
        return self._advance(dts_ms, self.offset)

    def _reanchor(self, dts_ms: float, obs: Observation) -> None:
        self.jumps += 1
        self.offset = self._last_out + self.nominal_ms - dts_ms
        self._envelope.clear()
        self._rtcp.clear()
        self._buckets.clear()
        self._bucket, self.drift = None, 0.0
        self.observe(obs)

    def _advance(self, dts_ms: float, offset: float) -> float:
        self._last_dts = dts_ms
        self._last_out = dts_ms + offset
        return offset
