"""Reading the samples: one camera's series for its charts, and every camera's summary
(availability over a window) for the health page.

Availability is the share of the samples taken while the camera was supposed to record
(not `disabled` in the site file) in which it was recording. Minutes with no sample
(the server was stopped) count neither way: `coverage` tells how much of the window
was observed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, case, func, select

from beffroi.camera_history.sampler import DISABLED
from beffroi.camera_history.tables import camera_samples
from beffroi.ingest.state import Status

t = camera_samples
RECORDING = Status.RECORDING.value


@dataclass(frozen=True)
class Sample:
    at_ms: int
    status: str
    reason: str | None
    fps: float | None
    bitrate_bps: float | None


@dataclass(frozen=True)
class Summary:
    samples: int  # rows in the window
    expected: int  # intervals in the window
    observed: int  # samples while the camera was supposed to record (not disabled)
    recording: int  # of which recording
    fps_mean: float | None
    bitrate_mean_bps: float | None

    @property
    def availability(self) -> float | None:
        """Share (0..1) of the observed samples in which the camera recorded."""
        return self.recording / self.observed if self.observed else None

    @property
    def coverage(self) -> float:
        """Share (0..1) of the window's intervals that have a sample."""
        return min(1.0, self.samples / self.expected) if self.expected else 0.0


def samples_of(conn: Connection, camera_id: str, start_ms: int, end_ms: int) -> list[Sample]:
    rows = conn.execute(
        select(t.c.at_ms, t.c.status, t.c.reason, t.c.fps, t.c.bitrate_bps)
        .where(t.c.camera_id == camera_id, t.c.at_ms >= start_ms, t.c.at_ms < end_ms)
        .order_by(t.c.at_ms)
    ).all()
    return [Sample(int(r.at_ms), r.status, r.reason, r.fps, r.bitrate_bps) for r in rows]


def summaries(
    conn: Connection, camera_ids: Iterable[str], start_ms: int, end_ms: int, interval_ms: int
) -> dict[str, Summary]:
    """Every listed camera's summary over `[start_ms, end_ms)`; a camera without samples
    gets zeros (and no availability)."""
    ids = sorted(set(camera_ids))
    expected = max(0, (end_ms - start_ms) // interval_ms)
    empty = Summary(0, expected, 0, 0, None, None)
    if not ids:
        return {}
    rows = conn.execute(
        select(
            t.c.camera_id,
            func.count().label("n"),
            func.sum(case((t.c.status != DISABLED, 1), else_=0)).label("observed"),
            func.sum(case((t.c.status == RECORDING, 1), else_=0)).label("recording"),
            func.avg(t.c.fps).label("fps"),
            func.avg(t.c.bitrate_bps).label("bitrate"),
        )
        .where(t.c.camera_id.in_(ids), t.c.at_ms >= start_ms, t.c.at_ms < end_ms)
        .group_by(t.c.camera_id)
    ).all()
    found = {
        r.camera_id: Summary(
            samples=int(r.n),
            expected=expected,
            observed=int(r.observed or 0),
            recording=int(r.recording or 0),
            fps_mean=None if r.fps is None else float(r.fps),
            bitrate_mean_bps=None if r.bitrate is None else float(r.bitrate),
        )
        for r in rows
    }
    return {cid: found.get(cid, empty) for cid in ids}
