"""The sampler: every interval (a minute), what the recorder says of each camera.

`tick()` writes one row per camera of the site (removed ones excepted) when a new
interval has begun since the last sample, then deletes the rows older than `keep`
(8 days). Times come from the injected clock, and a row's `at_ms` is the start of its
interval, so the rows of every camera line up on the charts and a restart within the
same minute writes nothing twice.

The first sample is taken as soon as the recorder has settled: every camera past its
first connection attempt (recording, or offline with a reason), or `settle_s` (15 s)
after start, whichever comes first. Sampling the instant the server starts would
count every camera's first connection as a minute without recording; waiting a whole
minute would leave the health page empty after a restart.

The thread wakes every few seconds of real time and calls `tick()`; tests call
`tick()` themselves after moving a `FakeClock`. A round that fails (database restart)
is logged and the next one retries; it never ends the thread.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta

from sqlalchemy import Engine, delete, func, insert, select

from beffroi.camera_history.tables import camera_samples
from beffroi.clock import Clock, utc_ms
from beffroi.ingest.state import RecorderView, Status
from beffroi.loops import Loop
from beffroi.site.tables import cameras

log = logging.getLogger(__name__)

KEEP = timedelta(days=8)
INTERVAL_S = 60.0
SETTLE_S = 15.0
UNKNOWN = "unknown"  # an enabled camera the recorder has no state for (yet)
DISABLED = Status.DISABLED.value


class CameraSampler:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        recorder: RecorderView,
        *,
        interval_s: float = INTERVAL_S,
        keep: timedelta = KEEP,
        settle_s: float = SETTLE_S,
    ) -> None:
        if interval_s < 1:
            raise ValueError("the sampling interval is at least a second")
        self.engine = engine
        self.clock = clock
        self.recorder = recorder
        self.interval_ms = int(interval_s * 1000)
        self.keep_ms = int(keep.total_seconds() * 1000)
        self.settle_s = settle_s
        self._last: int | None = None  # start of the last interval sampled
        self._settle_until: float | None = None  # while set, the recorder is settling
        self.loop = Loop("health-sampler", self._round, self._pace, clock)

    # --- one round --------------------------------------------------------------------
    def tick(self) -> int:
        """Sample if a new interval began since the last sample; returns the rows written."""
        now_ms = utc_ms(self.clock.now())
        at_ms = now_ms - now_ms % self.interval_ms
        if self._last is None:
            with self.engine.connect() as conn:
                last = conn.execute(select(func.max(camera_samples.c.at_ms))).scalar()
            self._last = int(last) if last is not None else -1
        if at_ms <= self._last:  # this interval is done (or the clock stepped back)
            return 0
        rows = self._rows(at_ms)
        with self.engine.begin() as conn:
            if rows:
                conn.execute(insert(camera_samples), rows)
            old = camera_samples.c.at_ms < now_ms - self.keep_ms
            conn.execute(delete(camera_samples).where(old))
        self._last = at_ms
        return len(rows)

    def _rows(self, at_ms: int) -> list[dict[str, object]]:
        states = self.recorder.camera_states()
        with self.engine.connect() as conn:
            cams = conn.execute(
                select(cameras.c.id, cameras.c.enabled)
                .where(cameras.c.removed_ms.is_(None))
                .order_by(cameras.c.id)
            ).all()
        rows: list[dict[str, object]] = []
        for cam in cams:
            st = states.get(cam.id)
            status, reason, fps, bitrate = UNKNOWN, None, None, None
            if not cam.enabled:
                status = DISABLED
            elif st is not None:
                status = st.status.value
                reason = st.reason.value if st.reason is not None else None
                if st.status == Status.RECORDING:  # measured only while recording
                    fps, bitrate = _measure(st.fps), _measure(st.bitrate_bps)
                    reason = None
            rows.append(
                {
                    "camera_id": cam.id,
                    "at_ms": at_ms,
                    "status": status,
                    "reason": reason,
                    "fps": fps,
                    "bitrate_bps": bitrate,
                }
            )
        return rows

    # --- the loop ---------------------------------------------------------------------
    def start(self) -> None:
        self._settle_until = self.clock.monotonic() + self.settle_s
        self.loop.start()

    def stop(self) -> None:
        self.loop.stop(10)

    def settled(self) -> bool:
        """Whether the recorder has told the outcome of every camera's first attempt."""
        return all(st.status != Status.CONNECTING for st in self.recorder.camera_states().values())

    def _round(self) -> None:
        if self._settle_until is not None:
            # The first sample waits for each camera's first attempt (a bounded while).
            if self.clock.monotonic() < self._settle_until and not self.settled():
                return
            self._settle_until = None
        self.tick()

    def _pace(self) -> float:
        if self._settle_until is not None:
            return 0.25
        # Wake often enough to sample within a few seconds of each interval's start.
        return min(5.0, self.interval_ms / 4000)


def _measure(value: float | None) -> float | None:
    """A rate as measured, or None for what cannot be one (negative, NaN)."""
    if value is None or not math.isfinite(value) or value < 0:
        return None
    return float(value)
